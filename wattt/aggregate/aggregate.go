// Package aggregate downsamples readings into minute, hour and day buckets.
// It is pure computation: the store folds every batch of new readings into
// buckets with Fold and merges them into the stored ones with the same rules
// as Bucket.Merge, so aggregates are maintained incrementally on insert and
// never recomputed from raw readings (which are only kept for a recent
// window).
package aggregate

import (
	"time"

	"iotahome/protocol"
)

// Resolution is the width of a bucket in seconds.
type Resolution int64

// The resolutions kept. Day buckets start at local midnight (so a day is 23
// or 25 hours long around a DST change); minute and hour buckets are aligned
// to UTC, which is the same as local for every whole-hour time zone.
const (
	Minute Resolution = 60
	Hour   Resolution = 3600
	Day    Resolution = 86400
)

// Resolutions lists every resolution maintained, finest first.
var Resolutions = [...]Resolution{Minute, Hour, Day}

// Sample is the part of one reading that aggregates keep. Nil means the
// meter did not report the value.
type Sample struct {
	Time      time.Time
	PowerDel  *float64 // kW
	PowerRet  *float64 // kW
	EnergyDel *float64 // kWh, delivered counter summed over tariffs
	EnergyRet *float64 // kWh, returned counter summed over tariffs
	Gas       *float64 // m³ counter
	Voltage   [3]*float64
}

// FromReading extracts a Sample from a reading.
func FromReading(r protocol.Reading) Sample {
	s := Sample{
		Time:      r.Time,
		PowerDel:  r.PowerDelivered,
		PowerRet:  r.PowerReturned,
		EnergyDel: sum(r.DeliveredT1, r.DeliveredT2),
		EnergyRet: sum(r.ReturnedT1, r.ReturnedT2),
		Gas:       GasM3(r),
	}
	for _, p := range r.Phases {
		if p.Phase >= 1 && p.Phase <= 3 {
			s.Voltage[p.Phase-1] = p.Voltage
		}
	}
	return s
}

// GasM3 returns the gas counter of the first M-Bus gas meter in m³, or nil.
func GasM3(r protocol.Reading) *float64 {
	for _, m := range r.MBus {
		if m.Type == protocol.MBusGas && (m.Unit == "m3" || m.Unit == "") {
			v := m.Value
			return &v
		}
	}
	return nil
}

// sum adds the tariff registers; nil only when both are absent.
func sum(a, b *float64) *float64 {
	if a == nil && b == nil {
		return nil
	}
	var v float64
	if a != nil {
		v += *a
	}
	if b != nil {
		v += *b
	}
	return &v
}

// Bucket is the aggregate of all samples whose time falls in
// [Start, Start+width). Counters only grow, so their first value is the
// minimum and their last the maximum, whatever order samples arrive in.
type Bucket struct {
	Res    Resolution
	Start  int64 // unix seconds
	N      int64 // samples
	FirstT int64 // unix ms of the earliest sample
	LastT  int64 // unix ms of the latest sample

	NPower   int64 // samples with power values
	SumPD    float64
	SumPR    float64
	MaxPD    *float64
	MaxPR    *float64
	EDFirst  *float64
	EDLast   *float64
	ERFirst  *float64
	ERLast   *float64
	GasFirst *float64
	GasLast  *float64
	NV       [3]int64
	SumV     [3]float64
}

// BucketStart returns the start (unix seconds) of the bucket holding t.
func BucketStart(res Resolution, t time.Time, loc *time.Location) int64 {
	if res == Day {
		lt := t.In(loc)
		return time.Date(lt.Year(), lt.Month(), lt.Day(), 0, 0, 0, 0, loc).Unix()
	}
	s := t.Unix()
	w := int64(res)
	return s - ((s%w)+w)%w
}

