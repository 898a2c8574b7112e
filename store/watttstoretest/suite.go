// Package watttstoretest is the test suite every wattt.Store passes: the
// SQLite store and the PostgreSQL store run the very same tests
// (store/watttsqlite/store_test.go, store/watttpg/store_test.go), so the
// domain can rely on one behaviour whichever database is behind it.
package watttstoretest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"sync"
	"testing"
	"time"

	"iotahome/protocol"
	"iotahome/session"
	"iotahome/wattt"
	"iotahome/wattt/aggregate"
)

// Open returns a fresh, empty store for one test; the suite closes it.
type Open func(t *testing.T) wattt.Store

// Run runs every test of the suite against stores made by open.
func Run(t *testing.T, open Open) {
	for _, tc := range []struct {
		name string
		fn   func(*testing.T, wattt.Store)
	}{
		{"AcceptKeysOnlyForOpenRequestsOfTheAccount", testAcceptKeys},
		{"RenewalKeepsTheConnection", testRenewal},
		{"AdvanceDedupesAndAggregates", testAdvance},
		{"AdvanceBatchJudgesEachProgress", testAdvanceBatch},
		{"ConcurrentAdvanceStoresOnce", testConcurrentAdvance},
		{"ReadingsAcrossMonthsAndOddTimes", testOddTimes},
		{"DayBucketsFollowTheZone", testDayBuckets},
		{"LeasesShareAndExpire", testLeases},
		{"LeaseCapAndRevocation", testLeaseCap},
		{"SessionsAndTariffs", testSessionsAndTariffs},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() { s.Close() })
			tc.fn(t, s)
		})
	}
}

func f(v float64) *float64 { return &v }

