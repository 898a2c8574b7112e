package myhomestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"iotahome/store/sqlitedb"
)

// Pairing steps, in order.
const (
	StepQueued       = "queued"        // CLAIM_DEVICE not yet sent
	StepClaimSent    = "claim_sent"    // waiting for CHALLENGE
	StepAnswerQueued = "answer_queued" // challenge verified, ANSWER_CHALLENGE not yet sent
	StepAnswerSent   = "answer_sent"   // waiting for CLAIM_RESULT
	StepPaired       = "paired"
	StepFailed       = "failed"
)

// Pairing is one attempt to pair a device.
type Pairing struct {
	ID              string // claimId
	AccountID       string
	DeviceAddress   string
	DeviceName      string
	SealedCode      []byte
	Step            string
	Reason          string
	DevicePublicKey string
	Nonce           string
	BadChallenges   int
	FirstBadAt      *time.Time
	ClaimBundle     string
	AnswerBundle    string
	Attempts        int
	NextAttemptAt   time.Time
	LastError       string
	CreatedAt       time.Time
	UpdatedAt       time.Time
	Deadline        time.Time
}

// Done reports whether the pairing has finished (either way).
func (p Pairing) Done() bool { return p.Step == StepPaired || p.Step == StepFailed }

const pairingCols = `id, account_id, device_address, device_name, sealed_code, step, reason, device_public_key, nonce,
	bad_challenges, first_bad_at, claim_bundle, answer_bundle, attempts, next_attempt_at, last_error,
	created_at, updated_at, deadline_at`

func scanPairing(row interface{ Scan(...any) error }) (Pairing, error) {
	var p Pairing
	var firstBad sql.NullInt64
	var next, created, updated, deadline int64
	err := row.Scan(&p.ID, &p.AccountID, &p.DeviceAddress, &p.DeviceName, &p.SealedCode, &p.Step, &p.Reason,
		&p.DevicePublicKey, &p.Nonce, &p.BadChallenges, &firstBad, &p.ClaimBundle, &p.AnswerBundle, &p.Attempts,
		&next, &p.LastError, &created, &updated, &deadline)
	if errors.Is(err, sql.ErrNoRows) {
		return p, ErrNotFound
	}
	if err != nil {
		return p, fmt.Errorf("scan pairing: %w", err)
	}
	p.FirstBadAt = optTime(firstBad)
	p.NextAttemptAt, p.CreatedAt, p.UpdatedAt, p.Deadline = fromMS(next), fromMS(created), fromMS(updated), fromMS(deadline)
	return p, nil
}

func (s *Store) pairings(ctx context.Context, where string, args ...any) ([]Pairing, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+pairingCols+` FROM pairings WHERE `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("list pairings: %w", err)
	}
	return sqlitedb.All(rows, scanPairing)
}

// CreatePairing inserts a new pairing.
func (s *Store) CreatePairing(ctx context.Context, p Pairing) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO pairings (`+pairingCols+`) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		p.ID, p.AccountID, p.DeviceAddress, p.DeviceName, p.SealedCode, p.Step, p.Reason, p.DevicePublicKey, p.Nonce,
		p.BadChallenges, optMS(p.FirstBadAt), p.ClaimBundle, p.AnswerBundle, p.Attempts, ms(p.NextAttemptAt), p.LastError,
		ms(p.CreatedAt), ms(p.UpdatedAt), ms(p.Deadline))
	if err != nil {
		return fmt.Errorf("create pairing: %w", err)
	}
	return nil
}

// UpdatePairing writes the mutable fields of p, provided the stored step
// is still fromStep (so two workers never both advance it); ErrConflict otherwise.
func (s *Store) UpdatePairing(ctx context.Context, p Pairing, fromStep string) error {
	res, err := s.db.ExecContext(ctx, `UPDATE pairings SET step = ?, reason = ?, device_public_key = ?, nonce = ?,
		bad_challenges = ?, first_bad_at = ?, claim_bundle = ?, answer_bundle = ?, attempts = ?, next_attempt_at = ?,
		last_error = ?, updated_at = ? WHERE id = ? AND step = ?`,
		p.Step, p.Reason, p.DevicePublicKey, p.Nonce, p.BadChallenges, optMS(p.FirstBadAt), p.ClaimBundle, p.AnswerBundle,
		p.Attempts, ms(p.NextAttemptAt), p.LastError, ms(p.UpdatedAt), p.ID, fromStep)
	if err != nil {
		return fmt.Errorf("update pairing: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return ErrConflict
	}
	return nil
}

// Pairing returns one of the account's pairings.
func (s *Store) Pairing(ctx context.Context, accountID, id string) (Pairing, error) {
	return scanPairing(s.db.QueryRowContext(ctx, `SELECT `+pairingCols+` FROM pairings WHERE account_id = ? AND id = ?`, accountID, id))
}

// Pairings lists the account's newest pairings.
func (s *Store) Pairings(ctx context.Context, accountID string, limit int) ([]Pairing, error) {
	return s.pairings(ctx, `account_id = ? ORDER BY created_at DESC LIMIT ?`, accountID, limit)
}

// ActivePairings lists unfinished pairings of every account (the driver's work).
func (s *Store) ActivePairings(ctx context.Context) ([]Pairing, error) {
	return s.pairings(ctx, `step NOT IN ('paired', 'failed') ORDER BY account_id, created_at`)
}
