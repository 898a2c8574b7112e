package simulator

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"iotahome/pi/dsmr"
	"iotahome/protocol"
)

func newParser(t *testing.T) *dsmr.Parser {
	t.Helper()
	p, err := dsmr.NewParser(dsmr.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// A summer Monday: solar at noon, low tariff at night.
var monday = time.Date(2025, 6, 23, 0, 0, 0, 0, time.UTC)

// TestRoundTrip runs each meter for a simulated day, one telegram a
// minute, and checks every telegram through the parser.
func TestRoundTrip(t *testing.T) {
	p := newParser(t)
	for _, kind := range []string{DSMR5, DSMR22, BE} {
		t.Run(kind, func(t *testing.T) {
			m, err := NewMeter(Config{Kind: kind, Seed: 42, Start: monday, Step: time.Minute})
			if err != nil {
				t.Fatal(err)
			}
			var prev *protocol.Reading
			var noonReturn, nightReturn float64
			var sawLow, sawNormal bool
			for range 24 * 60 {
				tg, err := p.Parse(m.Telegram())
				if err != nil {
					t.Fatalf("at %s: %v", m.Now(), err)
				}
				if len(tg.FieldErrors) > 0 {
					t.Fatalf("at %s: field errors %v", m.Now(), tg.FieldErrors)
				}
				r := tg.Reading
				if kind != DSMR22 && !r.Time.Equal(m.Now()) {
					t.Fatalf("reading time %s, meter time %s", r.Time, m.Now())
				}
				checkReading(t, kind, m, &r, prev)
				h := m.Now().Hour()
				if h >= 12 && h < 15 {
					noonReturn += *r.PowerReturned
				}
				if h < 4 {
					nightReturn += *r.PowerReturned
				}
				low := (kind == BE) == (*r.Tariff == 2)
				sawLow = sawLow || low
				sawNormal = sawNormal || !low
				prev = &r
			}
			if nightReturn != 0 || noonReturn == 0 {
				t.Errorf("returned power: %v at night, %v around noon", nightReturn, noonReturn)
			}
			if !sawLow || !sawNormal {
				t.Errorf("tariffs: low %v normal %v", sawLow, sawNormal)
			}
		})
	}
}

func checkReading(t *testing.T, kind string, m *Meter, r, prev *protocol.Reading) {
	t.Helper()
	wantMeaning := dsmr.NL
	if kind == BE {
		wantMeaning = dsmr.BE
	}
	if r.TariffMeaning != wantMeaning {
		t.Fatalf("tariff meaning %q", r.TariffMeaning)
	}
	// Weekday nights and the weekend are low tariff: 1 in NL, 2 in BE.
	h := m.Now().Hour()
	night := h < 7 || h >= 23 || (kind == BE && h >= 22)
	wantTariff := 2
	if night == (kind != BE) {
		wantTariff = 1
	}
	if *r.Tariff != wantTariff {
		t.Fatalf("at %s tariff %d, want %d", m.Now(), *r.Tariff, wantTariff)
	}
	if (*r.PowerDelivered > 0) && (*r.PowerReturned > 0) {
		t.Fatalf("delivered %v and returned %v at once", *r.PowerDelivered, *r.PowerReturned)
	}
	if prev != nil {
		for i, pair := range [][2]*float64{{r.DeliveredT1, prev.DeliveredT1}, {r.DeliveredT2, prev.DeliveredT2}, {r.ReturnedT1, prev.ReturnedT1}, {r.ReturnedT2, prev.ReturnedT2}} {
			if *pair[0] < *pair[1] {
				t.Fatalf("register %d went down: %v -> %v", i, *pair[1], *pair[0])
			}
		}
		if r.MBus[0].Value < prev.MBus[0].Value {
			t.Fatalf("gas went down")
		}
	}
	gas := r.MBus[0]
	capture := 5 * time.Minute
	if kind == DSMR22 {
		capture = time.Hour
	}
	if gas.Type != protocol.MBusGas || gas.Unit != "m3" || !gas.Time.Equal(m.Now().Truncate(capture)) {
		t.Fatalf("gas %+v at %s", gas, m.Now())
	}
	if kind == BE && (len(r.MBus) != 2 || r.MBus[1].Type != protocol.MBusWater || r.AverageDemand == nil || r.MonthPeak == nil) {
		t.Fatalf("Belgian reading %+v", r)
	}
	if kind == DSMR22 {
		return
	}
	if len(r.Phases) != 3 {
		t.Fatalf("%d phases", len(r.Phases))
	}
	var sumD, sumR float64
	for _, ph := range r.Phases {
		if *ph.Voltage < 215 || *ph.Voltage > 250 {
			t.Fatalf("voltage %v", *ph.Voltage)
		}
		p := *ph.PowerDelivered + *ph.PowerReturned
		// DSMR 5 sends whole amperes; e-MUCS two decimals.
		tolerance := 0.51
		if kind == BE {
			tolerance = 0.006
		}
		if want := p * 1000 / *ph.Voltage; math.Abs(*ph.Current-want) > tolerance+0.01*want {
			t.Fatalf("L%d current %v A, %v kW at %v V", ph.Phase, *ph.Current, p, *ph.Voltage)
		}
		sumD += *ph.PowerDelivered
		sumR += *ph.PowerReturned
	}
	// The meter nets the phases.
	if net := sumD - sumR; math.Abs(net-(*r.PowerDelivered-*r.PowerReturned)) > 0.003 {
		t.Fatalf("phases net %v, total %v - %v", net, *r.PowerDelivered, *r.PowerReturned)
	}
}

func TestDeterministic(t *testing.T) {
	run := func(seed uint64) []byte {
		m, err := NewMeter(Config{Seed: seed, Start: monday, Faults: 0.2})
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if _, err := Run(context.Background(), m, &b, 0, 300); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	a, b, c := run(7), run(7), run(8)
	if !bytes.Equal(a, b) {
		t.Error("same seed, different output")
	}
	if bytes.Equal(a, c) {
		t.Error("different seeds, same output")
	}
}

// TestFaults checks that every injected fault is counted and skipped by
// the framer and parser, and that nothing else is lost.
func TestFaults(t *testing.T) {
	p := newParser(t)
	for _, kind := range []string{DSMR5, DSMR22, BE} {
		t.Run(kind, func(t *testing.T) {
			m, err := NewMeter(Config{Kind: kind, Seed: 3, Start: monday, Faults: 0.3})
			if err != nil {
				t.Fatal(err)
			}
			var stream bytes.Buffer
			clean := 0
			for range 1000 {
				b, f := m.Next()
				stream.Write(b)
				if f == NoFault || f == Noise {
					clean++
				}
				switch _, err := p.Parse(b); {
				case f == BadCRC && !errors.Is(err, dsmr.ErrBadCRC),
					f == Cut && !errors.Is(err, dsmr.ErrTruncated),
					f == NoFault && err != nil:
					t.Fatalf("fault %v: Parse says %v", f, err)
				}
			}
			faults := m.Faults()
			if kind == DSMR22 && faults[BadCRC] != 0 || faults[Cut] == 0 || faults[Noise] == 0 {
				t.Fatalf("faults %v", faults)
			}
			valid, rejected := 0, 0
			fr := dsmr.NewFramer(0, false)
			emit := func(f dsmr.Frame) {
				if f.Err == nil {
					if _, err := p.Parse(f.Data); err == nil {
						valid++
						return
					}
				}
				rejected++
			}
			fr.Feed(stream.Bytes(), emit)
			fr.Flush(emit)
			if valid != clean || rejected != faults[BadCRC]+faults[Cut] {
				t.Errorf("valid %d rejected %d; want %d and %d (faults %v)", valid, rejected, clean, faults[BadCRC]+faults[Cut], faults)
			}
		})
	}
}

func TestRunSimulateToFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "telegrams.txt")
	var stdout, stderr bytes.Buffer
	code := RunSimulate(context.Background(), []string{"--meter", "be", "--count", "5", "--rate", "0", "--seed", "9", "--start", "2025-01-06T08:00:00+01:00", "--out", path}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(data), "/FLU5"); n != 5 {
		t.Fatalf("%d telegrams in the file", n)
	}
	tg, err := newParser(t).Parse(data)
	if err != nil || tg.Reading.Time.Format(time.RFC3339) != "2025-01-06T08:00:01+01:00" {
		t.Fatalf("first telegram: %v %+v", err, tg)
	}

	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"--help"}, 0},
		{[]string{"--meter", "dsmr9"}, 2},
		{[]string{"--faults", "2"}, 2},
		{[]string{"--start", "yesterday"}, 2},
		{[]string{"extra"}, 2},
	} {
		if code := RunSimulate(context.Background(), tc.args, &stdout, &stderr); code != tc.code {
			t.Errorf("%v: exit %d, want %d", tc.args, code, tc.code)
		}
	}
}

