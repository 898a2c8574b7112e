package wattt_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"log/slog"
	"net/url"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"iotahome/pi/reader"
	"iotahome/pi/simulator"
	"iotahome/protocol"
	"iotahome/store/serverkey"
	"iotahome/store/watttsqlite"
	"iotahome/tangle/client"
	"iotahome/tangle/direct"
	"iotahome/tangle/ntru"
	"iotahome/tangle/seed"
	"iotahome/tangle/tangletest"
	"iotahome/wattt"
)

func newClient(t testing.TB, node *tangletest.Node) *client.Client {
	t.Helper()
	c, err := client.New(client.Config{NodeURL: node.URL, MWM: node.MWM, PoW: client.PoWLocal})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func quietLog(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelError}))
}

// site is a running Wattt service on its own database.
type site struct {
	svc  *wattt.Service
	st   wattt.Store
	stop func()
}

func startSite(t testing.TB, path string, key *serverkey.Key, c *client.Client) *site {
	t.Helper()
	st, err := watttsqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	svc := wattt.New(st, key, c, quietLog(t), wattt.Config{
		PublicURL: "http://wattt.test", Location: time.UTC,
		FollowInterval: 200 * time.Millisecond, KeyInterval: 200 * time.Millisecond, MaxBackoff: time.Second,
	})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { svc.Run(ctx) })
	s := &site{svc: svc, st: st}
	var once sync.Once
	s.stop = func() { once.Do(func() { cancel(); wg.Wait(); st.Close() }) }
	t.Cleanup(s.stop)
	return s
}

