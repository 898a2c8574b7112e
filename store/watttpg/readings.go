package watttpg

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"iotahome/wattt"
	"iotahome/wattt/aggregate"
)

// batch collects what one Advance writes, column by column, so that each
// table gets one statement (unnest of arrays) however many connections
// and readings the batch has.
type batch struct {
	// readings
	rConn, rSeq                  []int64
	rT                           []time.Time
	rTariff                      []*int16
	rPD, rPR, rD1, rD2, rR1, rR2 []*float64
	rGas                         []*float64
	rGasT                        []*time.Time
	rPhases                      []*string
	// aggregates
	aConn, aBucket, aN, aFirst, aLast, aNP, aNV1, aNV2, aNV3 []int64
	aRes                                                     []int32
	aSumPD, aSumPR, aSumV1, aSumV2, aSumV3                   []float64
	aMaxPD, aMaxPR, aEDF, aEDL, aERF, aERL, aGF, aGL         []*float64
	// connections
	cID, cLastSeq, cMsgs []int64
	cRoot, cKey, cStatus []string
	cRevoked, cLastAt    []*time.Time
}

// add records one accepted Progress with its fresh readings.
func (b *batch) add(p wattt.Progress, fresh []wattt.StoredReading, lastSeq int64, loc *time.Location) error {
	samples := make([]aggregate.Sample, 0, len(fresh))
	for _, sr := range fresh {
		r := sr.Reading
		b.rConn, b.rSeq, b.rT = append(b.rConn, p.ConnectionID), append(b.rSeq, sr.Seq), append(b.rT, r.Time)
		var tariff *int16
		if r.Tariff != nil {
			v := int16(*r.Tariff)
			tariff = &v
		}
		b.rTariff = append(b.rTariff, tariff)
		b.rPD, b.rPR = append(b.rPD, r.PowerDelivered), append(b.rPR, r.PowerReturned)
		b.rD1, b.rD2, b.rR1, b.rR2 = append(b.rD1, r.DeliveredT1), append(b.rD2, r.DeliveredT2), append(b.rR1, r.ReturnedT1), append(b.rR2, r.ReturnedT2)
		var gas *float64
		var gasT *time.Time
		if m3, at, ok := sr.Gas(); ok {
			gas, gasT = &m3, &at
		}
		b.rGas, b.rGasT = append(b.rGas, gas), append(b.rGasT, gasT)
		var phases *string
		if len(r.Phases) > 0 {
			raw, err := json.Marshal(r.Phases)
			if err != nil {
				return fmt.Errorf("encode phases: %w", err)
			}
			s := string(raw)
			phases = &s
		}
		b.rPhases = append(b.rPhases, phases)
		samples = append(samples, aggregate.FromReading(r))
	}
	for _, a := range aggregate.Fold(samples, loc) {
		b.aConn, b.aRes, b.aBucket = append(b.aConn, p.ConnectionID), append(b.aRes, int32(a.Res)), append(b.aBucket, a.Start)
		b.aN, b.aFirst, b.aLast, b.aNP = append(b.aN, a.N), append(b.aFirst, a.FirstT), append(b.aLast, a.LastT), append(b.aNP, a.NPower)
		b.aSumPD, b.aSumPR = append(b.aSumPD, a.SumPD), append(b.aSumPR, a.SumPR)
		b.aMaxPD, b.aMaxPR = append(b.aMaxPD, a.MaxPD), append(b.aMaxPR, a.MaxPR)
		b.aEDF, b.aEDL, b.aERF, b.aERL = append(b.aEDF, a.EDFirst), append(b.aEDL, a.EDLast), append(b.aERF, a.ERFirst), append(b.aERL, a.ERLast)
		b.aGF, b.aGL = append(b.aGF, a.GasFirst), append(b.aGL, a.GasLast)
		b.aNV1, b.aNV2, b.aNV3 = append(b.aNV1, a.NV[0]), append(b.aNV2, a.NV[1]), append(b.aNV3, a.NV[2])
		b.aSumV1, b.aSumV2, b.aSumV3 = append(b.aSumV1, a.SumV[0]), append(b.aSumV2, a.SumV[1]), append(b.aSumV3, a.SumV[2])
	}
	status, revoked := wattt.ConnectionLive, (*time.Time)(nil)
	if p.RevokedAt != nil {
		status, revoked = wattt.ConnectionRevoked, p.RevokedAt
	}
	var lastAt *time.Time
	if len(fresh) > 0 {
		lastAt = &fresh[len(fresh)-1].Reading.Time
	}
	b.cID, b.cLastSeq, b.cMsgs = append(b.cID, p.ConnectionID), append(b.cLastSeq, lastSeq), append(b.cMsgs, int64(p.Messages))
	b.cRoot, b.cKey, b.cStatus = append(b.cRoot, p.Root), append(b.cKey, p.SideKey), append(b.cStatus, string(status))
	b.cRevoked, b.cLastAt = append(b.cRevoked, revoked), append(b.cLastAt, lastAt)
	return nil
}

