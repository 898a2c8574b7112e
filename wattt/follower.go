package wattt

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/iotaledger/iota.go/trinary"

	"iotahome/tangle/client"
	"iotahome/tangle/mamch"
)

// Following. Live connections are shared among follower workers through
// leases in the store (Store.Lease): a worker renews its leases every third
// of LeaseTTL, claims its fair share of connections nobody holds (or whose
// holder stopped renewing), and gives back what it holds beyond its share,
// so workers in one process or many, on one machine or several, split the
// meters between them, and a dead worker's meters move to the others within
// LeaseTTL plus one round. A worker polls all its meters' channels with one
// findTransactions per NodeBatch addresses (client.BundlesAt), reads what
// it found with one signature-checking pass (mamch.ReadFound) and stores
// all their progress in one transaction (Store.Advance). A meter with
// nothing new is polled less often (FollowInterval doubling up to
// MaxIdleInterval). A meter with news is polled again at once, in the next
// batch, so a meter a few messages behind catches up one message per
// batch; one that is far behind (a message in catchUpAfter polls in a row:
// a backlog after an outage, or a new connection to an old channel) reads
// ahead along its channel on its own (mamch.Fetch, pipelined, at most
// MaxFetches at once) until it has caught up.

// pollTick is how often a worker looks for meters that are due.
const pollTick = 100 * time.Millisecond

// catchUpAfter is how many polls in a row must find a message before a
// meter reads ahead on its own. Reading ahead costs a request per message
// (and one more to find the end); a batched poll costs a share of one
// request, so only a real backlog is worth it.
const catchUpAfter = 8

// meter is one connection a worker follows: a few hundred bytes.
type meter struct {
	id, account int64
	address     string         // the account's address: KEY_ROTATION keys are addressed, side keys sealed, to it
	root        trinary.Trytes // root of the next message
	sideKey     trinary.Trytes // in clear
	at          trinary.Hash   // where the message at root will be: mamch.Address(root)
	due         time.Time      // next poll
	idle        int            // polls in a row that found nothing
	failures    int            // node or store failures in a row
	news        int            // polls in a row that found a message: catchUpAfter means it is far behind
	busy        bool           // a catch-up read is running; not polled meanwhile
}

// worker is one follower: a lease holder with its meters. Everything about
// its meters happens on its own goroutine (run); catch-up reads report back
// through caught.
type worker struct {
	s        *Service
	id       string
	host     string
	log      *slog.Logger
	meters   map[int64]*meter
	broken   map[int64]bool // leased, but its side key does not open: logged once, not followed
	caught   chan caughtUp
	catchUps sync.WaitGroup
	leased   chan Leases // the newest lease round's outcome (leaseRounds)
	timing   pollTiming
}

// pollTiming sums where a worker's polls spent their time, logged every
// timingEvery so that operators see which of node, verification and
// database is the bottleneck.
type pollTiming struct {
	since                time.Time
	polls, meters, found int
	node, read, store    time.Duration
}

const timingEvery = 30 * time.Second

func (w *worker) logTiming(now time.Time) {
	t := &w.timing
	if t.since.IsZero() {
		t.since = now
	}
	if now.Sub(t.since) < timingEvery {
		return
	}
	if t.polls > 0 {
		w.log.Info("polls", "polls", t.polls, "meters_polled", t.meters, "messages", t.found, "following", len(w.meters),
			"node", (t.node / time.Duration(t.polls)).Round(time.Millisecond), "read", (t.read / time.Duration(t.polls)).Round(time.Millisecond),
			"store", (t.store / time.Duration(t.polls)).Round(time.Millisecond), "over", now.Sub(t.since).Round(time.Second))
	}
	*t = pollTiming{since: now}
}

// caughtUp is what a catch-up read found.
type caughtUp struct {
	id        int64
	root, key trinary.Trytes // where it read from
	msgs      []mamch.Message
	next      trinary.Trytes
	err       error
}