// startReader runs a real reader agent fed by the simulated meter at 5
// telegrams a second.
func startReader(t testing.TB, node *tangletest.Node) *reader.Agent {
	t.Helper()
	a, err := reader.Open(context.Background(), reader.Config{
		StatePath: filepath.Join(t.TempDir(), "reader.db"), Client: newClient(t, node),
		BatchWindow: 300 * time.Millisecond, MaxReadings: 10, PollInterval: 200 * time.Millisecond,
		MaxBackoff: time.Second, ClaimsPerMinute: 100, Log: quietLog(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	meter, err := simulator.NewMeter(simulator.Config{Seed: 7, Start: time.Now().Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	telegrams := make(chan []byte)
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := a.Run(ctx, telegrams); err != nil {
			t.Errorf("reader: %v", err)
		}
	})
	wg.Go(func() { meter.Feed(ctx, 200*time.Millisecond, telegrams) })
	t.Cleanup(func() { cancel(); wg.Wait(); a.Close() })
	return a
}

func eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// request is what Wattt put in its redirect to My Home.
type request struct {
	address, publicKey, state, returnURL string
}

func startConsent(t testing.TB, s *site, account int64) request {
	t.Helper()
	to, err := s.svc.StartConsent(context.Background(), account, "http://myhome.test/", "live")
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(to)
	if err != nil || u.Scheme != "http" || u.Host != "myhome.test" || u.Path != "/new-policy" {
		t.Fatalf("redirect %q", to)
	}
	c := requestOf(t, s.svc, to)
	r := request{address: c.Address, publicKey: c.PublicKey, state: c.State, returnURL: c.URL}
	if len(r.address) != 81 || r.publicKey == "" || len(r.state) < 40 || r.returnURL != "http://wattt.test/connect/return" || c.Goal == "" ||
		c.Resolution != "raw" || len(c.Scope) != 5 {
		t.Fatalf("consent request %+v", c)
	}
	return r
}

func authorize(t testing.TB, h *testHome, device, policy string, r request) {
	t.Helper()
	h.publish(t, protocol.Event{Type: protocol.Authorized, Device: device, Authorized: &protocol.AuthorizedBody{
		PolicyID: policy, Goal: "graphs", State: r.state,
		Provider: protocol.Provider{Address: r.address, PublicKey: r.publicKey, Origin: "http://wattt.test"},
	}})
}

func connectionOf(t testing.TB, s *site, account int64) *wattt.Connection {
	t.Helper()
	cs, err := s.st.AccountConnections(context.Background(), account)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) > 1 {
		t.Fatalf("account %d has %d connections", account, len(cs))
	}
	if len(cs) == 0 {
		return nil
	}
	return &cs[0]
}

// seqs returns the sequence numbers of the connection's stored readings.
func seqs(t testing.TB, s *site, conn int64) []int64 {
	t.Helper()
	var out []int64
	err := s.st.EachReading(context.Background(), conn, time.Unix(0, 0), time.Now().Add(24*time.Hour), func(r wattt.StoredReading) error {
		out = append(out, r.Seq)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// forge sends the three kinds of MAM_DATA a provider must reject to addr:
// garbage, a key sealed to someone else's NTRU key, and a well-sealed key
// carrying a state Wattt never issued.
func forge(t testing.TB, c *client.Client, r request) {
	t.Helper()
	ctx := context.Background()
	if _, err := direct.Send(ctx, c, r.address, protocol.MAMData, map[string]any{"sealed": "%%% not base64", "device": 12}); err != nil {
		t.Fatal(err)
	}
	fake, _ := seed.New()
	fakeDevice, _ := seed.Address(fake, 0)
	key, _ := json.Marshal(protocol.ChannelKey{Device: fakeDevice, Root: fakeDevice, SideKey: fakeDevice, State: r.state})
	otherPub, _, _ := ntru.DeriveKeyPair(fake)
	sealed, _ := ntru.SealString(otherPub, key)
	if _, err := direct.Send(ctx, c, r.address, protocol.MAMData, protocol.MAMDataBody{Device: fakeDevice, Sealed: sealed}); err != nil {
		t.Fatal(err)
	}
	pub, err := ntru.ParsePublicKey(r.publicKey)
	if err != nil {
		t.Fatal(err)
	}
	key, _ = json.Marshal(protocol.ChannelKey{Device: fakeDevice, Root: fakeDevice, SideKey: fakeDevice, State: "not-a-state-wattt-issued"})
	sealed, _ = ntru.SealString(pub, key)
	if _, err := direct.Send(ctx, c, r.address, protocol.MAMData, protocol.MAMDataBody{Device: fakeDevice, Sealed: sealed}); err != nil {
		t.Fatal(err)
	}
}

// TestConnectFollowRevokeRestart runs the whole provider story against the
// real dev node and a real reader agent: two provider accounts ask for
// consent, forged keys are rejected, both receive keys and readings, the
// node goes down and comes back, one provider is revoked and stops while the
// other keeps receiving, and a restart of Wattt resumes without gaps or
// duplicates.
func TestConnectFollowRevokeRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	ctx := context.Background()
	node := tangletest.StartNode(t, 9)
	c := newClient(t, node)
	agent := startReader(t, node)
	device := agent.DeviceAddress()
	home := newTestHome(t, c)
	home.pair(t, device, agent.PairingCode())
	eventually(t, 30*time.Second, "reader following My Home", func() bool { return agent.Status().Following })

	raw := make([]byte, serverkey.Size)
	rand.Read(raw)
	key, _ := serverkey.FromBytes(raw)
	dbPath := filepath.Join(t.TempDir(), "wattt.db")
	s := startSite(t, dbPath, key, c)
	accA, err := s.svc.CreateAccount(ctx)
	if err != nil {
		t.Fatal(err)
	}
	accB, _ := s.svc.CreateAccount(ctx)
	reqA, reqB := startConsent(t, s, accA), startConsent(t, s, accB)

	forge(t, c, reqA)
	// The owner's answer only comes back for the visitor's own state.
	if _, err := s.svc.FinishConsent(ctx, accB, reqA.state, true, ""); err == nil {
		t.Fatal("account B finished account A's request")
	}
	// Only accounts whose request came back from My Home are polled.
	for _, r := range []struct {
		acct  int64
		state string
	}{{accA, reqA.state}, {accB, reqB.state}} {
		if _, err := s.svc.FinishConsent(ctx, r.acct, r.state, true, ""); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, 30*time.Second, "forged MAM_DATA rejected", func() bool { return s.svc.Stats().KeysRejected >= 3 })
	if connectionOf(t, s, accA) != nil {
		t.Fatal("a forged MAM_DATA created a connection")
	}

	authorize(t, home, device, "policy-a", reqA)
	authorize(t, home, device, "policy-b", reqB)
	eventually(t, 60*time.Second, "both providers receiving readings", func() bool {
		a, b := connectionOf(t, s, accA), connectionOf(t, s, accB)
		return a != nil && b != nil && a.LastSeq >= 0 && b.LastSeq >= 0
	})
	if got := s.svc.Stats().KeysRejected; got != 3 {
		t.Errorf("%d MAM_DATA rejected, want exactly the 3 forged ones", got)
	}
	if r, _ := s.svc.ConsentRequest(ctx, accB, reqB.state); r.Status != wattt.RequestConnected {
		t.Errorf("request B is %s, want connected", r.Status)
	}

	// A node outage: followers back off and resume.
	node.Stop()
	time.Sleep(1500 * time.Millisecond)
	node.Restart(t)
	before := connectionOf(t, s, accB).LastSeq
	eventually(t, 30*time.Second, "B reading again after the outage", func() bool { return connectionOf(t, s, accB).LastSeq > before+10 })

	// Revoke A: the reader rotates its key, sealed only for B.
	home.publish(t, protocol.Event{Type: protocol.AuthorizationRevoked, Device: device,
		Revoked: &protocol.RevokedBody{PolicyID: "policy-a", ProviderAddress: reqA.address}})
	eventually(t, 60*time.Second, "A revoked", func() bool {
		return connectionOf(t, s, accA).Status == wattt.ConnectionRevoked
	})
	if st := s.svc.Stats(); st.Revocations != 1 {
		t.Errorf("%d revocations seen, want 1", st.Revocations)
	}
	connA := connectionOf(t, s, accA)
	keptA := len(seqs(t, s, connA.ID))
	if keptA == 0 || connA.RevokedAt == nil {
		t.Fatalf("revoked connection lost its data or its time: %d readings, %+v", keptA, connA)
	}

	// Restart Wattt: B resumes from its stored root without gaps or duplicates.
	s.stop()
	s = startSite(t, dbPath, key, c)
	atRestart := connectionOf(t, s, accB).LastSeq
	eventually(t, 60*time.Second, "B receiving after the restart", func() bool {
		return connectionOf(t, s, accB).LastSeq > atRestart+20
	})
	if got := len(seqs(t, s, connA.ID)); got != keptA {
		t.Errorf("revoked provider A got %d new readings after revocation", got-keptA)
	}
	if a := connectionOf(t, s, accA); a.Status != wattt.ConnectionRevoked || a.Root != connA.Root {
		t.Errorf("A after restart: %s at %s, want revoked at %s", a.Status, a.Root, connA.Root)
	}
	connB := connectionOf(t, s, accB)
	if connB.Status != wattt.ConnectionLive || len(connB.SideKey) == 81 {
		t.Errorf("B is %s with side key %q: want live, with the key stored sealed", connB.Status, connB.SideKey)
	}
	sb := seqs(t, s, connB.ID)
	for i := 1; i < len(sb); i++ {
		if sb[i] != sb[i-1]+1 {
			t.Fatalf("B's readings have a gap or duplicate: seq %d after %d", sb[i], sb[i-1])
		}
	}
	if int64(len(sb)) != connB.LastSeq-sb[0]+1 {
		t.Fatalf("B stored %d readings for seqs %d..%d", len(sb), sb[0], connB.LastSeq)
	}

	t.Logf("A kept %d readings; B has %d (seq %d..%d); stats after restart %+v", keptA, len(sb), sb[0], connB.LastSeq, s.svc.Stats())

	// What the dashboard shows for B.
	d, err := s.svc.Dashboard(ctx, accB, 0, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if d.Live.Status != wattt.ConnectionLive || d.Live.PowerDel == nil || d.Live.Reading == nil || !d.Phases {
		t.Errorf("dashboard live panel: %+v", d.Live)
	}
	// Another account cannot see B's meter.
	if _, err := s.svc.Dashboard(ctx, accA, connB.ID, time.Now()); err == nil {
		t.Error("account A opened B's dashboard")
	}
}
