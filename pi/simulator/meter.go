// Package simulator is a smart meter that writes realistic P1 telegrams: a
// household's base load with appliance spikes, solar return around midday,
// cumulative counters per tariff, three phases, a gas meter (and for the
// Belgian meter a water meter) on M-Bus. It runs on a simulated clock, so it
// can produce a day of telegrams in seconds, and is deterministic for a seed.
package simulator

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// Meter kinds.
const (
	DSMR5  = "dsmr5"  // Dutch DSMR 5.0, a telegram every second, CRC
	DSMR22 = "dsmr22" // Dutch DSMR 2.2, every 10 s, no CRC, gas over two lines
	BE     = "be"     // Belgian e-MUCS (Fluvius), every second, demand and peak, gas and water
)

// Config describes the simulated meter.
type Config struct {
	Kind  string    // DSMR5 (default), DSMR22 or BE
	Seed  uint64    // same seed and start, same telegrams
	Start time.Time // simulated time of the first telegram; zero = now
	// Step is the simulated time between telegrams; zero = the meter's own
	// interval (1 s, or 10 s for DSMR 2.2).
	Step time.Duration
	// Faults is the fraction of telegrams spoiled by a bad CRC, a cut or
	// noise before them (0..1).
	Faults float64
}

// appliance is a load that is on until a time.
type appliance struct {
	kw    float64
	phase int
	until time.Time
}

// Meter is the simulated meter and household.
type Meter struct {
	cfg  Config
	loc  *time.Location
	rng  *rand.Rand
	now  time.Time
	step time.Duration

	// Registers, kWh.
	delivered, returned [2]float64 // index tariff-1
	gas, water          float64    // m3, running
	gasShown, waterShow float64    // last captured values
	gasAt               time.Time  // capture time of gasShown

	base      float64 // kW, slowly varying
	cloud     float64 // 0..1 solar attenuation
	kwp       float64 // installed solar peak power
	volt      [3]float64
	busy      []appliance
	fridgeOff float64 // minutes into the fridge's cycle at start

	// Belgian demand: quarter-hour average and month peak.
	quarterStart time.Time
	quarterKWh   float64
	monthPeak    float64
	monthPeakAt  time.Time
	peakHistory  []monthPeak

	// Values of the last step, for the telegram.
	phaseKW [3]float64 // net per phase, positive = delivered
	netKW   float64

	ids [3]string // equipment ids: meter, gas, water

	faults [faultKinds]int
}

type monthPeak struct {
	month, at time.Time
	kw        float64
}

// NewMeter returns a meter at cfg.Start (the first Next call advances the
// clock by one step).
func NewMeter(cfg Config) (*Meter, error) {
	switch cfg.Kind {
	case "":
		cfg.Kind = DSMR5
	case DSMR5, DSMR22, BE:
	default:
		return nil, fmt.Errorf("meter kind %q: want %s, %s or %s", cfg.Kind, DSMR5, DSMR22, BE)
	}
	if cfg.Faults < 0 || cfg.Faults > 1 {
		return nil, fmt.Errorf("fault ratio %v: want 0..1", cfg.Faults)
	}
	zone := "Europe/Amsterdam"
	if cfg.Kind == BE {
		zone = "Europe/Brussels"
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return nil, fmt.Errorf("load time zone: %w", err)
	}
	if cfg.Start.IsZero() {
		cfg.Start = time.Now()
	}
	step := cfg.Step
	if step <= 0 {
		step = time.Second
		if cfg.Kind == DSMR22 {
			step = 10 * time.Second
		}
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15))
	m := &Meter{
		cfg:       cfg,
		loc:       loc,
		rng:       rng,
		now:       cfg.Start.In(loc).Truncate(time.Second),
		step:      step,
		delivered: [2]float64{2000 + 3000*rng.Float64(), 2000 + 3000*rng.Float64()},
		returned:  [2]float64{500 * rng.Float64(), 1200 * rng.Float64()},
		gas:       1000 + 4000*rng.Float64(),
		water:     100 + 400*rng.Float64(),
		base:      0.15 + 0.15*rng.Float64(),
		cloud:     rng.Float64(),
		kwp:       2.5 + 3*rng.Float64(),
		volt:      [3]float64{230, 230, 230},
		fridgeOff: 60 * rng.Float64(),
	}
	m.gasShown, m.waterShow = m.gas, m.water
	m.gasAt = m.captureTime(m.now)
	m.quarterStart = m.now.Truncate(15 * time.Minute)
	m.ids = [3]string{
		fmt.Sprintf("E0%015d", rng.Uint64N(1e15)),
		fmt.Sprintf("G0%015d", rng.Uint64N(1e15)),
		fmt.Sprintf("W0%015d", rng.Uint64N(1e15)),
	}
	return m, nil
}

