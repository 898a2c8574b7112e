package watttstore

import (
	"context"
	"errors"
	"math"
	"path/filepath"
	"testing"
	"time"

	"iotahome/protocol"
	"iotahome/session"
	"iotahome/wattt/aggregate"
)

func open(t *testing.T) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "wattt.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func f(v float64) *float64 { return &v }

func account(t *testing.T, s *Store, addr string) int64 {
	t.Helper()
	id, err := s.CreateAccount(context.Background(), Account{Address: addr, PublicKey: "PK", SealedSeed: []byte{1}, CreatedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func connect(t *testing.T, s *Store, acct int64, state, device string) Connection {
	t.Helper()
	ctx := context.Background()
	if err := s.CreateConsentRequest(ctx, ConsentRequest{State: state, AccountID: acct, MyHomeURL: "http://h", Goal: "g", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	c, err := s.AcceptKeys(ctx, acct, state, device, "ROOT0", "KEY0", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestAcceptKeysOnlyForOpenRequestsOfTheAccount(t *testing.T) {
	s, ctx := open(t), context.Background()
	a, b := account(t, s, "A"), account(t, s, "B")
	if err := s.CreateConsentRequest(ctx, ConsentRequest{State: "S1", AccountID: a, MyHomeURL: "u", Goal: "g", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AcceptKeys(ctx, b, "S1", "DEV", "R", "K", time.Now()); !errors.Is(err, ErrNoPendingRequest) {
		t.Fatalf("other account's state accepted: %v", err)
	}
	if _, err := s.AcceptKeys(ctx, a, "NOPE", "DEV", "R", "K", time.Now()); !errors.Is(err, ErrNoPendingRequest) {
		t.Fatalf("unknown state accepted: %v", err)
	}
	if accts, _ := s.AccountsAwaitingKeys(ctx, time.Now().Add(-time.Hour), time.Now().Add(-time.Hour)); len(accts) != 1 || accts[0].ID != a {
		t.Fatalf("awaiting keys: %+v", accts)
	}
	if accts, _ := s.AccountsAwaitingKeys(ctx, time.Now().Add(-time.Hour), time.Now().Add(time.Minute)); len(accts) != 0 {
		t.Fatalf("an old unanswered request is still polled: %+v", accts)
	}
	c, err := s.AcceptKeys(ctx, a, "S1", "DEV", "R", "K", time.Now())
	if err != nil || c.Status != ConnectionLive || c.Root != "R" || c.LastSeq != -1 {
		t.Fatalf("accept: %+v %v", c, err)
	}
	if _, err := s.AcceptKeys(ctx, a, "S1", "DEV", "R2", "K2", time.Now()); !errors.Is(err, ErrNoPendingRequest) {
		t.Fatalf("a state was used twice: %v", err)
	}
	if accts, _ := s.AccountsAwaitingKeys(ctx, time.Now().Add(-time.Hour), time.Now().Add(-time.Hour)); len(accts) != 0 {
		t.Fatalf("still awaiting keys: %+v", accts)
	}
	r, _ := s.ReturnConsentRequest(ctx, a, "S1", false, time.Now())
	if r.Status != RequestConnected {
		t.Fatalf("a late 'denied' undid a connection: %s", r.Status)
	}
	if _, err := s.ReturnConsentRequest(ctx, b, "S1", true, time.Now()); !errors.Is(err, ErrNotFound) {
		t.Fatalf("returned another account's request: %v", err)
	}
}

func reading(seq int64, at time.Time, ed float64) StoredReading {
	return StoredReading{Seq: seq, Reading: protocol.Reading{
		Time: at, DeliveredT1: f(ed), DeliveredT2: f(0), PowerDelivered: f(1.5), PowerReturned: f(0),
		Phases: []protocol.Phase{{Phase: 1, Voltage: f(230)}},
		MBus:   []protocol.MBusReading{{Channel: 1, Type: protocol.MBusGas, Time: at, Value: 100, Unit: "m3"}},
	}}
}

func TestAdvanceDedupesAndAggregates(t *testing.T) {
	s, ctx := open(t), context.Background()
	c := connect(t, s, account(t, s, "A"), "S", "DEV")
	base := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	var batch []StoredReading
	for i := range 120 {
		batch = append(batch, reading(int64(i), base.Add(time.Duration(i)*time.Second), 1000+float64(i)*0.001))
	}
	n, err := s.Advance(ctx, Progress{ConnectionID: c.ID, FromRoot: "ROOT0", Root: "ROOT1", SideKey: "KEY0", Messages: 2, Readings: batch}, time.UTC)
	if err != nil || n != 120 {
		t.Fatalf("advance: %d %v", n, err)
	}
	// Re-delivery of the last 20 plus 10 new: only the new ones count.
	n, err = s.Advance(ctx, Progress{ConnectionID: c.ID, FromRoot: "ROOT1", Root: "ROOT2", SideKey: "KEY0", Messages: 1,
		Readings: append(append([]StoredReading{}, batch[100:]...), reading(120, base.Add(120*time.Second), 1000.12))}, time.UTC)
	if err != nil || n != 1 {
		t.Fatalf("advance with duplicates: %d %v", n, err)
	}
	// A follower that read from a stale root is told to reload.
	if _, err := s.Advance(ctx, Progress{ConnectionID: c.ID, FromRoot: "ROOT1", Root: "X", SideKey: "K"}, time.UTC); !errors.Is(err, ErrMoved) {
		t.Fatalf("stale root: %v", err)
	}
	c, _ = s.Connection(ctx, c.ID)
	if c.Root != "ROOT2" || c.LastSeq != 120 || c.Messages != 3 || !c.LastReadingAt.Equal(base.Add(120*time.Second)) {
		t.Fatalf("connection after advance: %+v", c)
	}
	minutes, prev, err := s.Buckets(ctx, c.ID, aggregate.Minute, base, base.Add(time.Hour))
	if err != nil || prev != nil || len(minutes) != 3 {
		t.Fatalf("minute buckets: %d %v %v", len(minutes), prev, err)
	}
	if minutes[0].N != 60 || minutes[1].N != 60 || minutes[2].N != 1 || *minutes[1].EDLast != 1000.119 || minutes[0].AvgPowerDel() != 1.5 {
		t.Fatalf("minute buckets: %+v", minutes)
	}
	if v, ok := minutes[0].AvgVoltage(1); !ok || v != 230 {
		t.Fatalf("voltage: %v", v)
	}
	curve, err := s.PowerCurve(ctx, c.ID, base, base.Add(time.Hour), time.Minute)
	if err != nil || len(curve) != 3 || curve[0].PowerDel != 1.5 || !curve[1].HasV[0] || curve[1].Voltage[0] != 230 || curve[1].HasV[1] || curve[2].Start != base.Unix()+120 {
		t.Fatalf("minute curve: %+v %v", curve, err)
	}
	curve, err = s.PowerCurve(ctx, c.ID, base, base.Add(time.Hour), 5*time.Minute)
	if err != nil || len(curve) != 1 || curve[0].Start != base.Unix() || curve[0].PowerDel != 1.5 || curve[0].Voltage[0] != 230 {
		t.Fatalf("5-minute curve: %+v %v", curve, err)
	}
	hours, prev, _ := s.Buckets(ctx, c.ID, aggregate.Hour, base.Add(time.Hour), base.Add(2*time.Hour))
	if len(hours) != 0 || prev == nil || prev.N != 121 || *prev.GasLast != 100 {
		t.Fatalf("hour prev bucket: %+v %+v", hours, prev)
	}
	u := aggregate.Usages(nil, minutes)
	if math.Abs(u[0].Delivered+u[1].Delivered+u[2].Delivered-0.12) > 1e-9 {
		t.Fatalf("usage: %+v", u)
	}
	latest, err := s.LatestReading(ctx, c.ID)
	if err != nil || latest.Seq != 120 || len(latest.Reading.Phases) != 1 || len(latest.Reading.MBus) != 1 || *latest.Reading.DeliveredT1 != 1000.12 {
		t.Fatalf("latest: %+v %v", latest, err)
	}
	var count int
	s.EachReading(ctx, c.ID, base, base.Add(time.Minute), func(StoredReading) error { count++; return nil })
	if count != 60 {
		t.Fatalf("EachReading gave %d, want 60", count)
	}
	// Revocation is stored with the progress that found it.
	at := base.Add(time.Hour)
	if _, err := s.Advance(ctx, Progress{ConnectionID: c.ID, FromRoot: "ROOT2", Root: "ROOT3", SideKey: "KEY0", Messages: 1, RevokedAt: &at}, time.UTC); err != nil {
		t.Fatal(err)
	}
	if live, _ := s.LiveConnections(ctx); len(live) != 0 {
		t.Fatalf("revoked connection still live: %+v", live)
	}
	if err := s.Prune(ctx, base.Add(48*time.Hour+90*time.Second), Retention{Raw: 48 * time.Hour, Minute: time.Hour}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.OldestReadingTime(ctx, c.ID); err != nil {
		t.Fatalf("pruned too much: %v", err)
	}
	minutes, _, _ = s.Buckets(ctx, c.ID, aggregate.Minute, base, base.Add(time.Hour))
	hours, _, _ = s.Buckets(ctx, c.ID, aggregate.Hour, base, base.Add(time.Hour))
	if len(minutes) != 0 || len(hours) != 1 {
		t.Fatalf("after prune: %d minutes %d hours", len(minutes), len(hours))
	}
}

func TestSessionsAndTariffs(t *testing.T) {
	s, ctx := open(t), context.Background()
	a := account(t, s, "A")
	if err := s.CreateSession(ctx, "tok", "1", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if acct, err := s.SessionAccount(ctx, "tok", time.Now()); err != nil || acct != "1" {
		t.Fatalf("session: %q %v", acct, err)
	}
	if _, err := s.SessionAccount(ctx, "tok", time.Now().Add(2*time.Hour)); !errors.Is(err, session.ErrNoSession) {
		t.Fatalf("expired session: %v", err)
	}
	s.DeleteSession(ctx, "tok")
	if _, err := s.SessionAccount(ctx, "tok", time.Now()); !errors.Is(err, session.ErrNoSession) {
		t.Fatalf("deleted session: %v", err)
	}
	def := Tariff{PerKWh: 0.3}
	if tr, _ := s.Tariff(ctx, a, def); tr != def {
		t.Fatalf("default tariff: %+v", tr)
	}
	want := Tariff{PerKWh: 0.25, PerKWhReturned: 0.1, PerM3: 1.4, StandingPerDay: 0.9}
	s.SetTariff(ctx, a, want)
	if tr, _ := s.Tariff(ctx, a, def); tr != want {
		t.Fatalf("tariff: %+v", tr)
	}
}