// Follow runs cfg.Followers follower workers until ctx ends, then gives
// their leases back. Run calls it; a follower-only process (`server
// follow`) calls only this.
func (s *Service) Follow(ctx context.Context) {
	host, _ := os.Hostname()
	var wg sync.WaitGroup
	for i := range max(s.cfg.Followers, 0) {
		w := s.newWorker(host, i)
		wg.Go(func() { w.run(ctx) })
	}
	wg.Wait()
}

func (s *Service) newWorker(host string, i int) *worker {
	var r [4]byte
	rand.Read(r[:])
	id := fmt.Sprintf("%s:%d:%d:%s", host, os.Getpid(), i, hex.EncodeToString(r[:]))
	return &worker{
		s: s, id: id, host: host, log: s.log.With("worker", id),
		meters: make(map[int64]*meter), broken: make(map[int64]bool),
		caught: make(chan caughtUp), leased: make(chan Leases, 1),
	}
}

func (w *worker) run(ctx context.Context) {
	w.log.Info("follower started")
	tick := time.NewTicker(pollTick)
	var leaser sync.WaitGroup
	lctx, stopLeaser := context.WithCancel(ctx)
	leaser.Go(func() { w.leaseRounds(lctx) })
	defer func() {
		tick.Stop()
		stopLeaser()
		leaser.Wait()
		w.catchUps.Wait()
		w.s.stats.followers.Add(-int64(len(w.meters)))
		// Give the leases back so that others take over at once rather
		// than after LeaseTTL.
		rctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := w.s.st.ReleaseLeases(rctx, w.id); err != nil {
			w.log.Warn("could not give leases back; they expire", "err", err, "ttl", w.s.cfg.LeaseTTL)
		}
		w.log.Info("follower stopped")
	}()
	for ctx.Err() == nil {
		now := time.Now()
		w.pollDue(ctx, now)
		w.logTiming(now)
		select {
		case <-ctx.Done():
		case l := <-w.leased:
			w.follow(ctx, l, time.Now())
		case c := <-w.caught:
			w.finishCatchUp(ctx, c)
		case <-tick.C:
		}
	}
}

// leaseRounds runs the worker's lease rounds on their own goroutine, every
// third of LeaseTTL (and at once when the Service is nudged), so that a
// slow poll never lets the leases expire; the worker applies each round's
// outcome between polls (follow).
func (w *worker) leaseRounds(ctx context.Context) {
	tick := time.NewTicker(pollTick)
	defer tick.Stop()
	var next time.Time
	var gen uint64
	for ctx.Err() == nil {
		now := time.Now()
		if g := w.s.leaseGen.Load(); !now.Before(next) || g != gen {
			gen = g
			l, err := w.s.st.Lease(ctx, LeaseRequest{Worker: w.id, Host: w.host, TTL: w.s.cfg.LeaseTTL, Max: w.s.cfg.MaxMeters})
			switch {
			case err != nil:
				if ctx.Err() == nil {
					w.log.Warn("lease round failed; following what is held and retrying", "err", err)
				}
				next = now.Add(min(w.s.backoff(0), w.s.cfg.LeaseTTL/3))
			default:
				next = now.Add(w.s.cfg.LeaseTTL / 3)
				select { // only the newest round matters
				case <-w.leased:
				default:
				}
				w.leased <- l
			}
		}
		select {
		case <-ctx.Done():
		case <-tick.C:
		}
	}
}

// follow brings the worker's meters in line with what a lease round says
// it holds.
func (w *worker) follow(ctx context.Context, l Leases, now time.Time) {
	held := make(map[int64]bool, len(l.Held))
	for _, id := range l.Held {
		held[id] = true
	}
	for id := range w.meters {
		if !held[id] {
			w.drop(id) // given back, or taken over after our lease expired
		}
	}
	for id := range w.broken {
		if !held[id] {
			delete(w.broken, id)
		}
	}
	for _, c := range l.Claimed {
		w.add(c.Connection, c.AccountAddress, now)
		delete(held, c.ID)
	}
	for id := range held {
		if w.meters[id] == nil && !w.broken[id] {
			w.reload(ctx, id, now) // e.g. after ErrMoved
		}
	}
	if len(l.Claimed) > 0 {
		w.log.Info("lease round", "claimed", len(l.Claimed), "following", len(w.meters), "share", l.Share, "workers", l.Workers)
	}
}

