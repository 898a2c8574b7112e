package readerstore

import (
	"context"
	"fmt"
	"time"
)

// Reading is one stored reading of the outbox.
type Reading struct {
	Seq    uint64
	Body   []byte // JSON of protocol.Reading
	ReadAt time.Time
}

// NewReading is a reading to add to the outbox.
type NewReading struct {
	Body   []byte // JSON of protocol.Reading
	ReadAt time.Time
}

// AddReadings appends readings to the outbox, in order, and counts their
// telegrams as read. When more than maxQueue readings then wait to be put in
// a message (maxQueue > 0), the oldest waiting ones are dropped: the newest
// data is worth more to the owner than a backlog that has been stuck for
// days, and reading never stops. It returns how many were dropped.
func (t *Tx) AddReadings(rs []NewReading, maxQueue int) (dropped int, err error) {
	if len(rs) == 0 {
		return 0, nil
	}
	var next, batched uint64
	if err := t.tx.QueryRowContext(t.ctx, `SELECT next_seq, batched_seq FROM counters WHERE id = 1`).Scan(&next, &batched); err != nil {
		return 0, fmt.Errorf("readerstore: next seq: %w", err)
	}
	for i, r := range rs {
		if _, err := t.tx.ExecContext(t.ctx, `INSERT INTO readings (seq, body, read_at) VALUES (?, ?, ?)`, next+uint64(i), string(r.Body), ms(r.ReadAt)); err != nil {
			return 0, fmt.Errorf("readerstore: add reading: %w", err)
		}
	}
	next += uint64(len(rs))
	if waiting := next - 1 - batched; maxQueue > 0 && waiting > uint64(maxQueue) {
		dropped = int(waiting - uint64(maxQueue))
		if _, err := t.tx.ExecContext(t.ctx, `DELETE FROM readings WHERE seq > ? AND seq <= ?`, batched, batched+uint64(dropped)); err != nil {
			return 0, fmt.Errorf("readerstore: drop oldest readings: %w", err)
		}
	}
	if _, err := t.tx.ExecContext(t.ctx, `UPDATE counters SET next_seq = ?, read = read + ?, last_read_at = ?,
		batched_seq = batched_seq + ?, dropped = dropped + ? WHERE id = 1`, next, len(rs), ms(rs[len(rs)-1].ReadAt), dropped, dropped); err != nil {
		return 0, fmt.Errorf("readerstore: count readings: %w", err)
	}
	return dropped, nil
}

// CountRejected counts n telegrams that were rejected (bad CRC, cut, ...).
func (s *Store) CountRejected(ctx context.Context, n int) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE counters SET rejected = rejected + ? WHERE id = 1`, n); err != nil {
		return fmt.Errorf("readerstore: count rejected: %w", err)
	}
	return nil
}

// UnbatchedReadings returns up to max readings, oldest first, that are not in
// a channel message yet. Their seqs are consecutive.
func (t *Tx) UnbatchedReadings(max int) ([]Reading, error) {
	rows, err := t.tx.QueryContext(t.ctx, `SELECT seq, body, read_at FROM readings
		WHERE seq > (SELECT batched_seq FROM counters WHERE id = 1) ORDER BY seq LIMIT ?`, max)
	if err != nil {
		return nil, fmt.Errorf("readerstore: unbatched readings: %w", err)
	}
	defer rows.Close()
	var out []Reading
	for rows.Next() {
		var r Reading
		var body string
		var at int64
		if err := rows.Scan(&r.Seq, &body, &at); err != nil {
			return nil, fmt.Errorf("readerstore: unbatched readings: %w", err)
		}
		r.Body, r.ReadAt = []byte(body), fromMS(at)
		out = append(out, r)
	}
	return out, rows.Err()
}

// OldestUnbatched returns the read time of the oldest reading not yet in a
// message, and how many such readings there are (0 = none). Both come from
// primary-key lookups, so this stays cheap with a long queue.
func (s *Store) OldestUnbatched(ctx context.Context) (time.Time, int, error) {
	var at, n int64
	err := s.db.QueryRowContext(ctx, `SELECT COALESCE((SELECT read_at FROM readings WHERE seq = c.batched_seq + 1), 0),
		c.next_seq - 1 - c.batched_seq FROM counters c WHERE c.id = 1`).Scan(&at, &n)
	if err != nil {
		return time.Time{}, 0, fmt.Errorf("readerstore: oldest unbatched: %w", err)
	}
	return fromMS(at), int(n), nil
}

// ReadTimes returns the read times of the readings with seq in [first, last]
// that are still stored.
func (s *Store) ReadTimes(ctx context.Context, first, last uint64) ([]time.Time, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT read_at FROM readings WHERE seq >= ? AND seq <= ? ORDER BY seq`, first, last)
	if err != nil {
		return nil, fmt.Errorf("readerstore: read times: %w", err)
	}
	defer rows.Close()
	var out []time.Time
	for rows.Next() {
		var at int64
		if err := rows.Scan(&at); err != nil {
			return nil, fmt.Errorf("readerstore: read times: %w", err)
		}
		out = append(out, fromMS(at))
	}
	return out, rows.Err()
}

