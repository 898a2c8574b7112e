package watttstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// RequestStatus is where a consent request stands.
type RequestStatus string

// Consent request states.
const (
	RequestPending   RequestStatus = "pending"   // sent to My Home, no answer yet
	RequestGranted   RequestStatus = "granted"   // owner granted; waiting for MAM_DATA
	RequestDenied    RequestStatus = "denied"    // owner said no
	RequestConnected RequestStatus = "connected" // keys received
)

// ConsentRequest is one request sent to My Home.
type ConsentRequest struct {
	State        string
	AccountID    int64
	MyHomeURL    string
	Goal         string
	Plan         string     // what was asked for (wattt.Plans)
	EndsAt       *time.Time // when the consent ends, as My Home said on return
	Status       RequestStatus
	CreatedAt    time.Time
	ReturnedAt   *time.Time
	ConnectedAt  *time.Time
	ConnectionID *int64
}

// CreateConsentRequest stores a new pending request.
func (s *Store) CreateConsentRequest(ctx context.Context, r ConsentRequest) error {
	if _, err := s.db.ExecContext(ctx,
		`INSERT INTO consent_requests (state, account_id, myhome_url, goal, plan, status, created_at) VALUES (?, ?, ?, ?, ?, 'pending', ?)`,
		r.State, r.AccountID, r.MyHomeURL, r.Goal, r.Plan, ms(r.CreatedAt)); err != nil {
		return fmt.Errorf("watttstore: create consent request: %w", err)
	}
	return nil
}

const requestColumns = `state, account_id, myhome_url, goal, plan, ends_at, status, created_at, returned_at, connected_at, connection_id`

func scanRequest(row interface{ Scan(...any) error }) (ConsentRequest, error) {
	var r ConsentRequest
	var created int64
	var ends, returned, connected, conn sql.NullInt64
	if err := row.Scan(&r.State, &r.AccountID, &r.MyHomeURL, &r.Goal, &r.Plan, &ends, &r.Status, &created, &returned, &connected, &conn); err != nil {
		return ConsentRequest{}, err
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
// of another account is ErrNotFound.
func (s *Store) ConsentRequest(ctx context.Context, accountID int64, state string) (ConsentRequest, error) {
	r, err := scanRequest(s.db.QueryRowContext(ctx, `SELECT `+requestColumns+` FROM consent_requests WHERE state = ? AND account_id = ?`, state, accountID))
	if errors.Is(err, sql.ErrNoRows) {
		return ConsentRequest{}, ErrNotFound
	}
	if err != nil {
		return ConsentRequest{}, fmt.Errorf("watttstore: consent request: %w", err)
	}
	return r, nil
}

// LatestConsentRequest returns the account's most recent request.
func (s *Store) LatestConsentRequest(ctx context.Context, accountID int64) (ConsentRequest, error) {
	r, err := scanRequest(s.db.QueryRowContext(ctx, `SELECT `+requestColumns+` FROM consent_requests WHERE account_id = ? ORDER BY created_at DESC LIMIT 1`, accountID))
	if errors.Is(err, sql.ErrNoRows) {
		return ConsentRequest{}, ErrNotFound
	}
	if err != nil {
		return ConsentRequest{}, fmt.Errorf("watttstore: latest consent request: %w", err)
	}
	return r, nil
}

// ReturnConsentRequest records the owner's answer coming back from My Home,
// with the consent's end for a grant (nil if My Home named none). Only a
// pending request of this account changes status; a request that already
// got its keys stays connected (the keys may arrive before the browser
// returns) but still learns its end.
func (s *Store) ReturnConsentRequest(ctx context.Context, accountID int64, state string, granted bool, endsAt *time.Time, at time.Time) (ConsentRequest, error) {
	status := RequestDenied
	if granted {
		status = RequestGranted
	}
	var r ConsentRequest
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		r, err = scanRequest(tx.QueryRowContext(ctx, `SELECT `+requestColumns+` FROM consent_requests WHERE state = ? AND account_id = ?`, state, accountID))
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("watttstore: return consent request: %w", err)
		}
		if granted && endsAt != nil && r.Status != RequestDenied && r.EndsAt == nil {
			if _, err := tx.ExecContext(ctx, `UPDATE consent_requests SET ends_at = ? WHERE state = ?`, ms(*endsAt), state); err != nil {
				return fmt.Errorf("watttstore: return consent request: %w", err)
			}
			r.EndsAt = endsAt
		}
		if r.Status != RequestPending {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE consent_requests SET status = ?, returned_at = ? WHERE state = ?`, status, ms(at), state); err != nil {
			return fmt.Errorf("watttstore: return consent request: %w", err)
		}
		r.Status, r.ReturnedAt = status, &at
		return nil
	})
	return r, err
}

// ConnectionConsent returns the newest consent request that connected the
// connection (its plan and end); ErrNotFound if none did.
func (s *Store) ConnectionConsent(ctx context.Context, connectionID int64) (ConsentRequest, error) {
	r, err := scanRequest(s.db.QueryRowContext(ctx, `SELECT `+requestColumns+` FROM consent_requests
		WHERE connection_id = ? AND status = 'connected' ORDER BY connected_at DESC LIMIT 1`, connectionID))
	if errors.Is(err, sql.ErrNoRows) {
		return ConsentRequest{}, ErrNotFound
	}
	if err != nil {
		return ConsentRequest{}, fmt.Errorf("watttstore: connection consent: %w", err)
	}
	return r, nil
}
