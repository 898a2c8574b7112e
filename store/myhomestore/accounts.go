package myhomestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"iotahome/migrations"
	"iotahome/session"
	"iotahome/store/sqlitedb"
)

// Account is one home. Sealed fields are encrypted with the server key
// (associated data: ID) by the caller; the store never sees a seed.
type Account struct {
	ID            string
	HomeAddress   string
	HomePublicKey string
	FirstRoot     string
	SealedSeed    []byte
	SealedChannel []byte
	NextSeq       int64
	ReplyCursor   string
	CreatedAt     time.Time
	SeedShownAt   *time.Time
	RestoreState  string // none, running, done, failed
	RestoreRead   int64
	RestoreError  string
}

const accountCols = `id, home_address, home_public_key, first_root, sealed_seed, sealed_channel, next_seq,
	reply_cursor, created_at, seed_shown_at, restore_state, restore_read, restore_error`

func scanAccount(row interface{ Scan(...any) error }) (Account, error) {
	var a Account
	var created int64
	var shown sql.NullInt64
	err := row.Scan(&a.ID, &a.HomeAddress, &a.HomePublicKey, &a.FirstRoot, &a.SealedSeed, &a.SealedChannel,
		&a.NextSeq, &a.ReplyCursor, &created, &shown, &a.RestoreState, &a.RestoreRead, &a.RestoreError)
	if errors.Is(err, sql.ErrNoRows) {
		return a, ErrNotFound
	}
	if err != nil {
		return a, fmt.Errorf("scan account: %w", err)
	}
	a.CreatedAt = fromMS(created)
	a.SeedShownAt = optTime(shown)
	return a, nil
}

// CreateAccount inserts a new account. ErrConflict means a home with the
// same address (the same seed) exists already.
func (s *Store) CreateAccount(ctx context.Context, a Account) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO accounts (`+accountCols+`) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		a.ID, a.HomeAddress, a.HomePublicKey, a.FirstRoot, a.SealedSeed, a.SealedChannel, a.NextSeq,
		a.ReplyCursor, ms(a.CreatedAt), optMS(a.SeedShownAt), a.RestoreState, a.RestoreRead, a.RestoreError)
	if err != nil && strings.Contains(err.Error(), "UNIQUE") {
		return ErrConflict
	}
	if err != nil {
		return fmt.Errorf("create account: %w", err)
	}
	return nil
}

// Account returns the account with id.
func (s *Store) Account(ctx context.Context, id string) (Account, error) {
	return scanAccount(s.db.QueryRowContext(ctx, `SELECT `+accountCols+` FROM accounts WHERE id = ?`, id))
}

// AccountByHomeAddress returns the account whose seed derives homeAddress.
func (s *Store) AccountByHomeAddress(ctx context.Context, homeAddress string) (Account, error) {
	return scanAccount(s.db.QueryRowContext(ctx, `SELECT `+accountCols+` FROM accounts WHERE home_address = ?`, homeAddress))
}

// MarkSeedShown records that the seed was shown; it reports false when it
// had been shown before (the seed is shown once).
func (s *Store) MarkSeedShown(ctx context.Context, id string, at time.Time) (bool, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE accounts SET seed_shown_at = ? WHERE id = ? AND seed_shown_at IS NULL`, ms(at), id)
	if err != nil {
		return false, fmt.Errorf("mark seed shown: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// SetRestore records the progress of a restore (replay of the stream).
func (s *Store) SetRestore(ctx context.Context, id, state string, read int64, errText string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE accounts SET restore_state = ?, restore_read = ?, restore_error = ? WHERE id = ?`,
		state, read, errText, id)
	if err != nil {
		return fmt.Errorf("set restore progress: %w", err)
	}
	return nil
}

// RestoringAccounts lists accounts whose replay has not finished (to resume
// after a restart).
func (s *Store) RestoringAccounts(ctx context.Context) ([]Account, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+accountCols+` FROM accounts WHERE restore_state = 'running'`)
	if err != nil {
		return nil, fmt.Errorf("restoring accounts: %w", err)
	}
	return sqlitedb.All(rows, scanAccount)
}

// SetReplyCursor stores how far the pairing driver has read the home's reply address.
func (s *Store) SetReplyCursor(ctx context.Context, id, cursor string) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE accounts SET reply_cursor = ? WHERE id = ?`, cursor, id); err != nil {
		return fmt.Errorf("set reply cursor: %w", err)
	}
	return nil
}

// CreateSession implements session.Store. Sessions are keyed by
// migrations.SessionKey(id), never the id itself: a copy of the database
// cannot be replayed as a cookie.
func (s *Store) CreateSession(ctx context.Context, id, accountID string, expires time.Time) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO sessions (id, account_id, expires_at) VALUES (?,?,?)`, migrations.SessionKey(id), accountID, ms(expires))
	if err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	return nil
}

// SessionAccount implements session.Store.
func (s *Store) SessionAccount(ctx context.Context, id string, now time.Time) (string, error) {
	var acct string
	err := s.db.QueryRowContext(ctx, `SELECT account_id FROM sessions WHERE id = ? AND expires_at > ?`, migrations.SessionKey(id), ms(now)).Scan(&acct)
	if errors.Is(err, sql.ErrNoRows) {
		return "", session.ErrNoSession
	}
	if err != nil {
		return "", fmt.Errorf("look up session: %w", err)
	}
	return acct, nil
}

// DeleteSession implements session.Store.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE id = ?`, migrations.SessionKey(id)); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// DeleteExpired removes expired sessions and consent requests older than
// requestsBefore that were never decided.
func (s *Store) DeleteExpired(ctx context.Context, now, requestsBefore time.Time) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at <= ?`, ms(now)); err != nil {
		return fmt.Errorf("delete expired sessions: %w", err)
	}
	if _, err := s.db.ExecContext(ctx, `DELETE FROM consent_requests WHERE created_at < ? AND decided_at IS NULL`, ms(requestsBefore)); err != nil {
		return fmt.Errorf("delete old consent requests: %w", err)
	}
	return nil
}

// CountAccounts is the number of homes (tests and status).
func (s *Store) CountAccounts(ctx context.Context) (int, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM accounts`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count accounts: %w", err)
	}
	return n, nil
}
