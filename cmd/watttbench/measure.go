package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/iotaledger/iota.go/trinary"

	"iotahome/tangle/client"
	"iotahome/wattt"
)

// publisher stores the cached messages on the node on schedule and
// records when each became visible (its attach time).
type publisher struct {
	c        *client.Client
	meters   []cachedMeter
	start    time.Time
	interval time.Duration

	mu       sync.Mutex
	attached [][]time.Time // [meter][message]
}

func newPublisher(c *client.Client, meters []cachedMeter, start time.Time, interval time.Duration) *publisher {
	p := &publisher{c: c, meters: meters, start: start, interval: interval, attached: make([][]time.Time, len(meters))}
	for i := range p.attached {
		p.attached[i] = make([]time.Time, len(meters[i].Messages))
	}
	return p
}

// due is when meter i publishes message k.
func (p *publisher) due(i, k int) time.Time {
	return p.start.Add(time.Duration(k)*p.interval + time.Duration(i)*p.interval/time.Duration(len(p.meters)))
}

type slot struct{ i, k int }

// run publishes every message at its time: every 20 ms, what is due goes
// to the node in storeTransactions requests of up to 1,000 transactions,
// four requests at a time.
func (p *publisher) run(ctx context.Context, log *slog.Logger) {
	var slots []slot
	for k := range len(p.meters[0].Messages) {
		for i := range p.meters {
			slots = append(slots, slot{i, k})
		}
	}
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	defer wg.Wait()
	next := 0
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for next < len(slots) {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		now := time.Now()
		var batch []slot
		var txs []trinary.Trytes
		flush := func() {
			if len(batch) == 0 {
				return
			}
			b, t := batch, txs
			batch, txs = nil, nil
			sem <- struct{}{}
			wg.Go(func() {
				defer func() { <-sem }()
				if _, err := p.c.API().StoreTransactions(t...); err != nil {
					log.Error("publisher: storeTransactions", "err", err)
					return
				}
				at := time.Now()
				p.mu.Lock()
				for _, s := range b {
					p.attached[s.i][s.k] = at
				}
				p.mu.Unlock()
			})
		}
		for next < len(slots) && !p.due(slots[next].i, slots[next].k).After(now) {
			s := slots[next]
			for _, tx := range p.meters[s.i].Messages[s.k] {
				txs = append(txs, trinary.Trytes(tx))
			}
			batch = append(batch, s)
			next++
			if len(txs) >= 998 {
				flush()
			}
		}
		flush()
	}
}

func (p *publisher) attachedAt(i, k int) time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.attached[i][k]
}

// observer watches the database: when a connection's message count grows,
// the messages it gained were stored at (or before) its updated_at.
type observer struct {
	mu     sync.Mutex
	seen   map[int64]int64 // connection id -> messages
	index  map[int64]int   // connection id -> meter index (ids are 1..n in creation order)
	stored [][]time.Time   // [meter][message] store time
}

func newObserver(meters int) *observer {
	return &observer{seen: map[int64]int64{}, index: map[int64]int{}, stored: make([][]time.Time, meters)}
}

