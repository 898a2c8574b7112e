// Package displaytext checks short texts that one party writes and another
// reads on a page where a decision is made: a consent request's goal, a
// provider's name and description, a device name. Such a text must say what
// it looks like it says, so it may hold no control or format characters
// (bidi overrides that reverse what follows, zero-width characters that hide
// or split words, line separators) and must show at least one visible
// character: a goal of 300 U+200B looks empty and is refused.
package displaytext

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Problems Check reports; callers turn them into a message for people.
var (
	ErrEmpty     = errors.New("has no visible text")
	ErrTooLong   = errors.New("is too long")
	ErrInvisible = errors.New("holds invisible or direction-changing characters")
	ErrEncoding  = errors.New("is not valid UTF-8")
)

// Check returns nil if s is valid UTF-8 of at most maxRunes characters, holds
// no control, format, private-use, surrogate or unassigned characters and no
// line or paragraph separator, and shows at least one letter, digit,
// punctuation mark or symbol. Ordinary spaces (and no-break spaces) are fine.
func Check(s string, maxRunes int) error {
	if !utf8.ValidString(s) {
		return ErrEncoding
	}
	if n := utf8.RuneCountInString(s); n > maxRunes {
		return fmt.Errorf("%w (%d characters, at most %d)", ErrTooLong, n, maxRunes)
	}
	visible := false
	for _, r := range s {
		if r == ' ' || r == '\u00a0' {
			continue
		}
		if hidden(r) {
			return fmt.Errorf("%w (U+%04X)", ErrInvisible, r)
		}
		if unicode.In(r, unicode.L, unicode.N, unicode.P, unicode.S) {
			visible = true
		}
	}
	if !visible {
		return ErrEmpty
	}
	return nil
}

// Strip drops every character Check refuses (invalid UTF-8 included), for
// texts that are shown as received rather than refused, such as a device's
// stated reason for refusing a pairing.
func Strip(s string) string {
	return strings.Map(func(r rune) rune {
		if r == utf8.RuneError || (r != ' ' && r != '\u00a0' && hidden(r)) {
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, ""))
}

// hidden reports characters that do not show as themselves: everything
// outside letters, marks, numbers, punctuation and symbols (controls Cc,
// format characters Cf such as bidi embeddings, overrides and isolates,
// zero-width space and joiners, the BOM and the soft hyphen; surrogates,
// private use and unassigned code points), every space but the two Check
// allows (a hair space next to a word is hard to see), line and paragraph
// separators, and the Hangul fillers, which are letters that render empty.
func hidden(r rune) bool {
	switch r {
	case '\u115f', '\u1160', '\u3164', '\uffa0':
		return true
	}
	return !unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.P, unicode.S)
}