// add starts following a connection.
func (w *worker) add(c Connection, address string, now time.Time) {
	if c.Status != ConnectionLive {
		return
	}
	key, err := w.s.openSideKey(address, c.SideKey)
	if err != nil {
		w.log.Error("cannot open the stored side key (is this process's server key the one that sealed it?); not following", "connection", c.ID, "err", err)
		w.broken[c.ID] = true
		return
	}
	m := &meter{id: c.ID, account: c.AccountID, address: address, due: now}
	if err := m.moveTo(c.Root, key); err != nil {
		w.log.Error("stored root or side key unusable; not following", "connection", c.ID, "err", err)
		w.broken[c.ID] = true
		return
	}
	if w.meters[c.ID] == nil {
		w.s.stats.followers.Add(1)
	}
	w.meters[c.ID] = m
}

// reload reads a held connection again from the store (its root moved
// under us: new keys arrived).
func (w *worker) reload(ctx context.Context, id int64, now time.Time) {
	w.drop(id)
	c, err := w.s.st.Connection(ctx, id)
	if err == nil {
		var a Account
		if a, err = w.s.st.Account(ctx, c.AccountID); err == nil {
			w.add(c, a.Address, now)
			return
		}
	}
	if ctx.Err() == nil && !errors.Is(err, ErrNotFound) {
		w.log.Warn("reload connection; retrying at the next lease round", "connection", id, "err", err)
	}
}

func (w *worker) drop(id int64) {
	if w.meters[id] != nil {
		delete(w.meters, id)
		w.s.stats.followers.Add(-1)
	}
}

// moveTo points the meter at a new root (and side key).
func (m *meter) moveTo(root, sideKey trinary.Trytes) error {
	at, err := mamch.Address(root, mamch.Restricted, sideKey)
	if err != nil {
		return err
	}
	m.root, m.sideKey, m.at = root, sideKey, at
	return nil
}

// pollDue polls the meters that are due, NodeBatch at a time. A partial
// batch waits until its oldest meter has been due for BatchWait, so that a
// worker with few due meters does not send many small requests.
func (w *worker) pollDue(ctx context.Context, now time.Time) {
	var due []*meter
	oldest := now
	for _, m := range w.meters {
		if !m.busy && !m.due.After(now) {
			due = append(due, m)
			if m.due.Before(oldest) {
				oldest = m.due
			}
		}
	}
	if len(due) == 0 || (len(due) < w.s.cfg.NodeBatch && now.Sub(oldest) < w.s.cfg.BatchWait) {
		return
	}
	slices.SortFunc(due, func(a, b *meter) int { return a.due.Compare(b.due) })
	for batch := range slices.Chunk(due, w.s.cfg.NodeBatch) {
		if ctx.Err() != nil {
			return
		}
		w.poll(ctx, batch)
	}
}

