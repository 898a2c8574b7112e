package watttsqlite

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"iotahome/session"
	"iotahome/wattt"
)

// CreateAccount stores a new account and returns its id.
func (s *Store) CreateAccount(ctx context.Context, a wattt.Account) (int64, error) {
	res, err := s.db.ExecContext(ctx,
		`INSERT INTO accounts (address, public_key, sealed_seed, direct_cursor, created_at) VALUES (?, ?, ?, ?, ?)`,
		a.Address, a.PublicKey, a.SealedSeed, a.Cursor, ms(a.CreatedAt))
	if err != nil {
		return 0, fmt.Errorf("watttsqlite: create account: %w", err)
	}
	return res.LastInsertId()
}

const accountColumns = `id, address, public_key, sealed_seed, direct_cursor, created_at`

func scanAccount(row interface{ Scan(...any) error }) (wattt.Account, error) {
	var a wattt.Account
	var created int64
	if err := row.Scan(&a.ID, &a.Address, &a.PublicKey, &a.SealedSeed, &a.Cursor, &created); err != nil {
		return wattt.Account{}, err
	}
	a.CreatedAt = fromMS(created)
	return a, nil
}

// Account returns the account with the given id.
func (s *Store) Account(ctx context.Context, id int64) (wattt.Account, error) {
	a, err := scanAccount(s.db.QueryRowContext(ctx, `SELECT `+accountColumns+` FROM accounts WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return wattt.Account{}, wattt.ErrNotFound
	}
	if err != nil {
		return wattt.Account{}, fmt.Errorf("watttsqlite: account %d: %w", id, err)
	}
	return a, nil
}

// AccountsAwaitingKeys implements wattt.AccountStore.
func (s *Store) AccountsAwaitingKeys(ctx context.Context, returnedSince time.Time) ([]wattt.Account, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+accountColumns+` FROM accounts WHERE id IN (
		SELECT account_id FROM consent_requests WHERE status = 'granted' AND returned_at >= ?) ORDER BY id`,
		ms(returnedSince))
	if err != nil {
		return nil, fmt.Errorf("watttsqlite: accounts awaiting keys: %w", err)
	}
	defer rows.Close()
	var out []wattt.Account
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, fmt.Errorf("watttsqlite: accounts awaiting keys: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// SetCursor records how far the account's address has been read.
func (s *Store) SetCursor(ctx context.Context, accountID int64, cursor string) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE accounts SET direct_cursor = ? WHERE id = ?`, cursor, accountID); err != nil {
		return fmt.Errorf("watttsqlite: set cursor: %w", err)
	}
	return nil
}

// Sessions implement session.Store; account ids are formatted decimal.
var _ session.Store = (*Store)(nil)

func tokenHash(id string) []byte {
	h := sha256.Sum256([]byte(id))
	return h[:]
}

// CreateSession records that the session id belongs to accountID.
func (s *Store) CreateSession(ctx context.Context, id, accountID string, expires time.Time) error {
	acct, err := strconv.ParseInt(accountID, 10, 64)
	if err != nil {
		return fmt.Errorf("watttsqlite: session account id %q: %w", accountID, err)
	}
	if _, err := s.db.ExecContext(ctx, `INSERT INTO sessions (token_hash, account_id, created_at, expires_at) VALUES (?, ?, ?, ?)`,
		tokenHash(id), acct, ms(time.Now()), ms(expires)); err != nil {
		return fmt.Errorf("watttsqlite: create session: %w", err)
	}
	return nil
}

// SessionAccount returns the account of a live session.
func (s *Store) SessionAccount(ctx context.Context, id string, now time.Time) (string, error) {
	var acct int64
	err := s.db.QueryRowContext(ctx, `SELECT account_id FROM sessions WHERE token_hash = ? AND expires_at > ?`, tokenHash(id), ms(now)).Scan(&acct)
	if errors.Is(err, sql.ErrNoRows) {
		return "", session.ErrNoSession
	}
	if err != nil {
		return "", fmt.Errorf("watttsqlite: session: %w", err)
	}
	return strconv.FormatInt(acct, 10), nil
}

// DeleteSession forgets a session.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = ?`, tokenHash(id)); err != nil {
		return fmt.Errorf("watttsqlite: delete session: %w", err)
	}
	return nil
}

// DeleteExpiredSessions removes sessions that ended before now.
func (s *Store) DeleteExpiredSessions(ctx context.Context, now time.Time) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at <= ?`, ms(now)); err != nil {
		return fmt.Errorf("watttsqlite: delete expired sessions: %w", err)
	}
	return nil
}
