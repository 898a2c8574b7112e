package dsmr

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

func (st *parseState) obis(code, v string) {
	t := &st.t.Reading
	switch code {
	case "1-3:0.2.8":
		if g, ok := singleGroup(v); ok && len(g) >= 2 {
			st.t.VersionCode = g
			st.t.Version = versionName(g)
			return
		}
		st.fieldError(code, v, ErrBadNumber)
	case "0-0:96.1.4": // Belgian e-MUCS version, e.g. 50217
		if g, ok := singleGroup(v); ok && len(g) >= 2 {
			st.t.VersionCode = g
			st.t.Version = versionName(g)
			st.detect(BE)
			return
		}
		st.fieldError(code, v, ErrBadNumber)
	case "0-0:1.0.0":
		if tm, ok := st.timestamp(code, v); ok {
			t.Time, st.hasTime = tm, true
		}
	case "0-0:96.1.1":
		if g, ok := singleGroup(v); ok {
			st.t.EquipmentID = decodeHexText(g)
		} else {
			st.fieldError(code, v, ErrBadLine)
		}
	case "1-0:1.8.1":
		t.DeliveredT1 = st.num(code, v, numDT1, "kWh", "Wh")
	case "1-0:1.8.2":
		t.DeliveredT2 = st.num(code, v, numDT2, "kWh", "Wh")
	case "1-0:2.8.1":
		t.ReturnedT1 = st.num(code, v, numRT1, "kWh", "Wh")
	case "1-0:2.8.2":
		t.ReturnedT2 = st.num(code, v, numRT2, "kWh", "Wh")
	case "0-0:96.14.0", "1-0:96.14.0":
		t.Tariff = st.int(code, v, intTariff)
	case "1-0:1.7.0":
		t.PowerDelivered = st.num(code, v, numPD, "kW", "W")
	case "1-0:2.7.0":
		t.PowerReturned = st.num(code, v, numPR, "kW", "W")
	case "0-0:96.7.21":
		t.PowerFailures = st.int(code, v, intPF)
	case "0-0:96.7.9":
		t.LongPowerFailures = st.int(code, v, intLPF)
	case "1-0:99.97.0", "0-0:99.97.0":
		st.failureLog(code, v)
	case "1-0:32.32.0", "1-0:52.32.0", "1-0:72.32.0":
		ph := phaseOf(code)
		if n := st.int(code, v, intSags+ph); n != nil {
			st.t.phases[ph].VoltageSags = n
			st.phases |= 1 << ph
		}
	case "1-0:32.36.0", "1-0:52.36.0", "1-0:72.36.0":
		ph := phaseOf(code)
		if n := st.int(code, v, intSwells+ph); n != nil {
			st.t.phases[ph].VoltageSwells = n
			st.phases |= 1 << ph
		}
	case "1-0:32.7.0", "1-0:52.7.0", "1-0:72.7.0":
		st.phase(code, v, 0, "V", "")
	case "1-0:31.7.0", "1-0:51.7.0", "1-0:71.7.0":
		st.phase(code, v, 1, "A", "")
	case "1-0:21.7.0", "1-0:41.7.0", "1-0:61.7.0":
		st.phase(code, v, 2, "kW", "W")
	case "1-0:22.7.0", "1-0:42.7.0", "1-0:62.7.0":
		st.phase(code, v, 3, "kW", "W")
	case "0-0:96.13.1":
		if g, ok := singleGroup(v); ok {
			st.t.TextCode = decodeHexText(g)
		}
	case "0-0:96.13.0":
		st.text(code, v)
	case "1-0:1.4.0":
		st.detect(BE)
		t.AverageDemand = st.num(code, v, numAvg, "kW", "W")
	case "1-0:1.6.0":
		st.detect(BE)
		st.monthPeak(code, v)
	default:
		if len(code) == 10 && strings.HasPrefix(code, "0-") && code[2] >= '1' && code[2] <= '4' && code[3] == ':' {
			if st.mbus(int(code[2]-'0'), code, v) {
				return
			}
		}
		st.t.Unknown = append(st.t.Unknown, RawLine{OBIS: code, Value: v})
	}
}

// versionName turns a version code ("42", "50217") into "4.2", "5.0".
func versionName(code string) string {
	switch code[:2] {
	case "40":
		return "4.0"
	case "42":
		return "4.2"
	case "50":
		return "5.0"
	}
	return code[:1] + "." + code[1:2]
}

// phaseOf maps the C field of a per-phase OBIS code to 0..2: 21/22/31/32
// are L1, 41/42/51/52 L2, 61/62/71/72 L3.
func phaseOf(code string) int {
	return int(code[4]-'0'-2) / 2
}

// quantity parses "(number*unit)" in unit want, or in alt (W, Wh) scaled
// by 1/1000. A value without a unit is used as if in want, and noted.
func (st *parseState) quantity(code, v, want, alt string) (float64, bool) {
	g, ok := singleGroup(v)
	if !ok {
		st.fieldError(code, v, ErrBadNumber)
		return 0, false
	}
	return st.quantityIn(code, g, want, alt)
}

