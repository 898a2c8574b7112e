package dsmr

import (
	"encoding/json"
	"errors"
	"fmt"
)

// Errors that reject a whole telegram. Parse and Framer wrap them with
// details; test with errors.Is.
var (
	// ErrNoHeader: the data does not start with a '/' identification line
	// (for a stream: an end line '!' was seen without a header before it).
	ErrNoHeader = errors.New("no header line starting with '/'")
	// ErrTruncated: the telegram ends before its '!' end line.
	ErrTruncated = errors.New("truncated telegram: no end line starting with '!'")
	// ErrBadCRC: the CRC after the '!' does not match the telegram.
	ErrBadCRC = errors.New("bad CRC")
	// ErrMissingCRC: a DSMR 4 or later telegram without a CRC after the '!'.
	ErrMissingCRC = errors.New("missing CRC")
	// ErrMalformedCRC: the characters after the '!' are not 1-4 hex digits.
	ErrMalformedCRC = errors.New("malformed CRC")
	// ErrTooLarge: a telegram grew beyond the Framer's size bound.
	ErrTooLarge = errors.New("telegram too large")
)

// Errors recorded per field in Telegram.FieldErrors (wrapped in FieldError).
var (
	ErrBadNumber    = errors.New("not a number")
	ErrBadUnit      = errors.New("unexpected unit")
	ErrMissingUnit  = errors.New("no unit")
	ErrBadTimestamp = errors.New("bad timestamp")
	ErrBadText      = errors.New("text is not valid hex or UTF-8")
	ErrBadLog       = errors.New("bad power failure log")
	ErrBadMBus      = errors.New("bad M-Bus value")
	ErrBadLine      = errors.New("not an OBIS line")
)

// CRCError details a CRC mismatch; errors.Is(err, ErrBadCRC) holds.
type CRCError struct {
	Computed, Sent uint16
}

func (e *CRCError) Error() string {
	return fmt.Sprintf("%v: computed %04X, telegram says %04X", ErrBadCRC, e.Computed, e.Sent)
}

// Is makes errors.Is(err, ErrBadCRC) true.
func (e *CRCError) Is(target error) bool { return target == ErrBadCRC }

// FieldError is one value that could not be used as sent. Unless Err is
// ErrMissingUnit (the value was used with the standard unit), the value is
// left out of the Reading.
type FieldError struct {
	Line  int    // line number within the telegram, 1 = header
	OBIS  string // e.g. "0-1:24.2.1"
	Value string // the raw value part of the line
	Err   error
}

func (e FieldError) Error() string {
	return fmt.Sprintf("line %d %s(%s): %v", e.Line, e.OBIS, e.Value, e.Err)
}

func (e FieldError) Unwrap() error { return e.Err }

// MarshalJSON writes the error as text.
func (e FieldError) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Line  int    `json:"line"`
		OBIS  string `json:"obis"`
		Value string `json:"value"`
		Error string `json:"error"`
	}{e.Line, e.OBIS, e.Value, e.Err.Error()})
}
