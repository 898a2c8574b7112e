package displaytext

import (
	"errors"
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	for _, ok := range []string{
		"Show your energy use", "Zählerschrank", "Meterkast — begane grond", "能源", "x", "  padded  ", "a\u00a0b",
		"Café", "e\u0301", // combining mark after a letter
	} {
		if err := Check(ok, 300); err != nil {
			t.Errorf("Check(%q) = %v, want ok", ok, err)
		}
	}
	for s, want := range map[string]error{
		"":                                  ErrEmpty,
		"   ":                               ErrEmpty,
		strings.Repeat("\u200b", 300):       ErrInvisible, // issue 13: looks empty
		"Wattt\u202egnissecorp":             ErrInvisible, // right-to-left override
		"pay\u2066ment\u2069":               ErrInvisible, // isolates
		"ze\u200dro":                        ErrInvisible, // zero-width joiner
		"\ufeffbom":                         ErrInvisible,
		"soft\u00adhyphen":                  ErrInvisible,
		"line\u2028break":                   ErrInvisible,
		"tab\there":                         ErrInvisible,
		"bell\x07":                          ErrInvisible,
		"c1\u0085":                          ErrInvisible,
		"hair\u200aspace":                   ErrInvisible,
		"\u3164":                            ErrInvisible, // Hangul filler
		"private\ue000":                     ErrInvisible,
		"unassigned\U000e0fff":              ErrInvisible,
		"\u0301\u0301":                      ErrEmpty, // marks only
		strings.Repeat("g", 301):            ErrTooLong,
		string([]byte{'a', 0xff, 'b'}):      ErrEncoding,
		"tag\U000e0041":                     ErrInvisible, // tag characters (Cf)
		"mongolian\u180e":                   ErrInvisible, // vowel separator (Cf)
		"arabic\u061c":                      ErrInvisible, // letter mark
		"interlinear\ufff9annotation\ufffb": ErrInvisible,
	} {
		if err := Check(s, 300); !errors.Is(err, want) {
			t.Errorf("Check(%q) = %v, want %v", s, err, want)
		}
	}
}

func FuzzCheck(f *testing.F) {
	f.Add("Show your energy use")
	f.Add("a\u202eb")
	f.Fuzz(func(t *testing.T, s string) {
		if Check(s, 300) != nil {
			return
		}
		for _, r := range s {
			if r != ' ' && r != '\u00a0' && hidden(r) {
				t.Fatalf("accepted %q with hidden U+%04X", s, r)
			}
		}
	})
}
