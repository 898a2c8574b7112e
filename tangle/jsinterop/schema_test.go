package jsinterop

import (
	"fmt"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// readingSchema is docs/reading-schema.md's three tables (a reading, a
// phase, an M-Bus reading) as key → type text, so that what a JavaScript
// provider receives is checked against the document a provider's developer
// reads, not against our Go types.
type readingSchema struct {
	reading, phase, mbus map[string]string
}

// loadReadingSchema parses the tables of docs/reading-schema.md: every
// table whose first column is "key" and second "type".
func loadReadingSchema(t *testing.T) readingSchema {
	t.Helper()
	raw, err := os.ReadFile("../../docs/reading-schema.md")
	if err != nil {
		t.Fatal(err)
	}
	var tables []map[string]string
	var cur map[string]string
	keyRe := regexp.MustCompile("`([A-Za-z0-9]+)`")
	for _, line := range strings.Split(string(raw), "\n") {
		cells := strings.Split(strings.Trim(strings.TrimSpace(line), "|"), "|")
		if !strings.HasPrefix(strings.TrimSpace(line), "|") || len(cells) < 2 {
			cur = nil
			continue
		}
		first, second := strings.TrimSpace(cells[0]), strings.TrimSpace(cells[1])
		switch {
		case first == "key" && second == "type":
			cur = map[string]string{}
			tables = append(tables, cur)
		case cur == nil || strings.HasPrefix(first, "---"):
		default:
			for _, k := range keyRe.FindAllStringSubmatch(first, -1) {
				cur[k[1]] = second
			}
		}
	}
	if len(tables) != 3 {
		t.Fatalf("docs/reading-schema.md has %d key/type tables, want 3 (reading, phase, M-Bus reading)", len(tables))
	}
	return readingSchema{reading: tables[0], phase: tables[1], mbus: tables[2]}
}

// check reports the first way r differs from the documented schema: a key
// the document does not list, or a value not of the documented type.
func (s readingSchema) check(r map[string]any) error {
	return s.checkObject(s.reading, r, "")
}

func (s readingSchema) checkObject(table map[string]string, obj map[string]any, path string) error {
	for k, v := range obj {
		typ, ok := table[k]
		if !ok {
			return fmt.Errorf("%s%s: key not in docs/reading-schema.md", path, k)
		}
		if err := s.checkValue(typ, v, path+k); err != nil {
			return err
		}
	}
	return nil
}

var (
	quotedRe = regexp.MustCompile("`\"([^\"]+)\"`")
	rangeRe  = regexp.MustCompile(`(\d+)(?:\.\.| or )(\d+)`)
)

func (s readingSchema) checkValue(typ string, v any, path string) error {
	switch {
	case strings.HasPrefix(typ, "array of"):
		items, ok := v.([]any)
		if !ok {
			return fmt.Errorf("%s: want %s, got %T", path, typ, v)
		}
		table := s.phase
		if strings.Contains(typ, "M-Bus") {
			table = s.mbus
		}
		for i, item := range items {
			obj, ok := item.(map[string]any)
			if !ok {
				return fmt.Errorf("%s[%d]: want an object, got %T", path, i, item)
			}
			if err := s.checkObject(table, obj, fmt.Sprintf("%s[%d].", path, i)); err != nil {
				return err
			}
		}
	case quotedRe.MatchString(typ): // an enumeration like `"NL"` or `"BE"`
		str, _ := v.(string)
		for _, m := range quotedRe.FindAllStringSubmatch(typ, -1) {
			if str == m[1] {
				return nil
			}
		}
		return fmt.Errorf("%s: %v is not one of %s", path, v, typ)
	case strings.HasPrefix(typ, "string"):
		str, ok := v.(string)
		if !ok {
			return fmt.Errorf("%s: want a string, got %T", path, v)
		}
		if strings.Contains(typ, "RFC 3339") {
			if _, err := time.Parse(time.RFC3339, str); err != nil {
				return fmt.Errorf("%s: %q is not RFC 3339", path, str)
			}
		}
	case strings.HasPrefix(typ, "number"):
		if _, ok := v.(float64); !ok {
			return fmt.Errorf("%s: want a number, got %T", path, v)
		}
	case strings.HasPrefix(typ, "integer"):
		f, ok := v.(float64)
		if !ok || f != math.Trunc(f) {
			return fmt.Errorf("%s: want an integer, got %v", path, v)
		}
		if m := rangeRe.FindStringSubmatch(typ); m != nil {
			lo, _ := strconv.Atoi(m[1])
			hi, _ := strconv.Atoi(m[2])
			if f < float64(lo) || f > float64(hi) {
				return fmt.Errorf("%s: %v outside %s", path, f, typ)
			}
		}
	default:
		return fmt.Errorf("%s: docs/reading-schema.md type %q is not understood by this check", path, typ)
	}
	return nil
}

// TestReadingSchemaCheck: the check parses the document and catches what
// it should.
func TestReadingSchemaCheck(t *testing.T) {
	s := loadReadingSchema(t)
	good := map[string]any{"t": "2025-06-21T12:00:01+02:00", "tariffMeaning": "NL", "dT1": 1.5, "tariff": 1.0,
		"phases": []any{map[string]any{"l": 1.0, "v": 231.1}},
		"mbus":   []any{map[string]any{"ch": 1.0, "type": 3.0, "t": "2025-06-21T12:00:00+02:00", "value": 3.5, "unit": "m3"}}}
	if err := s.check(good); err != nil {
		t.Fatal(err)
	}
	for name, bad := range map[string]map[string]any{
		"unknown key":   {"raw": "telegram"},
		"bad enum":      {"tariffMeaning": "DE"},
		"bad time":      {"t": "yesterday"},
		"tariff 3":      {"tariff": 3.0},
		"string number": {"dT1": "1.5"},
		"bad phase":     {"phases": []any{map[string]any{"l": 4.0}}},
		"bad mbus key":  {"mbus": []any{map[string]any{"serial": "X"}}},
	} {
		if err := s.check(bad); err == nil {
			t.Errorf("%s: %v passed", name, bad)
		}
	}
}
