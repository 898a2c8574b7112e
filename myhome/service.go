// Package myhome is My Home's domain: a home is an IOTA seed whose private
// MAM channel carries the home's consent events (DEVICE_ADDED,
// DEVICE_DELETED, AUTHORIZED, AUTHORIZATION_REVOKED). That stream is the
// source of truth; the database caches it (devices, policies, audit trail),
// queues events until they are on the Tangle, and tracks pairings.
//
// Background workers (Run) attach queued events with backoff, drive
// pairings by polling the home's reply address, and replay a restored
// home's stream.
package myhome

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"iotahome/internal/retry"
	"iotahome/protocol/providermeta"
	"iotahome/store/myhomestore"
	"iotahome/store/serverkey"
	"iotahome/tangle/client"
)

// Config tunes timing; zero values take the defaults in withDefaults.
type Config struct {
	// PairingTimeout is how long a pairing waits for each answer of the device.
	PairingTimeout time.Duration
	// WrongCodeGrace is how long a pairing still waits for a valid challenge
	// after one with a wrong proof arrived (a third party may post forged
	// challenges; the real device's answer must still win).
	WrongCodeGrace time.Duration
	// PollInterval is how often the workers look for work and new messages.
	PollInterval time.Duration
	// RetryBase and RetryMax bound the exponential backoff of Tangle writes.
	RetryBase, RetryMax time.Duration
	// ConsentRequestTTL is how long a consent request can be answered.
	ConsentRequestTTL time.Duration
	// Providers configures how providers' metadata documents are fetched
	// (https only unless AllowHTTPLoopback, timeout, TTL of trust).
	Providers providermeta.FetchConfig
}

func (c Config) withDefaults() Config {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&c.PairingTimeout, 3*time.Minute)
	def(&c.WrongCodeGrace, 20*time.Second)
	def(&c.PollInterval, time.Second)
	def(&c.RetryBase, time.Second)
	def(&c.RetryMax, time.Minute)
	def(&c.ConsentRequestTTL, time.Hour)
	return c
}

// Service is My Home's domain logic over its store and the Tangle.
type Service struct {
	st     *myhomestore.Store
	key    *serverkey.Key
	tangle *client.Client
	log    *slog.Logger
	cfg    Config
	now    func() time.Time

	providers *providermeta.Fetcher // verifies signed consent requests

	locks sync.Map // account id -> *sync.Mutex: one event prepared at a time per home
	keys  sync.Map // account id -> *homeKeys (derived from the seed once)
	views viewCache

	wakePublisher chan struct{}
	wakePairing   chan struct{}
	wakeRestore   chan struct{}
}

// New returns a Service. Call Run to start its workers.
func New(st *myhomestore.Store, key *serverkey.Key, tangle *client.Client, log *slog.Logger, cfg Config) *Service {
	s := &Service{
		st: st, key: key, tangle: tangle, log: log.With("component", "myhome"), cfg: cfg.withDefaults(), now: time.Now,
		wakePublisher: make(chan struct{}, 1),
		wakePairing:   make(chan struct{}, 1),
		wakeRestore:   make(chan struct{}, 1),
	}
	pc := cfg.Providers
	if pc.Now == nil {
		pc.Now = func() time.Time { return s.now() }
	}
	s.providers = providermeta.NewFetcher(pc)
	return s
}

// Run runs the background workers until ctx ends.
func (s *Service) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, w := range []func(context.Context){s.publisher, s.pairingDriver, s.restorer, s.janitor} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w(ctx)
		}()
	}
	wg.Wait()
}

// UserError is a problem the person can fix; its message is shown as is.
type UserError struct{ Msg string }

func (e *UserError) Error() string { return e.Msg }

func userErr(format string, args ...any) error { return &UserError{Msg: fmt.Sprintf(format, args...)} }

// ErrNotFound means the thing does not exist for this account (a user never
// learns whether it exists for another).
var ErrNotFound = errors.New("not found")

// notFound maps the store's not-found to ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, myhomestore.ErrNotFound) {
		return ErrNotFound
	}
	return err
}

func (s *Service) lock(accountID string) func() {
	m, _ := s.locks.LoadOrStore(accountID, &sync.Mutex{})
	mu := m.(*sync.Mutex)
	mu.Lock()
	return mu.Unlock
}

func nudge(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// backoff is the delay before attempt number attempts+1.
func (s *Service) backoff(attempts int) time.Duration {
	return retry.Delay(attempts, s.cfg.RetryBase, s.cfg.RetryMax)
}

// randomID returns 128 random bits as hex.
func randomID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("crypto/rand failed: %v", err)) // the OS RNG failing is not recoverable
	}
	return hex.EncodeToString(b[:])
}

// janitor deletes expired sessions and stale consent requests.
func (s *Service) janitor(ctx context.Context) {
	for {
		now := s.now()
		if err := s.st.DeleteExpired(ctx, now, now.Add(-24*time.Hour)); err != nil && ctx.Err() == nil {
			s.log.Warn("clean up", "err", err)
		}
		if !retry.Sleep(ctx, time.Hour, nil) {
			return
		}
	}
}
