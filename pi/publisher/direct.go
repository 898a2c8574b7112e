package publisher

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/iotaledger/iota.go/trinary"

	"iotahome/internal/retry"
	"iotahome/protocol"
	"iotahome/store/readerstore"
	"iotahome/tangle/client"
	"iotahome/tangle/direct"
)

// DirectSender sends the queued direct messages (CHALLENGE, CLAIM_RESULT,
// MAM_DATA), oldest first, retrying with backoff while the node is down.
type DirectSender struct {
	store      *readerstore.Store
	client     *client.Client
	maxBackoff time.Duration
	log        *slog.Logger
	wake       chan struct{}
}

// NewDirectSender returns a DirectSender; run it once.
func NewDirectSender(store *readerstore.Store, c *client.Client, maxBackoff time.Duration, log *slog.Logger) *DirectSender {
	if log == nil {
		log = slog.Default()
	}
	return &DirectSender{store: store, client: c, maxBackoff: maxBackoff, log: log.With("component", "direct-sender"), wake: make(chan struct{}, 1)}
}

// Wake tells the sender that messages were queued.
func (d *DirectSender) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Run sends until ctx is done.
func (d *DirectSender) Run(ctx context.Context) error {
	pause := newBackoff(d.maxBackoff)
	for {
		if err := d.sendAll(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			wait := pause.next()
			d.log.Warn("send failed; retrying", "err", err, "in", wait)
			if !retry.Sleep(ctx, wait, nil) {
				return nil
			}
			continue
		}
		pause.reset()
		t := time.NewTimer(idleWait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-d.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

func (d *DirectSender) sendAll(ctx context.Context) error {
	msgs, err := d.store.PendingDirect(ctx)
	if err != nil {
		return err
	}
	for _, m := range msgs {
		bundle, err := direct.Send(ctx, d.client, trinary.Hash(m.To), protocol.Type(m.Type), json.RawMessage(m.Body))
		if err != nil {
			if ferr := d.store.DirectFailed(ctx, m.ID, err.Error()); ferr != nil {
				d.log.Error("record failed send", "err", ferr)
			}
			return err
		}
		if err := d.store.DirectSent(ctx, m.ID); err != nil {
			return err
		}
		d.log.Info("sent", "type", m.Type, "to", m.To, "bundle", bundle)
	}
	return nil
}
