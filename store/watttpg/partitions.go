package watttpg

import (
	"context"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/jackc/pgx/v5"

	"iotahome/wattt"
)

// Readings are partitioned by the month of t (UTC): readings_yYYYYmMM
// holds [first of the month, first of the next). Partitions are created
// ahead (this month and the next partitionsAhead), at Open and with every
// Prune (hourly), so inserts never wait for DDL; a reading outside them
// all goes to readings_default. Retention drops whole months and deletes
// the rest row by row.

// partitionsAhead is how many months after the current one have a
// partition ready.
const partitionsAhead = 2

func monthStart(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}

func partitionName(month time.Time) string {
	return fmt.Sprintf("readings_y%04dm%02d", month.Year(), int(month.Month()))
}

// partitionLock is the advisory lock that serialises partition changes
// among processes.
var partitionLock = func() int64 {
	h := fnv.New64a()
	h.Write([]byte("iotahome/watttpg/partitions"))
	return int64(h.Sum64() >> 1)
}()

// ensurePartitions creates the partitions of the month of now, the one
// before and the next partitionsAhead months, if missing. Rows that
// already landed in the default partition for such a month move into it.
func (s *Store) ensurePartitions(ctx context.Context, now time.Time) error {
	m := monthStart(now).AddDate(0, -1, 0)
	for range partitionsAhead + 2 {
		if err := s.ensurePartition(ctx, m); err != nil {
			return err
		}
		m = m.AddDate(0, 1, 0)
	}
	return nil
}

func (s *Store) ensurePartition(ctx context.Context, month time.Time) error {
	name := partitionName(month)
	var exists bool
	if err := s.pool.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, name).Scan(&exists); err != nil {
		return wrap("partition "+name, err)
	}
	if exists {
		return nil
	}
	from, to := month, month.AddDate(0, 1, 0)
	err := s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, partitionLock); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, name).Scan(&exists); err != nil || exists {
			return err
		}
		ident := pgx.Identifier{name}.Sanitize()
		bounds := fmt.Sprintf("FROM ('%s') TO ('%s')", from.Format(time.RFC3339), to.Format(time.RFC3339))
		for _, q := range []string{
			`CREATE TABLE ` + ident + ` (LIKE readings INCLUDING DEFAULTS INCLUDING CONSTRAINTS)`,
			`WITH moved AS (DELETE FROM readings_default WHERE t >= '` + from.Format(time.RFC3339) + `' AND t < '` + to.Format(time.RFC3339) + `' RETURNING *)
				INSERT INTO ` + ident + ` SELECT * FROM moved`,
			`ALTER TABLE readings ATTACH PARTITION ` + ident + ` FOR VALUES ` + bounds,
		} {
			if _, err := tx.Exec(ctx, q); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return wrap("create partition "+name, err)
	}
	return nil
}

// Prune deletes what retention no longer keeps: whole monthly partitions
// that end before the raw cutoff are dropped, older rows in the others
// deleted; old minute and hour aggregates deleted. It also makes sure the
// coming months' partitions exist.
func (s *Store) Prune(ctx context.Context, now time.Time, keep wattt.Retention) error {
	if err := s.ensurePartitions(ctx, now); err != nil {
		return err
	}
	if keep.Raw > 0 {
		cutoff := now.Add(-keep.Raw)
		rows, err := s.pool.Query(ctx, `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
			WHERE i.inhparent = 'readings'::regclass AND c.relname LIKE 'readings\_y%'`)
		if err != nil {
			return wrap("list partitions", err)
		}
		names, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return wrap("list partitions", err)
		}
		for _, name := range names {
			var y, m int
			if _, err := fmt.Sscanf(name, "readings_y%04dm%02d", &y, &m); err != nil {
				continue
			}
			if end := time.Date(y, time.Month(m)+1, 1, 0, 0, 0, 0, time.UTC); !end.After(cutoff) {
				if _, err := s.pool.Exec(ctx, `DROP TABLE `+pgx.Identifier{name}.Sanitize()); err != nil {
					return wrap("drop partition "+name, err)
				}
			}
		}
		if _, err := s.pool.Exec(ctx, `DELETE FROM readings WHERE t < $1`, cutoff); err != nil {
			return wrap("prune readings", err)
		}
	}
	for res, before := range keep.AggregateCutoffs(now) {
		if _, err := s.pool.Exec(ctx, `DELETE FROM aggregates WHERE res = $1 AND bucket_s < $2`, int32(res), before); err != nil {
			return wrap("prune aggregates", err)
		}
	}
	return nil
}
