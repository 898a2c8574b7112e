package watttsqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"iotahome/wattt"
)

// CreateConsentRequest stores a new pending request.
func (s *Store) CreateConsentRequest(ctx context.Context, r wattt.ConsentRequest) error {
	if _, err := s.db.ExecContext(ctx,
		`INSERT INTO consent_requests (state, account_id, myhome_url, goal, plan, status, created_at) VALUES (?, ?, ?, ?, ?, 'pending', ?)`,
		r.State, r.AccountID, r.MyHomeURL, r.Goal, r.Plan, ms(r.CreatedAt)); err != nil {
		return fmt.Errorf("watttsqlite: create consent request: %w", err)
	}
	return nil
}

const requestColumns = `state, account_id, myhome_url, goal, plan, ends_at, status, created_at, returned_at, connected_at, connection_id`

func scanRequest(row interface{ Scan(...any) error }) (wattt.ConsentRequest, error) {
	var r wattt.ConsentRequest
	var created int64
	var ends, returned, connected, conn sql.NullInt64
	if err := row.Scan(&r.State, &r.AccountID, &r.MyHomeURL, &r.Goal, &r.Plan, &ends, &r.Status, &created, &returned, &connected, &conn); err != nil {
		return wattt.ConsentRequest{}, err
	}
	r.EndsAt = optTime(ends)
	r.CreatedAt = fromMS(created)
	r.ReturnedAt, r.ConnectedAt = optTime(returned), optTime(connected)
	if conn.Valid {
		r.ConnectionID = &conn.Int64
	}
	return r, nil
}

// ConsentRequest returns the account's request with the given state. A state
// of another account is wattt.ErrNotFound.
func (s *Store) ConsentRequest(ctx context.Context, accountID int64, state string) (wattt.ConsentRequest, error) {
	r, err := scanRequest(s.db.QueryRowContext(ctx, `SELECT `+requestColumns+` FROM consent_requests WHERE state = ? AND account_id = ?`, state, accountID))
	if errors.Is(err, sql.ErrNoRows) {
		return wattt.ConsentRequest{}, wattt.ErrNotFound
	}
	if err != nil {
		return wattt.ConsentRequest{}, fmt.Errorf("watttsqlite: consent request: %w", err)
	}
	return r, nil
}

// LatestConsentRequest returns the account's most recent request.
func (s *Store) LatestConsentRequest(ctx context.Context, accountID int64) (wattt.ConsentRequest, error) {
	r, err := scanRequest(s.db.QueryRowContext(ctx, `SELECT `+requestColumns+` FROM consent_requests WHERE account_id = ? ORDER BY created_at DESC LIMIT 1`, accountID))
	if errors.Is(err, sql.ErrNoRows) {
		return wattt.ConsentRequest{}, wattt.ErrNotFound
	}
	if err != nil {
		return wattt.ConsentRequest{}, fmt.Errorf("watttsqlite: latest consent request: %w", err)
	}
	return r, nil
}

// ReturnConsentRequest records the owner's answer coming back from My Home,
// with the consent's end for a grant (nil if My Home named none). Only a
// pending request of this account changes status; a request that already
// got its keys stays connected (the keys may arrive before the browser
// returns) but still learns its end.
func (s *Store) ReturnConsentRequest(ctx context.Context, accountID int64, state string, granted bool, endsAt *time.Time, at time.Time) (wattt.ConsentRequest, error) {
	status := wattt.RequestDenied
	if granted {
		status = wattt.RequestGranted
	}
	var r wattt.ConsentRequest
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		r, err = scanRequest(tx.QueryRowContext(ctx, `SELECT `+requestColumns+` FROM consent_requests WHERE state = ? AND account_id = ?`, state, accountID))
		if errors.Is(err, sql.ErrNoRows) {
			return wattt.ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("watttsqlite: return consent request: %w", err)
		}
		if granted && endsAt != nil && r.Status != wattt.RequestDenied && r.EndsAt == nil {
			if _, err := tx.ExecContext(ctx, `UPDATE consent_requests SET ends_at = ? WHERE state = ?`, ms(*endsAt), state); err != nil {
				return fmt.Errorf("watttsqlite: return consent request: %w", err)
			}
			r.EndsAt = endsAt
		}
		if r.Status != wattt.RequestPending {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE consent_requests SET status = ?, returned_at = ? WHERE state = ?`, status, ms(at), state); err != nil {
			return fmt.Errorf("watttsqlite: return consent request: %w", err)
		}
		r.Status, r.ReturnedAt = status, &at
		return nil
	})
	return r, err
}

// ConnectionConsent returns the newest consent request that connected the
// connection (its plan and end); wattt.ErrNotFound if none did.
func (s *Store) ConnectionConsent(ctx context.Context, connectionID int64) (wattt.ConsentRequest, error) {
	r, err := scanRequest(s.db.QueryRowContext(ctx, `SELECT `+requestColumns+` FROM consent_requests
		WHERE connection_id = ? AND status = 'connected' ORDER BY connected_at DESC LIMIT 1`, connectionID))
	if errors.Is(err, sql.ErrNoRows) {
		return wattt.ConsentRequest{}, wattt.ErrNotFound
	}
	if err != nil {
		return wattt.ConsentRequest{}, fmt.Errorf("watttsqlite: connection consent: %w", err)
	}
	return r, nil
}