// Fold aggregates samples into buckets of every resolution. The result holds
// one bucket per (resolution, start) touched, in no particular order.
func Fold(samples []Sample, loc *time.Location) []Bucket {
	type key struct {
		res   Resolution
		start int64
	}
	idx := make(map[key]int)
	var out []Bucket
	for _, s := range samples {
		for _, res := range Resolutions {
			k := key{res, BucketStart(res, s.Time, loc)}
			i, ok := idx[k]
			if !ok {
				i = len(out)
				idx[k] = i
				out = append(out, Bucket{Res: res, Start: k.start})
			}
			out[i].Add(s)
		}
	}
	return out
}

// Add folds one sample into b.
func (b *Bucket) Add(s Sample) {
	b.Merge(Bucket{
		Res: b.Res, Start: b.Start, N: 1,
		FirstT: s.Time.UnixMilli(), LastT: s.Time.UnixMilli(),
		NPower:  boolInt(s.PowerDel != nil || s.PowerRet != nil),
		SumPD:   deref(s.PowerDel),
		SumPR:   deref(s.PowerRet),
		MaxPD:   s.PowerDel,
		MaxPR:   s.PowerRet,
		EDFirst: s.EnergyDel, EDLast: s.EnergyDel,
		ERFirst: s.EnergyRet, ERLast: s.EnergyRet,
		GasFirst: s.Gas, GasLast: s.Gas,
		NV:   [3]int64{boolInt(s.Voltage[0] != nil), boolInt(s.Voltage[1] != nil), boolInt(s.Voltage[2] != nil)},
		SumV: [3]float64{deref(s.Voltage[0]), deref(s.Voltage[1]), deref(s.Voltage[2])},
	})
}

// Merge folds another bucket of the same resolution and start into b. The
// store's upsert applies exactly these rules in SQL.
func (b *Bucket) Merge(o Bucket) {
	if b.N == 0 {
		b.FirstT, b.LastT = o.FirstT, o.LastT
	} else if o.N > 0 {
		b.FirstT = min(b.FirstT, o.FirstT)
		b.LastT = max(b.LastT, o.LastT)
	}
	b.N += o.N
	b.NPower += o.NPower
	b.SumPD += o.SumPD
	b.SumPR += o.SumPR
	b.MaxPD = maxOpt(b.MaxPD, o.MaxPD)
	b.MaxPR = maxOpt(b.MaxPR, o.MaxPR)
	b.EDFirst = minOpt(b.EDFirst, o.EDFirst)
	b.EDLast = maxOpt(b.EDLast, o.EDLast)
	b.ERFirst = minOpt(b.ERFirst, o.ERFirst)
	b.ERLast = maxOpt(b.ERLast, o.ERLast)
	b.GasFirst = minOpt(b.GasFirst, o.GasFirst)
	b.GasLast = maxOpt(b.GasLast, o.GasLast)
	for i := range b.NV {
		b.NV[i] += o.NV[i]
		b.SumV[i] += o.SumV[i]
	}
}

// AvgPowerDel is the mean delivered power (kW) over the bucket's samples.
func (b Bucket) AvgPowerDel() float64 { return ratio(b.SumPD, b.NPower) }

// AvgPowerRet is the mean returned power (kW) over the bucket's samples.
func (b Bucket) AvgPowerRet() float64 { return ratio(b.SumPR, b.NPower) }

// AvgVoltage is the mean voltage of phase 1..3, and whether there was any.
func (b Bucket) AvgVoltage(phase int) (float64, bool) {
	i := phase - 1
	return ratio(b.SumV[i], b.NV[i]), b.NV[i] > 0
}

func ratio(s float64, n int64) float64 {
	if n == 0 {
		return 0
	}
	return s / float64(n)
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func deref(p *float64) float64 {
	if p == nil {
		return 0
	}
	return *p
}

func minOpt(a, b *float64) *float64 {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	case *b < *a:
		return b
	}
	return a
}

func maxOpt(a, b *float64) *float64 {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	case *b > *a:
		return b
	}
	return a
}
