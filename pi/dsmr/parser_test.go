package dsmr

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"iotahome/protocol"
)

// fixedNow is the receive time used for telegrams without a timestamp.
var fixedNow = time.Date(2024, 1, 2, 3, 4, 5, 600, time.UTC)

func newTestParser(t testing.TB, country string) *Parser {
	t.Helper()
	p, err := NewParser(Options{Country: country, Now: func() time.Time { return fixedNow }})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func mustParse(t *testing.T, p *Parser, s string) *Telegram {
	t.Helper()
	tg, err := p.Parse([]byte(s))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return tg
}

// readingJSON compacts a hand-written expected Reading for comparison.
func readingJSON(t *testing.T, r protocol.Reading) string {
	t.Helper()
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func compact(t *testing.T, s string) string {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(s)); err != nil {
		t.Fatalf("bad expected JSON: %v", err)
	}
	return b.String()
}

func TestParseVersions(t *testing.T) {
	p := newTestParser(t, "")
	tests := []struct {
		name, telegram                    string
		version, country, equipment, text string
		hasCRC                            bool
		mbus                              []MBusDevice
		unknown                           []string
		reading                           string
	}{
		{
			name: "DSMR 2.2", telegram: telegram22, version: VersionLegacy, country: NL, equipment: "0123456",
			mbus:    []MBusDevice{{Channel: 1, Type: 3, EquipmentID: "2222ABCD"}},
			unknown: []string{"0-0:17.0.0", "0-0:96.3.10", "0-1:24.4.0"},
			reading: `{"t":"2024-01-02T04:04:05+01:00","tariffMeaning":"NL",
				"dT1":123.456,"dT2":234.567,"rT1":1.001,"rT2":2.002,"tariff":1,"pD":1.01,"pR":0,
				"mbus":[{"ch":1,"type":3,"t":"2016-11-07T19:00:00+01:00","value":456.789,"unit":"m3"}]}`,
		},
		{
			name: "DSMR 3.0", telegram: telegram30, version: VersionLegacy, country: NL,
			equipment: "K8EG004046395507", text: "Hello, meter",
			mbus:    []MBusDevice{{Channel: 1, Type: 3, EquipmentID: "2222ABCD123456789"}},
			unknown: []string{"0-0:17.0.0", "0-0:96.3.10", "0-1:24.4.0"},
			reading: `{"t":"2024-01-02T04:04:05+01:00","tariffMeaning":"NL",
				"dT1":12345.678,"dT2":12345.679,"rT1":0,"rT2":0,"tariff":2,"pD":1.19,"pR":0,
				"mbus":[{"ch":1,"type":3,"t":"2009-02-12T16:00:00+01:00","value":1234.567,"unit":"m3"}]}`,
		},
		{
			name: "DSMR 4.2", telegram: telegram42, version: "4.2", country: NL, equipment: "E0031003246598416", hasCRC: true,
			mbus: []MBusDevice{{Channel: 1, Type: 3, EquipmentID: "G0019340321198416"}},
			reading: `{"t":"2016-11-13T20:57:57+01:00","tariffMeaning":"NL",
				"dT1":1581.123,"dT2":1435.706,"rT1":0,"rT2":0,"tariff":2,"pD":2.027,"pR":0,
				"phases":[
					{"l":1,"i":0,"pD":0.17,"pR":0,"sags":0,"swells":3},
					{"l":2,"i":6,"pD":1.247,"pR":0,"sags":1,"swells":4},
					{"l":3,"i":2,"pD":0.209,"pR":0,"sags":2,"swells":5}],
				"pf":15,"lpf":7,
				"mbus":[{"ch":1,"type":3,"t":"2016-11-13T20:00:00+01:00","value":981.443,"unit":"m3"}]}`,
		},
		{
			name: "DSMR 5.0 two M-Bus devices", telegram: telegram50, version: "5.0", country: NL, equipment: "E0045004008767318", hasCRC: true,
			mbus: []MBusDevice{
				{Channel: 1, Type: 3},
				{Channel: 2, Type: 4, EquipmentID: "H0012345678901234"},
				{Channel: 3, Type: 3, EquipmentID: "G0012345678901234"},
			},
			reading: `{"t":"2025-03-30T03:15:00+02:00","tariffMeaning":"NL",
				"dT1":4567.89,"dT2":3456.789,"rT1":123.456,"rT2":234.567,"tariff":1,"pD":0,"pR":1.234,
				"phases":[
					{"l":1,"v":232.1,"i":7,"pD":0,"pR":1.48,"sags":2,"swells":0},
					{"l":2,"v":230.2,"i":1,"pD":0.234,"pR":0,"sags":1,"swells":3},
					{"l":3,"v":229.9,"i":0,"pD":0.012,"pR":0,"sags":0,"swells":0}],
				"pf":4,"lpf":2,
				"mbus":[
					{"ch":2,"type":4,"t":"2025-03-30T01:55:00+01:00","value":12.345,"unit":"GJ"},
					{"ch":3,"type":3,"t":"2025-03-30T03:10:00+02:00","value":2345.678,"unit":"m3"}]}`,
		},
		{
			name: "Belgian e-MUCS", telegram: telegramBE, version: "5.0", country: BE, equipment: "1SAG3105209493", hasCRC: true,
			mbus: []MBusDevice{
				{Channel: 1, Type: 3, EquipmentID: "7FLO2123015189"},
				{Channel: 2, Type: 7, EquipmentID: "8SET0000837964"},
			},
			unknown: []string{"0-0:98.1.0", "0-0:96.3.10", "0-0:17.0.0", "1-0:31.4.0", "0-1:24.4.0"},
			reading: `{"t":"2023-04-21T16:53:28+02:00","tariffMeaning":"BE",
				"dT1":56.913,"dT2":184.024,"rT1":83.503,"rT2":15.696,"tariff":1,"pD":0,"pR":1.739,
				"phases":[{"l":1,"v":245.3,"i":7.09,"pD":0,"pR":1.739}],
				"avgDemand":0.377,"monthPeak":4.509,
				"mbus":[
					{"ch":1,"type":3,"t":"2023-04-21T16:50:00+02:00","value":312.345,"unit":"m3"},
					{"ch":2,"type":7,"t":"2023-04-21T16:51:02+02:00","value":3.83,"unit":"m3"}]}`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tg := mustParse(t, p, tc.telegram)
			if len(tg.FieldErrors) > 0 {
				t.Errorf("field errors: %v", tg.FieldErrors)
			}
			if tg.Version != tc.version || tg.Country != tc.country || tg.EquipmentID != tc.equipment || tg.Text != tc.text || tg.HasCRC != tc.hasCRC {
				t.Errorf("version %q country %q equipment %q text %q hasCRC %v, want %q %q %q %q %v",
					tg.Version, tg.Country, tg.EquipmentID, tg.Text, tg.HasCRC, tc.version, tc.country, tc.equipment, tc.text, tc.hasCRC)
			}
			if fmt.Sprint(tg.MBus) != fmt.Sprint(tc.mbus) {
				t.Errorf("M-Bus devices %+v, want %+v", tg.MBus, tc.mbus)
			}
			var unknown []string
			for _, u := range tg.Unknown {
				unknown = append(unknown, u.OBIS)
			}
			if fmt.Sprint(unknown) != fmt.Sprint(tc.unknown) {
				t.Errorf("unknown lines %v, want %v", unknown, tc.unknown)
			}
			if got, want := readingJSON(t, tg.Reading), compact(t, tc.reading); got != want {
				t.Errorf("reading\n got %s\nwant %s", got, want)
			}
		})
	}
}

