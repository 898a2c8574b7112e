package myhomestore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"iotahome/protocol"
	"iotahome/store/sqlitedb"
)

// Event is one event of a home's stream as stored.
type Event struct {
	AccountID string
	Seq       int64
	Event     protocol.Event
	Root      string
	Bundle    string // "" while pending
	Attempts  int
	NextTry   time.Time
	LastError string
	// SealedPrepared is the prepared MAM message (sealed); only set on
	// pending events returned by PendingEvents.
	SealedPrepared []byte
}

// Pending reports whether the event still waits to be attached.
func (e Event) Pending() bool { return e.Bundle == "" }

// AppendEvent adds ev as event number seq of the account's stream, stores
// the channel state to prepare the following event from, and applies ev to
// the devices and policies, all in one transaction: the persist step of
// persist-before-publish. seq must equal the account's next_seq, otherwise
// ErrConflict (another writer prepared from the same state). sealedPrepared
// is the prepared message to attach; pass nil with a bundle for an event
// read back from the Tangle during a restore.
func (s *Store) AppendEvent(ctx context.Context, accountID string, seq int64, ev protocol.Event, root string,
	sealedPrepared []byte, bundle string, sealedNextChannel []byte) error {
	body, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("encode event: %w", err)
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE accounts SET next_seq = ?, sealed_channel = ? WHERE id = ? AND next_seq = ?`,
			seq+1, sealedNextChannel, accountID, seq)
		if err != nil {
			return fmt.Errorf("advance channel: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrConflict
		}
		res, err = tx.ExecContext(ctx, `INSERT INTO events (account_id, seq, event_id, type, device, at, body, root, sealed_prepared, bundle)
			VALUES (?,?,?,?,?,?,?,?,?,?) ON CONFLICT (account_id, event_id) DO NOTHING`,
			accountID, seq, ev.ID, string(ev.Type), ev.Device, ms(ev.Time), string(body), root, sealedPrepared, bundle)
		if err != nil {
			return fmt.Errorf("insert event: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // a replayed duplicate: already applied
		}
		return apply(ctx, tx, accountID, seq, ev)
	})
}

// apply updates the devices and policies for one event. Events that make no
// sense in the current state (revoking an unknown policy) change nothing.
func apply(ctx context.Context, tx *sql.Tx, acct string, seq int64, ev protocol.Event) error {
	at := ms(ev.Time)
	var err error
	switch ev.Type {
	case protocol.DeviceAdded:
		if ev.DeviceAdded == nil {
			return nil
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO devices (account_id, address, name, public_key, added_at, added_seq)
			VALUES (?,?,?,?,?,?)
			ON CONFLICT (account_id, address) DO UPDATE SET name = excluded.name, public_key = excluded.public_key,
				added_at = excluded.added_at, added_seq = excluded.added_seq, deleted_at = NULL, deleted_seq = NULL`,
			acct, ev.Device, ev.DeviceAdded.Name, ev.DeviceAdded.PublicKey, at, seq)
	case protocol.DeviceDeleted:
		_, err = tx.ExecContext(ctx, `UPDATE devices SET deleted_at = ?, deleted_seq = ? WHERE account_id = ? AND address = ? AND deleted_at IS NULL`,
			at, seq, acct, ev.Device)
		if err == nil {
			_, err = tx.ExecContext(ctx, `UPDATE policies SET revoked_at = ?, revoked_seq = ?, revoke_reason = ?
				WHERE account_id = ? AND device = ? AND revoked_at IS NULL`, at, seq, ReasonUnpaired, acct, ev.Device)
		}
	case protocol.Authorized:
		a := ev.Authorized
		if a == nil {
			return nil
		}
		var exp any
		if a.ExpiresAt != nil {
			exp = ms(*a.ExpiresAt)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO policies (account_id, policy_id, device, provider_address, provider_public_key,
				provider_origin, provider_name, provider_privacy_policy, goal, state, scope, resolution, expires_at, granted_at,
				granted_seq, replaces)
			VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (account_id, policy_id) DO NOTHING`,
			acct, a.PolicyID, ev.Device, a.Provider.Address, a.Provider.PublicKey, a.Provider.Origin, a.Provider.Name,
			a.Provider.PrivacyPolicy, a.Goal, a.State, strings.Join(a.Scope, ","), string(a.Resolution.OrRaw()), exp, at, seq,
			a.Replaces)
		if err == nil && a.Replaces != "" {
			// The replaced policy ends as this one starts; only a policy of
			// the same provider account on the same device can be replaced.
			_, err = tx.ExecContext(ctx, `UPDATE policies SET revoked_at = ?, revoked_seq = ?, revoke_reason = ?, replaced_by = ?
				WHERE account_id = ? AND policy_id = ? AND device = ? AND provider_address = ? AND revoked_at IS NULL`,
				at, seq, ReasonReplaced, a.PolicyID, acct, a.Replaces, ev.Device, a.Provider.Address)
		}
	case protocol.AuthorizationRevoked:
		if ev.Revoked == nil {
			return nil
		}
		_, err = tx.ExecContext(ctx, `UPDATE policies SET revoked_at = ?, revoked_seq = ?, revoke_reason = ?
			WHERE account_id = ? AND policy_id = ? AND revoked_at IS NULL`, at, seq, ReasonRevoked, acct, ev.Revoked.PolicyID)
	}
	if err != nil {
		return fmt.Errorf("apply %s: %w", ev.Type, err)
	}
	return nil
}

const eventCols = `account_id, seq, body, root, bundle, attempts, next_attempt_at, last_error`

func scanEvent(row interface{ Scan(...any) error }, extra ...any) (Event, error) {
	var e Event
	var body string
	var next int64
	dest := append([]any{&e.AccountID, &e.Seq, &body, &e.Root, &e.Bundle, &e.Attempts, &next, &e.LastError}, extra...)
	if err := row.Scan(dest...); err != nil {
		return e, fmt.Errorf("scan event: %w", err)
	}
	if err := json.Unmarshal([]byte(body), &e.Event); err != nil {
		return e, fmt.Errorf("decode stored event %d: %w", e.Seq, err)
	}
	e.NextTry = fromMS(next)
	return e, nil
}

// Events returns the account's newest events first (the audit trail).
func (s *Store) Events(ctx context.Context, accountID string, limit int) ([]Event, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+eventCols+` FROM events WHERE account_id = ? ORDER BY seq DESC LIMIT ?`, accountID, limit)
	if err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	return sqlitedb.All(rows, func(r sqlitedb.Scanner) (Event, error) { return scanEvent(r) })
}

// PendingEvents returns, for every account with unattached events, its
// oldest one if it is due (events of one home are attached in order).
func (s *Store) PendingEvents(ctx context.Context, now time.Time, limit int) ([]Event, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+eventCols+`, sealed_prepared FROM events e
		WHERE bundle = '' AND seq = (SELECT MIN(seq) FROM events p WHERE p.account_id = e.account_id AND p.bundle = '')
		AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?`, ms(now), limit)
	if err != nil {
		return nil, fmt.Errorf("list pending events: %w", err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var sealed []byte
		e, err := scanEvent(rows, &sealed)
		if err != nil {
			return nil, err
		}
		e.SealedPrepared = sealed
		out = append(out, e)
	}
	return out, rows.Err()
}

// CountPending is the number of the account's events not yet on the Tangle.
func (s *Store) CountPending(ctx context.Context, accountID string) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM events WHERE account_id = ? AND bundle = ''`, accountID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count pending events: %w", err)
	}
	return n, nil
}

