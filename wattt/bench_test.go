package wattt_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/iotaledger/iota.go/trinary"

	"iotahome/protocol"
	"iotahome/store/serverkey"
	"iotahome/store/watttsqlite"
	"iotahome/tangle/client"
	"iotahome/tangle/mamch"
	"iotahome/tangle/node"
	"iotahome/tangle/seed"
	"iotahome/wattt"
)

// benchMWM is the node's minimum weight magnitude in the benchmarks: 1, so
// that building 10,000 channel messages takes minutes, not an hour. Reading
// does no proof of work, so catch-up speed does not depend on it.
const benchMWM = 1

// serveNode runs the development node on dbPath (kept between runs when the
// caller wants to) at benchMWM and returns its URL.
func serveNode(tb testing.TB, dbPath string) string {
	tb.Helper()
	nd, err := node.Open(context.Background(), node.Config{DBPath: dbPath, MWM: benchMWM, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		tb.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	srv := &http.Server{Handler: nd.Handler()}
	go srv.Serve(ln)
	tb.Cleanup(func() { srv.Close(); nd.Close() })
	return "http://" + ln.Addr().String()
}

func benchClient(tb testing.TB, url string) *client.Client {
	tb.Helper()
	c, err := client.New(client.Config{NodeURL: url, MWM: benchMWM, PoW: client.PoWLocal})
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// channel is a reader-like restricted channel the benchmark published.
type channel struct {
	Root     trinary.Trytes
	SideKey  trinary.Trytes
	Messages int
}

// publishChannel publishes n DATA messages of 10 readings each on a new
// restricted channel, the way the reader does (Prepare, then Attach).
// Attaching runs on two goroutines; Prepare stays in channel order.
func publishChannel(tb testing.TB, c *client.Client, n int) channel {
	tb.Helper()
	s, _ := seed.New()
	key, _ := mamch.RandomSideKey()
	st, err := mamch.NewState(s, mamch.Restricted, key)
	if err != nil {
		tb.Fatal(err)
	}
	ch := channel{Root: st.NextRoot(), SideKey: key, Messages: n}
	prepared := make(chan mamch.Prepared, 16)
	errs := make(chan error, 2)
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for p := range prepared {
				if _, err := mamch.Attach(context.Background(), c, p); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	base := time.Now().Add(-time.Duration(n*10) * time.Second)
	for i := range n {
		text, _ := json.Marshal(protocol.ChannelMessage{Type: protocol.Data, Version: protocol.Version, Data: &protocol.DataBody{
			Schema: protocol.ReadingSchema, Seq: uint64(i * 10), Readings: readings(base.Add(time.Duration(i*10)*time.Second), i*10),
		}})
		p, err := mamch.Prepare(st, string(text))
		if err != nil {
			tb.Fatal(err)
		}
		st = p.Next
		select {
		case prepared <- p:
		case err := <-errs:
			tb.Fatal(err)
		}
	}
	close(prepared)
	wg.Wait()
	select {
	case err := <-errs:
		tb.Fatal(err)
	default:
	}
	return ch
}

// readings returns 10 readings one second apart with counters from first.
func readings(at time.Time, first int) []protocol.Reading {
	out := make([]protocol.Reading, 10)
	for i := range out {
		n := float64(first + i)
		pd, ed, v := 0.4+float64(i%3)/10, 1000+n/3600, 230.1
		out[i] = protocol.Reading{Time: at.Add(time.Duration(i) * time.Second), TariffMeaning: "NL", DeliveredT1: &ed, PowerDelivered: &pd,
			Phases: []protocol.Phase{{Phase: 1, Voltage: &v, PowerDelivered: &pd}}}
	}
	return out
}

// cachedChannel returns a channel of n messages on a node whose database is
// kept in the temp directory, building it on first use.
func cachedChannel(tb testing.TB, name string, n int) (string, channel) {
	tb.Helper()
	dir := filepath.Join(os.TempDir(), "wattt-bench")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		tb.Fatal(err)
	}
	dbPath, metaPath := filepath.Join(dir, name+".db"), filepath.Join(dir, name+".json")
	var ch channel
	if raw, err := os.ReadFile(metaPath); err == nil && json.Unmarshal(raw, &ch) == nil && ch.Messages == n {
		return serveNode(tb, dbPath), ch
	}
	os.Remove(dbPath)
	nodeURL := serveNode(tb, dbPath)
	t0 := time.Now()
	ch = publishChannel(tb, benchClient(tb, nodeURL), n)
	tb.Logf("built a channel of %d messages at MWM %d in %s (cached in %s)", n, benchMWM, time.Since(t0).Round(time.Second), dir)
	raw, _ := json.Marshal(ch)
	if err := os.WriteFile(metaPath, raw, 0o600); err != nil {
		tb.Fatal(err)
	}
	return nodeURL, ch
}

// provider is a Wattt service on a fresh database with connections made
// directly in the store (the consent flow is tested elsewhere).
type provider struct {
	svc *wattt.Service
	st  wattt.Store
	c   *client.Client
}

func newProvider(tb testing.TB, c *client.Client, cfg wattt.Config) *provider {
	tb.Helper()
	st, err := watttsqlite.Open(context.Background(), filepath.Join(tb.TempDir(), "wattt.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	raw := make([]byte, serverkey.Size)
	rand.Read(raw)
	key, _ := serverkey.FromBytes(raw)
	cfg.Location = time.UTC
	return &provider{svc: wattt.New(st, key, c, slog.New(slog.DiscardHandler), cfg), st: st, c: c}
}

// connect gives a new account a live connection to ch.
func (p *provider) connect(tb testing.TB, ch channel, device string) int64 {
	tb.Helper()
	ctx := context.Background()
	acct, err := p.svc.CreateAccount(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	to, err := p.svc.StartConsent(ctx, acct, "http://myhome.test", "live")
	if err != nil {
		tb.Fatal(err)
	}
	conn, err := p.svc.Connect(ctx, acct, protocol.ChannelKey{Device: device, Root: ch.Root, SideKey: ch.SideKey, State: requestOf(tb, p.svc, to).State})
	if err != nil {
		tb.Fatal(err)
	}
	return conn.ID
}

// run starts the service's workers until the benchmark ends.
func (p *provider) run(tb testing.TB) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { p.svc.Run(ctx) })
	tb.Cleanup(func() { cancel(); wg.Wait() })
}

// BenchmarkCatchUp measures how fast a follower reads a channel of 10,000
// messages (100,000 readings) from its first root, storing every reading
// and its aggregates. The channel is built once at MWM 1 and cached under
// the temp directory. Run with:
//
//	go test -run '^$' -bench CatchUp -benchtime 1x ./wattt/
func BenchmarkCatchUp(b *testing.B) {
	n := 10000
	if v, err := strconv.Atoi(os.Getenv("WATTT_BENCH_MESSAGES")); err == nil && v > 0 {
		n = v
	}
	nodeURL, ch := cachedChannel(b, fmt.Sprintf("catchup-%d", n), n)
	c := benchClient(b, nodeURL)
	for b.Loop() {
		p := newProvider(b, c, wattt.Config{})
		id := p.connect(b, ch, "DEVICE")
		t0 := time.Now()
		p.run(b)
		for {
			conn, err := p.st.Connection(context.Background(), id)
			if err != nil {
				b.Fatal(err)
			}
			if conn.Messages >= int64(n) {
				if conn.LastSeq != int64(n*10-1) {
					b.Fatalf("caught up to seq %d, want %d", conn.LastSeq, n*10-1)
				}
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		took := time.Since(t0)
		b.ReportMetric(float64(n)/took.Seconds(), "msgs/s")
		b.Logf("read %d messages (%d readings) in %s: %.0f messages/s", n, n*10, took.Round(time.Millisecond), float64(n)/took.Seconds())
	}
}

// BenchmarkMemory100Meters measures the memory of a Wattt service that
// follows 100 meters' channels (each with a few messages already there)
// once all are caught up and polling every second. The node runs in this
// process too, so the heap figures include its share; the goroutine count
// and the heap growth from starting the followers are Wattt's. Run with:
//
//	go test -run '^$' -bench Memory100Meters -benchtime 1x ./wattt/
func BenchmarkMemory100Meters(b *testing.B) {
	const meters, perChannel = 100, 3
	c := benchClient(b, serveNode(b, filepath.Join(b.TempDir(), "tangle.db")))
	chans := make([]channel, meters)
	var wg sync.WaitGroup
	for i := range chans {
		wg.Go(func() { chans[i] = publishChannel(b, c, perChannel) })
		if i%4 == 3 {
			wg.Wait()
		}
	}
	wg.Wait()
	for b.Loop() {
		p := newProvider(b, c, wattt.Config{})
		for i, ch := range chans {
			p.connect(b, ch, fmt.Sprintf("DEVICE%d", i))
		}
		before := memNow()
		p.run(b)
		deadline := time.Now().Add(2 * time.Minute)
		for p.svc.Stats().Messages < meters*perChannel {
			if time.Now().After(deadline) {
				b.Fatalf("only %d of %d messages read", p.svc.Stats().Messages, meters*perChannel)
			}
			time.Sleep(100 * time.Millisecond)
		}
		time.Sleep(10 * time.Second) // steady state: 100 followers polling
		after := memNow()
		st := p.svc.Stats()
		if st.Followers != meters {
			b.Fatalf("%d followers running", st.Followers)
		}
		b.ReportMetric(after.heapMB, "heap-MB")
		b.ReportMetric(after.heapMB-before.heapMB, "heap-growth-MB")
		b.ReportMetric(after.rssMB, "rss-MB")
		b.ReportMetric(float64(after.goroutines-before.goroutines), "goroutines-added")
		b.Logf("100 meters followed: heap in use %.1f MB (%.1f MB before the followers), RSS %.1f MB (%.1f before), goroutines %d (%d before), Go runtime total %.1f MB",
			after.heapMB, before.heapMB, after.rssMB, before.rssMB, after.goroutines, before.goroutines, after.sysMB)
	}
}

type mem struct {
	heapMB, sysMB, rssMB float64
	goroutines           int
}

func memNow() mem {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return mem{heapMB: float64(ms.HeapInuse) / 1e6, sysMB: float64(ms.Sys) / 1e6, rssMB: rss(), goroutines: runtime.NumGoroutine()}
}

// rss reads the process's resident set size from /proc (Linux), in MB.
func rss() float64 {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
			if err != nil {
				return 0
			}
			return kb / 1000
		}
	}
	return 0
}
