package parsecmd

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"iotahome/pi/simulator"
	"iotahome/protocol"
)

// telegrams returns n clean telegrams of a simulated DSMR 5 meter.
func telegrams(t *testing.T, kind string, n int) []string {
	t.Helper()
	m, err := simulator.NewMeter(simulator.Config{Kind: kind, Seed: 4, Start: time.Date(2025, 2, 3, 10, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for range n {
		out = append(out, string(m.Telegram()))
	}
	return out
}

func run(args []string, stdin string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = Run(context.Background(), args, strings.NewReader(stdin), &o, &e)
	return code, o.String(), e.String()
}

func TestParseValidStream(t *testing.T) {
	ts := telegrams(t, simulator.DSMR5, 3)
	path := filepath.Join(t.TempDir(), "p1.txt")
	if err := os.WriteFile(path, []byte(strings.Join(ts, "")), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{path}, {"-"}, {}} {
		code, out, errs := run(args, strings.Join(ts, ""))
		if code != 0 || !strings.Contains(errs, "3 valid, 0 invalid") {
			t.Fatalf("%v: exit %d, stderr %s", args, code, errs)
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if len(lines) != 3 {
			t.Fatalf("%d lines: %s", len(lines), out)
		}
		for i, l := range lines {
			var r protocol.Reading
			dec := json.NewDecoder(strings.NewReader(l))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&r); err != nil {
				t.Fatalf("line %d is not a Reading: %v", i, err)
			}
			want := time.Date(2025, 2, 3, 10, 0, i+1, 0, time.UTC)
			if !r.Time.Equal(want) || r.TariffMeaning != "NL" || r.DeliveredT1 == nil || len(r.Phases) != 3 || len(r.MBus) != 1 {
				t.Errorf("line %d: %s", i, l)
			}
			if strings.Contains(l, "equipment") {
				t.Errorf("reading carries an equipment id: %s", l)
			}
		}
	}
}

func TestParseInvalidTelegrams(t *testing.T) {
	ts := telegrams(t, simulator.DSMR5, 4)
	badCRC := strings.Replace(ts[1], "(0001)", "(0002)", 1)
	if badCRC == ts[1] {
		badCRC = strings.Replace(ts[1], "(0002)", "(0001)", 1)
	}
	cut := ts[2][:len(ts[2])/2]
	stream := "\xff\xfenoise\r\n" + ts[0] + badCRC + cut + ts[3] + ts[0][40:]
	code, out, errs := run(nil, stream)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if n := strings.Count(out, "\n"); n != 2 {
		t.Errorf("%d readings printed, want 2:\n%s", n, out)
	}
	before := "\xff\xfenoise\r\n" + ts[0]
	offCRC, lineCRC := len(before), strings.Count(before, "\n")+1
	offCut, lineCut := offCRC+len(badCRC), lineCRC+strings.Count(badCRC, "\n")
	for _, want := range []string{
		"byte 0: skipped 9 bytes",
		"byte " + strconv.Itoa(offCRC) + " (line " + strconv.Itoa(lineCRC) + "): invalid telegram: bad CRC",
		"byte " + strconv.Itoa(offCut) + " (line " + strconv.Itoa(lineCut) + "): invalid telegram: truncated",
		"invalid telegram: no header",
		"2 valid, 3 invalid telegrams",
	} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errs)
		}
	}
}

func TestParseOptions(t *testing.T) {
	ts := telegrams(t, simulator.BE, 2)
	code, out, errs := run([]string{"--full", "--count", "1"}, strings.Join(ts, ""))
	if code != 0 || strings.Count(out, "\n") != 1 {
		t.Fatalf("exit %d, out %s, err %s", code, out, errs)
	}
	var full struct {
		Country     string           `json:"country"`
		EquipmentID string           `json:"equipmentId"`
		Reading     protocol.Reading `json:"reading"`
	}
	if err := json.Unmarshal([]byte(out), &full); err != nil || full.Country != "BE" || full.EquipmentID == "" || full.Reading.MonthPeak == nil {
		t.Errorf("full telegram %s (%v)", out, err)
	}

	// A value without a unit is used and reported, unless --quiet. DSMR
	// 2.2 has no CRC, so the edited telegram stays valid.
	noUnit := strings.Replace(telegrams(t, simulator.DSMR22, 1)[0], "*kWh)", ")", 1)
	if code, out, errs := run(nil, noUnit); code != 0 || out == "" || !strings.Contains(errs, "1-0:1.8.1(") || !strings.Contains(errs, "no unit, assumed kWh") {
		t.Errorf("value without unit: exit %d\n%s", code, errs)
	}
	if code, _, errs := run([]string{"--quiet"}, noUnit); code != 0 || strings.Contains(errs, "no unit") {
		t.Errorf("--quiet: exit %d\n%s", code, errs)
	}
	for _, tc := range []struct {
		args []string
		in   string
		code int
	}{
		{[]string{"--help"}, "", 0},
		{[]string{"--country", "DE"}, "", 2},
		{[]string{"a", "b"}, "", 2},
		{[]string{"/nonexistent/file"}, "", 1},
		{nil, "", 1}, // no telegram at all
	} {
		if code, _, _ := run(tc.args, tc.in); code != tc.code {
			t.Errorf("%v: exit %d, want %d", tc.args, code, tc.code)
		}
	}
}

// TestParseSerialPort checks a "cable": parse reads a pseudo-terminal the
// simulator writes to, detects the line settings and stops after --count.
func TestParseSerialPort(t *testing.T) {
	pt, err := simulator.OpenPTY()
	if err != nil {
		t.Fatal(err)
	}
	defer pt.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	m, err := simulator.NewMeter(simulator.Config{Seed: 8})
	if err != nil {
		t.Fatal(err)
	}
	go simulator.Run(ctx, m, writerFunc(func(b []byte) (int, error) { return pt.WriteTimeout(b, time.Second) }), 20, 0)

	var out, errs bytes.Buffer
	code := Run(ctx, []string{"--count", "3", "--detect-window", "2s", pt.SlavePath()}, nil, &out, &errs)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs.String())
	}
	if !strings.Contains(errs.String(), "valid telegrams at 115200 8N1") {
		t.Errorf("stderr: %s", errs.String())
	}
	sc := bufio.NewScanner(&out)
	n := 0
	for sc.Scan() {
		n++
	}
	if n != 3 {
		t.Errorf("%d readings", n)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }
