package wattt

import (
	"context"
	"errors"
	"fmt"
	"time"

	"iotahome/wattt/aggregate"
)

// ErrNoConnection means the account has no such connection.
var ErrNoConnection = errors.New("wattt: no such connection")

// Overview is what an account has: its connections and its newest consent
// request (to show "waiting for keys" before any connection exists).
type Overview struct {
	Connections []Connection
	Latest      *ConsentRequest
}

// Overview returns the account's connections and newest request.
func (s *Service) Overview(ctx context.Context, accountID int64) (Overview, error) {
	conns, err := s.st.AccountConnections(ctx, accountID)
	if err != nil {
		return Overview{}, err
	}
	o := Overview{Connections: conns}
	r, err := s.st.LatestConsentRequest(ctx, accountID)
	switch {
	case err == nil:
		o.Latest = &r
	case !errors.Is(err, ErrNotFound):
		return Overview{}, err
	}
	return o, nil
}

// connection returns the account's connection id, or its most recently
// updated one for id 0. Another account's connection is ErrNoConnection.
func (s *Service) connection(ctx context.Context, accountID, id int64) (Connection, error) {
	if id == 0 {
		conns, err := s.st.AccountConnections(ctx, accountID)
		if err != nil {
			return Connection{}, err
		}
		if len(conns) == 0 {
			return Connection{}, ErrNoConnection
		}
		return conns[0], nil
	}
	c, err := s.st.Connection(ctx, id)
	if errors.Is(err, ErrNotFound) || (err == nil && c.AccountID != accountID) {
		return Connection{}, ErrNoConnection
	}
	return c, err
}

// Live is the newest reading of a connection, for the live panel.
type Live struct {
	ConnectionID  int64
	Status        ConnectionStatus
	RevokedAt     *time.Time
	At            *time.Time // time of the newest reading; nil before the first
	PowerDel      *float64   // kW
	PowerRet      *float64   // kW
	Reading       *StoredReading
	LastReadingAt *time.Time
}

// Live returns the connection's newest reading and state.
func (s *Service) Live(ctx context.Context, accountID, connID int64) (Live, error) {
	c, err := s.connection(ctx, accountID, connID)
	if err != nil {
		return Live{}, err
	}
	l := Live{ConnectionID: c.ID, Status: c.Status, RevokedAt: c.RevokedAt, LastReadingAt: c.LastReadingAt}
	r, err := s.st.LatestReading(ctx, c.ID)
	switch {
	case errors.Is(err, ErrNotFound):
		return l, nil
	case err != nil:
		return Live{}, err
	}
	l.At, l.PowerDel, l.PowerRet, l.Reading = &r.Reading.Time, r.Reading.PowerDelivered, r.Reading.PowerReturned, &r
	return l, nil
}

// Tariff returns the account's tariff (the default until one is set).
func (s *Service) Tariff(ctx context.Context, accountID int64) (Tariff, error) {
	return s.st.Tariff(ctx, accountID, s.cfg.DefaultTariff)
}

// SetTariff validates and stores the account's tariff.
func (s *Service) SetTariff(ctx context.Context, accountID int64, t Tariff) error {
	for _, v := range []float64{t.PerKWh, t.PerKWhReturned, t.PerM3, t.StandingPerDay} {
		if v < 0 || v > 100 || v != v {
			return &UserError{Msg: "Prices must be between 0 and 100 euro."}
		}
	}
	return s.st.SetTariff(ctx, accountID, t)
}

// Period is the usage of a span of time and what it is estimated to cost.
type Period struct {
	Delivered, Returned, Gas float64 // kWh, kWh, m³
	Days                     int     // days of standing charge
	Cost                     float64 // euro
}

func (p *Period) add(u aggregate.Usage) {
	p.Delivered += u.Delivered
	p.Returned += u.Returned
	p.Gas += u.Gas
}

func (p *Period) price(t Tariff) {
	p.Cost = p.Delivered*t.PerKWh - p.Returned*t.PerKWhReturned + p.Gas*t.PerM3 + float64(p.Days)*t.StandingPerDay
}

// Row is one line of a usage table (the charts' text alternative).
type Row struct {
	Label string
	aggregate.Usage
}