// Now is the simulated time of the last telegram.
func (m *Meter) Now() time.Time { return m.now }

// Kind is the meter kind.
func (m *Meter) Kind() string { return m.cfg.Kind }

// advance moves the clock one step and integrates energy and gas.
func (m *Meter) advance() {
	m.now = m.now.Add(m.step)
	hours := m.step.Hours()
	h := float64(m.now.Hour()) + float64(m.now.Minute())/60

	// Base load wanders between 0.1 and 0.45 kW; clouds drift.
	m.base = clamp(m.base+m.rng.NormFloat64()*0.004*math.Sqrt(m.step.Seconds()), 0.1, 0.45)
	m.cloud = clamp(m.cloud+m.rng.NormFloat64()*0.01*math.Sqrt(m.step.Seconds()), 0.05, 1)

	m.startAppliances(h, hours)
	var load [3]float64
	for i := range load {
		load[i] = m.base / 3
	}
	// The fridge runs 15 minutes out of every 45.
	if math.Mod(m.fridgeOff+m.now.Sub(m.cfg.Start).Minutes(), 45) < 15 {
		load[1] += 0.09
	}
	keep := m.busy[:0]
	for _, a := range m.busy {
		if m.now.Before(a.until) {
			load[a.phase] += a.kw
			keep = append(keep, a)
		}
	}
	m.busy = keep

	// A single-phase inverter on L1.
	solar := m.solar(h)
	m.netKW = 0
	for i := range load {
		m.phaseKW[i] = load[i]
		if i == 0 {
			m.phaseKW[i] -= solar
		}
		m.netKW += m.phaseKW[i]
		// More current, lower voltage; feeding in raises it.
		target := 231 - 1.2*m.phaseKW[i]
		m.volt[i] += (target-m.volt[i])*0.3 + m.rng.NormFloat64()*0.4
		m.volt[i] = clamp(m.volt[i], 215, 250)
	}

	// Registers: the meter nets the phases.
	t := m.tariff() - 1
	if m.netKW >= 0 {
		m.delivered[t] += m.netKW * hours
	} else {
		m.returned[t] += -m.netKW * hours
	}
	m.gas += m.gasRate(h) * hours
	m.water += m.waterRate(h) * hours
	if at := m.captureTime(m.now); at.After(m.gasAt) {
		m.gasAt, m.gasShown, m.waterShow = at, m.gas, m.water
	}
	m.demand()
}

// captureTime is when the M-Bus values were last captured: every 5 minutes
// (DSMR 5, e-MUCS), every hour (DSMR 2.2).
func (m *Meter) captureTime(t time.Time) time.Time {
	if m.cfg.Kind == DSMR22 {
		return t.Truncate(time.Hour)
	}
	return t.Truncate(5 * time.Minute)
}

// startAppliances switches appliances on at random, more often at the
// times people use them.
func (m *Meter) startAppliances(h, hours float64) {
	awake := h >= 7 && h < 23
	evening := h >= 17 && h < 20
	type kind struct {
		perHour float64
		kw      float64
		minutes float64
		phase   int
	}
	kinds := []kind{
		{pick(awake, 0.5, 0.02), 2.0, 3, 0},     // kettle
		{pick(awake, 0.3, 0.01), 1.0, 2, 0},     // microwave
		{pick(evening, 0.6, 0.02), 2.8, 40, 2},  // cooking
		{pick(awake, 0.08, 0), 1.6, 90, 2},      // washing machine
		{pick(h >= 19, 0.15, 0.01), 1.8, 60, 1}, // dishwasher
		{pick(awake, 0.05, 0), 0.8, 20, 1},      // vacuum cleaner
		{pick(h >= 18, 0.3, 0.05), 0.25, 45, 0}, // television, lights
	}
	for _, k := range kinds {
		if m.rng.Float64() < k.perHour*hours {
			d := time.Duration(k.minutes * (0.6 + 0.8*m.rng.Float64()) * float64(time.Minute))
			m.busy = append(m.busy, appliance{kw: k.kw * (0.85 + 0.3*m.rng.Float64()), phase: k.phase, until: m.now.Add(d)})
		}
	}
}

