package readerstore

import (
	"context"
	"fmt"
	"time"
)

// Counters are the reader's running totals.
type Counters struct {
	Read          uint64 // telegrams accepted
	Rejected      uint64 // telegrams rejected by the parser
	Published     uint64 // readings in attached channel messages
	Dropped       uint64 // readings dropped because the queue was full
	Messages      uint64 // channel messages attached
	NextSeq       uint64
	BatchedSeq    uint64
	LastReadAt    time.Time
	LastPublishAt time.Time
}

// Waiting is the number of readings not yet in a channel message.
func (c Counters) Waiting() uint64 { return c.NextSeq - 1 - c.BatchedSeq }

// Counters returns the running totals.
func (s *Store) Counters(ctx context.Context) (Counters, error) {
	var c Counters
	var lr, lp int64
	err := s.db.QueryRowContext(ctx, `SELECT read, rejected, published, dropped, messages, next_seq, batched_seq, last_read_at, last_publish_at
		FROM counters WHERE id = 1`).Scan(&c.Read, &c.Rejected, &c.Published, &c.Dropped, &c.Messages, &c.NextSeq, &c.BatchedSeq, &lr, &lp)
	if err != nil {
		return Counters{}, fmt.Errorf("readerstore: counters: %w", err)
	}
	c.LastReadAt, c.LastPublishAt = fromMS(lr), fromMS(lp)
	return c, nil
}

// Backlog counts what waits to go to the Tangle: prepared channel messages
// and direct messages.
func (s *Store) Backlog(ctx context.Context) (channelMessages, directMessages int, err error) {
	err = s.db.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM channel_outbox), (SELECT COUNT(*) FROM direct_outbox)`).
		Scan(&channelMessages, &directMessages)
	if err != nil {
		return 0, 0, fmt.Errorf("readerstore: backlog: %w", err)
	}
	return channelMessages, directMessages, nil
}