func TestWeekendTariff(t *testing.T) {
	p := newParser(t)
	saturdayNoon := time.Date(2025, 6, 21, 12, 0, 0, 0, time.UTC)
	for kind, want := range map[string]int{DSMR5: 1, BE: 2, DSMR22: 1} {
		m, err := NewMeter(Config{Kind: kind, Seed: 1, Start: saturdayNoon})
		if err != nil {
			t.Fatal(err)
		}
		tg, err := p.Parse(m.Telegram())
		if err != nil {
			t.Fatal(err)
		}
		if *tg.Reading.Tariff != want {
			t.Errorf("%s: Saturday noon tariff %d, want %d (low)", kind, *tg.Reading.Tariff, want)
		}
	}
}

// TestFeed: Feed sends parseable telegrams at its pace and stops with ctx.
func TestFeed(t *testing.T) {
	m, err := NewMeter(Config{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	out := make(chan []byte)
	done := make(chan struct{})
	go func() { m.Feed(ctx, 10*time.Millisecond, out); close(done) }()
	for range 3 {
		if _, err := dsmr.Parse(<-out); err != nil {
			t.Fatalf("fed telegram: %v", err)
		}
	}
	cancel()
	select {
	case <-done:
	case <-time.After(time.Second):
		t.Fatal("Feed did not stop with its context")
	}
}
