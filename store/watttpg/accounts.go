package watttpg

import (
	"context"
	"crypto/sha256"
	"errors"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"iotahome/session"
	"iotahome/wattt"
)

// CreateAccount stores a new account and returns its id.
func (s *Store) CreateAccount(ctx context.Context, a wattt.Account) (int64, error) {
	var id int64
	err := s.pool.QueryRow(ctx, `INSERT INTO accounts (address, public_key, sealed_seed, direct_cursor, created_at)
		VALUES ($1, $2, $3, $4, $5) RETURNING id`, a.Address, a.PublicKey, a.SealedSeed, a.Cursor, a.CreatedAt).Scan(&id)
	if err != nil {
		return 0, wrap("create account", err)
	}
	return id, nil
}

const accountColumns = `id, address, public_key, sealed_seed, direct_cursor, created_at`

func scanAccount(row pgx.Row) (wattt.Account, error) {
	var a wattt.Account
	err := row.Scan(&a.ID, &a.Address, &a.PublicKey, &a.SealedSeed, &a.Cursor, &a.CreatedAt)
	return a, err
}

// Account returns the account with the given id.
func (s *Store) Account(ctx context.Context, id int64) (wattt.Account, error) {
	a, err := scanAccount(s.pool.QueryRow(ctx, `SELECT `+accountColumns+` FROM accounts WHERE id = $1`, id))
	if err != nil {
		return wattt.Account{}, wrap("account", notFound(err))
	}
	return a, nil
}

// AccountsAwaitingKeys implements wattt.AccountStore.
func (s *Store) AccountsAwaitingKeys(ctx context.Context, returnedSince time.Time) ([]wattt.Account, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+accountColumns+` FROM accounts WHERE id IN (
		SELECT account_id FROM consent_requests WHERE status = 'granted' AND returned_at >= $1) ORDER BY id`,
		returnedSince)
	if err != nil {
		return nil, wrap("accounts awaiting keys", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (wattt.Account, error) { return scanAccount(r) })
	if err != nil {
		return nil, wrap("accounts awaiting keys", err)
	}
	return out, nil
}

// SetCursor records how far the account's address has been read.
func (s *Store) SetCursor(ctx context.Context, accountID int64, cursor string) error {
	if _, err := s.pool.Exec(ctx, `UPDATE accounts SET direct_cursor = $1 WHERE id = $2`, cursor, accountID); err != nil {
		return wrap("set cursor", err)
	}
	return nil
}

func tokenHash(id string) []byte {
	h := sha256.Sum256([]byte(id))
	return h[:]
}

// CreateSession records that the session id belongs to accountID.
func (s *Store) CreateSession(ctx context.Context, id, accountID string, expires time.Time) error {
	acct, err := strconv.ParseInt(accountID, 10, 64)
	if err != nil {
		return wrap("session account id", err)
	}
	if _, err := s.pool.Exec(ctx, `INSERT INTO sessions (token_hash, account_id, created_at, expires_at) VALUES ($1, $2, now(), $3)`,
		tokenHash(id), acct, expires); err != nil {
		return wrap("create session", err)
	}
	return nil
}

// SessionAccount returns the account of a live session.
func (s *Store) SessionAccount(ctx context.Context, id string, now time.Time) (string, error) {
	var acct int64
	err := s.pool.QueryRow(ctx, `SELECT account_id FROM sessions WHERE token_hash = $1 AND expires_at > $2`, tokenHash(id), now).Scan(&acct)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", session.ErrNoSession
	}
	if err != nil {
		return "", wrap("session", err)
	}
	return strconv.FormatInt(acct, 10), nil
}

// DeleteSession forgets a session.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE token_hash = $1`, tokenHash(id)); err != nil {
		return wrap("delete session", err)
	}
	return nil
}

// DeleteExpiredSessions removes sessions that ended before now.
func (s *Store) DeleteExpiredSessions(ctx context.Context, now time.Time) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE expires_at <= $1`, now); err != nil {
		return wrap("delete expired sessions", err)
	}
	return nil
}
