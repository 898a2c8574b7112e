package myhomestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"iotahome/protocol"
	"iotahome/store/sqlitedb"
)

// Device is a paired (or formerly paired) reader.
type Device struct {
	Address   string
	Name      string
	PublicKey string
	AddedAt   time.Time
	DeletedAt *time.Time
}

// Active reports whether the device is paired now.
func (d Device) Active() bool { return d.DeletedAt == nil }

const deviceCols = `address, name, public_key, added_at, deleted_at`

func scanDevice(row interface{ Scan(...any) error }) (Device, error) {
	var d Device
	var added int64
	var deleted sql.NullInt64
	err := row.Scan(&d.Address, &d.Name, &d.PublicKey, &added, &deleted)
	if errors.Is(err, sql.ErrNoRows) {
		return d, ErrNotFound
	}
	if err != nil {
		return d, fmt.Errorf("scan device: %w", err)
	}
	d.AddedAt = fromMS(added)
	d.DeletedAt = optTime(deleted)
	return d, nil
}

// Devices lists the account's devices, paired ones first, newest first.
func (s *Store) Devices(ctx context.Context, accountID string) ([]Device, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+deviceCols+` FROM devices WHERE account_id = ?
		ORDER BY deleted_at IS NOT NULL, added_at DESC`, accountID)
	if err != nil {
		return nil, fmt.Errorf("list devices: %w", err)
	}
	return sqlitedb.All(rows, scanDevice)
}

// Device returns one of the account's devices.
func (s *Store) Device(ctx context.Context, accountID, address string) (Device, error) {
	return scanDevice(s.db.QueryRowContext(ctx, `SELECT `+deviceCols+` FROM devices WHERE account_id = ? AND address = ?`, accountID, address))
}

// Policy is a consent the owner granted (and maybe revoked or replaced).
type Policy struct {
	ID                    string
	Device                string
	ProviderAddress       string
	ProviderPublicKey     string
	ProviderOrigin        string
	ProviderName          string // verified at grant time; "" in events from before documents
	ProviderPrivacyPolicy string
	Goal                  string
	State                 string
	Scope                 []string // empty: all kinds
	Resolution            protocol.Resolution
	ExpiresAt             *time.Time
	GrantedAt             time.Time
	GrantedSeq            int64
	Replaces              string     // the policy this one replaced (a renewal)
	ReplacedBy            string     // the policy that replaced this one
	RevokedAt             *time.Time // also set when replaced
	RevokeReason          string
	// Pending is true while the AUTHORIZED or AUTHORIZATION_REVOKED event
	// that last changed the policy is not yet on the Tangle.
	Pending bool
}

// Revoke reasons.
const (
	ReasonRevoked  = "revoked by owner"
	ReasonUnpaired = "device unpaired"
	ReasonReplaced = "replaced"
)

// Status is "active", "replaced", "revoked" or "expired" at now.
func (p Policy) Status(now time.Time) string {
	switch {
	case p.ReplacedBy != "":
		return "replaced"
	case p.RevokedAt != nil:
		return "revoked"
	case p.ExpiresAt != nil && !now.Before(*p.ExpiresAt):
		return "expired"
	default:
		return "active"
	}
}

// policySelect joins the events that last changed each policy to tell
// whether that change is still queued, in one query (no N+1).
const policySelect = `SELECT p.policy_id, p.device, p.provider_address, p.provider_public_key, p.provider_origin,
	p.provider_name, p.provider_privacy_policy, p.goal, p.state, p.scope, p.resolution, p.expires_at, p.granted_at, p.granted_seq,
	p.replaces, p.replaced_by, p.revoked_at, p.revoke_reason,
	EXISTS (SELECT 1 FROM events e WHERE e.account_id = p.account_id AND e.bundle = ''
		AND e.seq IN (p.granted_seq, COALESCE(p.revoked_seq, -1)))
	FROM policies p`

func scanPolicy(row interface{ Scan(...any) error }) (Policy, error) {
	var p Policy
	var scope, res string
	var exp, revoked sql.NullInt64
	var granted int64
	err := row.Scan(&p.ID, &p.Device, &p.ProviderAddress, &p.ProviderPublicKey, &p.ProviderOrigin,
		&p.ProviderName, &p.ProviderPrivacyPolicy, &p.Goal, &p.State, &scope, &res, &exp, &granted, &p.GrantedSeq,
		&p.Replaces, &p.ReplacedBy, &revoked, &p.RevokeReason, &p.Pending)
	if errors.Is(err, sql.ErrNoRows) {
		return p, ErrNotFound
	}
	if err != nil {
		return p, fmt.Errorf("scan policy: %w", err)
	}
	if scope != "" {
		p.Scope = strings.Split(scope, ",")
	}
	p.Resolution = protocol.Resolution(res)
	p.ExpiresAt = optTime(exp)
	p.GrantedAt = fromMS(granted)
	p.RevokedAt = optTime(revoked)
	return p, nil
}

// Policies lists the account's policies, newest first.
func (s *Store) Policies(ctx context.Context, accountID string) ([]Policy, error) {
	rows, err := s.db.QueryContext(ctx, policySelect+` WHERE p.account_id = ? ORDER BY p.granted_at DESC, p.granted_seq DESC`, accountID)
	if err != nil {
		return nil, fmt.Errorf("list policies: %w", err)
	}
	return sqlitedb.All(rows, scanPolicy)
}

// Policy returns one of the account's policies.
func (s *Store) Policy(ctx context.Context, accountID, policyID string) (Policy, error) {
	return scanPolicy(s.db.QueryRowContext(ctx, policySelect+` WHERE p.account_id = ? AND p.policy_id = ?`, accountID, policyID))
}
