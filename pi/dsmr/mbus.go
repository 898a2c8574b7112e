package dsmr

import (
	"fmt"
	"strings"
	"time"

	"iotahome/protocol"
)

// device marks channel ch as present and returns its entry.
func (st *parseState) device(ch int) *MBusDevice {
	d := &st.t.mbusD[ch-1]
	if st.mbusDev&(1<<(ch-1)) == 0 {
		st.mbusDev |= 1 << (ch - 1)
		d.Channel = ch
	}
	return d
}

// mbus handles 0-n:… lines of M-Bus channel ch. It returns false for codes
// it does not interpret.
func (st *parseState) mbus(ch int, code, v string) bool {
	switch code[4:] {
	case "24.1.0":
		g, ok := singleGroup(v)
		typ, tok := parseInt(g)
		if !ok || !tok {
			st.fieldError(code, v, ErrBadNumber)
			return true
		}
		st.device(ch).Type = typ
	case "96.1.0", "96.1.1":
		if g, ok := singleGroup(v); ok {
			st.device(ch).EquipmentID = decodeHexText(g)
		} else {
			st.fieldError(code, v, ErrBadLine)
		}
	case "24.2.1", "24.2.3":
		if code[9] == '3' {
			st.detect(BE)
		}
		ts, i, ok := nextGroup(v, 0)
		var g string
		if ok {
			g, i, ok = nextGroup(v, i)
		}
		if !ok || i != len(v) {
			st.fieldError(code, v, ErrBadMBus)
			return true
		}
		tm, tok := st.p.parseTimestamp(ts)
		if !tok {
			// e.g. 632525252525W: the meter has no reading from the device.
			st.device(ch)
			st.fieldError(code, v, ErrBadTimestamp)
			return true
		}
		st.mbusValue(ch, code, g, tm)
	case "24.3.0":
		st.legacyGas(ch, code, v)
	default:
		return false
	}
	return true
}

func (st *parseState) mbusValue(ch int, code, g string, tm time.Time) {
	num, unit := splitUnit(g)
	x, ok := parseDecimal(num)
	if !ok {
		st.fieldError(code, g, ErrBadNumber)
		return
	}
	switch {
	case strings.EqualFold(unit, "m3"):
		unit = "m3"
	case strings.EqualFold(unit, "GJ"):
		unit = "GJ"
	case strings.EqualFold(unit, "kWh"):
		unit = "kWh"
	case unit == "":
		// Filled in from the device type in finish.
		st.fieldError(code, g, fmt.Errorf("%w, assumed from the device type", ErrMissingUnit))
	default:
		st.fieldError(code, g, fmt.Errorf("%w %q, want m3, GJ or kWh", ErrBadUnit, unit))
		return
	}
	st.device(ch)
	st.mbusRead |= 1 << (ch - 1)
	st.t.mbusR[ch-1] = protocol.MBusReading{Channel: ch, Time: tm, Value: x, Unit: unit}
}

// legacyGas parses DSMR 2.2/3 "0-n:24.3.0(time)(00)(60)(1)(0-n:24.2.1)(m3)"
// whose value follows on the next line as "(00001.001)" (some meters put it
// on the same line as a seventh group).
func (st *parseState) legacyGas(ch int, code, v string) {
	var g [7]string
	n, i := 0, 0
	for n < len(g) {
		var ok bool
		if g[n], i, ok = nextGroup(v, i); !ok {
			break
		}
		n++
	}
	if n < 6 || i != len(v) {
		st.fieldError(code, v, ErrBadMBus)
		return
	}
	tm, tok := st.p.parseTimestamp(g[0])
	if !tok {
		st.device(ch)
		st.fieldError(code, v, ErrBadTimestamp)
		return
	}
	if n == 7 {
		st.mbusValue(ch, code, g[6]+"*"+g[5], tm)
		return
	}
	st.pending = legacyGas{code: code, channel: ch, time: tm, unit: g[5], line: st.line}
	st.isPending = true
}

// continuation handles a line that starts with '(': the value line of a
// DSMR 2.2/3 gas reading.
func (st *parseState) continuation(line string) {
	pg := st.pending
	if !st.isPending {
		st.fieldError("", line, ErrBadLine)
		return
	}
	st.isPending = false
	g, ok := singleGroup(line)
	if !ok {
		st.fieldError(pg.code, line, ErrBadMBus)
		return
	}
	if num, unit := splitUnit(g); unit == "" && pg.unit != "" {
		g = num + "*" + pg.unit
	}
	st.mbusValue(pg.channel, pg.code, g, pg.time)
}

// endPending notes a DSMR 2.2/3 gas header whose value line never came.
func (st *parseState) endPending() {
	if pg := st.pending; st.isPending {
		st.isPending = false
		st.t.FieldErrors = append(st.t.FieldErrors, FieldError{
			Line: pg.line, OBIS: pg.code,
			Err: fmt.Errorf("%w: value line missing", ErrBadMBus),
		})
	}
}

// typeFromUnit guesses the device type of a meter that did not announce
// one (24.1.0): m3 is most often gas.
func typeFromUnit(unit string) int {
	if unit == "GJ" {
		return protocol.MBusHeat
	}
	return protocol.MBusGas
}

func unitFromType(typ int) string {
	if typ == protocol.MBusHeat {
		return "GJ"
	}
	return "m3"
}