// solar is the inverter output in kW: a sine between sunrise and sunset,
// days and peaks longer and higher in summer, attenuated by clouds.
func (m *Meter) solar(h float64) float64 {
	season := -math.Cos(2 * math.Pi * float64(m.now.YearDay()+10) / 365.25) // -1 in December, 1 in June
	dayLength := 12.3 + 4.5*season
	noon := 12.7
	if m.now.IsDST() {
		noon = 13.7
	}
	rise, set := noon-dayLength/2, noon+dayLength/2
	if h <= rise || h >= set {
		return 0
	}
	elevation := math.Sin(math.Pi * (h - rise) / (set - rise))
	peak := m.kwp * (0.6 + 0.25*season)
	return peak * math.Pow(elevation, 1.3) * (1 - 0.75*m.cloud)
}

// gasRate is m3/h: heating that follows the season and the day, plus hot
// water in the morning and evening.
func (m *Meter) gasRate(h float64) float64 {
	season := -math.Cos(2 * math.Pi * float64(m.now.YearDay()+10) / 365.25)
	outside := 10 + 7*season
	heating := math.Max(0, 18-outside) * 0.08
	if h < 6.5 || h >= 23 {
		heating *= 0.3 // night set-back
	}
	shower := 0.0
	if (h >= 7 && h < 7.25) || (h >= 21 && h < 21.2) {
		shower = 1.2
	}
	return heating + shower
}

// waterRate is m3/h.
func (m *Meter) waterRate(h float64) float64 {
	switch {
	case (h >= 7 && h < 7.25) || (h >= 21 && h < 21.2):
		return 0.5
	case h >= 7 && h < 23:
		return 0.01
	}
	return 0
}

// tariff is the active tariff as the meter reports it. Dutch meters: 1
// (low) from 23:00 to 07:00 and at weekends, else 2 (normal). Belgian: 1
// (day) and 2 (night) from 22:00 to 07:00 and at weekends.
func (m *Meter) tariff() int {
	h := m.now.Hour()
	weekend := m.now.Weekday() == time.Saturday || m.now.Weekday() == time.Sunday
	if m.cfg.Kind == BE {
		if weekend || h >= 22 || h < 7 {
			return 2
		}
		return 1
	}
	if weekend || h >= 23 || h < 7 {
		return 1
	}
	return 2
}

// demand keeps the Belgian quarter-hour average and the month's peak.
func (m *Meter) demand() {
	q := m.now.Truncate(15 * time.Minute)
	if q.After(m.quarterStart) {
		avg := m.quarterKWh * 4
		if y, mo, _ := m.quarterStart.Date(); y != m.monthPeakAt.Year() || mo != m.monthPeakAt.Month() {
			if !m.monthPeakAt.IsZero() {
				first := time.Date(m.monthPeakAt.Year(), m.monthPeakAt.Month()+1, 1, 0, 0, 0, 0, m.loc)
				m.peakHistory = append(m.peakHistory, monthPeak{month: first, at: m.monthPeakAt, kw: m.monthPeak})
				if len(m.peakHistory) > 13 {
					m.peakHistory = m.peakHistory[1:]
				}
			}
			m.monthPeak, m.monthPeakAt = 0, m.quarterStart
		}
		if avg > m.monthPeak {
			m.monthPeak, m.monthPeakAt = avg, m.quarterStart
		}
		m.quarterStart, m.quarterKWh = q, 0
	}
	if m.netKW > 0 {
		m.quarterKWh += m.netKW * m.step.Hours()
	}
}

// averageDemand is the running average of the current quarter hour, kW.
func (m *Meter) averageDemand() float64 {
	elapsed := m.now.Sub(m.quarterStart).Hours()
	if elapsed <= 0 {
		return 0
	}
	return m.quarterKWh / elapsed
}

func pick(cond bool, yes, no float64) float64 {
	if cond {
		return yes
	}
	return no
}

func clamp(x, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, x)) }