func account(t *testing.T, s wattt.Store, addr string) int64 {
	t.Helper()
	id, err := s.CreateAccount(context.Background(), wattt.Account{Address: addr, PublicKey: "PK", SealedSeed: []byte{1}, CreatedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func connect(t *testing.T, s wattt.Store, acct int64, state, device string) wattt.Connection {
	t.Helper()
	ctx := context.Background()
	if err := s.CreateConsentRequest(ctx, wattt.ConsentRequest{State: state, AccountID: acct, MyHomeURL: "http://h", Goal: "g", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	c, err := s.AcceptKeys(ctx, acct, state, device, "ROOT0", "KEY0", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// advance stores one Progress and returns what became of it.
func advance(t *testing.T, s wattt.Store, p wattt.Progress) (int, error) {
	t.Helper()
	res, err := s.Advance(context.Background(), time.UTC, []wattt.Progress{p})
	if err != nil {
		t.Fatalf("advance: %v", err)
	}
	return res[0].Inserted, res[0].Err
}

func testAcceptKeys(t *testing.T, s wattt.Store) {
	ctx := context.Background()
	a, b := account(t, s, "A"), account(t, s, "B")
	if err := s.CreateConsentRequest(ctx, wattt.ConsentRequest{State: "S1", AccountID: a, MyHomeURL: "u", Goal: "g", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AcceptKeys(ctx, b, "S1", "DEV", "R", "K", time.Now()); !errors.Is(err, wattt.ErrNoPendingRequest) {
		t.Fatalf("other account's state accepted: %v", err)
	}
	if _, err := s.AcceptKeys(ctx, a, "NOPE", "DEV", "R", "K", time.Now()); !errors.Is(err, wattt.ErrNoPendingRequest) {
		t.Fatalf("unknown state accepted: %v", err)
	}
	// Regression (issue 13): a request that never came back from My Home
	// is not polled (anyone can make one with a POST).
	if accts, _ := s.AccountsAwaitingKeys(ctx, time.Now().Add(-time.Hour)); len(accts) != 0 {
		t.Fatalf("a request that never came back is polled: %+v", accts)
	}
	if _, err := s.ReturnConsentRequest(ctx, a, "S1", true, nil, time.Now()); err != nil {
		t.Fatal(err)
	}
	if accts, _ := s.AccountsAwaitingKeys(ctx, time.Now().Add(-time.Hour)); len(accts) != 1 || accts[0].ID != a {
		t.Fatalf("awaiting keys: %+v", accts)
	}
	if accts, _ := s.AccountsAwaitingKeys(ctx, time.Now().Add(time.Minute)); len(accts) != 0 {
		t.Fatalf("a request granted long ago is still polled: %+v", accts)
	}
	c, err := s.AcceptKeys(ctx, a, "S1", "DEV", "R", "K", time.Now())
	if err != nil || c.Status != wattt.ConnectionLive || c.Root != "R" || c.LastSeq != -1 || c.AccountID != a {
		t.Fatalf("accept: %+v %v", c, err)
	}
	if _, err := s.AcceptKeys(ctx, a, "S1", "DEV", "R2", "K2", time.Now()); !errors.Is(err, wattt.ErrNoPendingRequest) {
		t.Fatalf("a state was used twice: %v", err)
	}
	if accts, _ := s.AccountsAwaitingKeys(ctx, time.Now().Add(-time.Hour)); len(accts) != 0 {
		t.Fatalf("still awaiting keys: %+v", accts)
	}
	r, _ := s.ReturnConsentRequest(ctx, a, "S1", false, nil, time.Now())
	if r.Status != wattt.RequestConnected || r.ConnectionID == nil || *r.ConnectionID != c.ID {
		t.Fatalf("a late 'denied' undid a connection: %+v", r)
	}
	if _, err := s.ReturnConsentRequest(ctx, b, "S1", true, nil, time.Now()); !errors.Is(err, wattt.ErrNotFound) {
		t.Fatalf("returned another account's request: %v", err)
	}
	if _, err := s.ConsentRequest(ctx, b, "S1"); !errors.Is(err, wattt.ErrNotFound) {
		t.Fatalf("another account's request: %v", err)
	}
	if r, err := s.LatestConsentRequest(ctx, a); err != nil || r.State != "S1" {
		t.Fatalf("latest request: %+v %v", r, err)
	}
	// A second consent for the same device keeps the connection and its
	// sequence number, pointed at the new root and key.
	if err := s.CreateConsentRequest(ctx, wattt.ConsentRequest{State: "S2", AccountID: a, MyHomeURL: "u", Goal: "g", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ReturnConsentRequest(ctx, a, "S2", true, nil, time.Now()); err != nil {
		t.Fatal(err)
	}
	c2, err := s.AcceptKeys(ctx, a, "S2", "DEV", "R9", "K9", time.Now())
	if err != nil || c2.ID != c.ID || c2.Root != "R9" || c2.SideKey != "K9" {
		t.Fatalf("re-consent: %+v %v", c2, err)
	}
	if conns, _ := s.AccountConnections(ctx, a); len(conns) != 1 {
		t.Fatalf("%d connections", len(conns))
	}
	if _, err := s.Connection(ctx, 9999); !errors.Is(err, wattt.ErrNotFound) {
		t.Fatalf("missing connection: %v", err)
	}
	if _, err := s.Account(ctx, 9999); !errors.Is(err, wattt.ErrNotFound) {
		t.Fatalf("missing account: %v", err)
	}
	if err := s.SetCursor(ctx, a, "CURSOR"); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Account(ctx, a); got.Cursor != "CURSOR" || got.Address != "A" || len(got.SealedSeed) != 1 {
		t.Fatalf("account: %+v", got)
	}
}

// testRenewal: a renewal's request is confirmed on the live connection
// without moving it, and the newest connected request gives the plan and
// the end of the consent.
func testRenewal(t *testing.T, s wattt.Store) {
	ctx := context.Background()
	a, b := account(t, s, "A"), account(t, s, "B")
	c := connect(t, s, a, "S1", "DEV")
	if err := s.CreateConsentRequest(ctx, wattt.ConsentRequest{State: "S2", AccountID: a, MyHomeURL: "u", Goal: "g", Plan: "monthly", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	end := time.Now().Add(24 * time.Hour).Truncate(time.Millisecond).UTC()
	if r, err := s.ReturnConsentRequest(ctx, a, "S2", true, &end, time.Now()); err != nil || r.Status != wattt.RequestGranted || !r.EndsAt.Equal(end) {
		t.Fatalf("return: %+v %v", r, err)
	}
	if err := s.ConfirmKeys(ctx, b, "S2", c.ID, time.Now()); !errors.Is(err, wattt.ErrNoPendingRequest) {
		t.Fatalf("another account confirmed: %v", err)
	}
	if err := s.ConfirmKeys(ctx, a, "S2", c.ID, time.Now().Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := s.ConfirmKeys(ctx, a, "S2", c.ID, time.Now()); !errors.Is(err, wattt.ErrNoPendingRequest) {
		t.Fatalf("confirmed twice: %v", err)
	}
	again, _ := s.Connection(ctx, c.ID)
	if again.Root != c.Root || again.SideKey != c.SideKey {
		t.Fatalf("confirming moved the connection: %+v", again)
	}
	r, err := s.ConnectionConsent(ctx, c.ID)
	if err != nil || r.State != "S2" || r.Plan != "monthly" || !r.EndsAt.Equal(end) {
		t.Fatalf("connection consent: %+v %v", r, err)
	}
}

func reading(seq int64, at time.Time, ed float64) wattt.StoredReading {
	return wattt.StoredReading{Seq: seq, Reading: protocol.Reading{
		Time: at, DeliveredT1: f(ed), DeliveredT2: f(0), PowerDelivered: f(1.5), PowerReturned: f(0),
		Phases: []protocol.Phase{{Phase: 1, Voltage: f(230)}},
		MBus:   []protocol.MBusReading{{Channel: 1, Type: protocol.MBusGas, Time: at, Value: 100, Unit: "m3"}},
	}}
}

func testAdvance(t *testing.T, s wattt.Store) {
	ctx := context.Background()
	c := connect(t, s, account(t, s, "A"), "S", "DEV")
	base := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	var batch []wattt.StoredReading
	for i := range 120 {
		batch = append(batch, reading(int64(i), base.Add(time.Duration(i)*time.Second), 1000+float64(i)*0.001))
	}
	n, err := advance(t, s, wattt.Progress{ConnectionID: c.ID, FromRoot: "ROOT0", Root: "ROOT1", SideKey: "KEY1", Messages: 2, Readings: batch})
	if err != nil || n != 120 {
		t.Fatalf("advance: %d %v", n, err)
	}
	// Re-delivery of the last 20 plus 1 new: only the new one counts. An
	// empty side key keeps the stored one.
	n, err = advance(t, s, wattt.Progress{ConnectionID: c.ID, FromRoot: "ROOT1", Root: "ROOT2", Messages: 1,
		Readings: append(append([]wattt.StoredReading{}, batch[100:]...), reading(120, base.Add(120*time.Second), 1000.12))})
	if err != nil || n != 1 {
		t.Fatalf("advance with duplicates: %d %v", n, err)
	}
	// A follower that read from a stale root is told to reload.
	if _, err := advance(t, s, wattt.Progress{ConnectionID: c.ID, FromRoot: "ROOT1", Root: "X", SideKey: "K"}); !errors.Is(err, wattt.ErrMoved) {
		t.Fatalf("stale root: %v", err)
	}
	c, _ = s.Connection(ctx, c.ID)
	if c.Root != "ROOT2" || c.SideKey != "KEY1" || c.LastSeq != 120 || c.Messages != 3 || !c.LastReadingAt.Equal(base.Add(120*time.Second)) {
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
	if !latest.Reading.Time.Equal(base.Add(120*time.Second)) || !latest.Reading.MBus[0].Time.Equal(base.Add(120*time.Second)) || latest.Reading.MBus[0].Value != 100 {
		t.Fatalf("latest times and gas: %+v", latest.Reading)
	}
	var count int
	if err := s.EachReading(ctx, c.ID, base, base.Add(time.Minute), func(r wattt.StoredReading) error {
		if r.Seq != int64(count) {
			return fmt.Errorf("reading %d has seq %d", count, r.Seq)
		}
		count++
		return nil
	}); err != nil || count != 60 {
		t.Fatalf("EachReading gave %d, want 60 (%v)", count, err)
	}
	stop := errors.New("stop")
	if err := s.EachReading(ctx, c.ID, base, base.Add(time.Minute), func(wattt.StoredReading) error { return stop }); !errors.Is(err, stop) {
		t.Fatalf("EachReading did not pass fn's error on: %v", err)
	}
	if oldest, err := s.OldestReadingTime(ctx, c.ID); err != nil || !oldest.Equal(base) {
		t.Fatalf("oldest: %v %v", oldest, err)
	}
	// Revocation is stored with the progress that found it.
	at := base.Add(time.Hour)
	if _, err := advance(t, s, wattt.Progress{ConnectionID: c.ID, FromRoot: "ROOT2", Root: "ROOT3", Messages: 1, RevokedAt: &at}); err != nil {
		t.Fatal(err)
	}
	if live, _ := s.LiveConnections(ctx); len(live) != 0 {
		t.Fatalf("revoked connection still live: %+v", live)
	}
	if c, _ := s.Connection(ctx, c.ID); c.Status != wattt.ConnectionRevoked || c.RevokedAt == nil || !c.RevokedAt.Equal(at) {
		t.Fatalf("revoked: %+v", c)
	}
	if err := s.Prune(ctx, base.Add(48*time.Hour+90*time.Second), wattt.Retention{Raw: 48 * time.Hour, Minute: time.Hour}); err != nil {
		t.Fatal(err)
	}
	if oldest, err := s.OldestReadingTime(ctx, c.ID); err != nil || !oldest.Equal(base.Add(90*time.Second)) {
		t.Fatalf("pruned wrongly: oldest %v %v", oldest, err)
	}
	minutes, _, _ = s.Buckets(ctx, c.ID, aggregate.Minute, base, base.Add(time.Hour))
	hours, _, _ = s.Buckets(ctx, c.ID, aggregate.Hour, base, base.Add(time.Hour))
	if len(minutes) != 0 || len(hours) != 1 {
		t.Fatalf("after prune: %d minutes %d hours", len(minutes), len(hours))
	}
}

// testAdvanceBatch stores several connections' progress in one call: each
// is judged on its own.
func testAdvanceBatch(t *testing.T, s wattt.Store) {
	ctx := context.Background()
	a := account(t, s, "A")
	var conns []wattt.Connection
	for i := range 4 {
		conns = append(conns, connect(t, s, a, fmt.Sprintf("S%d", i), fmt.Sprintf("DEV%d", i)))
	}
	l, err := s.Lease(ctx, wattt.LeaseRequest{Worker: "w1", Host: "h", TTL: time.Minute})
	if err != nil || len(l.Held) != 4 {
		t.Fatalf("lease: %+v %v", l, err)
	}
	base := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	ps := []wattt.Progress{
		{ConnectionID: conns[0].ID, Worker: "w1", FromRoot: "ROOT0", Root: "A1", Messages: 1, Readings: []wattt.StoredReading{reading(0, base, 1)}},
		{ConnectionID: conns[1].ID, Worker: "w1", FromRoot: "STALE", Root: "B1", Messages: 1, Readings: []wattt.StoredReading{reading(0, base, 1)}},
		{ConnectionID: conns[2].ID, Worker: "w2", FromRoot: "ROOT0", Root: "C1", Messages: 1, Readings: []wattt.StoredReading{reading(0, base, 1)}},
		{ConnectionID: 99999, Worker: "w1", FromRoot: "ROOT0", Root: "D1", Messages: 1},
		{ConnectionID: conns[3].ID, Worker: "w1", FromRoot: "ROOT0", Root: "E1", Messages: 1, Readings: []wattt.StoredReading{reading(5, base, 1), reading(6, base.Add(time.Second), 1)}},
	}
	res, err := s.Advance(ctx, time.UTC, ps)
	if err != nil || len(res) != len(ps) {
		t.Fatalf("advance: %v %v", res, err)
	}
	want := []struct {
		n   int
		err error
	}{{1, nil}, {0, wattt.ErrMoved}, {0, wattt.ErrLeaseLost}, {0, wattt.ErrNotFound}, {2, nil}}
	for i, w := range want {
		if res[i].Inserted != w.n || !errors.Is(res[i].Err, w.err) {
			t.Fatalf("progress %d: %+v, want %d inserted, err %v", i, res[i], w.n, w.err)
		}
	}
	for i, root := range []string{"A1", "ROOT0", "ROOT0", "E1"} {
		if c, _ := s.Connection(ctx, conns[i].ID); c.Root != root {
			t.Fatalf("connection %d at root %s, want %s", i, c.Root, root)
		}
	}
	if res, err := s.Advance(ctx, time.UTC, nil); err != nil || len(res) != 0 {
		t.Fatalf("empty advance: %v %v", res, err)
	}
}

// testConcurrentAdvance: workers that read the same message from the same
// root (a lease handover) all try to store it: one wins, the others are
// told the connection moved, and every reading is stored once.
func testConcurrentAdvance(t *testing.T, s wattt.Store) {
	ctx := context.Background()
	c := connect(t, s, account(t, s, "A"), "S", "DEV")
	base := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for round := range 20 {
		from, to := fmt.Sprintf("R%d", round), fmt.Sprintf("R%d", round+1)
		if round == 0 {
			from = "ROOT0"
		}
		rs := []wattt.StoredReading{reading(int64(round), base.Add(time.Duration(round)*time.Second), float64(round))}
		var wg sync.WaitGroup
		results := make([]wattt.Advanced, 4)
		for i := range results {
			wg.Go(func() {
				res, err := s.Advance(ctx, time.UTC, []wattt.Progress{{ConnectionID: c.ID, FromRoot: from, Root: to, Messages: 1, Readings: rs}})
				if err != nil {
					t.Errorf("advance: %v", err)
					return
				}
				results[i] = res[0]
			})
		}
		wg.Wait()
		won := 0
		for _, r := range results {
			switch {
			case r.Err == nil && r.Inserted == 1:
				won++
			case errors.Is(r.Err, wattt.ErrMoved):
			default:
				t.Fatalf("round %d: %+v", round, r)
			}
		}
		if won != 1 {
			t.Fatalf("round %d: %d workers stored the message", round, won)
		}
	}
	c, _ = s.Connection(ctx, c.ID)
	n := 0
	s.EachReading(ctx, c.ID, base, base.Add(time.Hour), func(wattt.StoredReading) error { n++; return nil })
	if c.Messages != 20 || c.LastSeq != 19 || n != 20 {
		t.Fatalf("after 20 contested rounds: %d messages, last seq %d, %d readings", c.Messages, c.LastSeq, n)
	}
}

// testOddTimes stores readings across a month boundary and with times far
// in the past and the future (a meter with a wrong clock): all are kept
// and read back, and pruning removes only what is old.
func testOddTimes(t *testing.T, s wattt.Store) {
	ctx := context.Background()
	c := connect(t, s, account(t, s, "A"), "S", "DEV")
	times := []time.Time{
		time.Date(1999, 12, 31, 23, 59, 59, 0, time.UTC),
		time.Date(2026, 1, 31, 23, 59, 59, 0, time.UTC),
		time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 2, 1, 0, 0, 1, 0, time.UTC),
		time.Date(2099, 6, 1, 12, 0, 0, 0, time.UTC),
	}
	var rs []wattt.StoredReading
	for i, at := range times {
		rs = append(rs, reading(int64(i), at, float64(i)))
	}
	if n, err := advance(t, s, wattt.Progress{ConnectionID: c.ID, FromRoot: "ROOT0", Root: "R1", Messages: 1, Readings: rs}); err != nil || n != len(times) {
		t.Fatalf("advance: %d %v", n, err)
	}
	readBack := func() []time.Time {
		var got []time.Time
		if err := s.EachReading(ctx, c.ID, times[0], times[len(times)-1].Add(time.Second), func(r wattt.StoredReading) error {
			got = append(got, r.Reading.Time)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return got
	}
	got := readBack()
	if len(got) != len(times) {
		t.Fatalf("read back %d of %d readings", len(got), len(times))
	}
	for i := range times {
		if !got[i].Equal(times[i]) {
			t.Fatalf("reading %d at %v, want %v", i, got[i], times[i])
		}
	}
	if latest, err := s.LatestReading(ctx, c.ID); err != nil || !latest.Reading.Time.Equal(times[4]) {
		t.Fatalf("latest: %+v %v", latest, err)
	}
	if err := s.Prune(ctx, time.Date(2026, 2, 3, 0, 0, 0, 0, time.UTC), wattt.Retention{Raw: 48 * time.Hour}); err != nil {
		t.Fatal(err)
	}
	if got := readBack(); len(got) != 3 || !got[0].Equal(times[2]) {
		t.Fatalf("after pruning to 1 Feb: %v", got)
	}
}

// testDayBuckets: day buckets start at local midnight; a DST day has 23
// hours.
func testDayBuckets(t *testing.T, s wattt.Store) {
	ctx := context.Background()
	ams, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		t.Fatal("no zone database:", err)
	}
	c := connect(t, s, account(t, s, "A"), "S", "DEV")
	// 29 March 2026: clocks go from 02:00 to 03:00 in Amsterdam.
	day := time.Date(2026, 3, 29, 0, 0, 0, 0, ams)
	var rs []wattt.StoredReading
	for h := range 24 {
		rs = append(rs, reading(int64(h), day.Add(time.Duration(h)*time.Hour), float64(h)))
	}
	res, err := s.Advance(ctx, ams, []wattt.Progress{{ConnectionID: c.ID, FromRoot: "ROOT0", Root: "R1", Messages: 1, Readings: rs}})
	if err != nil || res[0].Err != nil {
		t.Fatalf("advance: %v %v", res, err)
	}
	days, _, err := s.Buckets(ctx, c.ID, aggregate.Day, day.Add(-time.Hour), day.AddDate(0, 0, 2))
	if err != nil || len(days) != 2 || days[0].Start != day.Unix() || days[0].N != 23 || days[1].N != 1 {
		t.Fatalf("day buckets: %+v %v", days, err)
	}
}

func testLeases(t *testing.T, s wattt.Store) {
	ctx := context.Background()
	a := account(t, s, "A")
	for i := range 10 {
		connect(t, s, a, fmt.Sprintf("S%d", i), fmt.Sprintf("DEV%d", i))
	}
	ttl := 2 * time.Second
	lease := func(worker string) wattt.Leases {
		t.Helper()
		l, err := s.Lease(ctx, wattt.LeaseRequest{Worker: worker, Host: "host-" + worker, TTL: ttl})
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	// One worker alone takes everything, and learns the account address.
	l1 := lease("w1")
	if len(l1.Held) != 10 || len(l1.Claimed) != 10 || l1.Workers != 1 || l1.Share != 10 || l1.Claimed[0].AccountAddress != "A" || l1.Claimed[0].Root != "ROOT0" {
		t.Fatalf("first worker: %+v", l1)
	}
	// A second worker finds nothing free; the first gives back down to its
	// share, which the second then claims.
	if l2 := lease("w2"); len(l2.Held) != 0 || l2.Workers != 2 || l2.Share != 5 {
		t.Fatalf("second worker before the first gives back: %+v", l2)
	}
	if l1 = lease("w1"); len(l1.Held) != 5 || len(l1.Claimed) != 0 {
		t.Fatalf("first worker giving back: %+v", l1)
	}
	l2 := lease("w2")
	if len(l2.Held) != 5 || len(l2.Claimed) != 5 {
		t.Fatalf("second worker claiming: %+v", l2)
	}
	held := map[int64]string{}
	for _, id := range l1.Held {
		held[id] = "w1"
	}
	for _, id := range l2.Held {
		if held[id] != "" {
			t.Fatalf("connection %d leased to both workers", id)
		}
		held[id] = "w2"
	}
	ws, err := s.Workers(ctx, ttl)
	if err != nil || len(ws) != 2 || ws[0].ID != "w1" || ws[0].Held != 5 || ws[1].Host != "host-w2" || ws[1].Held != 5 {
		t.Fatalf("workers: %+v %v", ws, err)
	}
	// The lease holder's writes go through; another worker's do not.
	other := l2.Held[0]
	if _, err := advance(t, s, wattt.Progress{ConnectionID: other, Worker: "w1", FromRoot: "ROOT0", Root: "X"}); !errors.Is(err, wattt.ErrLeaseLost) {
		t.Fatalf("write by a worker without the lease: %v", err)
	}
	if _, err := advance(t, s, wattt.Progress{ConnectionID: other, Worker: "w2", FromRoot: "ROOT0", Root: "X", Messages: 1}); err != nil {
		t.Fatalf("write by the lease holder: %v", err)
	}
	// w2 dies (stops renewing). Until its leases expire nobody takes its
	// meters; after, w1 does, all ten.
	if l1 = lease("w1"); len(l1.Held) != 5 {
		t.Fatalf("took a live worker's meters: %+v", l1)
	}
	deadline := time.Now().Add(3 * ttl)
	for len(l1.Held) != 10 {
		if time.Now().After(deadline) {
			t.Fatalf("w2's meters never moved to w1: %+v", l1)
		}
		time.Sleep(ttl / 4)
		l1 = lease("w1")
	}
	if l1.Workers != 1 {
		t.Fatalf("a dead worker still counts: %+v", l1)
	}
	// w2 comes back: its writes for meters it lost are refused.
	if _, err := advance(t, s, wattt.Progress{ConnectionID: other, Worker: "w2", FromRoot: "X", Root: "Y"}); !errors.Is(err, wattt.ErrLeaseLost) {
		t.Fatalf("write after losing the lease: %v", err)
	}
	// A clean shutdown gives everything back at once.
	if err := s.ReleaseLeases(ctx, "w1"); err != nil {
		t.Fatal(err)
	}
	if l2 = lease("w2"); len(l2.Held) != 10 || l2.Workers != 1 {
		t.Fatalf("after w1 released: %+v", l2)
	}
}

func testLeaseCap(t *testing.T, s wattt.Store) {
	ctx := context.Background()
	a := account(t, s, "A")
	for i := range 6 {
		connect(t, s, a, fmt.Sprintf("S%d", i), fmt.Sprintf("DEV%d", i))
	}
	l, err := s.Lease(ctx, wattt.LeaseRequest{Worker: "w1", Host: "h", TTL: time.Minute, Max: 4})
	if err != nil || len(l.Held) != 4 || l.Share != 4 {
		t.Fatalf("capped lease: %+v %v", l, err)
	}
	// A revoked connection leaves the worker's leases at the next round.
	at := time.Now()
	if _, err := advance(t, s, wattt.Progress{ConnectionID: l.Held[0], Worker: "w1", FromRoot: "ROOT0", Root: "R1", Messages: 1, RevokedAt: &at}); err != nil {
		t.Fatal(err)
	}
	l, err = s.Lease(ctx, wattt.LeaseRequest{Worker: "w1", Host: "h", TTL: time.Minute, Max: 4})
	if err != nil || len(l.Held) != 4 || len(l.Claimed) != 1 {
		t.Fatalf("after a revocation: %+v %v", l, err)
	}
	for _, id := range l.Held {
		if c, _ := s.Connection(ctx, id); c.Status != wattt.ConnectionLive {
			t.Fatalf("holds revoked connection %d", id)
		}
	}
}

func testSessionsAndTariffs(t *testing.T, s wattt.Store) {
	ctx := context.Background()
	a := account(t, s, "A")
	id := strconv.FormatInt(a, 10)
	if err := s.CreateSession(ctx, "tok", id, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if acct, err := s.SessionAccount(ctx, "tok", time.Now()); err != nil || acct != id {
		t.Fatalf("session: %q %v", acct, err)
	}
	if _, err := s.SessionAccount(ctx, "tok", time.Now().Add(2*time.Hour)); !errors.Is(err, session.ErrNoSession) {
		t.Fatalf("expired session: %v", err)
	}
	if err := s.DeleteExpiredSessions(ctx, time.Now().Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SessionAccount(ctx, "tok", time.Now()); !errors.Is(err, session.ErrNoSession) {
		t.Fatalf("session survived expiry cleanup: %v", err)
	}
	if err := s.CreateSession(ctx, "tok2", id, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteSession(ctx, "tok2"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SessionAccount(ctx, "tok2", time.Now()); !errors.Is(err, session.ErrNoSession) {
		t.Fatalf("deleted session: %v", err)
	}
	if err := s.DeleteSession(ctx, "never"); err != nil {
		t.Fatalf("deleting an unknown session: %v", err)
	}
	def := wattt.Tariff{PerKWh: 0.3}
	if tr, _ := s.Tariff(ctx, a, def); tr != def {
		t.Fatalf("default tariff: %+v", tr)
	}
	want := wattt.Tariff{PerKWh: 0.25, PerKWhReturned: 0.1, PerM3: 1.4, StandingPerDay: 0.9}
	s.SetTariff(ctx, a, want)
	want.PerKWh = 0.26
	s.SetTariff(ctx, a, want)
	if tr, _ := s.Tariff(ctx, a, def); tr != want {
		t.Fatalf("tariff: %+v", tr)
	}
}
