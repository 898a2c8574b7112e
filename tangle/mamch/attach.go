package mamch

import (
	"context"
	"fmt"
	"strings"

	"github.com/iotaledger/iota.go/trinary"

	"iotahome/tangle/client"
)

// Attach publishes a prepared message. It is safe to retry, also after a
// crash: if a complete bundle carrying exactly this payload is already at
// the address, Attach returns its bundle hash instead of attaching again.
// (A duplicate attachment would still be read once: see FetchOne.)
func Attach(ctx context.Context, c *client.Client, p Prepared) (trinary.Hash, error) {
	if err := trinary.ValidTrytes(p.Payload); err != nil {
		return "", fmt.Errorf("mamch: attach: payload: %w", err)
	}
	existing, err := c.Bundles(ctx, p.Address)
	if err != nil {
		return "", fmt.Errorf("mamch: attach: look for earlier attachment: %w", err)
	}
	for _, b := range existing {
		if carries(client.Message(b), p.Payload) {
			return b[0].Bundle, nil
		}
	}
	b, err := c.Send(ctx, p.Address, p.Payload)
	if err != nil {
		return "", fmt.Errorf("mamch: attach: %w", err)
	}
	return b[0].Bundle, nil
}

// carries says whether a bundle's message is payload plus '9' padding.
func carries(message, payload trinary.Trytes) bool {
	rest, ok := strings.CutPrefix(message, payload)
	return ok && strings.Trim(rest, "9") == ""
}
