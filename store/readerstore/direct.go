package readerstore

import (
	"context"
	"fmt"
	"time"
)

// DirectMessage is a direct message (envelope to an address) waiting to be
// sent: CHALLENGE, CLAIM_RESULT, MAM_DATA.
type DirectMessage struct {
	ID       int64
	To       string
	Type     string
	Body     []byte // JSON
	Attempts int
}

// QueueDirect stores a direct message to send.
func (t *Tx) QueueDirect(to, typ string, body []byte) error {
	_, err := t.tx.ExecContext(t.ctx, `INSERT INTO direct_outbox (to_address, type, body, created_at) VALUES (?, ?, ?, ?)`,
		to, typ, string(body), ms(time.Now()))
	if err != nil {
		return fmt.Errorf("readerstore: queue %s: %w", typ, err)
	}
	return nil
}

// PendingDirect returns the direct messages waiting to be sent, oldest first.
func (s *Store) PendingDirect(ctx context.Context) ([]DirectMessage, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, to_address, type, body, attempts FROM direct_outbox ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("readerstore: pending direct: %w", err)
	}
	defer rows.Close()
	var out []DirectMessage
	for rows.Next() {
		var m DirectMessage
		var body string
		if err := rows.Scan(&m.ID, &m.To, &m.Type, &body, &m.Attempts); err != nil {
			return nil, fmt.Errorf("readerstore: pending direct: %w", err)
		}
		m.Body = []byte(body)
		out = append(out, m)
	}
	return out, rows.Err()
}

// DirectSent deletes a sent direct message.
func (s *Store) DirectSent(ctx context.Context, id int64) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM direct_outbox WHERE id = ?`, id); err != nil {
		return fmt.Errorf("readerstore: direct sent: %w", err)
	}
	return nil
}

// DirectFailed records a failed attempt to send a direct message.
func (s *Store) DirectFailed(ctx context.Context, id int64, reason string) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE direct_outbox SET attempts = attempts + 1, last_error = ? WHERE id = ?`, reason, id); err != nil {
		return fmt.Errorf("readerstore: direct failed: %w", err)
	}
	return nil
}
