package watttpg

import (
	"context"

	"github.com/jackc/pgx/v5"

	"iotahome/wattt"
)

const connectionColumns = `id, account_id, device, root, side_key, status, revoked_at, last_seq, last_reading_at, messages, created_at, updated_at`

func scanConnection(row pgx.Row) (wattt.Connection, error) {
	var c wattt.Connection
	err := row.Scan(&c.ID, &c.AccountID, &c.Device, &c.Root, &c.SideKey, &c.Status, &c.RevokedAt, &c.LastSeq, &c.LastReadingAt,
		&c.Messages, &c.CreatedAt, &c.UpdatedAt)
	return c, err
}

func (s *Store) connections(ctx context.Context, op, where string, args ...any) ([]wattt.Connection, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+connectionColumns+` FROM connections WHERE `+where, args...)
	if err != nil {
		return nil, wrap(op, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (wattt.Connection, error) { return scanConnection(r) })
	if err != nil {
		return nil, wrap(op, err)
	}
	return out, nil
}

// LiveConnections returns every connection still being followed.
func (s *Store) LiveConnections(ctx context.Context) ([]wattt.Connection, error) {
	return s.connections(ctx, "live connections", `status = 'live' ORDER BY id`)
}

// AccountConnections returns the account's connections, newest first.
func (s *Store) AccountConnections(ctx context.Context, accountID int64) ([]wattt.Connection, error) {
	return s.connections(ctx, "account connections", `account_id = $1 ORDER BY updated_at DESC, id DESC`, accountID)
}

// Connection returns one connection by id.
func (s *Store) Connection(ctx context.Context, id int64) (wattt.Connection, error) {
	c, err := scanConnection(s.pool.QueryRow(ctx, `SELECT `+connectionColumns+` FROM connections WHERE id = $1`, id))
	if err != nil {
		return wattt.Connection{}, wrap("connection", notFound(err))
	}
	return c, nil
}
