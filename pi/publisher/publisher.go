package publisher

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"iotahome/internal/retry"
	"iotahome/protocol"
	"iotahome/store/readerstore"
	"iotahome/tangle/client"
	"iotahome/tangle/mamch"
)

// Config configures a Publisher.
type Config struct {
	Store  *readerstore.Store
	Client *client.Client
	// BatchWindow is how long the oldest waiting reading may wait for others
	// to share its message. While a message is being attached, readings pile
	// up anyway, so slow proof of work makes batches bigger by itself.
	BatchWindow time.Duration
	// MaxReadings caps the readings per DATA message (bounds its size: a
	// reading is about 300 characters, 600 trytes).
	MaxReadings int
	// KeepRecent is how many published readings stay in the state file.
	KeepRecent int
	// Pack sends readings DEFLATE-packed (protocol.DataBody.Packed): about
	// five times fewer transactions per reading; receivers must read with
	// DataBody.AllReadings.
	Pack bool
	// MaxQueue bounds the readings waiting for a message; beyond it the
	// oldest are dropped (see readerstore.Tx.AddReadings). 0 = unbounded.
	MaxQueue int
	// Durable writes every reading to the state file as soon as it is
	// added, before it waits for its message: a crash loses nothing. Off,
	// readings wait in memory and are written with their message (see
	// Publisher), which writes about ten times less to an SD card.
	Durable bool
	// MaxBackoff caps the wait between retries while the node is down.
	MaxBackoff time.Duration
	// OnPublished, if set, is called after each channel message is attached.
	OnPublished func(Published)
	Log         *slog.Logger
}

// Published describes one attached channel message.
type Published struct {
	Kind       protocol.Type
	FirstSeq   uint64      // readings of a DATA message
	LastSeq    uint64      //
	ReadTimes  []time.Time // when each of its readings was read
	AttachedAt time.Time
}

// Publisher batches readings and attaches channel messages. Run it once.
//
// With Config.Durable every reading is written to the state file when it
// is added. Without it, new readings wait in memory and are written in the
// same transaction as the message that carries them (before it is
// attached), or as soon as attaching fails, or when Run stops. One write
// per message instead of one per telegram is most of what keeps the SD
// card's write volume down; the price is that a crash (not a clean stop)
// loses the readings of the current batch window.
type Publisher struct {
	cfg  Config
	wake chan struct{}

	mu  sync.Mutex
	buf []readerstore.NewReading
}

// Add queues a reading (its JSON) read at readAt. With Config.Durable it
// is in the state file when Add returns, unless the write failed (then it
// stays in memory, is logged, and is written with its message).
func (p *Publisher) Add(body []byte, readAt time.Time) {
	p.mu.Lock()
	p.buf = append(p.buf, readerstore.NewReading{Body: body, ReadAt: readAt})
	p.mu.Unlock()
	if p.cfg.Durable {
		if err := p.Flush(context.Background()); err != nil {
			p.cfg.Log.Warn("write reading to the state file; keeping it in memory", "err", err)
		}
	}
	p.Wake()
}

// Buffered is the number of readings not yet in the state file.
func (p *Publisher) Buffered() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.buf)
}

func (p *Publisher) take() []readerstore.NewReading {
	p.mu.Lock()
	defer p.mu.Unlock()
	rs := p.buf
	p.buf = nil
	return rs
}

// putBack returns readings whose write failed to the front of the buffer.
func (p *Publisher) putBack(rs []readerstore.NewReading) {
	p.mu.Lock()
	p.buf = append(rs, p.buf...)
	p.mu.Unlock()
}

// Flush writes the buffered readings to the state file.
func (p *Publisher) Flush(ctx context.Context) error {
	rs := p.take()
	if len(rs) == 0 {
		return nil
	}
	var dropped int
	err := p.cfg.Store.Update(ctx, func(tx *readerstore.Tx) error {
		var err error
		dropped, err = tx.AddReadings(rs, p.cfg.MaxQueue)
		return err
	})
	if err != nil {
		p.putBack(rs)
		return err
	}
	p.logDropped(dropped)
	return nil
}

func (p *Publisher) logDropped(n int) {
	if n > 0 {
		p.cfg.Log.Error("QUEUE FULL: dropped the oldest unpublished readings", "dropped", n, "max_queue", p.cfg.MaxQueue)
	}
}

// New returns a Publisher.
func New(cfg Config) *Publisher {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	cfg.Log = cfg.Log.With("component", "publisher")
	return &Publisher{cfg: cfg, wake: make(chan struct{}, 1)}
}

