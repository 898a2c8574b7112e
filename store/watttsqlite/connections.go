package watttsqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"iotahome/wattt"
)

// AcceptKeys turns the account's open consent request with the given state
// into a live connection to device starting at root with sideKey, in one
// transaction. A connection to the same device that already exists (an
// earlier consent, maybe revoked) is pointed at the new root and key and
// keeps its readings and sequence number, so nothing is stored twice.
func (s *Store) AcceptKeys(ctx context.Context, accountID int64, state, device, root, sideKey string, at time.Time) (wattt.Connection, error) {
	var c wattt.Connection
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var status wattt.RequestStatus
		err := tx.QueryRowContext(ctx, `SELECT status FROM consent_requests WHERE state = ? AND account_id = ?`, state, accountID).Scan(&status)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && status != wattt.RequestPending && status != wattt.RequestGranted) {
			return wattt.ErrNoPendingRequest
		}
		if err != nil {
			return fmt.Errorf("watttsqlite: accept keys: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO connections (account_id, device, root, side_key, status, created_at, updated_at)
			VALUES (?, ?, ?, ?, 'live', ?, ?)
			ON CONFLICT (account_id, device) DO UPDATE SET root = excluded.root, side_key = excluded.side_key,
				status = 'live', revoked_at = NULL, updated_at = excluded.updated_at`,
			accountID, device, root, sideKey, ms(at), ms(at)); err != nil {
			return fmt.Errorf("watttsqlite: accept keys: %w", err)
		}
		c, err = scanConnection(tx.QueryRowContext(ctx, `SELECT `+connectionColumns+` FROM connections WHERE account_id = ? AND device = ?`, accountID, device))
		if err != nil {
			return fmt.Errorf("watttsqlite: accept keys: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE consent_requests SET status = 'connected', connected_at = ?, connection_id = ? WHERE state = ?`,
			ms(at), c.ID, state); err != nil {
			return fmt.Errorf("watttsqlite: accept keys: %w", err)
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
		return fmt.Errorf("watttsqlite: confirm keys: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return wattt.ErrNoPendingRequest
	}
	return nil
}

const connectionColumns = `id, account_id, device, root, side_key, status, revoked_at, last_seq, last_reading_at, messages, created_at, updated_at`

func scanConnection(row interface{ Scan(...any) error }) (wattt.Connection, error) {
	var c wattt.Connection
	var revoked, last sql.NullInt64
	var created, updated int64
	if err := row.Scan(&c.ID, &c.AccountID, &c.Device, &c.Root, &c.SideKey, &c.Status, &revoked, &c.LastSeq, &last, &c.Messages, &created, &updated); err != nil {
		return wattt.Connection{}, err
	}
	c.RevokedAt, c.LastReadingAt = optTime(revoked), optTime(last)
	c.CreatedAt, c.UpdatedAt = fromMS(created), fromMS(updated)
	return c, nil
}

func (s *Store) connections(ctx context.Context, where string, args ...any) ([]wattt.Connection, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+connectionColumns+` FROM connections WHERE `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("watttsqlite: connections: %w", err)
	}
	defer rows.Close()
	var out []wattt.Connection
	for rows.Next() {
		c, err := scanConnection(rows)
		if err != nil {
			return nil, fmt.Errorf("watttsqlite: connections: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// LiveConnections returns every connection still being followed.
func (s *Store) LiveConnections(ctx context.Context) ([]wattt.Connection, error) {
	return s.connections(ctx, `status = 'live' ORDER BY id`)
}

// AccountConnections returns the account's connections, newest first.
func (s *Store) AccountConnections(ctx context.Context, accountID int64) ([]wattt.Connection, error) {
	return s.connections(ctx, `account_id = ? ORDER BY updated_at DESC, id DESC`, accountID)
}

// Connection returns one connection by id.
func (s *Store) Connection(ctx context.Context, id int64) (wattt.Connection, error) {
	c, err := scanConnection(s.db.QueryRowContext(ctx, `SELECT `+connectionColumns+` FROM connections WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return wattt.Connection{}, wattt.ErrNotFound
	}
	if err != nil {
		return wattt.Connection{}, fmt.Errorf("watttsqlite: connection %d: %w", id, err)
	}
	return c, nil
}
