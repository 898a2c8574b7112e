package aggregate

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"iotahome/protocol"
)

func f(v float64) *float64 { return &v }

func amsterdam(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		t.Skipf("no tz database: %v", err)
	}
	return loc
}

func TestBucketStart(t *testing.T) {
	loc := amsterdam(t)
	at := time.Date(2026, 3, 29, 14, 37, 12, 500, time.UTC) // DST day in NL
	if got, want := BucketStart(Minute, at, loc), time.Date(2026, 3, 29, 14, 37, 0, 0, time.UTC).Unix(); got != want {
		t.Errorf("minute: got %d want %d", got, want)
	}
	if got, want := BucketStart(Hour, at, loc), time.Date(2026, 3, 29, 14, 0, 0, 0, time.UTC).Unix(); got != want {
		t.Errorf("hour: got %d want %d", got, want)
	}
	// Local midnight on 29 March is 23:00 UTC on the 28th (still winter time).
	if got, want := BucketStart(Day, at, loc), time.Date(2026, 3, 28, 23, 0, 0, 0, time.UTC).Unix(); got != want {
		t.Errorf("day: got %d want %d", got, want)
	}
	// 00:30 local on 30 March (summer time) belongs to the 30th, which starts 22:00 UTC on the 29th.
	late := time.Date(2026, 3, 29, 22, 30, 0, 0, time.UTC)
	if got, want := BucketStart(Day, late, loc), time.Date(2026, 3, 29, 22, 0, 0, 0, time.UTC).Unix(); got != want {
		t.Errorf("day after DST: got %d want %d", got, want)
	}
	// Before 1970 the modulo must still round down.
	old := time.Unix(-61, 0)
	if got := BucketStart(Minute, old, time.UTC); got != -120 {
		t.Errorf("negative time: got %d want -120", got)
	}
}

func TestFoldSumsAndExtremes(t *testing.T) {
	base := time.Date(2026, 1, 10, 10, 0, 0, 0, time.UTC)
	samples := []Sample{
		{Time: base, PowerDel: f(1), PowerRet: f(0), EnergyDel: f(100), EnergyRet: f(50), Gas: f(10), Voltage: [3]*float64{f(230), nil, nil}},
		{Time: base.Add(30 * time.Second), PowerDel: f(3), PowerRet: f(0.5), EnergyDel: f(100.01), EnergyRet: f(50), Gas: f(10)},
		{Time: base.Add(61 * time.Second), PowerDel: f(2), PowerRet: f(0), EnergyDel: f(100.03), EnergyRet: f(50.2), Gas: f(10.5), Voltage: [3]*float64{f(234), nil, nil}},
	}
	buckets := Fold(samples, time.UTC)
	byKey := map[[2]int64]Bucket{}
	for _, b := range buckets {
		byKey[[2]int64{int64(b.Res), b.Start}] = b
	}
	if len(buckets) != 4 { // two minutes, one hour, one day
		t.Fatalf("got %d buckets, want 4: %+v", len(buckets), buckets)
	}
	m0 := byKey[[2]int64{60, base.Unix()}]
	if m0.N != 2 || m0.SumPD != 4 || *m0.MaxPD != 3 || *m0.MaxPR != 0.5 || m0.AvgPowerDel() != 2 {
		t.Errorf("minute 0: %+v", m0)
	}
	if *m0.EDFirst != 100 || *m0.EDLast != 100.01 || m0.FirstT != base.UnixMilli() || m0.LastT != base.Add(30*time.Second).UnixMilli() {
		t.Errorf("minute 0 counters: %+v", m0)
	}
	if v, ok := m0.AvgVoltage(1); !ok || v != 230 {
		t.Errorf("minute 0 voltage L1 = %v,%v", v, ok)
	}
	if _, ok := m0.AvgVoltage(2); ok {
		t.Error("minute 0 has voltage L2 but no sample reported it")
	}
	h := byKey[[2]int64{3600, base.Unix()}]
	if h.N != 3 || h.SumPD != 6 || *h.EDLast != 100.03 || *h.GasFirst != 10 || *h.GasLast != 10.5 {
		t.Errorf("hour: %+v", h)
	}
	if v, _ := h.AvgVoltage(1); v != 232 {
		t.Errorf("hour voltage L1 = %v, want 232", v)
	}
}

