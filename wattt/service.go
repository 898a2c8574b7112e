// Package wattt is the domain of Wattt Insights, the example service
// provider: accounts (an IOTA seed, the NTRU key pair derived from it and a
// receive address), consent requests to My Home, receipt of the reader's
// channel keys (MAM_DATA), following reader channels (DATA, KEY_ROTATION)
// into the store, and the dashboard's figures and charts.
//
// Long-running work (key receipt, follower workers, pruning) runs in
// Service.Run (Service.Follow runs only the followers, for follower-only
// processes); handlers call the other methods. Domain types and the Store
// interface are in model.go and store.go; the stores are store/watttsqlite
// and store/watttpg.
package wattt

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"iotahome/internal/retry"
	"iotahome/store/serverkey"
	"iotahome/tangle/client"
	"iotahome/tangle/direct"
)

// Config tunes the service. Zero values take the defaults in parentheses.
type Config struct {
	MyHomeURL string // My Home to send consent requests to (http://127.0.0.1:8080)
	PublicURL string // how browsers reach Wattt; the return URL hangs off it (http://127.0.0.1:8081)
	Goal      string // why Wattt asks, shown to the owner (DefaultGoal)

	Location *time.Location // for "today" and day buckets (time.Local)

	Followers       int           // follower workers in this process (1); negative: none (a web-only process)
	FollowInterval  time.Duration // first pause before polling a channel again when nothing was new (1 s)
	MaxIdleInterval time.Duration // the pause doubles while nothing is new, up to this (5 s)
	NodeBatch       int           // channel addresses per findTransactions request: the node's list limit (client.DefaultListLimit)
	BatchWait       time.Duration // how long a due meter may wait for a fuller batch (500 ms)
	LeaseTTL        time.Duration // a worker's leases end this long after its last lease round (15 s); rounds run every third
	MaxMeters       int           // most meters one worker follows (0: its fair share, no cap)
	KeyInterval     time.Duration // pause between MAM_DATA polls (1 s)
	MaxBackoff      time.Duration // longest pause after node or store errors (30 s)
	FetchBatch      int           // most messages read ahead at once by a meter that is behind (50)
	MaxFetches      int           // catch-up reads in flight at once, over all workers (8)
	KeyWait         time.Duration // how long a granted consent request waits for keys (24 h)

	Retention     Retention // (DefaultRetention)
	DefaultTariff Tariff    // until the user sets one (DefaultTariff)
}

// DefaultGoal is what Wattt tells the owner it wants the data for.
const DefaultGoal = "Show your electricity and gas use, solar return and estimated costs on your Wattt Insights dashboard."

// DefaultRetention keeps full-resolution readings for 48 hours, minute
// aggregates for 35 days, and hour and day aggregates for good.
var DefaultRetention = Retention{Raw: 48 * time.Hour, Minute: 35 * 24 * time.Hour}

// DefaultTariff is a plausible Dutch household tariff (euro, incl. VAT) in
// 2026, used until the user enters theirs.
var DefaultTariff = Tariff{PerKWh: 0.27, PerKWhReturned: 0.27, PerM3: 1.35, StandingPerDay: 0.95}

func (c Config) withDefaults() Config {
	if c.MyHomeURL == "" {
		c.MyHomeURL = "http://127.0.0.1:8080"
	}
	if c.PublicURL == "" {
		c.PublicURL = "http://127.0.0.1:8081"
	}
	if c.Goal == "" {
		c.Goal = DefaultGoal
	}
	if c.Location == nil {
		c.Location = time.Local
	}
	if c.Followers == 0 {
		c.Followers = 1
	}
	if c.Followers == 0 {
		c.Followers = 1
	}
	if c.FollowInterval <= 0 {
		c.FollowInterval = time.Second
	}
	if c.MaxIdleInterval < c.FollowInterval {
		c.MaxIdleInterval = max(5*time.Second, c.FollowInterval)
	}
	if c.NodeBatch <= 0 {
		c.NodeBatch = client.DefaultListLimit
	}
	if c.BatchWait <= 0 {
		c.BatchWait = 500 * time.Millisecond
	}
	if c.LeaseTTL <= 0 {
		c.LeaseTTL = 15 * time.Second
	}
	if c.MaxIdleInterval < c.FollowInterval {
		c.MaxIdleInterval = max(5*time.Second, c.FollowInterval)
	}
	if c.NodeBatch <= 0 {
		c.NodeBatch = client.DefaultListLimit
	}
	if c.BatchWait <= 0 {
		c.BatchWait = 500 * time.Millisecond
	}
	if c.LeaseTTL <= 0 {
		c.LeaseTTL = 15 * time.Second
	}
	if c.KeyInterval <= 0 {
		c.KeyInterval = time.Second
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = 30 * time.Second
	}
	if c.FetchBatch <= 0 {
		c.FetchBatch = 50
	}
	if c.MaxFetches <= 0 {
		c.MaxFetches = 8
	}
	if c.KeyWait <= 0 {
		c.KeyWait = 24 * time.Hour
	}
	if c.Retention == (Retention{}) {
		c.Retention = DefaultRetention
	}
	if c.DefaultTariff == (Tariff{}) {
		c.DefaultTariff = DefaultTariff
	}
	return c
}