// poll asks the node once for what is at the meters' current roots, reads
// it, and stores every meter's progress in one transaction.
func (w *worker) poll(ctx context.Context, ms []*meter) {
	addrs := make([]trinary.Hash, len(ms))
	for i, m := range ms {
		addrs[i] = m.at
	}
	w.s.stats.polls.Add(int64(len(ms)))
	w.s.stats.pollRequests.Add(1)
	t0 := time.Now()
	found, err := w.s.tangle.BundlesAt(ctx, addrs, w.s.cfg.NodeBatch)
	now := time.Now()
	w.timing.polls++
	w.timing.meters += len(ms)
	w.timing.node += now.Sub(t0)
	if err != nil {
		if ctx.Err() != nil {
			return
		}
		var re *client.RequestError
		if errors.As(err, &re) && len(ms) > 1 {
			// The node refused the request (too many results, say: one
			// address flooded with junk). Halve it, so that only the
			// meter(s) it is about wait and the others go on.
			w.poll(ctx, ms[:len(ms)/2])
			w.poll(ctx, ms[len(ms)/2:])
			return
		}
		w.s.stats.nodeErrors.Add(1)
		w.log.Warn("poll: node request failed; these meters back off", "meters", len(ms), "err", err)
		for _, m := range ms {
			w.failed(m, now)
		}
		return
	}
	var fs []mamch.Found
	var with []*meter
	for _, m := range ms {
		if bs := found[m.at]; len(bs) > 0 {
			fs = append(fs, mamch.Found{Root: m.root, Mode: mamch.Restricted, SideKey: m.sideKey, Bundles: bs})
			with = append(with, m)
			continue
		}
		m.quiet(w.s, now)
	}
	var ps []Progress
	var pm []*meter
	var keys []trinary.Trytes
	reads := mamch.ReadFound(fs)
	w.timing.read += time.Since(now)
	for i, r := range reads {
		m := with[i]
		if r.Msg == nil { // only garbage or forgeries at the root (logged by mamch)
			m.quiet(w.s, now)
			continue
		}
		p, key, err := w.progress(ctx, m, m.root, m.sideKey, []mamch.Message{*r.Msg}, r.Next)
		if err != nil {
			w.log.Warn("poll: cannot apply message now; retrying", "connection", m.id, "err", err)
			w.failed(m, now)
			continue
		}
		ps, pm, keys = append(ps, p), append(pm, m), append(keys, key)
	}
	if len(ps) == 0 {
		return
	}
	t0 = time.Now()
	res, err := w.s.st.Advance(ctx, w.s.cfg.Location, ps)
	now = time.Now()
	w.timing.store += now.Sub(t0)
	w.timing.found += len(ps)
	if err != nil {
		if ctx.Err() == nil {
			w.s.stats.storeErrors.Add(1)
			w.log.Error("store progress failed; the messages will be read again", "meters", len(ps), "err", err)
		}
		for _, m := range pm {
			w.failed(m, now)
		}
		return
	}
	for i, r := range res {
		m := pm[i]
		if !w.stored(ctx, m, ps[i], keys[i], r, now) {
			continue
		}
		m.news++
		m.due = now
		if m.news >= catchUpAfter {
			w.catchUp(ctx, m)
		}
	}
}

// progress turns the messages read from root (with key) into one Progress
// that ends at next, and returns the side key to read next with. Messages
// that do not make sense are skipped and logged; a key change or the end
// of access stops it there (what follows needs the new key).
func (w *worker) progress(ctx context.Context, m *meter, root, key trinary.Trytes, msgs []mamch.Message, next trinary.Trytes) (Progress, trinary.Trytes, error) {
	p := Progress{ConnectionID: m.id, Worker: w.id, FromRoot: root, Root: root}
	keys := func() (*keyPair, error) {
		a, err := w.s.st.Account(ctx, m.account)
		if err != nil {
			return nil, err
		}
		return w.s.keysOf(a)
	}
	for i, msg := range msgs {
		p.Root = next
		if i+1 < len(msgs) {
			p.Root = msgs[i+1].Root
		}
		stop, err := w.s.apply(msg, m.address, keys, &p)
		var te transientError
		if errors.As(err, &te) {
			if i == 0 {
				return Progress{}, "", err
			}
			p.Root = msg.Root // store what came before; read this one again
			break
		}
		p.Messages++
		if err != nil {
			w.s.stats.skipped.Add(1)
			w.log.Warn("ignoring channel message", "connection", m.id, "bundle", msg.Bundle, "root", msg.Root, "err", err)
		}
		if stop {
			break
		}
	}
	if p.SideKey == "" {
		return p, key, nil
	}
	newKey := trinary.Trytes(p.SideKey)
	sealed, err := w.s.sealSideKey(m.address, p.SideKey)
	if err != nil {
		return Progress{}, "", err
	}
	p.SideKey = sealed
	return p, newKey, nil
}