func TestParseDetails(t *testing.T) {
	p := newTestParser(t, "")

	t.Run("failure log and DST", func(t *testing.T) {
		tg := mustParse(t, p, telegram42)
		// 02:30 on 25 October 2015 happened twice; the S/W flag says which.
		want := []string{"2000-01-04T17:03:20Z 237126", "2015-10-25T00:30:00Z 42", "2015-10-25T01:30:00Z 301"}
		var got []string
		for _, f := range tg.PowerFailureLog {
			got = append(got, fmt.Sprintf("%s %d", f.End.UTC().Format(time.RFC3339), f.Seconds))
			if f.End.Location().String() != "Europe/Amsterdam" {
				t.Errorf("failure time zone %v", f.End.Location())
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("failure log %v, want %v", got, want)
		}
	})
	t.Run("Belgian month peak and time zone", func(t *testing.T) {
		tg := mustParse(t, p, telegramBE)
		if got := tg.MonthPeakTime.Format(time.RFC3339); got != "2023-04-11T22:30:00+02:00" {
			t.Errorf("month peak time %s", got)
		}
		if tg.Reading.Time.Location().String() != "Europe/Brussels" || tg.VersionCode != "50217" {
			t.Errorf("location %v, version code %q", tg.Reading.Time.Location(), tg.VersionCode)
		}
	})
	t.Run("DSMR 3 text code", func(t *testing.T) {
		if tg := mustParse(t, p, telegram30); tg.TextCode != "012" {
			t.Errorf("text code %q", tg.TextCode)
		}
	})
	t.Run("forced country", func(t *testing.T) {
		tg := mustParse(t, newTestParser(t, BE), telegram50)
		if tg.Reading.TariffMeaning != BE || tg.Reading.Time.Location().String() != "Europe/Brussels" {
			t.Errorf("forced BE: meaning %q, location %v", tg.Reading.TariffMeaning, tg.Reading.Time.Location())
		}
		if !tg.Reading.Time.Equal(time.Date(2025, 3, 30, 1, 15, 0, 0, time.UTC)) {
			t.Errorf("instant changed: %v", tg.Reading.Time)
		}
	})
	t.Run("unknown country", func(t *testing.T) {
		if _, err := NewParser(Options{Country: "DE"}); err == nil {
			t.Error("country DE accepted")
		}
	})
	t.Run("reading has no equipment id", func(t *testing.T) {
		tg := mustParse(t, p, telegram50)
		b, _ := json.Marshal(tg.Reading)
		for _, id := range []string{"4530303435303034303038373637333138", "E0045004008767318", "H0012345678901234"} {
			if bytes.Contains(b, []byte(id)) {
				t.Errorf("reading carries id %s: %s", id, b)
			}
		}
	})
}

func TestParseQuirks(t *testing.T) {
	tg := mustParse(t, newTestParser(t, ""), telegramQuirks)
	want := []struct {
		obis string
		err  error
	}{
		{"1-0:1.8.1", ErrMissingUnit},
		{"1-0:2.8.1", ErrBadUnit},
		{"1-0:2.8.2", ErrBadNumber},
		{"0-0:99.97.0", ErrBadLog},
		{"0-0:96.13.0", ErrBadText},
		{"0-1:24.2.1", ErrBadTimestamp},
		{"0-2:24.2.1", ErrMissingUnit},
	}
	if len(tg.FieldErrors) != len(want) {
		t.Fatalf("field errors %v, want %d", tg.FieldErrors, len(want))
	}
	for i, w := range want {
		fe := tg.FieldErrors[i]
		if fe.OBIS != w.obis || !errors.Is(fe, w.err) {
			t.Errorf("field error %d = %v, want %s %v", i, fe, w.obis, w.err)
		}
	}
	if tg.Text != "\uFFFD\uFFFDhello\uFFFD" {
		t.Errorf("text %q", tg.Text)
	}
	if len(tg.Unknown) != 1 || tg.Unknown[0] != (RawLine{"1-0:99.1.0", "(12)(something new)"}) {
		t.Errorf("unknown %+v", tg.Unknown)
	}
	wantReading := `{"t":"2019-10-31T23:59:59+01:00","tariffMeaning":"NL","dT1":100,"dT2":200,"tariff":2,"pD":0.5,"pR":0,
		"phases":[{"l":1,"v":230}],
		"mbus":[{"ch":2,"type":7,"t":"2019-10-31T23:55:00+01:00","value":42,"unit":"m3"}]}`
	if got := readingJSON(t, tg.Reading); got != compact(t, wantReading) {
		t.Errorf("reading\n got %s\nwant %s", got, compact(t, wantReading))
	}
	if fmt.Sprint(tg.MBus) != fmt.Sprint([]MBusDevice{{1, 3, "G0019340321198416"}, {2, 7, ""}}) {
		t.Errorf("devices %+v", tg.MBus)
	}
	if _, err := json.Marshal(tg); err != nil {
		t.Errorf("telegram JSON: %v", err)
	}
}

func TestParseRejects(t *testing.T) {
	p := newTestParser(t, "")
	badDigit := strings.Replace(telegram50, "004567.890", "004567.891", 1)
	tests := []struct {
		name, in string
		err      error
	}{
		{"bad CRC", badDigit, ErrBadCRC},
		{"wrong CRC value", strings.Replace(telegram42, telegram42[len(telegram42)-6:], "0000\r\n", 1), ErrBadCRC},
		{"missing CRC on DSMR 5", strings.TrimSuffix(telegram50, telegram50[len(telegram50)-6:]) + "\r\n", ErrMissingCRC},
		{"five CRC digits", strings.TrimSuffix(telegram50, "\r\n") + "0\r\n", ErrMalformedCRC},
		{"CRC not hex", telegram50[:strings.LastIndexByte(telegram50, '!')+1] + "XY12\r\n", ErrMalformedCRC},
		{"truncated", telegram50[:len(telegram50)/2], ErrTruncated},
		{"cut by the next header", telegram50[:300] + telegram42, ErrTruncated},
		{"no header", telegram50[5:], ErrNoHeader},
		{"empty", "", ErrNoHeader},
		{"header only", "/ISk5\\2MT382-1000\r\n", ErrTruncated},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tg, err := p.Parse([]byte(tc.in))
			if !errors.Is(err, tc.err) || tg != nil {
				t.Fatalf("Parse = %v, %v; want %v", tg, err, tc.err)
			}
		})
	}
	var ce *CRCError
	if _, err := p.Parse([]byte(badDigit)); !errors.As(err, &ce) || ce.Sent == ce.Computed {
		t.Errorf("bad CRC error %v does not carry both CRCs", err)
	}
}

