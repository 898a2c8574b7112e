package direct

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/iotaledger/iota.go/api"
	"github.com/iotaledger/iota.go/bundle"
	"github.com/iotaledger/iota.go/checksum"
	"github.com/iotaledger/iota.go/consts"
	"github.com/iotaledger/iota.go/transaction"
	"github.com/iotaledger/iota.go/trinary"

	"iotahome/protocol"
	"iotahome/tangle/client"
	"iotahome/tangle/seed"
	"iotahome/tangle/tangletest"
)

// meter sits between a client and the real node and counts what reading
// costs: findTransactions calls, transactions fetched, bytes received.
type meter struct {
	mu      sync.Mutex
	finds   int
	fetched int
	bytes   int64
}

func (m *meter) reset() (finds, fetched int, bytes int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	finds, fetched, bytes = m.finds, m.fetched, m.bytes
	m.finds, m.fetched, m.bytes = 0, 0, 0
	return
}

// metered returns a URL that forwards to target and counts into m.
func metered(t testing.TB, target string, m *meter) string {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(u)
	proxy.ModifyResponse = func(r *http.Response) error {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			return err
		}
		m.mu.Lock()
		m.bytes += int64(len(b))
		m.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(b))
		return nil
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var cmd struct {
			Command string   `json:"command"`
			Hashes  []string `json:"hashes"`
		}
		json.Unmarshal(body, &cmd)
		m.mu.Lock()
		switch cmd.Command {
		case "findTransactions":
			m.finds++
		case "getTrytes":
			m.fetched += len(cmd.Hashes)
		}
		m.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// floodSetup starts a node at MWM 1 (so floods are quick to make), a client
// that reads through a meter, and an address.
func floodSetup(t testing.TB) (n *tangletest.Node, c *client.Client, m *meter, addr trinary.Hash) {
	t.Helper()
	n = tangletest.StartNode(t, 1)
	m = &meter{}
	c, err := client.New(client.Config{NodeURL: metered(t, n.URL, m), MWM: 1, PoW: client.PoWLocal})
	if err != nil {
		t.Fatal(err)
	}
	s, err := seed.New()
	if err != nil {
		t.Fatal(err)
	}
	if addr, err = seed.Address(s, 0); err != nil {
		t.Fatal(err)
	}
	return n, c, m, addr
}