// Wake tells the publisher that readings or channel messages were added.
func (p *Publisher) Wake() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// Run publishes until ctx is done, then writes what is still in memory to
// the state file.
func (p *Publisher) Run(ctx context.Context) error {
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := p.Flush(ctx); err != nil {
			p.cfg.Log.Error("readings lost at stop", "err", err, "readings", p.Buffered())
		}
	}()
	pause := newBackoff(p.cfg.MaxBackoff)
	for {
		// Stored messages first, in channel order: a restart re-attaches
		// whatever was prepared but not confirmed before preparing more.
		if err := p.attachPending(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			// The node is away: keep what is read on disk meanwhile.
			if err := p.Flush(ctx); err != nil && ctx.Err() == nil {
				return err
			}
			wait := pause.next()
			p.cfg.Log.Warn("attach failed; retrying", "err", err, "in", wait)
			if !retry.Sleep(ctx, wait, nil) {
				return nil
			}
			continue
		}
		pause.reset()
		prepared, wait, err := p.batch(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		if prepared {
			continue
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-p.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// idleWait is how long Run sleeps when nothing waits; Wake cuts it short.
const idleWait = 5 * time.Second

// batch prepares one DATA message if the waiting readings are due. It
// returns whether it did, and otherwise how long to wait.
func (p *Publisher) batch(ctx context.Context) (bool, time.Duration, error) {
	oldest, n, err := p.cfg.Store.OldestUnbatched(ctx)
	if err != nil {
		return false, 0, err
	}
	p.mu.Lock()
	if len(p.buf) > 0 && n == 0 {
		oldest = p.buf[0].ReadAt
	}
	n += len(p.buf)
	p.mu.Unlock()
	if n == 0 {
		return false, idleWait, nil
	}
	if age := time.Since(oldest); n < p.cfg.MaxReadings && age < p.cfg.BatchWindow {
		return false, p.cfg.BatchWindow - age, nil
	}
	fresh := p.take()
	var dropped int
	err = p.cfg.Store.Update(ctx, func(tx *readerstore.Tx) error {
		var err error
		if dropped, err = tx.AddReadings(fresh, p.cfg.MaxQueue); err != nil {
			return err
		}
		stored, err := tx.UnbatchedReadings(p.cfg.MaxReadings)
		if err != nil || len(stored) == 0 {
			return err
		}
		body := protocol.DataBody{Schema: protocol.ReadingSchema, Seq: stored[0].Seq, Readings: make([]protocol.Reading, len(stored))}
		for i, r := range stored {
			if err := json.Unmarshal(r.Body, &body.Readings[i]); err != nil {
				return fmt.Errorf("publisher: stored reading %d: %w", r.Seq, err)
			}
		}
		if p.cfg.Pack {
			if body.Packed, err = protocol.PackReadings(body.Readings); err != nil {
				return err
			}
			body.Readings = nil
		}
		msg := protocol.ChannelMessage{Type: protocol.Data, Version: protocol.Version, Data: &body}
		return Append(tx, msg, stored[0].Seq, stored[len(stored)-1].Seq, "")
	})
	if err != nil {
		p.putBack(fresh)
		return false, 0, err
	}
	p.logDropped(dropped)
	return true, 0, nil
}

// attachPending attaches every stored channel message in order.
func (p *Publisher) attachPending(ctx context.Context) error {
	pending, err := p.cfg.Store.PendingChannelMessages(ctx)
	if err != nil {
		return err
	}
	for _, m := range pending {
		prep, err := prepare(m)
		if err != nil {
			return err
		}
		start := time.Now()
		if _, err := mamch.Attach(ctx, p.cfg.Client, prep); err != nil {
			return fmt.Errorf("attach %s message %d: %w", m.Kind, m.ID, err)
		}
		at := time.Now()
		var readTimes []time.Time
		if p.cfg.OnPublished != nil && m.LastSeq > 0 {
			if readTimes, err = p.cfg.Store.ReadTimes(ctx, m.FirstSeq, m.LastSeq); err != nil {
				return err
			}
		}
		if err := p.cfg.Store.MarkAttached(ctx, m, at, p.cfg.KeepRecent); err != nil {
			return err
		}
		p.cfg.Log.Debug("attached", "kind", m.Kind, "root", prep.Root, "first", m.FirstSeq, "last", m.LastSeq, "took", at.Sub(start))
		if p.cfg.OnPublished != nil {
			p.cfg.OnPublished(Published{Kind: protocol.Type(m.Kind), FirstSeq: m.FirstSeq, LastSeq: m.LastSeq, ReadTimes: readTimes, AttachedAt: at})
		}
	}
	return nil
}

// backoff doubles a wait from 500 ms up to a cap.
type backoff struct {
	failures int
	max      time.Duration
}

func newBackoff(limit time.Duration) *backoff {
	if limit <= 0 {
		limit = 30 * time.Second
	}
	return &backoff{max: limit}
}

// next is the pause after one more failure: 0.5 s doubling to max.
func (b *backoff) next() time.Duration {
	d := retry.Delay(b.failures, 500*time.Millisecond, b.max)
	b.failures++
	return d
}

func (b *backoff) reset() { b.failures = 0 }
