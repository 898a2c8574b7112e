package mamch

import (
	"context"
	"fmt"
	"strings"

	"github.com/iotaledger/iota.go/consts"
	"github.com/iotaledger/iota.go/guards"
	"github.com/iotaledger/iota.go/trinary"

	"iotahome/tangle/client"
)

// Attach publishes a prepared message. It is safe to retry, also after a
// crash: if a complete bundle carrying exactly this payload is already at
// the address, Attach returns its bundle hash instead of attaching again.
// (A duplicate attachment would still be read once: see FetchOne.) The
// address is computed from p.Root, not taken from p.Address, so that a
// Prepared stored by a version that addressed restricted channels the
// iota.go way lands where readers look now.
func Attach(ctx context.Context, c *client.Client, p Prepared) (trinary.Hash, error) {
	if err := trinary.ValidTrytes(p.Payload); err != nil {
		return "", fmt.Errorf("mamch: attach: payload: %w", err)
	}
	if !guards.IsTrytesOfExactLength(p.Root, consts.HashTrytesSize) {
		return "", fmt.Errorf("mamch: attach: root must be 81 trytes, got %d characters", len(p.Root))
	}
	addr := channelAddress(trinary.MustTrytesToTrits(p.Root))
	existing, err := c.Bundles(ctx, addr)
	if err != nil {
		return "", fmt.Errorf("mamch: attach: look for earlier attachment: %w", err)
	}
	for _, b := range existing {
		if carries(client.Message(b), p.Payload) {
			return b[0].Bundle, nil
		}
	}
	b, err := c.Send(ctx, addr, p.Payload)
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