// ChannelMessage is a prepared message on the reader's restricted channel.
type ChannelMessage struct {
	ID       int64
	Message  string // text of the message
	State    string // JSON of the mamch.State it is prepared from
	Kind     string // protocol.Data or protocol.KeyRotation
	FirstSeq uint64 // readings in a DATA message; 0 otherwise
	LastSeq  uint64
}

// AppendChannelMessage stores a prepared message and the channel state that
// follows it (persist before publish): the message's own State must be the
// current channel state. For a DATA message it also marks its
// readings as batched; they must be the next unbatched ones.
func (t *Tx) AppendChannelMessage(m ChannelMessage, nextState string) (int64, error) {
	var first, last any
	if m.LastSeq > 0 {
		var batched uint64
		if err := t.tx.QueryRowContext(t.ctx, `SELECT batched_seq FROM counters WHERE id = 1`).Scan(&batched); err != nil {
			return 0, fmt.Errorf("readerstore: batched seq: %w", err)
		}
		if m.FirstSeq != batched+1 || m.LastSeq < m.FirstSeq {
			return 0, fmt.Errorf("readerstore: message readings %d..%d do not follow batched seq %d", m.FirstSeq, m.LastSeq, batched)
		}
		if _, err := t.tx.ExecContext(t.ctx, `UPDATE counters SET batched_seq = ? WHERE id = 1`, m.LastSeq); err != nil {
			return 0, fmt.Errorf("readerstore: mark batched: %w", err)
		}
		first, last = m.FirstSeq, m.LastSeq
	}
	res, err := t.tx.ExecContext(t.ctx, `INSERT INTO channel_outbox (message, state, kind, first_seq, last_seq, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		m.Message, m.State, m.Kind, first, last, ms(time.Now()))
	if err != nil {
		return 0, fmt.Errorf("readerstore: append channel message: %w", err)
	}
	if _, err := t.tx.ExecContext(t.ctx, `UPDATE channel SET state = ? WHERE id = 1`, nextState); err != nil {
		return 0, fmt.Errorf("readerstore: save channel state: %w", err)
	}
	return res.LastInsertId()
}

// PendingChannelMessages returns the prepared messages not yet confirmed
// attached, in channel order.
func (s *Store) PendingChannelMessages(ctx context.Context) ([]ChannelMessage, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, message, state, kind, COALESCE(first_seq, 0), COALESCE(last_seq, 0)
		FROM channel_outbox ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("readerstore: pending channel messages: %w", err)
	}
	defer rows.Close()
	var out []ChannelMessage
	for rows.Next() {
		var m ChannelMessage
		if err := rows.Scan(&m.ID, &m.Message, &m.State, &m.Kind, &m.FirstSeq, &m.LastSeq); err != nil {
			return nil, fmt.Errorf("readerstore: pending channel messages: %w", err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// MarkAttached records that message m is on the node: it counts its readings
// as published and deletes the message and the published readings, except
// the newest keepRecent readings.
func (s *Store) MarkAttached(ctx context.Context, m ChannelMessage, at time.Time, keepRecent int) error {
	return s.Update(ctx, func(tx *Tx) error {
		if _, err := tx.tx.ExecContext(ctx, `DELETE FROM channel_outbox WHERE id = ?`, m.ID); err != nil {
			return fmt.Errorf("readerstore: mark attached: %w", err)
		}
		n := uint64(0)
		if m.LastSeq > 0 {
			n = m.LastSeq - m.FirstSeq + 1
			if m.LastSeq > uint64(keepRecent) {
				if _, err := tx.tx.ExecContext(ctx, `DELETE FROM readings WHERE seq <= ?`, m.LastSeq-uint64(keepRecent)); err != nil {
					return fmt.Errorf("readerstore: prune readings: %w", err)
				}
			}
		}
		if _, err := tx.tx.ExecContext(ctx, `UPDATE counters SET published = published + ?, messages = messages + 1, last_publish_at = ? WHERE id = 1`,
			n, ms(at)); err != nil {
			return fmt.Errorf("readerstore: count published: %w", err)
		}
		return nil
	})
}
