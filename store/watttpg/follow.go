package watttpg

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"iotahome/wattt"
)

// Lease runs one lease round (wattt.FollowStore). The database's clock
// (now(), the transaction's start) decides expiry, so workers on machines
// whose clocks differ still agree. Claiming skips rows another worker's
// round has locked (FOR UPDATE SKIP LOCKED), so concurrent rounds never
// claim one connection twice nor wait for each other; renewing and giving
// back lock rows in id order, as Advance does, so rounds and writes of
// one worker cannot deadlock.
func (s *Store) Lease(ctx context.Context, r wattt.LeaseRequest) (wattt.Leases, error) {
	var out wattt.Leases
	ttl := r.TTL
	err := s.tx(ctx, func(tx pgx.Tx) error {
		out = wattt.Leases{}
		if _, err := tx.Exec(ctx, `INSERT INTO workers (id, host, started_at, seen_at) VALUES ($1, $2, now(), now())
			ON CONFLICT (id) DO UPDATE SET host = excluded.host, seen_at = now()`, r.Worker, r.Host); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM workers WHERE seen_at < now() - $1::interval`, 10*ttl); err != nil {
			return err
		}
		var live int
		if err := tx.QueryRow(ctx, `SELECT
			(SELECT count(*) FROM workers WHERE seen_at > now() - $1::interval),
			(SELECT count(*) FROM connections WHERE status = 'live')`, ttl).Scan(&out.Workers, &live); err != nil {
			return err
		}
		out.Share = wattt.FairShare(live, out.Workers, r.Max)
		if _, err := tx.Exec(ctx, `UPDATE connections SET lease_owner = NULL, lease_until = '-infinity'
			WHERE lease_owner = $1 AND status <> 'live'`, r.Worker); err != nil {
			return err
		}
		held, err := collectIDs(tx.Query(ctx, `UPDATE connections SET lease_until = now() + $2::interval
			WHERE id IN (SELECT id FROM connections WHERE lease_owner = $1 AND status = 'live' ORDER BY id FOR UPDATE)
			RETURNING id`, r.Worker, ttl))
		if err != nil {
			return err
		}
		switch {
		case len(held) < out.Share:
			rows, err := tx.Query(ctx, `UPDATE connections c SET lease_owner = $1, lease_until = now() + $2::interval
				FROM accounts a
				WHERE c.id IN (SELECT id FROM connections WHERE status = 'live' AND lease_until < now()
					ORDER BY lease_until, id LIMIT $3 FOR UPDATE SKIP LOCKED)
				AND a.id = c.account_id
				RETURNING c.id, c.account_id, c.device, c.root, c.side_key, c.status, c.revoked_at, c.last_seq, c.last_reading_at,
					c.messages, c.created_at, c.updated_at, a.address`, r.Worker, ttl, out.Share-len(held))
			if err != nil {
				return err
			}
			claimed, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (wattt.LeasedMeter, error) {
				var m wattt.LeasedMeter
				c := &m.Connection
				err := row.Scan(&c.ID, &c.AccountID, &c.Device, &c.Root, &c.SideKey, &c.Status, &c.RevokedAt, &c.LastSeq, &c.LastReadingAt,
					&c.Messages, &c.CreatedAt, &c.UpdatedAt, &m.AccountAddress)
				return m, err
			})
			if err != nil {
				return err
			}
			out.Claimed = claimed
			for _, m := range claimed {
				held = append(held, m.ID)
			}
		case len(held) > out.Share+wattt.ShareSlack(out.Share):
			if _, err := tx.Exec(ctx, `UPDATE connections SET lease_owner = NULL, lease_until = '-infinity'
				WHERE id IN (SELECT id FROM connections WHERE lease_owner = $1 ORDER BY id DESC LIMIT $2 FOR UPDATE)`,
				r.Worker, len(held)-out.Share); err != nil {
				return err
			}
			if held, err = collectIDs(tx.Query(ctx, `SELECT id FROM connections WHERE lease_owner = $1`, r.Worker)); err != nil {
				return err
			}
		}
		out.Held = held
		return nil
	})
	if err != nil {
		return wattt.Leases{}, wrap("lease round of "+r.Worker, err)
	}
	return out, nil
}

func collectIDs(rows pgx.Rows, err error) ([]int64, error) {
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[int64])
}

// ReleaseLeases gives back every lease of the worker and forgets it.
func (s *Store) ReleaseLeases(ctx context.Context, worker string) error {
	err := s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE connections SET lease_owner = NULL, lease_until = '-infinity'
			WHERE id IN (SELECT id FROM connections WHERE lease_owner = $1 ORDER BY id FOR UPDATE)`, worker); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `DELETE FROM workers WHERE id = $1`, worker)
		return err
	})
	if err != nil {
		return wrap("release leases of "+worker, err)
	}
	return nil
}

// Workers lists the workers heard of within ttl.
func (s *Store) Workers(ctx context.Context, ttl time.Duration) ([]wattt.Worker, error) {
	rows, err := s.pool.Query(ctx, `SELECT w.id, w.host, w.seen_at,
		(SELECT count(*) FROM connections c WHERE c.lease_owner = w.id AND c.status = 'live')
		FROM workers w WHERE w.seen_at > now() - $1::interval ORDER BY w.id`, ttl)
	if err != nil {
		return nil, wrap("workers", err)
	}
	ws, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (wattt.Worker, error) {
		var w wattt.Worker
		err := row.Scan(&w.ID, &w.Host, &w.SeenAt, &w.Held)
		return w, err
	})
	if err != nil {
		return nil, wrap("workers", err)
	}
	return ws, nil
}

// Advance stores many followers' progress in one transaction
// (wattt.FollowStore): the connections are locked in id order, judged,
// and every new reading, aggregate and connection update goes in with one
// statement each (arrays unnested), whatever the batch size.
func (s *Store) Advance(ctx context.Context, loc *time.Location, ps []wattt.Progress) ([]wattt.Advanced, error) {
	out := make([]wattt.Advanced, len(ps))
	if len(ps) == 0 {
		return out, nil
	}
	ids := make([]int64, len(ps))
	for i, p := range ps {
		ids[i] = p.ConnectionID
	}
	err := s.tx(ctx, func(tx pgx.Tx) error {
		clear(out)
		type current struct {
			root    string
			lastSeq int64
			owner   *string
		}
		cur := make(map[int64]current, len(ps))
		rows, err := tx.Query(ctx, `SELECT id, root, last_seq, lease_owner FROM connections WHERE id = ANY($1) ORDER BY id FOR UPDATE`, ids)
		if err != nil {
			return err
		}
		var c current
		var id int64
		if _, err := pgx.ForEachRow(rows, []any{&id, &c.root, &c.lastSeq, &c.owner}, func() error {
			cur[id] = c
			return nil
		}); err != nil {
			return err
		}
		var b batch
		for i, p := range ps {
			c, ok := cur[p.ConnectionID]
			switch {
			case !ok:
				out[i].Err = wattt.ErrNotFound
				continue
			case p.Worker != "" && (c.owner == nil || *c.owner != p.Worker):
				out[i].Err = wattt.ErrLeaseLost
				continue
			case c.root != p.FromRoot:
				out[i].Err = wattt.ErrMoved
				continue
			}
			fresh, lastSeq := p.Fresh(c.lastSeq)
			if err := b.add(p, fresh, lastSeq, loc); err != nil {
				return err
			}
			out[i].Inserted = len(fresh)
		}
		return b.store(ctx, tx, time.Now())
	})
	if err != nil {
		return nil, wrap("advance", err)
	}
	return out, nil
}
