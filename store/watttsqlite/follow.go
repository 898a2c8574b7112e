package watttsqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"iotahome/store/sqlitedb"
	"iotahome/wattt"
)

// Lease runs one lease round (wattt.FollowStore). SQLite serialises write
// transactions (they begin IMMEDIATE), so a plain SELECT then UPDATE claims
// without a race; this process's clock decides expiry, which is right for a
// file only processes on one machine can share.
func (s *Store) Lease(ctx context.Context, r wattt.LeaseRequest) (wattt.Leases, error) {
	var out wattt.Leases
	err := s.tx(ctx, func(tx *sql.Tx) error {
		now := time.Now()
		until := ms(now.Add(r.TTL))
		if _, err := tx.ExecContext(ctx, `INSERT INTO workers (id, host, started_at, seen_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET host = excluded.host, seen_at = excluded.seen_at`, r.Worker, r.Host, ms(now), ms(now)); err != nil {
			return err
		}
		// Forget workers gone for long; recently gone ones stay listed
		// (Workers) but no longer count.
		if _, err := tx.ExecContext(ctx, `DELETE FROM workers WHERE seen_at < ?`, ms(now.Add(-10*r.TTL))); err != nil {
			return err
		}
		var live int
		if err := tx.QueryRowContext(ctx, `SELECT
			(SELECT count(*) FROM workers WHERE seen_at > ?),
			(SELECT count(*) FROM connections WHERE status = 'live')`, ms(now.Add(-r.TTL))).Scan(&out.Workers, &live); err != nil {
			return err
		}
		out.Share = wattt.FairShare(live, out.Workers, r.Max)
		if _, err := tx.ExecContext(ctx, `UPDATE connections SET lease_owner = NULL, lease_until = NULL
			WHERE lease_owner = ? AND status <> 'live'`, r.Worker); err != nil {
			return err
		}
		held, err := queryAll(ctx, tx, scanID, `UPDATE connections SET lease_until = ?
			WHERE lease_owner = ? AND status = 'live' RETURNING id`, until, r.Worker)
		if err != nil {
			return err
		}
		switch {
		case len(held) < out.Share:
			claimed, err := queryAll(ctx, tx, scanConnection, `UPDATE connections SET lease_owner = ?, lease_until = ?
				WHERE id IN (SELECT id FROM connections WHERE status = 'live' AND (lease_owner IS NULL OR lease_until < ?)
					ORDER BY id LIMIT ?)
				RETURNING `+connectionColumns, r.Worker, until, ms(now), out.Share-len(held))
			if err != nil {
				return err
			}
			for _, c := range claimed {
				var addr string
				if err := tx.QueryRowContext(ctx, `SELECT address FROM accounts WHERE id = ?`, c.AccountID).Scan(&addr); err != nil {
					return err
				}
				out.Claimed = append(out.Claimed, wattt.LeasedMeter{Connection: c, AccountAddress: addr})
				held = append(held, c.ID)
			}
		case len(held) > out.Share+wattt.ShareSlack(out.Share):
			excess := len(held) - out.Share
			if _, err := tx.ExecContext(ctx, `UPDATE connections SET lease_owner = NULL, lease_until = NULL
				WHERE id IN (SELECT id FROM connections WHERE lease_owner = ? ORDER BY id DESC LIMIT ?)`, r.Worker, excess); err != nil {
				return err
			}
			held, err = queryAll(ctx, tx, scanID, `SELECT id FROM connections WHERE lease_owner = ?`, r.Worker)
			if err != nil {
				return err
			}
		}
		out.Held = held
		return nil
	})
	if err != nil {
		return wattt.Leases{}, fmt.Errorf("watttsqlite: lease round of %s: %w", r.Worker, err)
	}
	return out, nil
}

// queryAll runs a query in tx and reads every row with scan.
func queryAll[T any](ctx context.Context, tx *sql.Tx, scan func(sqlitedb.Scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return sqlitedb.All(rows, scan)
}

func scanID(row sqlitedb.Scanner) (int64, error) {
	var id int64
	err := row.Scan(&id)
	return id, err
}

// ReleaseLeases gives back every lease of the worker and forgets it.
func (s *Store) ReleaseLeases(ctx context.Context, worker string) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE connections SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = ?`, worker); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM workers WHERE id = ?`, worker)
		return err
	})
	if err != nil {
		return fmt.Errorf("watttsqlite: release leases of %s: %w", worker, err)
	}
	return nil
}

// Workers lists the workers heard of within ttl.
func (s *Store) Workers(ctx context.Context, ttl time.Duration) ([]wattt.Worker, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT w.id, w.host, w.seen_at,
		(SELECT count(*) FROM connections c WHERE c.lease_owner = w.id AND c.status = 'live')
		FROM workers w WHERE w.seen_at > ? ORDER BY w.id`, ms(time.Now().Add(-ttl)))
	if err != nil {
		return nil, fmt.Errorf("watttsqlite: workers: %w", err)
	}
	ws, err := sqlitedb.All(rows, func(row sqlitedb.Scanner) (wattt.Worker, error) {
		var w wattt.Worker
		var seen int64
		err := row.Scan(&w.ID, &w.Host, &seen, &w.Held)
		w.SeenAt = fromMS(seen)
		return w, err
	})
	if err != nil {
		return nil, fmt.Errorf("watttsqlite: workers: %w", err)
	}
	return ws, nil
}

// Advance stores many followers' progress in one transaction
// (wattt.FollowStore).
func (s *Store) Advance(ctx context.Context, loc *time.Location, ps []wattt.Progress) ([]wattt.Advanced, error) {
	out := make([]wattt.Advanced, len(ps))
	err := s.tx(ctx, func(tx *sql.Tx) error {
		clear(out)
		now := ms(time.Now())
		for i, p := range ps {
			var root string
			var lastSeq int64
			var owner sql.NullString
			err := tx.QueryRowContext(ctx, `SELECT root, last_seq, lease_owner FROM connections WHERE id = ?`, p.ConnectionID).Scan(&root, &lastSeq, &owner)
			switch {
			case errors.Is(err, sql.ErrNoRows):
				out[i].Err = wattt.ErrNotFound
				continue
			case err != nil:
				return err
			case p.Worker != "" && owner.String != p.Worker:
				out[i].Err = wattt.ErrLeaseLost
				continue
			case root != p.FromRoot:
				out[i].Err = wattt.ErrMoved
				continue
			}
			fresh, lastSeq := p.Fresh(lastSeq)
			if err := insertReadings(ctx, tx, p.ConnectionID, fresh, loc); err != nil {
				return err
			}
			out[i].Inserted = len(fresh)
			var lastAt sql.NullInt64
			if len(fresh) > 0 {
				lastAt = sql.NullInt64{Int64: ms(fresh[len(fresh)-1].Reading.Time), Valid: true}
			}
			status, revoked := wattt.ConnectionLive, sql.NullInt64{}
			if p.RevokedAt != nil {
				status, revoked = wattt.ConnectionRevoked, sql.NullInt64{Int64: ms(*p.RevokedAt), Valid: true}
			}
			if _, err := tx.ExecContext(ctx, `UPDATE connections SET root = ?, side_key = coalesce(nullif(?, ''), side_key), status = ?,
				revoked_at = ?, last_seq = ?, last_reading_at = coalesce(?, last_reading_at), messages = messages + ?, updated_at = ?
				WHERE id = ?`,
				p.Root, p.SideKey, status, revoked, lastSeq, lastAt, p.Messages, now, p.ConnectionID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, full(fmt.Sprintf("advance %d connections", len(ps)), err)
	}
	return out, nil
}
