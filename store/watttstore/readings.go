package watttstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"iotahome/protocol"
	"iotahome/wattt/aggregate"
)

// StoredReading is one reading with its sequence number on the channel.
type StoredReading struct {
	Seq     int64
	Reading protocol.Reading
}

// Progress is what a follower learned from the channel since the root it
// started from: readings, where to continue (root and side key), how many
// messages it read, and whether the channel is now closed to it.
type Progress struct {
	ConnectionID int64
	FromRoot     string // the root the follower read from; must still be stored
	Root         string // root of the next message to fetch
	SideKey      string
	Messages     int
	Readings     []StoredReading
	RevokedAt    *time.Time // set: the provider lost access here
}

// ErrMoved means the connection's root changed under the follower (new keys
// arrived): it must reload the connection and read again.
var ErrMoved = errors.New("watttstore: connection moved on")

// Advance stores a follower's progress in one transaction: new readings
// (those with a sequence number above the connection's last are inserted;
// anything else is a duplicate and dropped), their aggregates, and the new
// root, side key and status. Because readings and the root move together, a
// restart resumes exactly after the last stored message. It returns the
// number of readings inserted.
func (s *Store) Advance(ctx context.Context, p Progress, loc *time.Location) (int, error) {
	inserted := 0
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var root string
		var lastSeq int64
		err := tx.QueryRowContext(ctx, `SELECT root, last_seq FROM connections WHERE id = ?`, p.ConnectionID).Scan(&root, &lastSeq)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("watttstore: advance: %w", err)
		}
		if root != p.FromRoot {
			return ErrMoved
		}
		fresh := make([]StoredReading, 0, len(p.Readings))
		for _, r := range p.Readings {
			if r.Seq > lastSeq {
				fresh = append(fresh, r)
				lastSeq = r.Seq
			}
		}
		if err := insertReadings(ctx, tx, p.ConnectionID, fresh, loc); err != nil {
			return err
		}
		inserted = len(fresh)
		var lastAt sql.NullInt64
		if len(fresh) > 0 {
			lastAt = sql.NullInt64{Int64: ms(fresh[len(fresh)-1].Reading.Time), Valid: true}
		}
		status, revoked := ConnectionLive, sql.NullInt64{}
		if p.RevokedAt != nil {
			status, revoked = ConnectionRevoked, sql.NullInt64{Int64: ms(*p.RevokedAt), Valid: true}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE connections SET root = ?, side_key = ?, status = ?, revoked_at = ?,
			last_seq = ?, last_reading_at = coalesce(?, last_reading_at), messages = messages + ?, updated_at = ? WHERE id = ?`,
			p.Root, p.SideKey, status, revoked, lastSeq, lastAt, p.Messages, ms(time.Now()), p.ConnectionID); err != nil {
			return fmt.Errorf("watttstore: advance: %w", err)
		}
		return nil
	})
	return inserted, err
}

// insertReadings writes readings and folds them into the aggregates.
func insertReadings(ctx context.Context, tx *sql.Tx, conn int64, rs []StoredReading, loc *time.Location) error {
	if len(rs) == 0 {
		return nil
	}
	ins, err := tx.PrepareContext(ctx, `INSERT OR IGNORE INTO readings (connection_id, seq, t, tariff, p_delivered, p_returned,
		e_delivered_t1, e_delivered_t2, e_returned_t1, e_returned_t2, gas, gas_t, phases) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return fmt.Errorf("watttstore: insert readings: %w", err)
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
		for _, m := range r.MBus {
			if m.Type == protocol.MBusGas && (m.Unit == "m3" || m.Unit == "") {
				gas = sql.NullFloat64{Float64: m.Value, Valid: true}
				gasT = sql.NullInt64{Int64: ms(m.Time), Valid: true}
				break
			}
		}
		var phases sql.NullString
		if len(r.Phases) > 0 {
			b, err := json.Marshal(r.Phases)
			if err != nil {
				return fmt.Errorf("watttstore: encode phases: %w", err)
			}
			phases = sql.NullString{String: string(b), Valid: true}
		}
		if _, err := ins.ExecContext(ctx, conn, sr.Seq, ms(r.Time), tariff, nullFloat(r.PowerDelivered), nullFloat(r.PowerReturned),
			nullFloat(r.DeliveredT1), nullFloat(r.DeliveredT2), nullFloat(r.ReturnedT1), nullFloat(r.ReturnedT2), gas, gasT, phases); err != nil {
			return fmt.Errorf("watttstore: insert reading %d: %w", sr.Seq, err)
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
		return fmt.Errorf("watttstore: upsert aggregates: %w", err)
	}
	defer up.Close()
	for _, b := range aggregate.Fold(samples, loc) {
		if _, err := up.ExecContext(ctx, conn, int64(b.Res), b.Start, b.N, b.FirstT, b.LastT, b.NPower, b.SumPD, b.SumPR,
			nullFloat(b.MaxPD), nullFloat(b.MaxPR), nullFloat(b.EDFirst), nullFloat(b.EDLast), nullFloat(b.ERFirst), nullFloat(b.ERLast),
			nullFloat(b.GasFirst), nullFloat(b.GasLast), b.NV[0], b.SumV[0], b.NV[1], b.SumV[1], b.NV[2], b.SumV[2]); err != nil {
			return fmt.Errorf("watttstore: upsert aggregate: %w", err)
		}
	}
	return nil
}