func (o *observer) run(ctx context.Context, st wattt.Store, log *slog.Logger) {
	for ctx.Err() == nil {
		conns, err := st.LiveConnections(ctx)
		if err != nil && ctx.Err() == nil {
			log.Warn("observer", "err", err)
		}
		o.mu.Lock()
		if len(o.index) == 0 {
			for _, c := range conns {
				var i int // the device name carries the meter index
				if _, err := fmt.Sscanf(c.Device, "DEVICE%d", &i); err == nil {
					o.index[c.ID] = i
				}
			}
		}
		for _, c := range conns {
			i, ok := o.index[c.ID]
			if !ok {
				continue
			}
			for k := o.seen[c.ID]; k < c.Messages; k++ {
				o.stored[i] = append(o.stored[i], c.UpdatedAt)
			}
			o.seen[c.ID] = c.Messages
		}
		o.mu.Unlock()
		select {
		case <-ctx.Done():
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// allStored says whether every meter stored messages 0..last.
func (o *observer) allStored(last int) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, s := range o.stored {
		if len(s) <= last {
			return false
		}
	}
	return true
}

// judge computes the window's figures: offered and ingested messages per
// second, and the lag of messages attached in the window.
func (o *observer) judge(p *publisher, from, to time.Time) (offered, ingested float64, p50, p99, mx time.Duration, measured, late int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	var lags []time.Duration
	var attachedIn, storedIn int
	for i := range p.meters {
		for k := range p.meters[i].Messages {
			at := p.attachedAt(i, k)
			if !at.IsZero() && !at.Before(from) && at.Before(to) {
				attachedIn++
				if k < len(o.stored[i]) {
					lags = append(lags, max(o.stored[i][k].Sub(at), 0))
				} else {
					late++
				}
			}
			if k < len(o.stored[i]) && !o.stored[i][k].Before(from) && o.stored[i][k].Before(to) {
				storedIn++
			}
		}
	}
	secs := to.Sub(from).Seconds()
	slices.Sort(lags)
	if len(lags) > 0 {
		mx = lags[len(lags)-1]
	}
	return float64(attachedIn) / secs, float64(storedIn) / secs, percentile(lags, 0.5), percentile(lags, 0.99), mx, len(lags), late
}

// countingProxy forwards to the node and counts requests by command (and
// the addresses asked for in findTransactions).
type countingProxy struct {
	srv *http.Server
	url string

	mu     sync.Mutex
	counts map[string]int
}

func startCountingProxy(target string) (*countingProxy, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	cp := &countingProxy{url: "http://" + ln.Addr().String(), counts: map[string]int{}}
	rp := httputil.NewSingleHostReverseProxy(u)
	cp.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		var cmd struct {
			Command   string   `json:"command"`
			Addresses []string `json:"addresses"`
		}
		json.Unmarshal(body, &cmd)
		cp.mu.Lock()
		cp.counts[cmd.Command]++
		cp.counts["addresses"] += len(cmd.Addresses)
		cp.mu.Unlock()
		rp.ServeHTTP(w, r)
	})}
	go cp.srv.Serve(ln)
	return cp, nil
}

func (cp *countingProxy) reset() {
	cp.mu.Lock()
	defer cp.mu.Unlock()
	cp.counts = map[string]int{}
}

func (cp *countingProxy) snapshot() map[string]int {
	cp.mu.Lock()
	defer cp.mu.Unlock()
	out := make(map[string]int, len(cp.counts))
	for k, v := range cp.counts {
		out[k] = v
	}
	return out
}

func (cp *countingProxy) close() { cp.srv.Close() }

// printTable prints the results so far as a Markdown table.
func printTable(w io.Writer, c config, rs []result) {
	fmt.Fprintf(w, "\n%d meters, one message each per %s; warm-up %s, measured %s; followers: %d worker(s) per process, --wattt-poll %s, --wattt-poll-max %s\n\n",
		rs[0].meters, c.interval, c.warmup, c.measure, c.followers, c.serverPoll, c.maxIdle)
	fmt.Fprintln(w, "| setup | offered msg/s | ingested msg/s | lag p50 | lag p99 | lag max | late | findTransactions/s (addresses each) | getTrytes/s | follower CPU (cores) | heap per meter | RSS per meter | all meters held after | load avg (start → end) |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
	for _, r := range rs {
		fmt.Fprintf(w, "| %s | %.0f | %.0f | %s | %s | %s | %d of %d | %.1f (%.0f) | %.1f | %.2f | %.1f KB | %.1f KB | %s | %s → %s |\n",
			r.setup, r.offered, r.ingested, r.p50.Round(10*time.Millisecond), r.p99.Round(10*time.Millisecond), r.mx.Round(10*time.Millisecond),
			r.late, r.measured+r.late, r.findPerSec, r.addrPerFind, r.trytesPerSec, r.cpuCores, r.heapPerMeter/1024, r.rssPerMeter/1024,
			r.startup.Round(time.Second), r.load[0], r.load[1])
	}
}
