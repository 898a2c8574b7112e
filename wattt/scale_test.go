package wattt_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"iotahome/protocol"
	"iotahome/store/pgtest"
	"iotahome/store/serverkey"
	"iotahome/store/watttpg"
	"iotahome/tangle/client"
	"iotahome/tangle/mamch"
	"iotahome/tangle/seed"
	"iotahome/tangle/tangletest"
	"iotahome/wattt"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// meterChannel is a reader-like restricted channel that a test publishes
// DATA messages on, one reading each, seq 0, 1, 2, …
type meterChannel struct {
	st   mamch.State
	root string // first root
	key  string
	sent int
}

func newMeterChannel(t testing.TB) *meterChannel {
	t.Helper()
	s, _ := seed.New()
	key, _ := mamch.RandomSideKey()
	st, err := mamch.NewState(s, mamch.Restricted, key)
	if err != nil {
		t.Fatal(err)
	}
	return &meterChannel{st: st, root: st.NextRoot(), key: key}
}

// publish attaches the next DATA message.
func (m *meterChannel) publish(ctx context.Context, c *client.Client) error {
	v := 0.5
	text, _ := json.Marshal(protocol.ChannelMessage{Type: protocol.Data, Version: protocol.Version, Data: &protocol.DataBody{
		Schema: protocol.ReadingSchema, Seq: uint64(m.sent),
		Readings: []protocol.Reading{{Time: time.Now().Add(-time.Hour), PowerDelivered: &v}}}})
	p, err := mamch.Prepare(m.st, string(text))
	if err != nil {
		return err
	}
	if _, err := mamch.Attach(ctx, c, p); err != nil {
		return err
	}
	m.st, m.sent = p.Next, m.sent+1
	return nil
}

// process is one Wattt process: its own store connection and service,
// sharing the database and server key with the others.
type process struct {
	svc    *wattt.Service
	st     wattt.Store
	cancel context.CancelFunc
	done   chan struct{}
}