const readingColumns = `seq, t, tariff, p_delivered, p_returned, e_delivered_t1, e_delivered_t2, e_returned_t1, e_returned_t2, gas, gas_t, phases`

func scanReading(row interface{ Scan(...any) error }) (StoredReading, error) {
	var sr StoredReading
	var t int64
	var tariff, gasT sql.NullInt64
	var pd, pr, d1, d2, r1, r2, gas sql.NullFloat64
	var phases sql.NullString
	if err := row.Scan(&sr.Seq, &t, &tariff, &pd, &pr, &d1, &d2, &r1, &r2, &gas, &gasT, &phases); err != nil {
		return StoredReading{}, err
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
		r.MBus = []protocol.MBusReading{{Type: protocol.MBusGas, Value: gas.Float64, Unit: "m3", Time: fromMS(gasT.Int64)}}
	}
	if phases.Valid {
		if err := json.Unmarshal([]byte(phases.String), &r.Phases); err != nil {
			return StoredReading{}, fmt.Errorf("decode phases: %w", err)
		}
	}
	return sr, nil
}

// LatestReading returns the connection's newest reading, or ErrNotFound.
func (s *Store) LatestReading(ctx context.Context, conn int64) (StoredReading, error) {
	sr, err := scanReading(s.db.QueryRowContext(ctx, `SELECT `+readingColumns+` FROM readings WHERE connection_id = ? ORDER BY seq DESC LIMIT 1`, conn))
	if errors.Is(err, sql.ErrNoRows) {
		return StoredReading{}, ErrNotFound
	}
	if err != nil {
		return StoredReading{}, fmt.Errorf("watttstore: latest reading: %w", err)
	}
	return sr, nil
}

// EachReading calls fn for every full-resolution reading of the connection
// with from <= time < to, oldest first.
func (s *Store) EachReading(ctx context.Context, conn int64, from, to time.Time, fn func(StoredReading) error) error {
	rows, err := s.db.QueryContext(ctx, `SELECT `+readingColumns+` FROM readings WHERE connection_id = ? AND t >= ? AND t < ? ORDER BY t, seq`, conn, ms(from), ms(to))
	if err != nil {
		return fmt.Errorf("watttstore: readings: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		sr, err := scanReading(rows)
		if err != nil {
			return fmt.Errorf("watttstore: readings: %w", err)
		}
		if err := fn(sr); err != nil {
			return err
		}
	}
	return rows.Err()
}

// OldestReadingTime is the time of the oldest full-resolution reading kept
// for the connection, or ErrNotFound.
func (s *Store) OldestReadingTime(ctx context.Context, conn int64) (time.Time, error) {
	var t sql.NullInt64
	if err := s.db.QueryRowContext(ctx, `SELECT min(t) FROM readings WHERE connection_id = ?`, conn).Scan(&t); err != nil {
		return time.Time{}, fmt.Errorf("watttstore: oldest reading: %w", err)
	}
	if !t.Valid {
		return time.Time{}, ErrNotFound
	}
	return fromMS(t.Int64), nil
}
