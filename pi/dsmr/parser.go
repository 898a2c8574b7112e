package dsmr

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // a minimal Pi image may have no zoneinfo files
)

// Options configure a Parser.
type Options struct {
	// Country forces NL or BE. Empty detects it: a Belgian version line
	// (0-0:96.1.4), a Fluvius header, gas on 24.2.3 or the Belgian demand
	// values (1-0:1.4.0, 1-0:1.6.0) mean BE, anything else NL.
	Country string
	// Now gives Reading.Time for telegrams without a valid timestamp (DSMR
	// 2.2/3.0 send none). Default time.Now.
	Now func() time.Time
}

// Parser parses telegrams. It is safe for concurrent use.
type Parser struct {
	country   string
	now       func() time.Time
	nl, be    *time.Location
	cet, cest *time.Location
}

// NewParser returns a parser with the given options.
func NewParser(o Options) (*Parser, error) {
	switch o.Country {
	case "", NL, BE:
	default:
		return nil, fmt.Errorf("country %q: want %s, %s or empty for auto-detect", o.Country, NL, BE)
	}
	nl, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		return nil, fmt.Errorf("load time zone: %w", err)
	}
	be, err := time.LoadLocation("Europe/Brussels")
	if err != nil {
		return nil, fmt.Errorf("load time zone: %w", err)
	}
	p := &Parser{
		country: o.Country,
		now:     o.Now,
		nl:      nl,
		be:      be,
		cet:     time.FixedZone("CET", 3600),
		cest:    time.FixedZone("CEST", 7200),
	}
	if p.now == nil {
		p.now = time.Now
	}
	return p, nil
}

var defaultParser = sync.OnceValues(func() (*Parser, error) { return NewParser(Options{}) })

// Parse parses one telegram with default options (country auto-detected).
func Parse(data []byte) (*Telegram, error) {
	p, err := defaultParser()
	if err != nil {
		return nil, err
	}
	return p.Parse(data)
}

// Parse parses one telegram: data starts at its '/' (leading white space is
// allowed) and ends with its '!' line; anything after that line is ignored.
// It fails only if the frame or the CRC is wrong; bad values are recorded
// in Telegram.FieldErrors.
func (p *Parser) Parse(data []byte) (*Telegram, error) {
	start := 0
	for start < len(data) && (data[start] == '\r' || data[start] == '\n' || data[start] == ' ' || data[start] == '\t') {
		start++
	}
	if start == len(data) || data[start] != '/' {
		return nil, ErrNoHeader
	}
	data = data[start:]
	bang, err := findEnd(data)
	if err != nil {
		return nil, err
	}
	end := len(data)
	if nl := bytes.IndexByte(data[bang:], '\n'); nl >= 0 {
		end = bang + nl
	}
	hasCRC, sent, err := parseCRCLine(data[bang+1 : end])
	if err != nil {
		return nil, err
	}
	if hasCRC {
		if got := CRC16(data[:bang+1]); got != sent {
			return nil, &CRCError{Computed: got, Sent: sent}
		}
	}

	t := &Telegram{HasCRC: hasCRC, CRC: sent}
	t.Unknown = t.unknown[:0]
	s := string(data[:bang]) // one copy; every string in t is a substring of it
	st := parseState{p: p, t: t, country: p.country}
	st.lines(s)
	st.finish()
	if !hasCRC && t.Version != VersionLegacy {
		return nil, fmt.Errorf("%w: DSMR %s telegrams end with one", ErrMissingCRC, t.Version)
	}
	return t, nil
}

// findEnd returns the index of the '!' that starts the end line. A second
// header before it (see Framer) means the telegram was cut off.
func findEnd(data []byte) (int, error) {
	line := 1
	for i := 0; i < len(data); {
		nl := bytes.IndexByte(data[i:], '\n')
		if nl < 0 {
			nl = len(data) - i
		}
		if i > 0 && nl > 0 {
			if data[i] == '!' {
				return i, nil
			}
			if headerIndex(data[i:i+nl]) >= 0 {
				return 0, fmt.Errorf("%w: a new header starts at line %d", ErrTruncated, line)
			}
		}
		i += nl + 1
		line++
	}
	return 0, ErrTruncated
}

// parseCRCLine reads what follows the '!': nothing (DSMR 2.2/3.0) or 1-4
// hex digits (some meters drop leading zeros).
func parseCRCLine(b []byte) (has bool, crc uint16, err error) {
	for len(b) > 0 && (b[len(b)-1] == '\r' || b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	if len(b) == 0 {
		return false, 0, nil
	}
	if len(b) > 4 {
		return false, 0, fmt.Errorf("%w: %q is longer than 4 hex digits", ErrMalformedCRC, b)
	}
	for _, c := range b {
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'A' && c <= 'F':
			d = c - 'A' + 10
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		default:
			return false, 0, fmt.Errorf("%w: %q is not hex", ErrMalformedCRC, b)
		}
		crc = crc<<4 | uint16(d)
	}
	return true, crc, nil
}