// startProcess runs a follower-only Wattt (Service.Follow) on the database
// at dsn.
func startProcess(t testing.TB, dsn string, key *serverkey.Key, c *client.Client, cfg wattt.Config) *process {
	t.Helper()
	st, err := watttpg.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Location = time.UTC
	p := &process{svc: wattt.New(st, key, c, quietLog(t), cfg), st: st, done: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	go func() { defer close(p.done); p.svc.Follow(ctx) }()
	t.Cleanup(p.stop)
	return p
}

// stop ends the process cleanly (its leases are given back).
func (p *process) stop() {
	p.cancel()
	<-p.done
	p.st.Close()
}

// kill ends the process as a crash would, as far as the database can
// tell: its connections go first, so its leases are not given back and
// must expire.
func (p *process) kill() {
	p.st.Close()
	p.cancel()
	<-p.done
}

// fastFollow is a follower configuration for tests: short pauses, a 3 s
// lease.
func fastFollow() wattt.Config {
	return wattt.Config{FollowInterval: 100 * time.Millisecond, MaxIdleInterval: 300 * time.Millisecond, BatchWait: 50 * time.Millisecond,
		LeaseTTL: 3 * time.Second, MaxBackoff: time.Second}
}

func testKey(t testing.TB) *serverkey.Key {
	raw := make([]byte, serverkey.Size)
	rand.Read(raw)
	key, err := serverkey.FromBytes(raw)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// connectMeters gives each channel its own account and a live connection,
// through svc (key receipt's path, minus the Tangle).
func connectMeters(t testing.TB, svc *wattt.Service, chans []*meterChannel) []int64 {
	t.Helper()
	ctx := context.Background()
	var ids []int64
	for i, ch := range chans {
		acct, err := svc.CreateAccount(ctx)
		if err != nil {
			t.Fatal(err)
		}
		to, err := svc.StartConsent(ctx, acct, "http://myhome.test", "live")
		if err != nil {
			t.Fatal(err)
		}
		c, err := svc.Connect(ctx, acct, protocol.ChannelKey{Device: fmt.Sprintf("DEVICE%d", i), Root: ch.root, SideKey: ch.key, State: requestOf(t, svc, to).State})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	return ids
}

// publishEvery publishes on every channel, one round every interval, until
// stop is closed; it returns how many rounds it published.
func publishEvery(t testing.TB, c *client.Client, chans []*meterChannel, interval time.Duration, stop <-chan struct{}) <-chan int {
	rounds := make(chan int, 1)
	go func() {
		n := 0
		defer func() { rounds <- n }()
		for {
			for _, ch := range chans {
				if err := ch.publish(context.Background(), c); err != nil {
					t.Errorf("publish: %v", err)
					return
				}
			}
			n++
			select {
			case <-stop:
				return
			case <-time.After(interval):
			}
		}
	}()
	return rounds
}

// checkAllStoredOnce: every connection has exactly the messages its
// channel published, readings seq 0..n-1, each once.
func checkAllStoredOnce(t *testing.T, st wattt.Store, ids []int64, chans []*meterChannel) {
	t.Helper()
	ctx := context.Background()
	for i, id := range ids {
		c, err := st.Connection(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		var seqs []int64
		st.EachReading(ctx, id, time.Unix(0, 0), time.Now().Add(time.Hour), func(r wattt.StoredReading) error {
			seqs = append(seqs, r.Seq)
			return nil
		})
		if c.Messages != int64(chans[i].sent) || c.LastSeq != int64(chans[i].sent-1) || len(seqs) != chans[i].sent {
			t.Fatalf("meter %d: %d messages, last seq %d, %d readings; published %d", i, c.Messages, c.LastSeq, len(seqs), chans[i].sent)
		}
		for j, s := range seqs {
			if s != int64(j) {
				t.Fatalf("meter %d: reading %d has seq %d", i, j, s)
			}
		}
	}
}

// waitStored waits until every connection has all its channel's messages.
func waitStored(t *testing.T, st wattt.Store, ids []int64, chans []*meterChannel, timeout time.Duration) {
	t.Helper()
	eventually(t, timeout, "every message stored", func() bool {
		for i, id := range ids {
			c, err := st.Connection(context.Background(), id)
			if err != nil || c.Messages < int64(chans[i].sent) {
				return false
			}
		}
		return true
	})
}

// TestLeaseHandoverBetweenTwoProcesses runs two follower processes on one
// PostgreSQL database while eight meters publish: they split the meters;
// when one dies without giving its leases back, the other has all of them
// within the lease time plus a round; every message is stored exactly once
// (the processes' counts of stored messages add up to what was published).
func TestLeaseHandoverBetweenTwoProcesses(t *testing.T) {
	dsn := pgtest.Database(t)
	node := tangletest.StartNode(t, 9)
	c := newClient(t, node)
	key := testKey(t)
	cfg := fastFollow()
	a := startProcess(t, dsn, key, c, cfg)
	chans := make([]*meterChannel, 8)
	for i := range chans {
		chans[i] = newMeterChannel(t)
	}
	ids := connectMeters(t, a.svc, chans)
	b := startProcess(t, dsn, key, c, cfg)

	stop := make(chan struct{})
	rounds := publishEvery(t, c, chans, 300*time.Millisecond, stop)
	eventually(t, 30*time.Second, "both processes following four meters", func() bool {
		return a.svc.Stats().Followers == 4 && b.svc.Stats().Followers == 4
	})
	ws, err := a.st.Workers(context.Background(), cfg.LeaseTTL)
	if err != nil || len(ws) != 2 || ws[0].Held+ws[1].Held != 8 {
		t.Fatalf("workers: %+v %v", ws, err)
	}
	time.Sleep(2 * time.Second)
	killed := time.Now()
	b.kill()
	eventually(t, 2*cfg.LeaseTTL, "process A following all eight meters", func() bool { return a.svc.Stats().Followers == 8 })
	took := time.Since(killed)
	t.Logf("meters moved to the surviving process %s after the other died (lease TTL %s)", took.Round(100*time.Millisecond), cfg.LeaseTTL)
	time.Sleep(time.Second)
	close(stop)
	t.Logf("published %d rounds", <-rounds)
	waitStored(t, a.st, ids, chans, 30*time.Second)
	checkAllStoredOnce(t, a.st, ids, chans)
	total := 0
	for _, ch := range chans {
		total += ch.sent
	}
	if got := a.svc.Stats().Messages + b.svc.Stats().Messages; got != int64(total) {
		t.Fatalf("the processes stored %d messages between them; %d were published: something was stored twice or lost", got, total)
	}
}

// TestPostgresRestartLosesNothing stops PostgreSQL (as a crash: immediate
// mode) while meters publish, starts it again, and checks that the
// follower retried and stored every message once.
func TestPostgresRestartLosesNothing(t *testing.T) {
	ctx := context.Background()
	cluster := pgtest.New(t, pgtest.Options{})
	dsn, err := cluster.CreateDatabase(ctx, "wattt")
	if err != nil {
		t.Fatal(err)
	}
	node := tangletest.StartNode(t, 9)
	c := newClient(t, node)
	cfg := fastFollow()
	p := startProcess(t, dsn, testKey(t), c, cfg)
	chans := make([]*meterChannel, 4)
	for i := range chans {
		chans[i] = newMeterChannel(t)
	}
	ids := connectMeters(t, p.svc, chans)
	stop := make(chan struct{})
	rounds := publishEvery(t, c, chans, 300*time.Millisecond, stop)
	eventually(t, 30*time.Second, "the first messages stored", func() bool { return p.svc.Stats().Messages >= 8 })
	if err := cluster.Stop(ctx, "immediate"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * time.Second) // meters keep publishing meanwhile
	if err := cluster.Start(ctx); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	close(stop)
	t.Logf("published %d rounds", <-rounds)
	waitStored(t, p.st, ids, chans, 60*time.Second)
	checkAllStoredOnce(t, p.st, ids, chans)
	if st := p.svc.Stats(); st.StoreErrors == 0 {
		t.Fatalf("the follower never noticed the database was down: %+v", st)
	}
}

// refusingProxy stands in front of the node and refuses (HTTP 400, as IRI
// does for too many results) every findTransactions that asks for a
// flooded address.
type refusingProxy struct {
	flooded atomic.Value // string
	refused atomic.Int64
}

func (rp *refusingProxy) handler(target string) http.Handler {
	u, _ := url.Parse(target)
	proxy := httputil.NewSingleHostReverseProxy(u)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		if f, _ := rp.flooded.Load().(string); f != "" && bytes.Contains(body, []byte(`"findTransactions"`)) && bytes.Contains(body, []byte(f)) {
			rp.refused.Add(1)
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`{"error":"Could not complete request: too many results"}`))
			return
		}
		proxy.ServeHTTP(w, r)
	})
}