// Dashboard is everything the dashboard page shows for one connection.
type Dashboard struct {
	Live    Live
	Tariff  Tariff
	Today   Period
	Month   Period
	HasGas  bool
	Phases  bool // the meter reports per-phase values
	Hours   []Row
	Days    []Row
	Charts  Charts
	Now     time.Time
	Oldest  *time.Time // oldest full-resolution reading kept (CSV)
	Updated time.Time
	// Consent is the request that last granted this connection (its plan,
	// its end, the My Home to renew at); nil for connections from before.
	Consent *ConsentRequest
}

// CurveStep is the resolution of today's power curve.
const CurveStep = time.Minute

// Dashboard gathers the figures and charts for one of the account's
// connections (0: the most recent). Every query reads aggregates (at most
// 1,440 minute, 25 hour and 31 day buckets) and the newest reading, so its
// cost does not grow with the amount of history stored.
func (s *Service) Dashboard(ctx context.Context, accountID, connID int64, now time.Time) (Dashboard, error) {
	live, err := s.Live(ctx, accountID, connID)
	if err != nil {
		return Dashboard{}, err
	}
	tariff, err := s.Tariff(ctx, accountID)
	if err != nil {
		return Dashboard{}, err
	}
	loc := s.cfg.Location
	now = now.In(loc)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)
	tomorrow := today.AddDate(0, 0, 1)
	monthStart := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, loc)
	daysFrom := today.AddDate(0, 0, -29)
	d := Dashboard{Live: live, Tariff: tariff, Now: now, Updated: time.Now()}
	id := live.ConnectionID

	curve, err := s.st.PowerCurve(ctx, id, today, tomorrow, CurveStep)
	if err != nil {
		return Dashboard{}, err
	}
	hours, prevHour, err := s.st.Buckets(ctx, id, aggregate.Hour, today, tomorrow)
	if err != nil {
		return Dashboard{}, err
	}
	from := daysFrom
	if monthStart.Before(from) {
		from = monthStart
	}
	days, prevDay, err := s.st.Buckets(ctx, id, aggregate.Day, from, tomorrow)
	if err != nil {
		return Dashboard{}, err
	}

	// Hours of today, including the empty ones (23 or 25 on DST days).
	hourUse := index(aggregate.Usages(prevHour, hours))
	for h := today; h.Before(tomorrow); h = h.Add(time.Hour) {
		u := hourUse[h.Unix()]
		u.Start = h.Unix()
		d.Hours = append(d.Hours, Row{Label: h.In(loc).Format("15:00"), Usage: u})
		d.Today.add(u)
		d.HasGas = d.HasGas || u.HasGas
	}
	d.Today.Days = 1
	d.Today.price(tariff)

	dayUse := index(aggregate.Usages(prevDay, days))
	for day := from; day.Before(tomorrow); day = day.AddDate(0, 0, 1) {
		u := dayUse[day.Unix()]
		u.Start = day.Unix()
		if !day.Before(monthStart) {
			d.Month.add(u)
			d.Month.Days++
		}
		if !day.Before(daysFrom) {
			d.Days = append(d.Days, Row{Label: day.Format("Mon 2 Jan"), Usage: u})
			d.HasGas = d.HasGas || u.HasGas
		}
	}
	d.Month.price(tariff)

	for _, p := range curve {
		if p.HasV[0] {
			d.Phases = true
			break
		}
	}
	if live.Reading != nil && len(live.Reading.Reading.Phases) > 0 {
		d.Phases = true
	}
	if t, err := s.st.OldestReadingTime(ctx, id); err == nil {
		d.Oldest = &t
	} else if !errors.Is(err, ErrNotFound) {
		return Dashboard{}, err
	}
	if r, err := s.st.ConnectionConsent(ctx, id); err == nil {
		d.Consent = &r
	} else if !errors.Is(err, ErrNotFound) {
		return Dashboard{}, err
	}
	d.Charts = buildCharts(d, curve, today, tomorrow)
	return d, nil
}

func index(us []aggregate.Usage) map[int64]aggregate.Usage {
	m := make(map[int64]aggregate.Usage, len(us))
	for _, u := range us {
		m[u.Start] = u
	}
	return m
}

// kwh formats an energy figure for summaries.
func kwh(v float64) string { return fmt.Sprintf("%.2f kWh", v) }
