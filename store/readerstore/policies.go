package readerstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Policy states.
const (
	PolicyActive   = "active"
	PolicyRevoked  = "revoked"
	PolicyExpired  = "expired"
	PolicyDeleted  = "deleted"  // the device was unpaired
	PolicyReplaced = "replaced" // a renewal of the same provider took its place
)

// Policy is one consent: a provider that may read the reader's channel.
type Policy struct {
	ID              string
	ProviderAddress string
	ProviderKey     string // NTRU public key, trytes
	Goal            string
	State           string
	ExpiresAt       *time.Time
	GrantedAt       time.Time
}

// ErrNoPolicy is returned by Policy for an unknown id.
var ErrNoPolicy = errors.New("readerstore: no such policy")

// AddPolicy stores a new policy.
func (t *Tx) AddPolicy(p Policy) error {
	var exp any
	if p.ExpiresAt != nil {
		exp = ms(*p.ExpiresAt)
	}
	_, err := t.tx.ExecContext(t.ctx, `INSERT INTO policies (policy_id, provider_address, provider_key, goal, state, expires_at, granted_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, p.ID, p.ProviderAddress, p.ProviderKey, p.Goal, p.State, exp, ms(p.GrantedAt))
	if err != nil {
		return fmt.Errorf("readerstore: add policy %s: %w", p.ID, err)
	}
	return nil
}

// Policy returns the policy with the id, or ErrNoPolicy.
func (t *Tx) Policy(id string) (Policy, error) {
	rows, err := t.tx.QueryContext(t.ctx, `SELECT `+policyColumns+` FROM policies WHERE policy_id = ?`, id)
	if err != nil {
		return Policy{}, fmt.Errorf("readerstore: policy %s: %w", id, err)
	}
	ps, err := scanPolicies(rows)
	if err != nil {
		return Policy{}, err
	}
	if len(ps) == 0 {
		return Policy{}, ErrNoPolicy
	}
	return ps[0], nil
}

// EndPolicy moves an active policy to state (revoked, expired).
func (t *Tx) EndPolicy(id, state string, at time.Time) error {
	if _, err := t.tx.ExecContext(t.ctx, `UPDATE policies SET state = ?, ended_at = ? WHERE policy_id = ? AND state = ?`,
		state, ms(at), id, PolicyActive); err != nil {
		return fmt.Errorf("readerstore: end policy %s: %w", id, err)
	}
	return nil
}

// EndAllPolicies moves every active policy to state.
func (t *Tx) EndAllPolicies(state string, at time.Time) error {
	if _, err := t.tx.ExecContext(t.ctx, `UPDATE policies SET state = ?, ended_at = ? WHERE state = ?`, state, ms(at), PolicyActive); err != nil {
		return fmt.Errorf("readerstore: end all policies: %w", err)
	}
	return nil
}

// ActivePolicies returns the active policies, oldest first.
func (t *Tx) ActivePolicies() ([]Policy, error) {
	rows, err := t.tx.QueryContext(t.ctx, `SELECT `+policyColumns+` FROM policies WHERE state = ? ORDER BY granted_at, policy_id`, PolicyActive)
	if err != nil {
		return nil, fmt.Errorf("readerstore: active policies: %w", err)
	}
	return scanPolicies(rows)
}

// ActivePolicies is Tx.ActivePolicies outside a transaction.
func (s *Store) ActivePolicies(ctx context.Context) ([]Policy, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+policyColumns+` FROM policies WHERE state = ? ORDER BY granted_at, policy_id`, PolicyActive)
	if err != nil {
		return nil, fmt.Errorf("readerstore: active policies: %w", err)
	}
	return scanPolicies(rows)
}

const policyColumns = `policy_id, provider_address, provider_key, goal, state, expires_at, granted_at`

func scanPolicies(rows *sql.Rows) ([]Policy, error) {
	defer rows.Close()
	var out []Policy
	for rows.Next() {
		var p Policy
		var exp sql.NullInt64
		var granted int64
		if err := rows.Scan(&p.ID, &p.ProviderAddress, &p.ProviderKey, &p.Goal, &p.State, &exp, &granted); err != nil {
			return nil, fmt.Errorf("readerstore: scan policy: %w", err)
		}
		if exp.Valid {
			t := fromMS(exp.Int64)
			p.ExpiresAt = &t
		}
		p.GrantedAt = fromMS(granted)
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("readerstore: scan policies: %w", err)
	}
	return out, nil
}
