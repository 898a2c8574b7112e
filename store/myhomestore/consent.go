package myhomestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ConsentRequest is a provider's request as the owner saw it.
type ConsentRequest struct {
	ID                string
	AccountID         string // "" until decided
	ProviderAddress   string
	ProviderPublicKey string
	Goal              string
	ReturnURL         string
	Origin            string
	State             string
	Scope             []string
	Duration          time.Duration // 0 = until revoked
	CreatedAt         time.Time
	DecidedAt         *time.Time
	Result            string // "", "granted", "denied"
	PolicyID          string
}

const consentCols = `id, COALESCE(account_id, ''), provider_address, provider_public_key, goal, return_url, origin, state, scope,
	duration_ms, created_at, decided_at, result, policy_id`

// CreateConsentRequest stores a validated request.
func (s *Store) CreateConsentRequest(ctx context.Context, r ConsentRequest) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO consent_requests (id, provider_address, provider_public_key, goal, return_url,
		origin, state, scope, duration_ms, created_at) VALUES (?,?,?,?,?,?,?,?,?,?)`,
		r.ID, r.ProviderAddress, r.ProviderPublicKey, r.Goal, r.ReturnURL, r.Origin, r.State, strings.Join(r.Scope, ","),
		r.Duration.Milliseconds(), ms(r.CreatedAt))
	if err != nil {
		return fmt.Errorf("create consent request: %w", err)
	}
	return nil
}

// CountOpenConsentRequests counts the undecided requests made since since.
func (s *Store) CountOpenConsentRequests(ctx context.Context, since time.Time) (int, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM consent_requests WHERE created_at >= ? AND decided_at IS NULL`, ms(since)).Scan(&n); err != nil {
		return 0, fmt.Errorf("count open consent requests: %w", err)
	}
	return n, nil
}

// ConsentRequest returns a request by id.
func (s *Store) ConsentRequest(ctx context.Context, id string) (ConsentRequest, error) {
	var r ConsentRequest
	var scope string
	var dur, created int64
	var decided sql.NullInt64
	err := s.db.QueryRowContext(ctx, `SELECT `+consentCols+` FROM consent_requests WHERE id = ?`, id).Scan(
		&r.ID, &r.AccountID, &r.ProviderAddress, &r.ProviderPublicKey, &r.Goal, &r.ReturnURL, &r.Origin, &r.State, &scope,
		&dur, &created, &decided, &r.Result, &r.PolicyID)
	if errors.Is(err, sql.ErrNoRows) {
		return r, ErrNotFound
	}
	if err != nil {
		return r, fmt.Errorf("read consent request: %w", err)
	}
	if scope != "" {
		r.Scope = strings.Split(scope, ",")
	}
	r.Duration = time.Duration(dur) * time.Millisecond
	r.CreatedAt = fromMS(created)
	r.DecidedAt = optTime(decided)
	return r, nil
}

// DecideConsentRequest records the owner's decision once; ErrConflict if
// the request was decided before.
func (s *Store) DecideConsentRequest(ctx context.Context, id, accountID, result, policyID string, at time.Time) error {
	res, err := s.db.ExecContext(ctx, `UPDATE consent_requests SET account_id = ?, result = ?, policy_id = ?, decided_at = ?
		WHERE id = ? AND decided_at IS NULL`, accountID, result, policyID, ms(at), id)
	if err != nil {
		return fmt.Errorf("decide consent request: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return ErrConflict
	}
	return nil
}
