package wattt

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"iotahome/protocol"
	"iotahome/wattt/aggregate"
)

// MaxExportSpan bounds one CSV export.
const MaxExportSpan = 366 * 24 * time.Hour

// csvHeader names the export columns. "source" says whether a row is one
// reading or a minute average (older than the full-resolution window).
var csvHeader = []string{"time", "source", "power_delivered_kw", "power_returned_kw",
	"delivered_kwh", "returned_kwh", "delivered_t1_kwh", "delivered_t2_kwh", "returned_t1_kwh", "returned_t2_kwh",
	"tariff", "gas_m3", "l1_v", "l2_v", "l3_v", "l1_a", "l2_a", "l3_a"}

// ExportCSV writes the connection's data in [from, to) as CSV: every reading
// where full-resolution readings are still kept, minute averages before
// that. It returns ErrNoConnection for a connection not the account's.
func (s *Service) ExportCSV(ctx context.Context, accountID, connID int64, from, to time.Time, w io.Writer) error {
	if !from.Before(to) || to.Sub(from) > MaxExportSpan {
		return &UserError{Msg: "Choose a start before the end, at most a year apart."}
	}
	c, err := s.connection(ctx, accountID, connID)
	if err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return err
	}
	rawFrom := to
	if oldest, err := s.st.OldestReadingTime(ctx, c.ID); err == nil {
		rawFrom = oldest
	} else if !errors.Is(err, ErrNotFound) {
		return err
	}
	if rawFrom.Before(from) {
		rawFrom = from
	}
	if from.Before(rawFrom) {
		// Minute buckets start on the minute: begin at the first whole one.
		mins, _, err := s.st.Buckets(ctx, c.ID, aggregate.Minute, from.Add(59*time.Second).Truncate(time.Minute), rawFrom.Truncate(time.Minute))
		if err != nil {
			return err
		}
		for _, b := range mins {
			if err := cw.Write(minuteRow(b, s.cfg.Location)); err != nil {
				return err
			}
		}
	}
	err = s.st.EachReading(ctx, c.ID, rawFrom, to, func(r StoredReading) error {
		return cw.Write(readingRow(r.Reading, s.cfg.Location))
	})
	if err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

func minuteRow(b aggregate.Bucket, loc *time.Location) []string {
	row := make([]string, len(csvHeader))
	row[0] = time.Unix(b.Start, 0).In(loc).Format(time.RFC3339)
	row[1] = "minute-average"
	if b.NPower > 0 {
		row[2], row[3] = num(b.AvgPowerDel()), num(b.AvgPowerRet())
	}
	row[4], row[5] = optNum(b.EDLast), optNum(b.ERLast)
	row[11] = optNum(b.GasLast)
	for ph := 1; ph <= 3; ph++ {
		if v, ok := b.AvgVoltage(ph); ok {
			row[11+ph] = num(v)
		}
	}
	return row
}

func readingRow(r protocol.Reading, loc *time.Location) []string {
	row := make([]string, len(csvHeader))
	row[0] = r.Time.In(loc).Format(time.RFC3339)
	row[1] = "reading"
	row[2], row[3] = optNum(r.PowerDelivered), optNum(r.PowerReturned)
	s := aggregate.FromReading(r)
	row[4], row[5] = optNum(s.EnergyDel), optNum(s.EnergyRet)
	row[6], row[7], row[8], row[9] = optNum(r.DeliveredT1), optNum(r.DeliveredT2), optNum(r.ReturnedT1), optNum(r.ReturnedT2)
	if r.Tariff != nil {
		row[10] = strconv.Itoa(*r.Tariff)
	}
	row[11] = optNum(s.Gas)
	for _, p := range r.Phases {
		if p.Phase >= 1 && p.Phase <= 3 {
			row[11+p.Phase] = optNum(p.Voltage)
			row[14+p.Phase] = optNum(p.Current)
		}
	}
	return row
}

func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func optNum(p *float64) string {
	if p == nil {
		return ""
	}
	return num(*p)
}

// ExportFilename names a CSV download.
func ExportFilename(from, to time.Time) string {
	return fmt.Sprintf("wattt-%s-%s.csv", from.Format("20060102T1504"), to.Format("20060102T1504"))
}
