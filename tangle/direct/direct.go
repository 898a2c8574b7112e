package direct

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/iotaledger/iota.go/bundle"
	"github.com/iotaledger/iota.go/consts"
	"github.com/iotaledger/iota.go/trinary"

	"iotahome/protocol"
	"iotahome/tangle/client"
)

// Message is one direct message read from an address.
type Message struct {
	Envelope Envelope
	Bundle   trinary.Hash // bundle hash (unique per Send; not proof against forged copies)
	Time     time.Time    // attachment time claimed by the sender
}

// Send marshals body into an envelope of the given type (protocol.Version)
// and attaches it to address to, tagged with to's tag of the day (Tag), so
// that Reader finds it. Envelopes longer than one transaction's message
// field are split over several transactions of one bundle.
func Send(ctx context.Context, c *client.Client, to trinary.Hash, typ protocol.Type, body any) (trinary.Hash, error) {
	js, err := json.Marshal(body)
	if err != nil {
		return "", fmt.Errorf("direct: send %s: marshal body: %w", typ, err)
	}
	t, err := EncodeEnvelope(Envelope{Type: typ, Version: protocol.Version, Body: js})
	if err != nil {
		return "", fmt.Errorf("direct: send %s: %w", typ, err)
	}
	b, err := c.SendTagged(ctx, to, Tag(to[:min(len(to), consts.HashTrytesSize)], time.Now()), t)
	if err != nil {
		return "", fmt.Errorf("direct: send %s: %w", typ, err)
	}
	return b[0].Bundle, nil
}

func decodeBundle(b bundle.Bundle) (Envelope, error) {
	if len(b) > maxBundleLength {
		return Envelope{}, fmt.Errorf("bundle of %d transactions exceeds the %d-transaction limit", len(b), maxBundleLength)
	}
	return DecodeEnvelope(client.Message(b))
}

// List is a one-off Read that collects the messages, for tools and tests:
// it remembers nothing between calls but what the cursor holds.
func List(ctx context.Context, c *client.Client, address trinary.Hash, since Cursor) ([]Message, Cursor, error) {
	var msgs []Message
	next, err := NewReader(c, Limits{}).Read(ctx, address, since, func(m Message) error {
		msgs = append(msgs, m)
		return nil
	})
	return msgs, next, err
}