// Indexes into Telegram.nums and Telegram.ints.
const (
	numDT1 = iota
	numDT2
	numRT1
	numRT2
	numPD
	numPR
	numAvg
	numPeak
	numPhase // 4 per phase: voltage, current, power delivered, power returned
	numCount = numPhase + 3*4
)

const (
	intTariff = iota
	intPF
	intLPF
	intSags   // 3, one per phase
	intSwells = intSags + 3
	intCount  = intSwells + 3
)

// legacyGas is a DSMR 2.2/3 gas reading whose value is on the next line.
type legacyGas struct {
	code    string
	channel int
	time    time.Time
	unit    string
	line    int
}

type parseState struct {
	p       *Parser
	t       *Telegram
	country string // forced or detected so far ("" = not yet)

	line      int
	hasTime   bool
	phases    uint8 // bit i: phase i+1 has a value
	mbusDev   uint8 // bit i: channel i+1 announced
	mbusRead  uint8 // bit i: channel i+1 has a reading
	pending   legacyGas
	isPending bool
}

func (st *parseState) fieldError(code, value string, err error) {
	st.t.FieldErrors = append(st.t.FieldErrors, FieldError{Line: st.line, OBIS: code, Value: value, Err: err})
}

func (st *parseState) detect(country string) {
	if st.country == "" {
		st.country = country
	}
}

// lines walks the telegram text from the header up to (not including) the
// '!' line.
func (st *parseState) lines(s string) {
	for len(s) > 0 {
		st.line++
		nl := strings.IndexByte(s, '\n')
		var line string
		if nl < 0 {
			line, s = s, ""
		} else {
			line, s = s[:nl], s[nl+1:]
		}
		line = strings.Trim(line, "\r \t")
		if st.line == 1 {
			st.t.Header = line[1:]
			if strings.HasPrefix(st.t.Header, "FLU") {
				st.detect(BE)
			}
			continue
		}
		if line == "" {
			continue
		}
		if line[0] == '(' {
			st.continuation(line)
			continue
		}
		st.endPending()
		open := strings.IndexByte(line, '(')
		if open <= 0 {
			st.fieldError("", line, ErrBadLine)
			continue
		}
		code, value := line[:open], line[open:]
		if i := strings.IndexByte(code, '*'); i >= 0 {
			code = code[:i] // IEC 62056 "*255" billing period suffix
		}
		st.obis(code, value)
	}
	st.endPending()
}

// finish fills in what depends on the whole telegram: country, time zone,
// version, the slices of Reading.
func (st *parseState) finish() {
	t := st.t
	if st.country == "" {
		st.country = NL
	}
	t.Country = st.country
	t.Reading.TariffMeaning = st.country
	loc := st.p.nl
	if st.country == BE {
		loc = st.p.be
	}
	if t.Version == "" {
		t.Version = VersionLegacy
	}
	if st.hasTime {
		t.Reading.Time = t.Reading.Time.In(loc)
	} else {
		t.Reading.Time = st.p.now().Truncate(time.Second).In(loc)
	}
	if !t.MonthPeakTime.IsZero() {
		t.MonthPeakTime = t.MonthPeakTime.In(loc)
	}
	for i := range t.PowerFailureLog {
		t.PowerFailureLog[i].End = t.PowerFailureLog[i].End.In(loc)
	}

	n := 0
	for i := range 3 {
		if st.phases&(1<<i) != 0 {
			t.phases[n] = t.phases[i]
			t.phases[n].Phase = i + 1
			n++
		}
	}
	if n > 0 {
		t.Reading.Phases = t.phases[:n:n]
	}

	nd, nr := 0, 0
	for i := range 4 {
		if st.mbusDev&(1<<i) != 0 {
			t.mbusD[nd] = t.mbusD[i]
			nd++
		}
		if st.mbusRead&(1<<i) != 0 {
			r := t.mbusR[i]
			r.Type = t.mbusD[i].Type
			if r.Type == 0 {
				r.Type = typeFromUnit(r.Unit)
			}
			if r.Unit == "" {
				r.Unit = unitFromType(r.Type)
			}
			r.Time = r.Time.In(loc)
			t.mbusR[nr] = r
			nr++
		}
	}
	if nd > 0 {
		t.MBus = t.mbusD[:nd:nd]
	}
	if len(t.Unknown) == 0 {
		t.Unknown = nil
	}
	if nr > 0 {
		t.Reading.MBus = t.mbusR[:nr:nr]
	}
}
