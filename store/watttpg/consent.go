package watttpg

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"iotahome/wattt"
)

// CreateConsentRequest stores a new pending request.
func (s *Store) CreateConsentRequest(ctx context.Context, r wattt.ConsentRequest) error {
	if _, err := s.pool.Exec(ctx, `INSERT INTO consent_requests (state, account_id, myhome_url, goal, plan, status, created_at)
		VALUES ($1, $2, $3, $4, $5, 'pending', $6)`, r.State, r.AccountID, r.MyHomeURL, r.Goal, r.Plan, r.CreatedAt); err != nil {
		return wrap("create consent request", err)
	}
	return nil
}

const requestColumns = `state, account_id, myhome_url, goal, plan, ends_at, status, created_at, returned_at, connected_at, connection_id`

func scanRequest(row pgx.Row) (wattt.ConsentRequest, error) {
	var r wattt.ConsentRequest
	err := row.Scan(&r.State, &r.AccountID, &r.MyHomeURL, &r.Goal, &r.Plan, &r.EndsAt, &r.Status, &r.CreatedAt, &r.ReturnedAt, &r.ConnectedAt, &r.ConnectionID)
	return r, err
}

// ConsentRequest returns the account's request with the given state.
func (s *Store) ConsentRequest(ctx context.Context, accountID int64, state string) (wattt.ConsentRequest, error) {
	r, err := scanRequest(s.pool.QueryRow(ctx, `SELECT `+requestColumns+` FROM consent_requests WHERE state = $1 AND account_id = $2`, state, accountID))
	if err != nil {
		return wattt.ConsentRequest{}, wrap("consent request", notFound(err))
	}
	return r, nil
}

// LatestConsentRequest returns the account's most recent request.
func (s *Store) LatestConsentRequest(ctx context.Context, accountID int64) (wattt.ConsentRequest, error) {
	r, err := scanRequest(s.pool.QueryRow(ctx, `SELECT `+requestColumns+` FROM consent_requests WHERE account_id = $1
		ORDER BY created_at DESC LIMIT 1`, accountID))
	if err != nil {
		return wattt.ConsentRequest{}, wrap("latest consent request", notFound(err))
	}
	return r, nil
}

// ReturnConsentRequest records the owner's answer coming back from My Home
// (and the consent's end for a grant).
func (s *Store) ReturnConsentRequest(ctx context.Context, accountID int64, state string, granted bool, endsAt *time.Time, at time.Time) (wattt.ConsentRequest, error) {
	status := wattt.RequestDenied
	if granted {
		status = wattt.RequestGranted
	}
	var r wattt.ConsentRequest
	err := s.tx(ctx, func(tx pgx.Tx) error {
		var err error
		r, err = scanRequest(tx.QueryRow(ctx, `SELECT `+requestColumns+` FROM consent_requests WHERE state = $1 AND account_id = $2 FOR UPDATE`, state, accountID))
		if err != nil {
			return notFound(err)
		}
		if granted && endsAt != nil && r.Status != wattt.RequestDenied && r.EndsAt == nil {
			if _, err := tx.Exec(ctx, `UPDATE consent_requests SET ends_at = $1 WHERE state = $2`, *endsAt, state); err != nil {
				return err
			}
			r.EndsAt = endsAt
		}
		if r.Status != wattt.RequestPending {
			return nil
		}
		if _, err := tx.Exec(ctx, `UPDATE consent_requests SET status = $1, returned_at = $2 WHERE state = $3`, status, at, state); err != nil {
			return err
		}
		r.Status, r.ReturnedAt = status, &at
		return nil
	})
	if err != nil {
		return wattt.ConsentRequest{}, wrap("return consent request", err)
	}
	return r, nil
}

// AcceptKeys turns an open consent request into a live connection.
func (s *Store) AcceptKeys(ctx context.Context, accountID int64, state, device, root, sideKey string, at time.Time) (wattt.Connection, error) {
	var c wattt.Connection
	err := s.tx(ctx, func(tx pgx.Tx) error {
		var status wattt.RequestStatus
		err := tx.QueryRow(ctx, `SELECT status FROM consent_requests WHERE state = $1 AND account_id = $2 FOR UPDATE`, state, accountID).Scan(&status)
		if errors.Is(err, pgx.ErrNoRows) || (err == nil && status != wattt.RequestPending && status != wattt.RequestGranted) {
			return wattt.ErrNoPendingRequest
		}
		if err != nil {
			return err
		}
		c, err = scanConnection(tx.QueryRow(ctx, `INSERT INTO connections (account_id, device, root, side_key, status, created_at, updated_at)
			VALUES ($1, $2, $3, $4, 'live', $5, $5)
			ON CONFLICT (account_id, device) DO UPDATE SET root = excluded.root, side_key = excluded.side_key,
				status = 'live', revoked_at = NULL, updated_at = excluded.updated_at
			RETURNING `+connectionColumns, accountID, device, root, sideKey, at))
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE consent_requests SET status = 'connected', connected_at = $1, connection_id = $2 WHERE state = $3`, at, c.ID, state)
		return err
	})
	if errors.Is(err, wattt.ErrNoPendingRequest) {
		return wattt.Connection{}, err
	}
	if err != nil {
		return wattt.Connection{}, wrap("accept keys", err)
	}
	return c, nil
}

// ConfirmKeys records that an open request was answered with the keys of a
// live connection the account already follows (a renewal).
func (s *Store) ConfirmKeys(ctx context.Context, accountID int64, state string, connectionID int64, at time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE consent_requests SET status = 'connected', connected_at = $1, connection_id = $2
		WHERE state = $3 AND account_id = $4 AND status IN ('pending', 'granted')
		AND EXISTS (SELECT 1 FROM connections WHERE id = $2 AND account_id = $4)`, at, connectionID, state, accountID)
	if err != nil {
		return wrap("confirm keys", err)
	}
	if tag.RowsAffected() != 1 {
		return wattt.ErrNoPendingRequest
	}
	return nil
}

// ConnectionConsent returns the newest consent request that connected the
// connection.
func (s *Store) ConnectionConsent(ctx context.Context, connectionID int64) (wattt.ConsentRequest, error) {
	r, err := scanRequest(s.pool.QueryRow(ctx, `SELECT `+requestColumns+` FROM consent_requests
		WHERE connection_id = $1 AND status = 'connected' ORDER BY connected_at DESC LIMIT 1`, connectionID))
	if err != nil {
		return wattt.ConsentRequest{}, wrap("connection consent", notFound(err))
	}
	return r, nil
}