func (st *parseState) quantityIn(code, g, want, alt string) (float64, bool) {
	num, unit := splitUnit(g)
	x, ok := parseDecimal(num)
	if !ok {
		st.fieldError(code, g, ErrBadNumber)
		return 0, false
	}
	switch {
	case strings.EqualFold(unit, want):
		return x, true
	case alt != "" && strings.EqualFold(unit, alt):
		return x / 1000, true
	case unit == "":
		st.fieldError(code, g, fmt.Errorf("%w, assumed %s", ErrMissingUnit, want))
		return x, true
	default:
		st.fieldError(code, g, fmt.Errorf("%w %q, want %s", ErrBadUnit, unit, want))
		return 0, false
	}
}

func (st *parseState) num(code, v string, slot int, want, alt string) *float64 {
	x, ok := st.quantity(code, v, want, alt)
	if !ok {
		return nil
	}
	st.t.nums[slot] = x
	return &st.t.nums[slot]
}

func (st *parseState) int(code, v string, slot int) *int {
	g, ok := singleGroup(v)
	if ok {
		var n int
		if n, ok = parseInt(g); ok {
			st.t.ints[slot] = n
			return &st.t.ints[slot]
		}
	}
	st.fieldError(code, v, ErrBadNumber)
	return nil
}

// phase stores value kind (0 voltage, 1 current, 2 power delivered, 3
// power returned) of the phase the code names.
func (st *parseState) phase(code, v string, kind int, want, alt string) {
	ph := phaseOf(code)
	slot := numPhase + 4*ph + kind
	x := st.num(code, v, slot, want, alt)
	if x == nil {
		return
	}
	p := &st.t.phases[ph]
	switch kind {
	case 0:
		p.Voltage = x
	case 1:
		p.Current = x
	case 2:
		p.PowerDelivered = x
	case 3:
		p.PowerReturned = x
	}
	st.phases |= 1 << ph
}

func (st *parseState) timestamp(code, v string) (time.Time, bool) {
	g, ok := singleGroup(v)
	if ok {
		var tm time.Time
		if tm, ok = st.p.parseTimestamp(g); ok {
			return tm, true
		}
	}
	st.fieldError(code, v, ErrBadTimestamp)
	return time.Time{}, false
}

// failureLog parses (count)(0-0:96.7.19)(end)(duration*s)... Entries that
// cannot be read are noted and skipped.
func (st *parseState) failureLog(code, v string) {
	g, i, ok := nextGroup(v, 0)
	if !ok || g == "" {
		st.fieldError(code, v, fmt.Errorf("%w: no entry count", ErrBadLog))
		return
	}
	n, ok := parseInt(g)
	if !ok {
		st.fieldError(code, v, fmt.Errorf("%w: count %q", ErrBadLog, g))
		return
	}
	if n == 0 && i == len(v) {
		return
	}
	if _, i, ok = nextGroup(v, i); !ok { // the OBIS code of the log's entries
		st.fieldError(code, v, fmt.Errorf("%w: no entry type", ErrBadLog))
		return
	}
	if n > 0 {
		st.t.PowerFailureLog = make([]PowerFailure, 0, min(n, (len(v)-i)/8))
	}
	found := 0
	for i < len(v) {
		var end, dur string
		if end, i, ok = nextGroup(v, i); ok {
			dur, i, ok = nextGroup(v, i)
		}
		if !ok {
			st.fieldError(code, v, fmt.Errorf("%w: entry %d is incomplete", ErrBadLog, found+1))
			return
		}
		found++
		tm, tok := st.p.parseTimestamp(end)
		num, unit := splitUnit(dur)
		secs, dok := parseInt(num)
		if !tok || !dok || (unit != "" && unit != "s") {
			st.fieldError(code, "("+end+")("+dur+")", fmt.Errorf("%w: entry %d", ErrBadLog, found))
			continue
		}
		st.t.PowerFailureLog = append(st.t.PowerFailureLog, PowerFailure{End: tm, Seconds: int64(secs)})
	}
	if found != n {
		st.fieldError(code, v, fmt.Errorf("%w: says %d entries, has %d", ErrBadLog, n, found))
	}
}

// text keeps a text message, hex-decoded when it is hex. Everything between
// the first '(' and the last ')' is the text: plain-text messages may
// contain parentheses.
func (st *parseState) text(code, v string) {
	if len(v) < 2 || v[len(v)-1] != ')' {
		st.fieldError(code, v, ErrBadText)
		return
	}
	raw := v[1 : len(v)-1]
	txt := decodeHexText(raw)
	if !printable(txt) {
		st.fieldError(code, v, ErrBadText)
		txt = strings.ToValidUTF8(strings.Map(func(r rune) rune {
			if r == utf8.RuneError || printableRune(r) {
				return r
			}
			return -1
		}, txt), "\uFFFD")
	}
	st.t.Text = txt
}

// monthPeak parses the Belgian (time)(value*kW) peak of the month.
func (st *parseState) monthPeak(code, v string) {
	ts, i, ok := nextGroup(v, 0)
	var g string
	if ok {
		g, i, ok = nextGroup(v, i)
	}
	if !ok || i != len(v) {
		st.fieldError(code, v, ErrBadNumber)
		return
	}
	x, ok := st.quantityIn(code, g, "kW", "W")
	if !ok {
		return
	}
	st.t.nums[numPeak] = x
	st.t.Reading.MonthPeak = &st.t.nums[numPeak]
	if tm, ok := st.p.parseTimestamp(ts); ok {
		st.t.MonthPeakTime = tm
	} else {
		st.fieldError(code, v, ErrBadTimestamp)
	}
}
