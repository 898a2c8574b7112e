package watttsqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"iotahome/wattt"
	"iotahome/wattt/aggregate"
)

const bucketColumns = `res, bucket_s, n, first_t, last_t, n_power, sum_pd, sum_pr, max_pd, max_pr,
	ed_first, ed_last, er_first, er_last, gas_first, gas_last, n_v1, sum_v1, n_v2, sum_v2, n_v3, sum_v3`

func scanBucket(row interface{ Scan(...any) error }) (aggregate.Bucket, error) {
	var b aggregate.Bucket
	var maxPD, maxPR, edF, edL, erF, erL, gF, gL sql.NullFloat64
	if err := row.Scan(&b.Res, &b.Start, &b.N, &b.FirstT, &b.LastT, &b.NPower, &b.SumPD, &b.SumPR, &maxPD, &maxPR,
		&edF, &edL, &erF, &erL, &gF, &gL, &b.NV[0], &b.SumV[0], &b.NV[1], &b.SumV[1], &b.NV[2], &b.SumV[2]); err != nil {
		return aggregate.Bucket{}, err
	}
	b.MaxPD, b.MaxPR = optFloat(maxPD), optFloat(maxPR)
	b.EDFirst, b.EDLast, b.ERFirst, b.ERLast = optFloat(edF), optFloat(edL), optFloat(erF), optFloat(erL)
	b.GasFirst, b.GasLast = optFloat(gF), optFloat(gL)
	return b, nil
}

// Buckets returns the connection's aggregates of one resolution whose start
// lies in [from, to), oldest first, and the last bucket before from (nil if
// none) so that usage of the first bucket can be computed.
func (s *Store) Buckets(ctx context.Context, conn int64, res aggregate.Resolution, from, to time.Time) ([]aggregate.Bucket, *aggregate.Bucket, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+bucketColumns+` FROM aggregates
		WHERE connection_id = ? AND res = ? AND bucket_s >= ? AND bucket_s < ? ORDER BY bucket_s`, conn, int64(res), from.Unix(), to.Unix())
	if err != nil {
		return nil, nil, fmt.Errorf("watttsqlite: buckets: %w", err)
	}
	defer rows.Close()
	var out []aggregate.Bucket
	for rows.Next() {
		b, err := scanBucket(rows)
		if err != nil {
			return nil, nil, fmt.Errorf("watttsqlite: buckets: %w", err)
		}
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("watttsqlite: buckets: %w", err)
	}
	prev, err := scanBucket(s.db.QueryRowContext(ctx, `SELECT `+bucketColumns+` FROM aggregates
		WHERE connection_id = ? AND res = ? AND bucket_s < ? ORDER BY bucket_s DESC LIMIT 1`, conn, int64(res), from.Unix()))
	if errors.Is(err, sql.ErrNoRows) {
		return out, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("watttsqlite: bucket before %v: %w", from, err)
	}
	return out, &prev, nil
}

// Prune deletes full-resolution readings and aggregates older than the
// retention allows, counted back from now.
func (s *Store) Prune(ctx context.Context, now time.Time, keep wattt.Retention) error {
	if keep.Raw > 0 {
		if _, err := s.db.ExecContext(ctx, `DELETE FROM readings WHERE t < ?`, ms(now.Add(-keep.Raw))); err != nil {
			return fmt.Errorf("watttsqlite: prune readings: %w", err)
		}
	}
	for res, before := range keep.AggregateCutoffs(now) {
		if _, err := s.db.ExecContext(ctx, `DELETE FROM aggregates WHERE res = ? AND bucket_s < ?`, int64(res), before); err != nil {
			return fmt.Errorf("watttsqlite: prune aggregates: %w", err)
		}
	}
	return nil
}

// Tariff returns the account's tariff, or def when none was set.
func (s *Store) Tariff(ctx context.Context, accountID int64, def wattt.Tariff) (wattt.Tariff, error) {
	var t wattt.Tariff
	err := s.db.QueryRowContext(ctx, `SELECT per_kwh, per_kwh_returned, per_m3, standing_per_day FROM tariffs WHERE account_id = ?`, accountID).
		Scan(&t.PerKWh, &t.PerKWhReturned, &t.PerM3, &t.StandingPerDay)
	if errors.Is(err, sql.ErrNoRows) {
		return def, nil
	}
	if err != nil {
		return wattt.Tariff{}, fmt.Errorf("watttsqlite: tariff: %w", err)
	}
	return t, nil
}

// SetTariff stores the account's tariff.
func (s *Store) SetTariff(ctx context.Context, accountID int64, t wattt.Tariff) error {
	if _, err := s.db.ExecContext(ctx, `INSERT INTO tariffs (account_id, per_kwh, per_kwh_returned, per_m3, standing_per_day, updated_at)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (account_id) DO UPDATE SET per_kwh = excluded.per_kwh,
		per_kwh_returned = excluded.per_kwh_returned, per_m3 = excluded.per_m3, standing_per_day = excluded.standing_per_day,
		updated_at = excluded.updated_at`,
		accountID, t.PerKWh, t.PerKWhReturned, t.PerM3, t.StandingPerDay, ms(time.Now())); err != nil {
		return fmt.Errorf("watttsqlite: set tariff: %w", err)
	}
	return nil
}

// PowerCurve returns average power and voltage per step (a multiple of a
// minute) for [from, to), from the minute aggregates. SQLite does the
// averaging, and only the columns a curve needs leave it: this is the
// biggest query behind the dashboard.
func (s *Store) PowerCurve(ctx context.Context, conn int64, from, to time.Time, step time.Duration) ([]wattt.CurvePoint, error) {
	w := max(int64(step/time.Second), int64(aggregate.Minute))
	args := []any{conn, int64(aggregate.Minute), from.Unix(), to.Unix()}
	// One point per minute bucket needs no grouping (and no sorter).
	q := `SELECT bucket_s, n_power, sum_pd, sum_pr, n_v1, sum_v1, n_v2, sum_v2, n_v3, sum_v3
		FROM aggregates WHERE connection_id = ?1 AND res = ?2 AND bucket_s >= ?3 AND bucket_s < ?4 ORDER BY bucket_s`
	if w != int64(aggregate.Minute) {
		q = `SELECT bucket_s - bucket_s % ?5, sum(n_power), sum(sum_pd), sum(sum_pr),
		sum(n_v1), sum(sum_v1), sum(n_v2), sum(sum_v2), sum(n_v3), sum(sum_v3)
		FROM aggregates WHERE connection_id = ?1 AND res = ?2 AND bucket_s >= ?3 AND bucket_s < ?4
		GROUP BY 1 ORDER BY 1`
		args = append(args, w)
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("watttsqlite: power curve: %w", err)
	}
	defer rows.Close()
	var out []wattt.CurvePoint
	for rows.Next() {
		var p wattt.CurvePoint
		var np int64
		var sd, sr float64
		var nv [3]int64
		var sv [3]float64
		if err := rows.Scan(&p.Start, &np, &sd, &sr, &nv[0], &sv[0], &nv[1], &sv[1], &nv[2], &sv[2]); err != nil {
			return nil, fmt.Errorf("watttsqlite: power curve: %w", err)
		}
		if np > 0 {
			p.PowerDel, p.PowerRet = sd/float64(np), sr/float64(np)
		}
		for i := range nv {
			if nv[i] > 0 {
				p.Voltage[i], p.HasV[i] = sv[i]/float64(nv[i]), true
			}
		}
		out = append(out, p)
	}
	return out, rows.Err()
}