func collect(t testing.TB, r *Reader, addr trinary.Hash, cur Cursor) ([]Message, Cursor) {
	t.Helper()
	var msgs []Message
	next, err := r.Read(context.Background(), addr, cur, func(m Message) error {
		msgs = append(msgs, m)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return msgs, next
}

// Regression (issue 13, address flooding): thousands of junk transactions
// at the address under other tags cost a read nothing. Before, every read
// fetched every transaction ever sent to the address.
func TestReadIgnoresFloodAtAddress(t *testing.T) {
	n, c, m, addr := floodSetup(t)
	if err := n.Inject(addr, "", 1000); err != nil {
		t.Fatal(err)
	}
	good, err := Send(context.Background(), c, addr, protocol.ClaimResult, protocol.ClaimResultBody{ClaimID: "x"})
	if err != nil {
		t.Fatal(err)
	}
	m.reset()
	msgs, cur := collect(t, NewReader(c, Limits{}), addr, "")
	if len(msgs) != 1 || msgs[0].Bundle != good {
		t.Fatalf("delivered %d messages, want the one sent", len(msgs))
	}
	finds, fetched, bytes := m.reset()
	if finds != 3 || fetched != 1 || bytes > 20_000 {
		t.Fatalf("a read with 1,000 junk transactions at the address made %d findTransactions, fetched %d transactions, %d bytes; want 3, 1, a few KB", finds, fetched, bytes)
	}
	collect(t, NewReader(c, Limits{}), addr, cur)
	if _, fetched, _ := m.reset(); fetched != 0 {
		t.Fatalf("the next read fetched %d transactions, want 0", fetched)
	}
}

// A flood under the day's tag itself is read at most MaxFetch transactions
// at a time and then only with backoff, the junk is remembered as done,
// and the real message still comes through.
func TestReadBucketFloodBounded(t *testing.T) {
	n, c, m, addr := floodSetup(t)
	now := time.Now()
	if err := tangletest.Flood(n.URL, 1, addr, Tag(addr, now), 300); err != nil {
		t.Fatal(err)
	}
	good, err := Send(context.Background(), c, addr, protocol.ClaimResult, protocol.ClaimResultBody{ClaimID: "x"})
	if err != nil {
		t.Fatal(err)
	}
	r := NewReader(c, Limits{MaxFetch: 50, FloodAt: 100})
	clock := now
	r.now = func() time.Time { return clock }
	m.reset()
	var got []Message
	var cur Cursor
	for i := 0; len(got) == 0 && i < 20; i++ {
		var msgs []Message
		msgs, cur = collect(t, r, addr, cur)
		got = append(got, msgs...)
		_, fetched, _ := m.reset()
		if fetched > 50 {
			t.Fatalf("read %d fetched %d transactions, limit 50", i, fetched)
		}
		// Within the backoff the flooded bucket is not asked for at all.
		collect(t, r, addr, cur)
		if finds, fetched, _ := m.reset(); finds != 2 || fetched != 0 {
			t.Fatalf("read within the backoff: %d findTransactions, %d fetched; want 2 (the other days), 0", finds, fetched)
		}
		clock = clock.Add(maxBackoff)
	}
	if len(got) != 1 || got[0].Bundle != good {
		t.Fatalf("delivered %d messages, want the real one", len(got))
	}
	parsed, err := parseCursor(cur)
	if err != nil {
		t.Fatal(err)
	}
	if d := len(parsed.done[clock.UTC().Format(dayFormat)]) + len(parsed.done[now.UTC().Format(dayFormat)]); d < 50 {
		t.Fatalf("cursor remembers %d done transactions; junk should be remembered", d)
	}
}

// A bucket with more transactions than MaxListed is skipped with backoff,
// its response read no further than the limit: an address is never dead
// for good, and the other days are still read.
func TestReadOverListedBucketSkipped(t *testing.T) {
	n, c, m, addr := floodSetup(t)
	now := time.Now()
	if err := tangletest.Flood(n.URL, 1, addr, Tag(addr, now), 120); err != nil {
		t.Fatal(err)
	}
	tomorrow := now.AddDate(0, 0, 1)
	msg, _ := EncodeEnvelope(Envelope{Type: protocol.ClaimResult, Version: 1, Body: []byte(`{"claimId":"x"}`)})
	sent, err := c.SendTagged(context.Background(), addr, Tag(addr, tomorrow), msg)
	if err != nil {
		t.Fatal(err)
	}
	r := NewReader(c, Limits{MaxListed: 100})
	r.now = func() time.Time { return now }
	m.reset()
	msgs, _ := collect(t, r, addr, "")
	if len(msgs) != 1 || msgs[0].Bundle != sent[0].Bundle {
		t.Fatalf("delivered %d messages, want the one under tomorrow's tag", len(msgs))
	}
	if _, _, bytes := m.reset(); bytes > 20_000 {
		t.Fatalf("read %d bytes; the flooded bucket's answer should be cut off", bytes)
	}
}

// Eventual consistency (a Hornet node lists a bundle's transactions as they
// arrive): a partial bundle is not delivered and not given up on; once the
// rest arrives it is delivered, also by a restarted reader.
func TestReadPartialBundleRetried(t *testing.T) {
	n, c, _, addr := floodSetup(t)
	a, err := api.ComposeAPI(api.HTTPClientSettings{URI: n.URL})
	if err != nil {
		t.Fatal(err)
	}
	env, err := EncodeEnvelope(Envelope{Type: protocol.Challenge, Version: 1, Body: []byte(`{"claimId":"x","sealed":"` + strings.Repeat("A", 5000) + `"}`)})
	if err != nil {
		t.Fatal(err)
	}
	sd, err := seed.New()
	if err != nil {
		t.Fatal(err)
	}
	to, err := checksum.AddChecksum(addr, true, consts.AddressChecksumTrytesSize)
	if err != nil {
		t.Fatal(err)
	}
	prepared, err := a.PrepareTransfers(sd, bundle.Transfers{{Address: to, Message: env, Tag: Tag(addr, time.Now())}}, api.PrepareTransfersOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tips, err := a.GetTransactionsToApprove(3)
	if err != nil {
		t.Fatal(err)
	}
	attached, err := a.AttachToTangle(tips.TrunkTransaction, tips.BranchTransaction, 1, prepared)
	if err != nil {
		t.Fatal(err)
	}
	if len(attached) < 3 {
		t.Fatalf("bundle of %d transactions, want several", len(attached))
	}
	// The tail and the last transaction arrive; a middle one does not yet.
	missing := attached[1]
	if _, err := a.StoreTransactions(append([]trinary.Trytes{attached[0]}, attached[2:]...)...); err != nil {
		t.Fatal(err)
	}
	r := NewReader(c, Limits{})
	msgs, cur := collect(t, r, addr, "")
	if len(msgs) != 0 {
		t.Fatalf("a partial bundle was delivered")
	}
	for _, tr := range attached {
		tx, err := transaction.AsTransactionObject(tr)
		if err != nil {
			t.Fatal(err)
		}
		if parsed, _ := parseCursor(cur); parsed.isDone(time.Now().UTC().Format(dayFormat), tx.Hash) {
			t.Fatalf("a transaction of the partial bundle was marked done")
		}
	}
	if _, err := a.StoreTransactions(missing); err != nil {
		t.Fatal(err)
	}
	// The same reader (it held the partial bundle) and a restarted one both
	// deliver it now.
	if msgs, _ := collect(t, NewReader(c, Limits{}), addr, cur); len(msgs) != 1 {
		t.Fatalf("restarted reader delivered %d messages after the bundle completed, want 1", len(msgs))
	}
	if msgs, _ := collect(t, r, addr, cur); len(msgs) != 1 {
		t.Fatalf("delivered %d messages after the bundle completed, want 1", len(msgs))
	}
}
