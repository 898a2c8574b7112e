// Package wattt is the domain of Wattt Insights, the example service
// provider: accounts (an IOTA seed, the NTRU key pair derived from it and a
// receive address), consent requests to My Home, receipt of the reader's
// channel keys (MAM_DATA), following reader channels (DATA, KEY_ROTATION)
// into the store, and the dashboard's figures and charts.
//
// Long-running work (key receipt, one follower per live connection, pruning)
// runs in Service.Run; handlers call the other methods.
package wattt

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"iotahome/internal/retry"
	"iotahome/store/serverkey"
	"iotahome/store/watttstore"
	"iotahome/tangle/client"
	"iotahome/tangle/direct"
)

// Config tunes the service. Zero values take the defaults in parentheses.
type Config struct {
	MyHomeURL string // My Home to send consent requests to (http://127.0.0.1:8080)
	PublicURL string // how browsers reach Wattt; the return URL hangs off it (http://127.0.0.1:8081)
	Goal      string // why Wattt asks, shown to the owner (DefaultGoal)

	Location *time.Location // for "today" and day buckets (time.Local)

	FollowInterval time.Duration // pause between channel polls when nothing is new (1 s)
	KeyInterval    time.Duration // pause between MAM_DATA polls (1 s)
	MaxBackoff     time.Duration // longest pause after node errors (30 s)
	FetchBatch     int           // most messages read per poll before storing (50)
	MaxFetches     int           // channel polls in flight at once, over all followers (8)
	KeyWait        time.Duration // how long a granted consent request waits for keys (24 h)

	Retention     watttstore.Retention // (DefaultRetention)
	DefaultTariff watttstore.Tariff    // until the user sets one (DefaultTariff)
}

// DefaultGoal is what Wattt tells the owner it wants the data for.
const DefaultGoal = "Show your electricity and gas use, solar return and estimated costs on your Wattt Insights dashboard."

// DefaultRetention keeps full-resolution readings for 48 hours, minute
// aggregates for 35 days, and hour and day aggregates for good.
var DefaultRetention = watttstore.Retention{Raw: 48 * time.Hour, Minute: 35 * 24 * time.Hour}

// DefaultTariff is a plausible Dutch household tariff (euro, incl. VAT) in
// 2026, used until the user enters theirs.
var DefaultTariff = watttstore.Tariff{PerKWh: 0.27, PerKWhReturned: 0.27, PerM3: 1.35, StandingPerDay: 0.95}

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
	if c.FollowInterval <= 0 {
		c.FollowInterval = time.Second
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
	if c.Retention == (watttstore.Retention{}) {
		c.Retention = DefaultRetention
	}
	if c.DefaultTariff == (watttstore.Tariff{}) {
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
	Followers    int64 // followers running now
}

// Service is Wattt's domain. It is safe for concurrent use.
type Service struct {
	st     *watttstore.Store
	key    *serverkey.Key
	tangle *client.Client
	inbox  *direct.Reader // reads the accounts' addresses for MAM_DATA
	log    *slog.Logger
	cfg    Config

	keysMu sync.Mutex
	keys   map[int64]*keyPair // by account id: deriving NTRU keys is not free

	followMu  sync.Mutex
	followers map[int64]bool // connection ids being followed
	wake      chan struct{}  // a connection went live: start its follower
	fetches   chan struct{}  // semaphore bounding concurrent channel polls

	stats struct {
		keysAccepted, keysRejected, messages, readings, skipped, revocations, followers atomic.Int64
	}
}

// New returns a service; nothing runs until Run.
func New(st *watttstore.Store, key *serverkey.Key, tangle *client.Client, log *slog.Logger, cfg Config) *Service {
	cfg = cfg.withDefaults()
	return &Service{
		st: st, key: key, tangle: tangle, inbox: direct.NewReader(tangle, direct.Limits{}), log: log.With("site", "wattt"), cfg: cfg,
		keys:      make(map[int64]*keyPair),
		followers: make(map[int64]bool),
		wake:      make(chan struct{}, 1),
		fetches:   make(chan struct{}, cfg.MaxFetches),
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
	}
}

// Run does the background work until ctx ends: key receipt, a follower per
// live connection, and hourly pruning. It returns when all of them stopped.
func (s *Service) Run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Go(func() { s.receiveKeys(ctx) })
	wg.Go(func() { s.prune(ctx) })
	s.superviseFollowers(ctx, &wg)
	wg.Wait()
}

// nudge wakes the follower supervisor without blocking.
func (s *Service) nudge() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

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