// PendingState summarises an account's write queue for the pages.
type PendingState struct {
	Count  int
	Oldest time.Time // when the oldest waiting event was queued (zero if none)
	Failed bool      // an attach attempt of a waiting event failed
}

// PendingState is the account's write queue in one query.
func (s *Store) PendingState(ctx context.Context, accountID string) (PendingState, error) {
	var p PendingState
	var oldest, failed int64
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(MIN(at), 0), COALESCE(MAX(last_error != ''), 0)
		FROM events WHERE account_id = ? AND bundle = ''`, accountID).Scan(&p.Count, &oldest, &failed)
	if err != nil {
		return p, fmt.Errorf("pending state: %w", err)
	}
	if p.Count > 0 {
		p.Oldest = fromMS(oldest)
	}
	p.Failed = failed != 0
	return p, nil
}

// MarkAttached records the bundle of an attached event and drops its
// prepared message (it holds the next channel state).
func (s *Store) MarkAttached(ctx context.Context, accountID string, seq int64, bundle string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE events SET bundle = ?, sealed_prepared = NULL, last_error = '' WHERE account_id = ? AND seq = ?`,
		bundle, accountID, seq)
	if err != nil {
		return fmt.Errorf("mark event attached: %w", err)
	}
	return nil
}

// MarkAttemptFailed records a failed attach and when to try again.
func (s *Store) MarkAttemptFailed(ctx context.Context, accountID string, seq int64, errText string, next time.Time) error {
	_, err := s.db.ExecContext(ctx, `UPDATE events SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE account_id = ? AND seq = ?`,
		errText, ms(next), accountID, seq)
	if err != nil {
		return fmt.Errorf("mark attach failed: %w", err)
	}
	return nil
}
