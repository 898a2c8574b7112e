package readerstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Pairing is the reader's relation to one My Home.
type Pairing struct {
	Paired        bool
	Code          string // pairing code; shown while unpaired
	HomeAddress   string
	HomePublicKey string
	HomeNextRoot  string // next event to read on My Home's private channel
	ClaimID       string // the claim that paired the reader
	Armed         bool   // DEVICE_ADDED for this pairing seen: events now count
	PairedAt      time.Time
	DirectCursor  string // tangle/direct cursor on the device address
}

const pairingColumns = `paired, code, home_address, home_public_key, home_next_root, claim_id, armed, paired_at, direct_cursor`

func scanPairing(row *sql.Row) (Pairing, error) {
	var p Pairing
	var at int64
	if err := row.Scan(&p.Paired, &p.Code, &p.HomeAddress, &p.HomePublicKey, &p.HomeNextRoot, &p.ClaimID, &p.Armed, &at, &p.DirectCursor); err != nil {
		return Pairing{}, fmt.Errorf("readerstore: pairing: %w", err)
	}
	p.PairedAt = fromMS(at)
	return p, nil
}

// Pairing returns the pairing state.
func (s *Store) Pairing(ctx context.Context) (Pairing, error) {
	return scanPairing(s.db.QueryRowContext(ctx, `SELECT `+pairingColumns+` FROM pairing WHERE id = 1`))
}

// Pairing returns the pairing state inside the transaction.
func (t *Tx) Pairing() (Pairing, error) {
	return scanPairing(t.tx.QueryRowContext(t.ctx, `SELECT `+pairingColumns+` FROM pairing WHERE id = 1`))
}

// SetPairing replaces the pairing state (the direct cursor is kept; see
// SetDirectCursor).
func (t *Tx) SetPairing(p Pairing) error {
	_, err := t.tx.ExecContext(t.ctx, `UPDATE pairing SET paired = ?, code = ?, home_address = ?, home_public_key = ?,
		home_next_root = ?, claim_id = ?, armed = ?, paired_at = ? WHERE id = 1`,
		p.Paired, p.Code, p.HomeAddress, p.HomePublicKey, p.HomeNextRoot, p.ClaimID, p.Armed, ms(p.PairedAt))
	if err != nil {
		return fmt.Errorf("readerstore: set pairing: %w", err)
	}
	return nil
}

// SetHomeNextRoot advances the cursor on My Home's private channel.
func (t *Tx) SetHomeNextRoot(root string) error {
	if _, err := t.tx.ExecContext(t.ctx, `UPDATE pairing SET home_next_root = ? WHERE id = 1`, root); err != nil {
		return fmt.Errorf("readerstore: set home cursor: %w", err)
	}
	return nil
}

// SetDirectCursor stores the cursor of direct messages to the device address.
func (s *Store) SetDirectCursor(ctx context.Context, cursor string) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE pairing SET direct_cursor = ? WHERE id = 1`, cursor); err != nil {
		return fmt.Errorf("readerstore: set direct cursor: %w", err)
	}
	return nil
}

// Claim is a pairing claim the reader has answered with a CHALLENGE.
type Claim struct {
	ID            string
	HomeAddress   string
	HomePublicKey string
	Nonce         string
	Code          string
	CreatedAt     time.Time
}

// ErrNoClaim is returned by Claim for an unknown or finished claim.
var ErrNoClaim = errors.New("readerstore: no such pending claim")

// AddClaim records a claim the reader answered.
func (t *Tx) AddClaim(c Claim) error {
	_, err := t.tx.ExecContext(t.ctx, `INSERT INTO pending_claims (claim_id, home_address, home_public_key, nonce, code, created_at)
		VALUES (?, ?, ?, ?, ?, ?)`, c.ID, c.HomeAddress, c.HomePublicKey, c.Nonce, c.Code, ms(c.CreatedAt))
	if err != nil {
		return fmt.Errorf("readerstore: add claim: %w", err)
	}
	return nil
}

// Claim returns the pending claim with the id, or ErrNoClaim.
func (t *Tx) Claim(id string) (Claim, error) {
	var c Claim
	var at int64
	err := t.tx.QueryRowContext(t.ctx, `SELECT claim_id, home_address, home_public_key, nonce, code, created_at
		FROM pending_claims WHERE claim_id = ?`, id).Scan(&c.ID, &c.HomeAddress, &c.HomePublicKey, &c.Nonce, &c.Code, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return Claim{}, ErrNoClaim
	}
	if err != nil {
		return Claim{}, fmt.Errorf("readerstore: claim: %w", err)
	}
	c.CreatedAt = fromMS(at)
	return c, nil
}

// DeleteClaims forgets every pending claim created before the given time:
// expired ones, or all of them once the reader is paired.
func (t *Tx) DeleteClaims(before time.Time) error {
	if _, err := t.tx.ExecContext(t.ctx, `DELETE FROM pending_claims WHERE created_at < ?`, ms(before)); err != nil {
		return fmt.Errorf("readerstore: delete claims: %w", err)
	}
	return nil
}

// DeleteClaim forgets one claim, so that a replayed answer finds nothing.
func (t *Tx) DeleteClaim(id string) error {
	if _, err := t.tx.ExecContext(t.ctx, `DELETE FROM pending_claims WHERE claim_id = ?`, id); err != nil {
		return fmt.Errorf("readerstore: delete claim: %w", err)
	}
	return nil
}

// CountClaims returns how many claims are pending from homeAddress, or
// from anyone for "".
func (t *Tx) CountClaims(homeAddress string) (int, error) {
	var n int
	if err := t.tx.QueryRowContext(t.ctx, `SELECT COUNT(*) FROM pending_claims WHERE ? = '' OR home_address = ?`,
		homeAddress, homeAddress).Scan(&n); err != nil {
		return 0, fmt.Errorf("readerstore: count claims: %w", err)
	}
	return n, nil
}