// Folding in batches and merging must give exactly what folding everything
// at once gives, whatever the order the batches arrive in: that is what
// makes incremental maintenance on insert correct.
func TestIncrementalMergeEqualsFoldAll(t *testing.T) {
	loc := amsterdam(t)
	rng := rand.New(rand.NewPCG(1, 2))
	base := time.Date(2026, 10, 24, 20, 0, 0, 0, time.UTC) // spans the end of DST
	var samples []Sample
	ed, er, gas := 1000.0, 200.0, 500.0
	for i := 0; i < 20000; i++ {
		pd, pr := rng.Float64()*3, 0.0
		if i%7 == 0 {
			pr, pd = rng.Float64(), 0
		}
		ed += pd / 3600
		er += pr / 3600
		if i%300 == 0 {
			gas += 0.01
		}
		samples = append(samples, Sample{Time: base.Add(time.Duration(i) * 5 * time.Second), PowerDel: f(pd), PowerRet: f(pr), EnergyDel: f(ed), EnergyRet: f(er), Gas: f(gas)})
	}
	want := index(Fold(samples, loc))

	got := map[[2]int64]Bucket{}
	// Batches of random size, shuffled.
	var batches [][]Sample
	for i := 0; i < len(samples); {
		n := 1 + rng.IntN(40)
		batches = append(batches, samples[i:min(i+n, len(samples))])
		i += n
	}
	rng.Shuffle(len(batches), func(i, j int) { batches[i], batches[j] = batches[j], batches[i] })
	for _, batch := range batches {
		for _, b := range Fold(batch, loc) {
			k := [2]int64{int64(b.Res), b.Start}
			cur := got[k]
			cur.Res, cur.Start = b.Res, b.Start
			cur.Merge(b)
			got[k] = cur
		}
	}
	if len(got) != len(want) {
		t.Fatalf("got %d buckets, want %d", len(got), len(want))
	}
	for k, w := range want {
		g := got[k]
		if g.N != w.N || g.FirstT != w.FirstT || g.LastT != w.LastT || *g.EDFirst != *w.EDFirst || *g.EDLast != *w.EDLast ||
			*g.GasLast != *w.GasLast || *g.MaxPD != *w.MaxPD || math.Abs(g.SumPD-w.SumPD) > 1e-6 {
			t.Fatalf("bucket %v differs:\n got %+v\nwant %+v", k, g, w)
		}
	}
	// 20000 samples × 5 s ≈ 27.8 h: the 25-hour day of 25 October 2026
	// (DST ends) must hold 25 × 720 samples when fully covered.
	day := want[[2]int64{int64(Day), time.Date(2026, 10, 25, 0, 0, 0, 0, loc).Unix()}]
	if day.N != 25*720 {
		t.Errorf("25-hour day holds %d samples, want %d", day.N, 25*720)
	}
}

func index(bs []Bucket) map[[2]int64]Bucket {
	m := map[[2]int64]Bucket{}
	for _, b := range bs {
		m[[2]int64{int64(b.Res), b.Start}] = b
	}
	return m
}

func TestUsagesUsePreviousBucketsLastCounter(t *testing.T) {
	prev := &Bucket{Start: 0, EDLast: f(10), ERLast: f(5), GasLast: f(100)}
	bs := []Bucket{
		{Start: 3600, EDFirst: f(10.2), EDLast: f(11), ERFirst: f(5), ERLast: f(5.5), GasFirst: f(100), GasLast: f(100.25)},
		{Start: 7200}, // no readings with counters
		{Start: 10800, EDFirst: f(11.1), EDLast: f(12)},
		{Start: 14400, EDFirst: f(0.5), EDLast: f(0.75)}, // meter replaced: counter went back
	}
	u := Usages(prev, bs)
	want := []Usage{
		{Start: 3600, Delivered: 1, Returned: 0.5, Gas: 0.25, HasGas: true},
		{Start: 7200},
		{Start: 10800, Delivered: 1},
		{Start: 14400, Delivered: 0.25},
	}
	for i := range want {
		if math.Abs(u[i].Delivered-want[i].Delivered) > 1e-9 || math.Abs(u[i].Returned-want[i].Returned) > 1e-9 ||
			math.Abs(u[i].Gas-want[i].Gas) > 1e-9 || u[i].HasGas != want[i].HasGas || u[i].Start != want[i].Start {
			t.Errorf("usage %d = %+v, want %+v", i, u[i], want[i])
		}
	}
	// Without a previous bucket the first one counts from its own first value.
	if u := Usages(nil, bs[:1]); math.Abs(u[0].Delivered-0.8) > 1e-9 {
		t.Errorf("first bucket without prev: %v kWh, want 0.8", u[0].Delivered)
	}
}

func TestFromReading(t *testing.T) {
	r := protocol.Reading{
		Time:        time.Unix(100, 0),
		DeliveredT1: f(1), DeliveredT2: f(2), ReturnedT2: f(3),
		PowerDelivered: f(0.5),
		Phases:         []protocol.Phase{{Phase: 2, Voltage: f(231)}, {Phase: 9, Voltage: f(1)}},
		MBus:           []protocol.MBusReading{{Channel: 1, Type: protocol.MBusWater, Value: 9, Unit: "m3"}, {Channel: 2, Type: protocol.MBusGas, Value: 42, Unit: "m3"}},
	}
	s := FromReading(r)
	if *s.EnergyDel != 3 || *s.EnergyRet != 3 || *s.Gas != 42 || s.Voltage[1] == nil || *s.Voltage[1] != 231 || s.Voltage[0] != nil {
		t.Errorf("FromReading = %+v", s)
	}
	if FromReading(protocol.Reading{}).EnergyDel != nil {
		t.Error("absent counters must stay absent")
	}
}