// store writes the batch in tx.
func (b *batch) store(ctx context.Context, tx pgx.Tx, now time.Time) error {
	if len(b.rConn) > 0 {
		if _, err := tx.Exec(ctx, `INSERT INTO readings (connection_id, seq, t, tariff, p_delivered, p_returned,
			e_delivered_t1, e_delivered_t2, e_returned_t1, e_returned_t2, gas, gas_t, phases)
			SELECT c, s, t, tf, pd, pr, d1, d2, r1, r2, g, gt, ph::jsonb FROM unnest($1::bigint[], $2::bigint[], $3::timestamptz[],
				$4::smallint[], $5::float8[], $6::float8[], $7::float8[], $8::float8[], $9::float8[], $10::float8[], $11::float8[],
				$12::timestamptz[], $13::text[]) AS u(c, s, t, tf, pd, pr, d1, d2, r1, r2, g, gt, ph)
			ON CONFLICT DO NOTHING`,
			b.rConn, b.rSeq, b.rT, b.rTariff, b.rPD, b.rPR, b.rD1, b.rD2, b.rR1, b.rR2, b.rGas, b.rGasT, b.rPhases); err != nil {
			return fmt.Errorf("insert readings: %w", err)
		}
	}
	if len(b.aConn) > 0 {
		if _, err := tx.Exec(ctx, `INSERT INTO aggregates AS a (connection_id, res, bucket_s, n, first_t, last_t, n_power, sum_pd, sum_pr,
			max_pd, max_pr, ed_first, ed_last, er_first, er_last, gas_first, gas_last, n_v1, sum_v1, n_v2, sum_v2, n_v3, sum_v3)
			SELECT * FROM unnest($1::bigint[], $2::int[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[],
				$8::float8[], $9::float8[], $10::float8[], $11::float8[], $12::float8[], $13::float8[], $14::float8[], $15::float8[],
				$16::float8[], $17::float8[], $18::bigint[], $19::float8[], $20::bigint[], $21::float8[], $22::bigint[], $23::float8[])
			ON CONFLICT (connection_id, res, bucket_s) DO UPDATE SET
				n = a.n + excluded.n,
				first_t = LEAST(a.first_t, excluded.first_t),
				last_t = GREATEST(a.last_t, excluded.last_t),
				n_power = a.n_power + excluded.n_power,
				sum_pd = a.sum_pd + excluded.sum_pd,
				sum_pr = a.sum_pr + excluded.sum_pr,
				max_pd = GREATEST(a.max_pd, excluded.max_pd),
				max_pr = GREATEST(a.max_pr, excluded.max_pr),
				ed_first = LEAST(a.ed_first, excluded.ed_first),
				ed_last = GREATEST(a.ed_last, excluded.ed_last),
				er_first = LEAST(a.er_first, excluded.er_first),
				er_last = GREATEST(a.er_last, excluded.er_last),
				gas_first = LEAST(a.gas_first, excluded.gas_first),
				gas_last = GREATEST(a.gas_last, excluded.gas_last),
				n_v1 = a.n_v1 + excluded.n_v1, sum_v1 = a.sum_v1 + excluded.sum_v1,
				n_v2 = a.n_v2 + excluded.n_v2, sum_v2 = a.sum_v2 + excluded.sum_v2,
				n_v3 = a.n_v3 + excluded.n_v3, sum_v3 = a.sum_v3 + excluded.sum_v3`,
			b.aConn, b.aRes, b.aBucket, b.aN, b.aFirst, b.aLast, b.aNP, b.aSumPD, b.aSumPR, b.aMaxPD, b.aMaxPR,
			b.aEDF, b.aEDL, b.aERF, b.aERL, b.aGF, b.aGL, b.aNV1, b.aSumV1, b.aNV2, b.aSumV2, b.aNV3, b.aSumV3); err != nil {
			return fmt.Errorf("upsert aggregates: %w", err)
		}
	}
	if len(b.cID) > 0 {
		if _, err := tx.Exec(ctx, `UPDATE connections c SET root = u.root, side_key = coalesce(nullif(u.key, ''), c.side_key),
			status = u.status, revoked_at = u.revoked, last_seq = u.last_seq, last_reading_at = coalesce(u.last_at, c.last_reading_at),
			messages = c.messages + u.msgs, updated_at = $9
			FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::bigint[], $7::timestamptz[], $8::bigint[])
				AS u(id, root, key, status, revoked, last_seq, last_at, msgs)
			WHERE c.id = u.id`,
			b.cID, b.cRoot, b.cKey, b.cStatus, b.cRevoked, b.cLastSeq, b.cLastAt, b.cMsgs, now); err != nil {
			return fmt.Errorf("update connections: %w", err)
		}
	}
	return nil
}

