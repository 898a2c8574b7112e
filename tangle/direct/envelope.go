// Package direct sends and receives direct messages: a JSON envelope
// {"type":…,"v":…,"body":…} in the message field of a zero-value bundle
// sent to the recipient's address, tagged with the recipient's tag of the
// day (Tag). Anyone can write to an address, so the receiving side treats
// every bundle as hostile: Reader validates, logs and skips what is
// malformed, never fails because of one bad bundle, and bounds what one read
// costs however many transactions are sent to the address.
package direct

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"

	"github.com/iotaledger/iota.go/trinary"

	"iotahome/protocol"
	"iotahome/tangle/client"
)

// MaxEnvelopeSize bounds an encoded envelope (ASCII JSON bytes). At two
// trytes per byte that is at most 60 transactions.
const MaxEnvelopeSize = 64 << 10

// maxBundleLength is the number of transactions MaxEnvelopeSize needs.
const maxBundleLength = (2*MaxEnvelopeSize + 2186) / 2187

// Envelope is what travels in a direct message.
type Envelope struct {
	Type    protocol.Type   `json:"type"`
	Version int             `json:"v"`
	Body    json.RawMessage `json:"body"`
}

var typePattern = regexp.MustCompile(`^[A-Z][A-Z0-9_]{0,63}$`)

// validate checks the envelope's shape (not whether the type is one the
// receiver handles: that is the receiver's business).
func (e Envelope) validate() error {
	switch {
	case !typePattern.MatchString(string(e.Type)):
		return fmt.Errorf("type %q is not an upper-case message name", e.Type)
	case e.Version < 1:
		return fmt.Errorf("version %d < 1", e.Version)
	case len(e.Body) == 0 || bytes.Equal(e.Body, []byte("null")):
		return errors.New("no body")
	case e.Body[0] != '{':
		return errors.New("body is not a JSON object")
	}
	return nil
}

// EncodeEnvelope serialises e as ASCII-only JSON (non-ASCII escaped as
// \uXXXX) and that as trytes. HTML characters (<, >, &) are kept as they
// are: json.Marshal would escape them inside the raw body, so an envelope
// would not re-encode to what was decoded, and nothing here is HTML.
func EncodeEnvelope(e Envelope) (trinary.Trytes, error) {
	if err := e.validate(); err != nil {
		return "", fmt.Errorf("encode envelope: %w", err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(e); err != nil {
		return "", fmt.Errorf("encode envelope: %w", err)
	}
	ascii := client.EscapeNonASCII(string(bytes.TrimSuffix(buf.Bytes(), []byte("\n"))))
	if len(ascii) > MaxEnvelopeSize {
		return "", fmt.Errorf("encode envelope: %d bytes exceeds the %d-byte limit", len(ascii), MaxEnvelopeSize)
	}
	return client.ASCIIToTrytes(ascii)
}

// DecodeEnvelope parses the message trytes of a bundle (padding allowed)
// back into an envelope and checks its shape. The body is returned
// compacted.
func DecodeEnvelope(t trinary.Trytes) (Envelope, error) {
	if len(t) > 2*MaxEnvelopeSize+2187 {
		return Envelope{}, fmt.Errorf("decode envelope: %d trytes exceeds the limit", len(t))
	}
	ascii, err := client.TrytesToASCII(t)
	if err != nil {
		return Envelope{}, fmt.Errorf("decode envelope: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(ascii)))
	var e Envelope
	if err := dec.Decode(&e); err != nil {
		return Envelope{}, fmt.Errorf("decode envelope: %w", err)
	}
	if dec.More() {
		return Envelope{}, errors.New("decode envelope: data after the JSON object")
	}
	if err := e.validate(); err != nil {
		return Envelope{}, fmt.Errorf("decode envelope: %w", err)
	}
	var body bytes.Buffer
	if err := json.Compact(&body, e.Body); err != nil {
		return Envelope{}, fmt.Errorf("decode envelope: body: %w", err)
	}
	e.Body = body.Bytes()
	return e, nil
}
