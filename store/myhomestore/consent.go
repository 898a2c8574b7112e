package myhomestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"iotahome/protocol"
)

// ConsentRequest is a provider's verified request as the owner saw it.
type ConsentRequest struct {
	ID                string
	AccountID         string // "" until decided
	ProviderAddress   string
	ProviderPublicKey string
	Goal              string
	ReturnURL         string
	Origin            string // the provider's origin (ASCII), proved by its signature
	State             string
	Scope             []string
	Resolution        protocol.Resolution
	Duration          time.Duration // as asked; 0 = not given (one year)
	// From the provider's metadata document the signature was checked with.
	ProviderName          string
	ProviderDescription   string
	ProviderPrivacyPolicy string
	IssuedAt              time.Time // the request's signed issue time
	CreatedAt             time.Time
	DecidedAt             *time.Time
	Result                string // "", "granted", "denied"
	PolicyID              string
}

const consentCols = `id, COALESCE(account_id, ''), provider_address, provider_public_key, goal, return_url, origin, state, scope,
	resolution, duration_ms, provider_name, provider_description, provider_privacy_policy, issued_at,
	created_at, decided_at, result, policy_id`

// CreateConsentRequest stores a validated request.
func (s *Store) CreateConsentRequest(ctx context.Context, r ConsentRequest) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO consent_requests (id, provider_address, provider_public_key, goal, return_url,
		origin, state, scope, resolution, duration_ms, provider_name, provider_description, provider_privacy_policy, issued_at,
		created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		r.ID, r.ProviderAddress, r.ProviderPublicKey, r.Goal, r.ReturnURL, r.Origin, r.State, strings.Join(r.Scope, ","),
		string(r.Resolution), r.Duration.Milliseconds(), r.ProviderName, r.ProviderDescription, r.ProviderPrivacyPolicy,
		ms(r.IssuedAt), ms(r.CreatedAt))
	if err != nil {
		return fmt.Errorf("create consent request: %w", err)
	}
	return nil
}

func scanConsentRequest(row interface{ Scan(...any) error }) (ConsentRequest, error) {
	var r ConsentRequest
	var scope, res string
	var dur, issued, created int64
	var decided sql.NullInt64
	err := row.Scan(&r.ID, &r.AccountID, &r.ProviderAddress, &r.ProviderPublicKey, &r.Goal, &r.ReturnURL, &r.Origin, &r.State,
		&scope, &res, &dur, &r.ProviderName, &r.ProviderDescription, &r.ProviderPrivacyPolicy, &issued,
		&created, &decided, &r.Result, &r.PolicyID)
	if errors.Is(err, sql.ErrNoRows) {
		return r, ErrNotFound
	}
	if err != nil {
		return r, fmt.Errorf("read consent request: %w", err)
	}
	if scope != "" {
		r.Scope = strings.Split(scope, ",")
	}
	r.Resolution = protocol.Resolution(res)
	r.Duration = time.Duration(dur) * time.Millisecond
	r.IssuedAt = fromMS(issued)
	r.CreatedAt = fromMS(created)
	r.DecidedAt = optTime(decided)
	return r, nil
}

// ConsentRequest returns a request by id.
func (s *Store) ConsentRequest(ctx context.Context, id string) (ConsentRequest, error) {
	return scanConsentRequest(s.db.QueryRowContext(ctx, `SELECT `+consentCols+` FROM consent_requests WHERE id = ?`, id))
}

// ConsentRequestByState returns the first request a provider origin made
// with state, if any (ErrNotFound otherwise).
func (s *Store) ConsentRequestByState(ctx context.Context, origin, state string) (ConsentRequest, error) {
	return scanConsentRequest(s.db.QueryRowContext(ctx, `SELECT `+consentCols+` FROM consent_requests
		WHERE origin = ? AND state = ? ORDER BY created_at LIMIT 1`, origin, state))
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

// CountConsentRequests is the number of stored requests (tests and status).
func (s *Store) CountConsentRequests(ctx context.Context) (int, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM consent_requests`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count consent requests: %w", err)
	}
	return n, nil
}