// stored updates a meter after Advance; false means it is no longer
// followed (revoked, lease lost, gone) or must be reloaded.
func (w *worker) stored(ctx context.Context, m *meter, p Progress, key trinary.Trytes, r Advanced, now time.Time) bool {
	switch {
	case errors.Is(r.Err, ErrMoved):
		w.reload(ctx, m.id, now) // new keys arrived meanwhile; read from there
		return false
	case r.Err != nil:
		w.log.Info("no longer following", "connection", m.id, "reason", r.Err)
		w.drop(m.id)
		return false
	}
	w.s.stats.messages.Add(int64(p.Messages))
	w.s.stats.readings.Add(int64(r.Inserted))
	if p.RevokedAt != nil {
		w.s.stats.revocations.Add(1)
		w.log.Info("access revoked: no new key for this provider in KEY_ROTATION; stopped following", "connection", m.id)
		w.drop(m.id)
		return false
	}
	if err := m.moveTo(trinary.Trytes(p.Root), key); err != nil {
		w.log.Error("channel gave an unusable next root; reloading", "connection", m.id, "err", err)
		w.reload(ctx, m.id, now)
		return false
	}
	m.idle, m.failures = 0, 0
	return true
}

// quiet notes a poll that found nothing new: poll again later, less often
// the longer nothing comes.
func (m *meter) quiet(s *Service, now time.Time) {
	m.idle++
	m.news, m.failures = 0, 0
	d := s.cfg.FollowInterval << min(m.idle-1, 16)
	m.due = now.Add(min(d, s.cfg.MaxIdleInterval))
}

// failed notes a failure (node or store): back off, 1 s doubling to
// MaxBackoff.
func (w *worker) failed(m *meter, now time.Time) {
	m.due = now.Add(w.s.backoff(m.failures))
	m.failures++
	m.news = 0
}

// catchUp reads ahead along a meter's channel that is behind, pipelined
// (mamch.Fetch), on its own goroutine; finishCatchUp stores what it read.
func (w *worker) catchUp(ctx context.Context, m *meter) {
	m.busy = true
	id, root, key := m.id, m.root, m.sideKey
	w.catchUps.Go(func() {
		select {
		case w.s.fetches <- struct{}{}:
		case <-ctx.Done():
			return
		}
		msgs, next, err := mamch.Fetch(ctx, w.s.tangle, root, mamch.Restricted, key, w.s.cfg.FetchBatch)
		<-w.s.fetches
		select {
		case w.caught <- caughtUp{id: id, root: root, key: key, msgs: msgs, next: next, err: err}:
		case <-ctx.Done():
		}
	})
}

func (w *worker) finishCatchUp(ctx context.Context, c caughtUp) {
	m := w.meters[c.id]
	if m == nil || m.root != c.root {
		return // dropped or moved meanwhile
	}
	m.busy = false
	now := time.Now()
	if len(c.msgs) > 0 {
		p, key, err := w.progress(ctx, m, c.root, c.key, c.msgs, c.next)
		if err == nil {
			var res []Advanced
			if res, err = w.s.st.Advance(ctx, w.s.cfg.Location, []Progress{p}); err == nil {
				if !w.stored(ctx, m, p, key, res[0], now) {
					return
				}
			}
		}
		if err != nil {
			if ctx.Err() == nil {
				w.log.Warn("catch-up: store failed; reading again", "connection", m.id, "err", err)
			}
			w.failed(m, now)
			return
		}
	}
	if c.err != nil {
		if ctx.Err() == nil {
			w.s.stats.nodeErrors.Add(1)
			w.log.Warn("catch-up: node request failed; backing off", "connection", m.id, "err", c.err)
		}
		w.failed(m, now)
		return
	}
	m.due = now
	if len(c.msgs) < w.s.cfg.FetchBatch {
		m.news = 0 // caught up: back to polling with the others
		return
	}
	w.catchUp(ctx, m)
}
