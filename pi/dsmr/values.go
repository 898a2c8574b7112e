package dsmr

import (
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// pow10 holds the exact powers of ten a fixed-point DSMR value needs.
var pow10 = [...]float64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17}

// parseDecimal parses the fixed-point numbers meters send ("001581.123",
// "0230.0", "003"). Integer mantissa over an exact power of ten gives the
// same correctly rounded float64 as strconv.ParseFloat, without allocating.
func parseDecimal(s string) (float64, bool) {
	neg := false
	if s != "" && s[0] == '-' {
		neg, s = true, s[1:]
	}
	if s == "" || len(s) > 17 {
		return parseDecimalSlow(s, neg)
	}
	var m uint64
	frac, digits, dot := 0, 0, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			m = m*10 + uint64(c-'0')
			digits++
			if dot {
				frac++
			}
		case c == '.' && !dot:
			dot = true
		default:
			return 0, false
		}
	}
	if digits == 0 {
		return 0, false
	}
	v := float64(m) / pow10[frac]
	if neg {
		v = -v
	}
	return v, true
}

func parseDecimalSlow(s string, neg bool) (float64, bool) {
	if s == "" || strings.ContainsAny(s, "eEinfINFxXpP_+-") {
		return 0, false
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, false
	}
	if neg {
		v = -v
	}
	return v, true
}

// parseInt parses a non-negative decimal integer such as "00013".
func parseInt(s string) (int, bool) {
	if s == "" || len(s) > 18 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// splitUnit splits "001581.123*kWh" into number and unit ("" if none).
func splitUnit(s string) (num, unit string) {
	if i := strings.IndexByte(s, '*'); i >= 0 {
		return s[:i], s[i+1:]
	}
	return s, ""
}

// nextGroup returns the content of the parenthesised group starting at v[i]
// and the index after it.
func nextGroup(v string, i int) (group string, next int, ok bool) {
	if i >= len(v) || v[i] != '(' {
		return "", i, false
	}
	j := strings.IndexByte(v[i+1:], ')')
	if j < 0 {
		return "", i, false
	}
	return v[i+1 : i+1+j], i + 2 + j, true
}

// singleGroup returns the content of a value part that is exactly one group.
func singleGroup(v string) (string, bool) {
	g, next, ok := nextGroup(v, 0)
	if !ok || next != len(v) {
		return "", false
	}
	return g, true
}

func twoDigits(s string) (int, bool) {
	if s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9' {
		return 0, false
	}
	return int(s[0]-'0')*10 + int(s[1]-'0'), true
}

// parseTimestamp parses YYMMDDhhmmssX, where X is S (summer time, UTC+2) or
// W (winter time, UTC+1); DSMR 2.2/3 M-Bus timestamps have no X and are
// local time in loc. The flag decides the offset, which is what
// disambiguates the repeated hour when the clocks go back.
func (p *Parser) parseTimestamp(s string) (time.Time, bool) {
	var zone *time.Location
	switch len(s) {
	case 12:
		zone = p.nl
	case 13:
		switch s[12] {
		case 'S', 's':
			zone = p.cest
		case 'W', 'w':
			zone = p.cet
		default:
			return time.Time{}, false
		}
	default:
		return time.Time{}, false
	}
	var f [6]int
	for i := range f {
		n, ok := twoDigits(s[2*i : 2*i+2])
		if !ok {
			return time.Time{}, false
		}
		f[i] = n
	}
	year, month, day, hour, min, sec := 2000+f[0], time.Month(f[1]), f[2], f[3], f[4], f[5]
	if month < 1 || month > 12 || day < 1 || day > daysIn(month, year) || hour > 23 || min > 59 || sec > 59 {
		return time.Time{}, false
	}
	return time.Date(year, month, day, hour, min, sec, 0, zone), true
}

func daysIn(m time.Month, year int) int {
	return time.Date(year, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// decodeHexText returns the text a meter hex-encoded (equipment ids, text
// messages), or s itself when it is not hex of printable UTF-8: some meters
// send plain text.
func decodeHexText(s string) string {
	if s == "" || len(s)%2 != 0 {
		return s
	}
	var stack [128]byte // ids and short texts decode without a heap buffer
	b := stack[:0]
	if len(s)/2 > len(stack) {
		b = make([]byte, 0, len(s)/2)
	}
	for i := 0; i < len(s); i += 2 {
		hi, ok1 := fromHex(s[i])
		lo, ok2 := fromHex(s[i+1])
		if !ok1 || !ok2 {
			return s
		}
		b = append(b, hi<<4|lo)
	}
	if !printableBytes(b) {
		return s
	}
	return string(b)
}

func fromHex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if !printableRune(r) {
			return false
		}
	}
	return true
}

func printableBytes(b []byte) bool {
	if !utf8.Valid(b) {
		return false
	}
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if !printableRune(r) {
			return false
		}
		b = b[n:]
	}
	return true
}

func printableRune(r rune) bool {
	return unicode.IsPrint(r) || r == '\r' || r == '\n' || r == '\t'
}