// Stats counts what the background workers did since start.
type Stats struct {
	KeysAccepted int64 // MAM_DATA accepted (connections started)
	KeysRejected int64 // MAM_DATA rejected (wrong key, garbage, unknown state)
	Messages     int64 // channel messages read
	Readings     int64 // readings stored
	Skipped      int64 // channel messages ignored as malformed
	Revocations  int64 // connections that lost access
	Followers    int64 // meters this process's workers follow now
	Polls        int64 // channel addresses asked for
	PollRequests int64 // batched polls (each one findTransactions per NodeBatch addresses, and getTrytes for what it found)
	NodeErrors   int64 // polls and catch-up reads that failed to reach the node
	StoreErrors  int64 // batches of progress the store did not take (read again later)
}

// Service is Wattt's domain. It is safe for concurrent use.
type Service struct {
	st     Store
	key    *serverkey.Key
	tangle *client.Client
	inbox  *direct.Reader // reads the accounts' addresses for MAM_DATA
	log    *slog.Logger
	cfg    Config

	keysMu sync.Mutex
	keys   map[int64]*keyPair // by account id: deriving NTRU keys is not free

	leaseGen atomic.Uint64 // bumped when a connection goes live: workers run a lease round at once
	fetches  chan struct{} // semaphore bounding concurrent catch-up reads

	stats struct {
		keysAccepted, keysRejected, messages, readings, skipped, revocations, followers atomic.Int64
		polls, pollRequests, nodeErrors, storeErrors                                    atomic.Int64
	}
}

// New returns a service; nothing runs until Run.
func New(st Store, key *serverkey.Key, tangle *client.Client, log *slog.Logger, cfg Config) *Service {
	cfg = cfg.withDefaults()
	return &Service{
		st: st, key: key, tangle: tangle, inbox: direct.NewReader(tangle, direct.Limits{}), log: log.With("site", "wattt"), cfg: cfg,
		keys:    make(map[int64]*keyPair),
		fetches: make(chan struct{}, cfg.MaxFetches),
	}
}

// Config returns the effective configuration.
func (s *Service) Config() Config { return s.cfg }

// Stats returns the counters.
func (s *Service) Stats() Stats {
	return Stats{
		KeysAccepted: s.stats.keysAccepted.Load(), KeysRejected: s.stats.keysRejected.Load(),
		Messages: s.stats.messages.Load(), Readings: s.stats.readings.Load(), Skipped: s.stats.skipped.Load(),
		Revocations: s.stats.revocations.Load(), Followers: s.stats.followers.Load(),
		Polls: s.stats.polls.Load(), PollRequests: s.stats.pollRequests.Load(),
		NodeErrors: s.stats.nodeErrors.Load(), StoreErrors: s.stats.storeErrors.Load(),
	}
}

// Run does the background work until ctx ends: key receipt, the follower
// workers, and hourly pruning. It returns when all of them stopped.
func (s *Service) Run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Go(func() { s.receiveKeys(ctx) })
	wg.Go(func() { s.prune(ctx) })
	s.Follow(ctx)
	wg.Wait()
}

// nudge makes this process's workers run a lease round now (a connection
// went live), instead of at their next one.
func (s *Service) nudge() { s.leaseGen.Add(1) }

// prune deletes data past its retention once an hour (and at start).
func (s *Service) prune(ctx context.Context) {
	for {
		if err := s.st.Prune(ctx, time.Now(), s.cfg.Retention); err != nil && ctx.Err() == nil {
			s.log.Error("prune", "err", err)
		}
		if err := s.st.DeleteExpiredSessions(ctx, time.Now()); err != nil && ctx.Err() == nil {
			s.log.Error("delete expired sessions", "err", err)
		}
		if !retry.Sleep(ctx, time.Hour, nil) {
			return
		}
	}
}

// backoff is the pause after the n-th consecutive failure: 1 s doubling up
// to MaxBackoff.
func (s *Service) backoff(n int) time.Duration {
	return retry.Delay(n, time.Second, s.cfg.MaxBackoff)
}
