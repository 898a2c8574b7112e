package wattt

import (
	"context"
	"math"
	"math/rand/v2"
	"net/http"
	"slices"
	"testing"
	"time"

	"iotahome/protocol"
	"iotahome/wattt"
)

// seedDays stores days of 1 Hz readings ending now for a fresh connection
// of the browser's account, through the same Advance path the followers use
// (so aggregates are maintained incrementally as in production), one hour
// per transaction. The readings are synthetic: a base load with an evening
// peak and noise, solar return around midday, three phases, gas.
func seedDays(tb testing.TB, s *testSite, b *browser, days int) int64 {
	tb.Helper()
	ctx := context.Background()
	state := b.connect()
	conn, err := s.st.AcceptKeys(ctx, b.accountID(), state, "DEVICE", "ROOT", "KEY", time.Now())
	if err != nil {
		tb.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	end := time.Now().Truncate(time.Second)
	start := end.Add(-time.Duration(days) * 24 * time.Hour)
	var seq int64
	ed, er, gas := 12000.0, 3000.0, 4000.0
	root := "ROOT"
	began := time.Now()
	for hour := start; hour.Before(end); hour = hour.Add(time.Hour) {
		batch := make([]wattt.StoredReading, 0, 3600)
		for i := 0; i < 3600; i++ {
			at := hour.Add(time.Duration(i) * time.Second)
			h := float64(at.Hour()) + float64(at.Minute())/60
			load := 0.25 + 0.8*math.Max(0, math.Sin((h-14)/24*2*math.Pi)) + rng.Float64()*0.3
			sun := math.Max(0, 3.2*math.Sin((h-7)/12*math.Pi))
			net := load - sun
			pd, pr := math.Max(net, 0), math.Max(-net, 0)
			ed += pd / 3600
			er += pr / 3600
			if h > 6 && h < 23 && i%300 == 0 {
				gas += 0.02
			}
			r := protocol.Reading{
				Time: at, DeliveredT1: ptr(ed / 2), DeliveredT2: ptr(ed / 2), ReturnedT1: ptr(er / 2), ReturnedT2: ptr(er / 2),
				PowerDelivered: ptr(pd), PowerReturned: ptr(pr),
				MBus: []protocol.MBusReading{{Channel: 1, Type: protocol.MBusGas, Time: at.Truncate(5 * time.Minute), Value: gas, Unit: "m3"}},
			}
			for ph := 1; ph <= 3; ph++ {
				r.Phases = append(r.Phases, protocol.Phase{Phase: ph, Voltage: ptr(229 + rng.Float64()*3), Current: ptr(pd / 3 * 4.3), PowerDelivered: ptr(pd / 3), PowerReturned: ptr(pr / 3)})
			}
			batch = append(batch, wattt.StoredReading{Seq: seq, Reading: r})
			seq++
		}
		next := "R" + time.Duration(seq).String()
		if _, err := s.st.Advance(ctx, time.UTC, []wattt.Progress{wattt.Progress{ConnectionID: conn.ID, FromRoot: root, Root: next, SideKey: "KEY", Messages: 360, Readings: batch}}); err != nil {
			tb.Fatal(err)
		}
		root = next
	}
	tb.Logf("seeded %d readings (%d days at 1 Hz) in %s", seq, days, time.Since(began).Round(time.Second))
	return conn.ID
}

func ptr(v float64) *float64 { return &v }

// BenchmarkDashboard30Days measures rendering the whole dashboard page
// (handler, every query, charts, templ) with 30 days of 1 Hz readings
// stored, first with all 2.6 M readings still at full resolution, then after
// pruning to the 48-hour window Wattt keeps. Run with:
//
//	go test -run '^$' -bench Dashboard30Days -benchtime 1000x ./handlers/wattt/
func BenchmarkDashboard30Days(b *testing.B) {
	s := newSite(b)
	br := s.browser(b)
	seedDays(b, s, br, benchDays)
	measure := func(b *testing.B) {
		var took []time.Duration
		for b.Loop() {
			t0 := time.Now()
			rec := br.get("/dashboard")
			took = append(took, time.Since(t0))
			if rec.Code != http.StatusOK {
				b.Fatalf("dashboard: %d", rec.Code)
			}
		}
		slices.Sort(took)
		p := func(q float64) float64 {
			return float64(took[min(len(took)-1, int(q*float64(len(took))))].Microseconds()) / 1000
		}
		b.ReportMetric(p(0.5), "p50-ms")
		b.ReportMetric(p(0.99), "p99-ms")
		b.ReportMetric(p(1), "max-ms")
		b.Logf("%d renders: p50 %.2f ms, p99 %.2f ms, max %.2f ms", len(took), p(0.5), p(0.99), p(1))
	}
	b.Run("all-raw", measure)
	if err := s.st.Prune(context.Background(), time.Now(), wattt.DefaultRetention); err != nil {
		b.Fatal(err)
	}
	b.Run("pruned-48h", measure)
}

// benchDays is how much history BenchmarkDashboard30Days stores.
const benchDays = 30
