package watttsqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"iotahome/wattt"
	"iotahome/wattt/aggregate"
)

// insertReadings writes readings and folds them into the aggregates.
func insertReadings(ctx context.Context, tx *sql.Tx, conn int64, rs []wattt.StoredReading, loc *time.Location) error {
	if len(rs) == 0 {
		return nil
	}
	ins, err := tx.PrepareContext(ctx, `INSERT OR IGNORE INTO readings (connection_id, seq, t, tariff, p_delivered, p_returned,
		e_delivered_t1, e_delivered_t2, e_returned_t1, e_returned_t2, gas, gas_t, phases) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return fmt.Errorf("watttsqlite: insert readings: %w", err)
	}
	defer ins.Close()
	samples := make([]aggregate.Sample, 0, len(rs))
	for _, sr := range rs {
		r := sr.Reading
		var tariff sql.NullInt64
		if r.Tariff != nil {
			tariff = sql.NullInt64{Int64: int64(*r.Tariff), Valid: true}
		}
		var gas sql.NullFloat64
		var gasT sql.NullInt64
		if m3, at, ok := sr.Gas(); ok {
			gas, gasT = sql.NullFloat64{Float64: m3, Valid: true}, sql.NullInt64{Int64: ms(at), Valid: true}
		}
		var phases sql.NullString
		if len(r.Phases) > 0 {
			b, err := json.Marshal(r.Phases)
			if err != nil {
				return fmt.Errorf("watttsqlite: encode phases: %w", err)
			}
			phases = sql.NullString{String: string(b), Valid: true}
		}
		if _, err := ins.ExecContext(ctx, conn, sr.Seq, ms(r.Time), tariff, nullFloat(r.PowerDelivered), nullFloat(r.PowerReturned),
			nullFloat(r.DeliveredT1), nullFloat(r.DeliveredT2), nullFloat(r.ReturnedT1), nullFloat(r.ReturnedT2), gas, gasT, phases); err != nil {
			return fmt.Errorf("watttsqlite: insert reading %d: %w", sr.Seq, err)
		}
		samples = append(samples, aggregate.FromReading(r))
	}
	up, err := tx.PrepareContext(ctx, `INSERT INTO aggregates (connection_id, res, bucket_s, n, first_t, last_t, n_power, sum_pd, sum_pr,
		max_pd, max_pr, ed_first, ed_last, er_first, er_last, gas_first, gas_last, n_v1, sum_v1, n_v2, sum_v2, n_v3, sum_v3)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (connection_id, res, bucket_s) DO UPDATE SET
			n = n + excluded.n,
			first_t = min(first_t, excluded.first_t),
			last_t = max(last_t, excluded.last_t),
			n_power = n_power + excluded.n_power,
			sum_pd = sum_pd + excluded.sum_pd,
			sum_pr = sum_pr + excluded.sum_pr,
			max_pd = coalesce(max(max_pd, excluded.max_pd), max_pd, excluded.max_pd),
			max_pr = coalesce(max(max_pr, excluded.max_pr), max_pr, excluded.max_pr),
			ed_first = coalesce(min(ed_first, excluded.ed_first), ed_first, excluded.ed_first),
			ed_last = coalesce(max(ed_last, excluded.ed_last), ed_last, excluded.ed_last),
			er_first = coalesce(min(er_first, excluded.er_first), er_first, excluded.er_first),
			er_last = coalesce(max(er_last, excluded.er_last), er_last, excluded.er_last),
			gas_first = coalesce(min(gas_first, excluded.gas_first), gas_first, excluded.gas_first),
			gas_last = coalesce(max(gas_last, excluded.gas_last), gas_last, excluded.gas_last),
			n_v1 = n_v1 + excluded.n_v1, sum_v1 = sum_v1 + excluded.sum_v1,
			n_v2 = n_v2 + excluded.n_v2, sum_v2 = sum_v2 + excluded.sum_v2,
			n_v3 = n_v3 + excluded.n_v3, sum_v3 = sum_v3 + excluded.sum_v3`)
	if err != nil {
		return fmt.Errorf("watttsqlite: upsert aggregates: %w", err)
	}
	defer up.Close()
	for _, b := range aggregate.Fold(samples, loc) {
		if _, err := up.ExecContext(ctx, conn, int64(b.Res), b.Start, b.N, b.FirstT, b.LastT, b.NPower, b.SumPD, b.SumPR,
			nullFloat(b.MaxPD), nullFloat(b.MaxPR), nullFloat(b.EDFirst), nullFloat(b.EDLast), nullFloat(b.ERFirst), nullFloat(b.ERLast),
			nullFloat(b.GasFirst), nullFloat(b.GasLast), b.NV[0], b.SumV[0], b.NV[1], b.SumV[1], b.NV[2], b.SumV[2]); err != nil {
			return fmt.Errorf("watttsqlite: upsert aggregate: %w", err)
		}
	}
	return nil
}

const readingColumns = `seq, t, tariff, p_delivered, p_returned, e_delivered_t1, e_delivered_t2, e_returned_t1, e_returned_t2, gas, gas_t, phases`

func scanReading(row interface{ Scan(...any) error }) (wattt.StoredReading, error) {
	var sr wattt.StoredReading
	var t int64
	var tariff, gasT sql.NullInt64
	var pd, pr, d1, d2, r1, r2, gas sql.NullFloat64
	var phases sql.NullString
	if err := row.Scan(&sr.Seq, &t, &tariff, &pd, &pr, &d1, &d2, &r1, &r2, &gas, &gasT, &phases); err != nil {
		return wattt.StoredReading{}, err
	}
	r := &sr.Reading
	r.Time = fromMS(t)
	if tariff.Valid {
		v := int(tariff.Int64)
		r.Tariff = &v
	}
	r.PowerDelivered, r.PowerReturned = optFloat(pd), optFloat(pr)
	r.DeliveredT1, r.DeliveredT2, r.ReturnedT1, r.ReturnedT2 = optFloat(d1), optFloat(d2), optFloat(r1), optFloat(r2)
	if gas.Valid {
		sr.WithGas(gas.Float64, fromMS(gasT.Int64))
	}
	if phases.Valid {
		if err := json.Unmarshal([]byte(phases.String), &r.Phases); err != nil {
			return wattt.StoredReading{}, fmt.Errorf("decode phases: %w", err)
		}
	}
	return sr, nil
}

// LatestReading returns the connection's newest reading, or wattt.ErrNotFound.
func (s *Store) LatestReading(ctx context.Context, conn int64) (wattt.StoredReading, error) {
	sr, err := scanReading(s.db.QueryRowContext(ctx, `SELECT `+readingColumns+` FROM readings WHERE connection_id = ? ORDER BY t DESC, seq DESC LIMIT 1`, conn))
	if errors.Is(err, sql.ErrNoRows) {
		return wattt.StoredReading{}, wattt.ErrNotFound
	}
	if err != nil {
		return wattt.StoredReading{}, fmt.Errorf("watttsqlite: latest reading: %w", err)
	}
	return sr, nil
}

// EachReading calls fn for every full-resolution reading of the connection
// with from <= time < to, oldest first.
func (s *Store) EachReading(ctx context.Context, conn int64, from, to time.Time, fn func(wattt.StoredReading) error) error {
	rows, err := s.db.QueryContext(ctx, `SELECT `+readingColumns+` FROM readings WHERE connection_id = ? AND t >= ? AND t < ? ORDER BY t, seq`, conn, ms(from), ms(to))
	if err != nil {
		return fmt.Errorf("watttsqlite: readings: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		sr, err := scanReading(rows)
		if err != nil {
			return fmt.Errorf("watttsqlite: readings: %w", err)
		}
		if err := fn(sr); err != nil {
			return err
		}
	}
	return rows.Err()
}

// OldestReadingTime is the time of the oldest full-resolution reading kept
// for the connection, or wattt.ErrNotFound.
func (s *Store) OldestReadingTime(ctx context.Context, conn int64) (time.Time, error) {
	var t sql.NullInt64
	if err := s.db.QueryRowContext(ctx, `SELECT min(t) FROM readings WHERE connection_id = ?`, conn).Scan(&t); err != nil {
		return time.Time{}, fmt.Errorf("watttsqlite: oldest reading: %w", err)
	}
	if !t.Valid {
		return time.Time{}, wattt.ErrNotFound
	}
	return fromMS(t.Int64), nil
}