const readingColumns = `seq, t, tariff, p_delivered, p_returned, e_delivered_t1, e_delivered_t2, e_returned_t1, e_returned_t2, gas, gas_t, phases`

func scanReading(row pgx.Row) (wattt.StoredReading, error) {
	var sr wattt.StoredReading
	var tariff *int16
	var gas *float64
	var gasT *time.Time
	var phases []byte
	r := &sr.Reading
	if err := row.Scan(&sr.Seq, &r.Time, &tariff, &r.PowerDelivered, &r.PowerReturned, &r.DeliveredT1, &r.DeliveredT2,
		&r.ReturnedT1, &r.ReturnedT2, &gas, &gasT, &phases); err != nil {
		return wattt.StoredReading{}, err
	}
	if tariff != nil {
		v := int(*tariff)
		r.Tariff = &v
	}
	if gas != nil && gasT != nil {
		sr.WithGas(*gas, *gasT)
	}
	if phases != nil {
		if err := json.Unmarshal(phases, &r.Phases); err != nil {
			return wattt.StoredReading{}, fmt.Errorf("decode phases: %w", err)
		}
	}
	return sr, nil
}

// LatestReading returns the connection's newest reading.
func (s *Store) LatestReading(ctx context.Context, conn int64) (wattt.StoredReading, error) {
	sr, err := scanReading(s.pool.QueryRow(ctx, `SELECT `+readingColumns+` FROM readings WHERE connection_id = $1
		ORDER BY t DESC, seq DESC LIMIT 1`, conn))
	if err != nil {
		return wattt.StoredReading{}, wrap("latest reading", notFound(err))
	}
	return sr, nil
}

// EachReading calls fn for every full-resolution reading of the connection
// with from <= time < to, oldest first.
func (s *Store) EachReading(ctx context.Context, conn int64, from, to time.Time, fn func(wattt.StoredReading) error) error {
	rows, err := s.pool.Query(ctx, `SELECT `+readingColumns+` FROM readings WHERE connection_id = $1 AND t >= $2 AND t < $3
		ORDER BY t, seq`, conn, from, to)
	if err != nil {
		return wrap("readings", err)
	}
	defer rows.Close()
	for rows.Next() {
		sr, err := scanReading(rows)
		if err != nil {
			return wrap("readings", err)
		}
		if err := fn(sr); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return wrap("readings", err)
	}
	return nil
}

// OldestReadingTime is the time of the oldest full-resolution reading kept.
func (s *Store) OldestReadingTime(ctx context.Context, conn int64) (time.Time, error) {
	var t *time.Time
	if err := s.pool.QueryRow(ctx, `SELECT min(t) FROM readings WHERE connection_id = $1`, conn).Scan(&t); err != nil {
		return time.Time{}, wrap("oldest reading", err)
	}
	if t == nil {
		return time.Time{}, wattt.ErrNotFound
	}
	return *t, nil
}
