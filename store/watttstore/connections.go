package watttstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// ConnectionStatus says whether a connection is still followed.
type ConnectionStatus string

// Connection states. "Waiting for keys" is not a connection yet: it is a
// granted consent request without one.
const (
	ConnectionLive    ConnectionStatus = "live"
	ConnectionRevoked ConnectionStatus = "revoked"
)

// Connection is a reader channel an account follows. Root is the root of the
// next message to fetch, SideKey the key to read it with as the domain
// stored it (sealed with the server key; the store does not look inside).
type Connection struct {
	ID            int64
	AccountID     int64
	Device        string
	Root          string
	SideKey       string
	Status        ConnectionStatus
	RevokedAt     *time.Time
	LastSeq       int64 // -1: no reading yet
	LastReadingAt *time.Time
	Messages      int64
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// ErrNoPendingRequest means keys arrived for a state that is not an open
// consent request of the account: they are rejected.
var ErrNoPendingRequest = errors.New("watttstore: no open consent request with this state")

// AcceptKeys turns the account's open consent request with the given state
// into a live connection to device starting at root with sideKey, in one
// transaction. A connection to the same device that already exists (an
// earlier consent, maybe revoked) is pointed at the new root and key and
// keeps its readings and sequence number, so nothing is stored twice.
func (s *Store) AcceptKeys(ctx context.Context, accountID int64, state, device, root, sideKey string, at time.Time) (Connection, error) {
	var c Connection
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var status RequestStatus
		err := tx.QueryRowContext(ctx, `SELECT status FROM consent_requests WHERE state = ? AND account_id = ?`, state, accountID).Scan(&status)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && status != RequestPending && status != RequestGranted) {
			return ErrNoPendingRequest
		}
		if err != nil {
			return fmt.Errorf("watttstore: accept keys: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO connections (account_id, device, root, side_key, status, created_at, updated_at)
			VALUES (?, ?, ?, ?, 'live', ?, ?)
			ON CONFLICT (account_id, device) DO UPDATE SET root = excluded.root, side_key = excluded.side_key,
				status = 'live', revoked_at = NULL, updated_at = excluded.updated_at`,
			accountID, device, root, sideKey, ms(at), ms(at)); err != nil {
			return fmt.Errorf("watttstore: accept keys: %w", err)
		}
		c, err = scanConnection(tx.QueryRowContext(ctx, `SELECT `+connectionColumns+` FROM connections WHERE account_id = ? AND device = ?`, accountID, device))
		if err != nil {
			return fmt.Errorf("watttstore: accept keys: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE consent_requests SET status = 'connected', connected_at = ?, connection_id = ? WHERE state = ?`,
			ms(at), c.ID, state); err != nil {
			return fmt.Errorf("watttstore: accept keys: %w", err)
		}
		return nil
	})
	return c, err
}

// ConfirmKeys records that the account's open consent request with the
// given state was answered with the keys of a live connection it already
// follows (a renewal: the reader keeps its key, and the connection keeps
// its place in the channel). ErrNoPendingRequest as in AcceptKeys.
func (s *Store) ConfirmKeys(ctx context.Context, accountID int64, state string, connectionID int64, at time.Time) error {
	res, err := s.db.ExecContext(ctx, `UPDATE consent_requests SET status = 'connected', connected_at = ?, connection_id = ?
		WHERE state = ? AND account_id = ? AND status IN ('pending', 'granted')
		AND EXISTS (SELECT 1 FROM connections WHERE id = ? AND account_id = ?)`,
		ms(at), connectionID, state, accountID, connectionID, accountID)
	if err != nil {
		return fmt.Errorf("watttstore: confirm keys: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return ErrNoPendingRequest
	}
	return nil
}

const connectionColumns = `id, account_id, device, root, side_key, status, revoked_at, last_seq, last_reading_at, messages, created_at, updated_at`

func scanConnection(row interface{ Scan(...any) error }) (Connection, error) {
	var c Connection
	var revoked, last sql.NullInt64
	var created, updated int64
	if err := row.Scan(&c.ID, &c.AccountID, &c.Device, &c.Root, &c.SideKey, &c.Status, &revoked, &c.LastSeq, &last, &c.Messages, &created, &updated); err != nil {
		return Connection{}, err
	}
	c.RevokedAt, c.LastReadingAt = optTime(revoked), optTime(last)
	c.CreatedAt, c.UpdatedAt = fromMS(created), fromMS(updated)
	return c, nil
}

func (s *Store) connections(ctx context.Context, where string, args ...any) ([]Connection, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+connectionColumns+` FROM connections WHERE `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("watttstore: connections: %w", err)
	}
	defer rows.Close()
	var out []Connection
	for rows.Next() {
		c, err := scanConnection(rows)
		if err != nil {
			return nil, fmt.Errorf("watttstore: connections: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// LiveConnections returns every connection still being followed.
func (s *Store) LiveConnections(ctx context.Context) ([]Connection, error) {
	return s.connections(ctx, `status = 'live' ORDER BY id`)
}

// AccountConnections returns the account's connections, newest first.
func (s *Store) AccountConnections(ctx context.Context, accountID int64) ([]Connection, error) {
	return s.connections(ctx, `account_id = ? ORDER BY updated_at DESC, id DESC`, accountID)
}

// Connection returns one connection by id.
func (s *Store) Connection(ctx context.Context, id int64) (Connection, error) {
	c, err := scanConnection(s.db.QueryRowContext(ctx, `SELECT `+connectionColumns+` FROM connections WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Connection{}, ErrNotFound
	}
	if err != nil {
		return Connection{}, fmt.Errorf("watttstore: connection %d: %w", id, err)
	}
	return c, nil
}