// TestFloodedAndGarbageMeterDoesNotStallOthers: one meter's next address
// holds garbage bundles and then makes the node refuse every request that
// names it (as a flood of junk transactions would); the other meters'
// messages keep being stored meanwhile, and the flooded meter catches up
// once its address answers again.
func TestFloodedAndGarbageMeterDoesNotStallOthers(t *testing.T) {
	dsn := pgtest.Database(t)
	node := tangletest.StartNode(t, 9)
	direct := newClient(t, node)
	rp := &refusingProxy{}
	front := httptest.NewServer(rp.handler(node.URL))
	t.Cleanup(front.Close)
	viaProxy, err := client.New(client.Config{NodeURL: front.URL, MWM: 9, PoW: client.PoWLocal})
	if err != nil {
		t.Fatal(err)
	}
	cfg := fastFollow()
	p := startProcess(t, dsn, testKey(t), viaProxy, cfg)
	chans := make([]*meterChannel, 4)
	for i := range chans {
		chans[i] = newMeterChannel(t)
	}
	ids := connectMeters(t, p.svc, chans)
	ctx := context.Background()
	for _, ch := range chans {
		if err := ch.publish(ctx, direct); err != nil {
			t.Fatal(err)
		}
	}
	waitStored(t, p.st, ids, chans, 30*time.Second)

	// Garbage at meter 0's next address: skipped, nothing stalls.
	bad := chans[0]
	addr, err := mamch.Address(bad.st.NextRoot(), mamch.Restricted, bad.key)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := direct.Send(ctx, addr, "GARBAGE9NOT9A9MAM9MESSAGE"); err != nil {
			t.Fatal(err)
		}
	}
	// Then its address floods: the node refuses every request naming it.
	rp.flooded.Store(string(addr))
	for range 3 {
		for _, ch := range chans {
			if err := ch.publish(ctx, direct); err != nil {
				t.Fatal(err)
			}
		}
	}
	waitStored(t, p.st, ids[1:], chans[1:], 30*time.Second)
	if c, _ := p.st.Connection(ctx, ids[0]); c.Messages != 1 {
		t.Fatalf("the flooded meter stored %d messages while its address was refused", c.Messages)
	}
	if rp.refused.Load() == 0 {
		t.Fatal("the node never refused a request")
	}
	rp.flooded.Store("")
	waitStored(t, p.st, ids, chans, 30*time.Second)
	checkAllStoredOnce(t, p.st, ids, chans)
	t.Logf("node refused %d requests naming the flooded address; stats %+v", rp.refused.Load(), p.svc.Stats())
}
