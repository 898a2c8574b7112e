package direct

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/iotaledger/iota.go/bundle"
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
// and attaches it to address to. Envelopes longer than one transaction's
// message field are split over several transactions of one bundle.
func Send(ctx context.Context, c *client.Client, to trinary.Hash, typ protocol.Type, body any) (trinary.Hash, error) {
	js, err := json.Marshal(body)
	if err != nil {
		return "", fmt.Errorf("direct: send %s: marshal body: %w", typ, err)
	}
	t, err := EncodeEnvelope(Envelope{Type: typ, Version: protocol.Version, Body: js})
	if err != nil {
		return "", fmt.Errorf("direct: send %s: %w", typ, err)
	}
	b, err := c.Send(ctx, to, t)
	if err != nil {
		return "", fmt.Errorf("direct: send %s: %w", typ, err)
	}
	return b[0].Bundle, nil
}

// List returns the messages at address that are new since the cursor, in
// arrival order (see Cursor), and the cursor to pass next time. Bundles
// that are incomplete, invalid or do not hold a well-formed envelope are
// logged and skipped. An error means the node could not be read or since
// is malformed; the old cursor then still holds.
func List(ctx context.Context, c *client.Client, address trinary.Hash, since Cursor) ([]Message, Cursor, error) {
	cur, err := parseCursor(since)
	if err != nil {
		return nil, since, err
	}
	now := time.Now()
	bundles, err := c.Bundles(ctx, address)
	if err != nil {
		return nil, since, fmt.Errorf("direct: list %s: %w", address, err)
	}
	msgs, next := pick(cur, now, bundles, slog.Default().With("component", "tangle/direct", "address", address))
	return msgs, next, nil
}

// pick selects the new, well-formed messages among the bundles at an
// address (all of them, as Client.Bundles returns them) and builds the
// next cursor.
func pick(cur cursor, now time.Time, bundles []bundle.Bundle, log *slog.Logger) ([]Message, Cursor) {
	type found struct {
		order seenBundle
		msg   Message
	}
	var (
		known []seenBundle
		fresh []found
	)
	for _, b := range bundles {
		tail := b[0]
		at := min(tail.AttachmentTimestamp, now.UnixMilli())
		if at < cur.low {
			continue
		}
		s := seenBundle{at: at, id: contentID(b)}
		known = append(known, s)
		if !cur.isNew(s) {
			continue
		}
		env, err := decodeBundle(b)
		if err != nil {
			log.Warn("skipping malformed direct message", "bundle", tail.Bundle, "err", err)
			continue
		}
		fresh = append(fresh, found{s, Message{Envelope: env, Bundle: tail.Bundle, Time: time.UnixMilli(tail.AttachmentTimestamp)}})
	}
	slices.SortFunc(fresh, func(a, b found) int { return compareSeen(a.order, b.order) })
	msgs := make([]Message, len(fresh))
	for i, f := range fresh {
		msgs[i] = f.msg
	}
	return msgs, cur.next(now, known)
}

func decodeBundle(b bundle.Bundle) (Envelope, error) {
	if len(b) > maxBundleLength {
		return Envelope{}, fmt.Errorf("bundle of %d transactions exceeds the %d-transaction limit", len(b), maxBundleLength)
	}
	return DecodeEnvelope(client.Message(b))
}