func TestParseCRCForms(t *testing.T) {
	p := newTestParser(t, "")
	// Find a telegram whose CRC has leading zeros, as some meters send it
	// without them ("!B9F" for 0x0B9F).
	var body string
	var crc uint16
	for i := 0; ; i++ {
		body = fmt.Sprintf("/KFM5KAIFA-METER\r\n\r\n1-3:0.2.8(42)\r\n0-0:1.0.0(161113205757W)\r\n1-0:1.8.1(%010.3f*kWh)\r\n!", float64(i)/1000)
		if crc = CRC16([]byte(body)); crc < 0x1000 {
			break
		}
	}
	for _, form := range []string{"%04X", "%X", "%x", "%04x"} {
		in := body + fmt.Sprintf(form, crc) + "\r\n"
		if _, err := p.Parse([]byte(in)); err != nil {
			t.Errorf("CRC written %q: %v", fmt.Sprintf(form, crc), err)
		}
	}
	lf := sealLF(`/ISk5\2MT382-1000`, ``, `1-3:0.2.8(40)`, `0-0:1.0.0(101209113020W)`, `1-0:1.8.1(123456.789*kWh)`)
	tg, err := p.Parse([]byte(lf))
	if err != nil || tg.Version != "4.0" || *tg.Reading.DeliveredT1 != 123456.789 {
		t.Errorf("LF telegram: %v %+v", err, tg)
	}
	// No line end after the CRC (end of a file).
	if _, err := p.Parse([]byte(strings.TrimSuffix(telegram42, "\r\n"))); err != nil {
		t.Errorf("telegram without final line end: %v", err)
	}
}

