package watttpg

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"iotahome/wattt"
	"iotahome/wattt/aggregate"
)

const bucketColumns = `res, bucket_s, n, first_t, last_t, n_power, sum_pd, sum_pr, max_pd, max_pr,
	ed_first, ed_last, er_first, er_last, gas_first, gas_last, n_v1, sum_v1, n_v2, sum_v2, n_v3, sum_v3`

func scanBucket(row pgx.Row) (aggregate.Bucket, error) {
	var b aggregate.Bucket
	var res int32
	err := row.Scan(&res, &b.Start, &b.N, &b.FirstT, &b.LastT, &b.NPower, &b.SumPD, &b.SumPR, &b.MaxPD, &b.MaxPR,
		&b.EDFirst, &b.EDLast, &b.ERFirst, &b.ERLast, &b.GasFirst, &b.GasLast, &b.NV[0], &b.SumV[0], &b.NV[1], &b.SumV[1], &b.NV[2], &b.SumV[2])
	b.Res = aggregate.Resolution(res)
	return b, err
}

// Buckets returns the connection's aggregates of one resolution in [from,
// to) and the one before.
func (s *Store) Buckets(ctx context.Context, conn int64, res aggregate.Resolution, from, to time.Time) ([]aggregate.Bucket, *aggregate.Bucket, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+bucketColumns+` FROM aggregates
		WHERE connection_id = $1 AND res = $2 AND bucket_s >= $3 AND bucket_s < $4 ORDER BY bucket_s`, conn, int32(res), from.Unix(), to.Unix())
	if err != nil {
		return nil, nil, wrap("buckets", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (aggregate.Bucket, error) { return scanBucket(r) })
	if err != nil {
		return nil, nil, wrap("buckets", err)
	}
	prev, err := scanBucket(s.pool.QueryRow(ctx, `SELECT `+bucketColumns+` FROM aggregates
		WHERE connection_id = $1 AND res = $2 AND bucket_s < $3 ORDER BY bucket_s DESC LIMIT 1`, conn, int32(res), from.Unix()))
	if errors.Is(err, pgx.ErrNoRows) {
		return out, nil, nil
	}
	if err != nil {
		return nil, nil, wrap("bucket before", err)
	}
	return out, &prev, nil
}

// PowerCurve returns average power and voltage per step for [from, to).
func (s *Store) PowerCurve(ctx context.Context, conn int64, from, to time.Time, step time.Duration) ([]wattt.CurvePoint, error) {
	w := max(int64(step/time.Second), int64(aggregate.Minute))
	rows, err := s.pool.Query(ctx, `SELECT bucket_s - bucket_s % $5, sum(n_power), sum(sum_pd), sum(sum_pr),
		sum(n_v1), sum(sum_v1), sum(n_v2), sum(sum_v2), sum(n_v3), sum(sum_v3)
		FROM aggregates WHERE connection_id = $1 AND res = $2 AND bucket_s >= $3 AND bucket_s < $4
		GROUP BY 1 ORDER BY 1`, conn, int32(aggregate.Minute), from.Unix(), to.Unix(), w)
	if err != nil {
		return nil, wrap("power curve", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (wattt.CurvePoint, error) {
		var p wattt.CurvePoint
		var np int64
		var sd, sr float64
		var nv [3]int64
		var sv [3]float64
		if err := r.Scan(&p.Start, &np, &sd, &sr, &nv[0], &sv[0], &nv[1], &sv[1], &nv[2], &sv[2]); err != nil {
			return p, err
		}
		if np > 0 {
			p.PowerDel, p.PowerRet = sd/float64(np), sr/float64(np)
		}
		for i := range nv {
			if nv[i] > 0 {
				p.Voltage[i], p.HasV[i] = sv[i]/float64(nv[i]), true
			}
		}
		return p, nil
	})
	if err != nil {
		return nil, wrap("power curve", err)
	}
	return out, nil
}

// Tariff returns the account's tariff, or def when none was set.
func (s *Store) Tariff(ctx context.Context, accountID int64, def wattt.Tariff) (wattt.Tariff, error) {
	var t wattt.Tariff
	err := s.pool.QueryRow(ctx, `SELECT per_kwh, per_kwh_returned, per_m3, standing_per_day FROM tariffs WHERE account_id = $1`, accountID).
		Scan(&t.PerKWh, &t.PerKWhReturned, &t.PerM3, &t.StandingPerDay)
	if errors.Is(err, pgx.ErrNoRows) {
		return def, nil
	}
	if err != nil {
		return wattt.Tariff{}, wrap("tariff", err)
	}
	return t, nil
}

// SetTariff stores the account's tariff.
func (s *Store) SetTariff(ctx context.Context, accountID int64, t wattt.Tariff) error {
	if _, err := s.pool.Exec(ctx, `INSERT INTO tariffs (account_id, per_kwh, per_kwh_returned, per_m3, standing_per_day, updated_at)
		VALUES ($1, $2, $3, $4, $5, now()) ON CONFLICT (account_id) DO UPDATE SET per_kwh = excluded.per_kwh,
		per_kwh_returned = excluded.per_kwh_returned, per_m3 = excluded.per_m3, standing_per_day = excluded.standing_per_day,
		updated_at = excluded.updated_at`, accountID, t.PerKWh, t.PerKWhReturned, t.PerM3, t.StandingPerDay); err != nil {
		return wrap("set tariff", err)
	}
	return nil
}