// crcBitwise is CRC-16/ARC written from its definition, to check the table.
func crcBitwise(data []byte) uint16 {
	var crc uint16
	for _, b := range data {
		crc ^= uint16(b)
		for range 8 {
			if crc&1 != 0 {
				crc = crc>>1 ^ 0xA001
			} else {
				crc >>= 1
			}
		}
	}
	return crc
}

func TestCRC16(t *testing.T) {
	// The published check value of CRC-16/ARC.
	if got := CRC16([]byte("123456789")); got != 0xBB3D {
		t.Fatalf("CRC16(123456789) = %04X, want BB3D", got)
	}
	for _, s := range []string{telegram42, telegram50, telegramBE} {
		bang := strings.LastIndexByte(s, '!')
		if CRC16([]byte(s[:bang+1])) != crcBitwise([]byte(s[:bang+1])) {
			t.Error("table and bitwise CRC differ")
		}
	}
	// The CRC covers the '!': a CRC over the bytes before it is rejected.
	body := "/ISk5\\2MT382-1000\r\n\r\n1-3:0.2.8(50)\r\n0-0:1.0.0(101209113020W)\r\n"
	without := fmt.Sprintf("%s!%04X\r\n", body, CRC16([]byte(body)))
	if _, err := Parse([]byte(without)); !errors.Is(err, ErrBadCRC) {
		t.Errorf("CRC without the '!' accepted: %v", err)
	}
}

func TestParseDecimal(t *testing.T) {
	for _, s := range []string{"001581.123", "0.48", "230.1", "003", "12785.123", "0000237126", "00052185.7825309", "-1.5", "1.", ".5"} {
		got, ok := parseDecimal(s)
		var want float64
		_, err := fmt.Sscan(s, &want)
		if !ok || err != nil || got != want {
			t.Errorf("parseDecimal(%q) = %v, %v; want %v (%v)", s, got, ok, want, err)
		}
	}
	for _, s := range []string{"", ".", "1.2.3", "1e5", "abc", "12 3", "0x10", "--1", "Inf", "NaN", "123456789012345678901.5e"} {
		if v, ok := parseDecimal(s); ok {
			t.Errorf("parseDecimal(%q) = %v, want rejection", s, v)
		}
	}
}
