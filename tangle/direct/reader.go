package direct

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/iotaledger/iota.go/bundle"
	"github.com/iotaledger/iota.go/consts"
	"github.com/iotaledger/iota.go/transaction"
	"github.com/iotaledger/iota.go/trinary"

	"iotahome/tangle/client"
)

// ErrLater is what a handler passed to Reader.Read returns (or wraps) for a
// message it cannot take now (e.g. over a rate limit): the message is not
// marked done and comes again on a later Read.
var ErrLater = errors.New("direct: handle later")

// Limits bound what one Read costs, however hostile the Tangle.
type Limits struct {
	// MaxFetch is how many transactions one Read fetches (getTrytes), about
	// 2.7 KB each. Default 200.
	MaxFetch int
	// FloodAt is how many transactions a day's tag may list before the
	// bucket counts as flooded and is asked for only with backoff (every
	// minute, doubling to 30). Honest traffic is a few messages a day.
	// Default 500.
	FloodAt int
	// MaxListed is the most hashes a bucket query may return (the response
	// is read only that far); a bucket with more is skipped with backoff.
	// Default 10,000 (about 840 KB).
	MaxListed int
	// MaxProcessed is how many done transactions a cursor remembers per
	// bucket; a bucket that reaches it is not read again. Default 5,000.
	MaxProcessed int
	// MaxHeld is how many fetched transactions that are in no complete
	// bundle yet are kept in memory per address; beyond it the oldest are
	// dropped and fetched again later, with backoff. Default 1,000.
	MaxHeld int
	// Timeout bounds one Read. Default 20 s.
	Timeout time.Duration
}

func (l Limits) withDefaults() Limits {
	l.MaxFetch = cmp.Or(l.MaxFetch, 200)
	l.FloodAt = cmp.Or(l.FloodAt, 500)
	l.MaxListed = cmp.Or(l.MaxListed, 10_000)
	l.MaxProcessed = cmp.Or(l.MaxProcessed, 5_000)
	l.MaxHeld = cmp.Or(l.MaxHeld, 1_000)
	l.Timeout = cmp.Or(l.Timeout, 20*time.Second)
	return l
}

// Backoff of a flooded bucket and of a dropped incomplete transaction.
const (
	firstBackoff = time.Minute
	maxBackoff   = 30 * time.Minute
)

// Reader reads the direct messages sent to addresses. Everything about an
// address that is worth keeping lives in its Cursor, which the caller
// persists; the Reader adds, per address, what only matters while the
// process runs: transactions of bundles that are not complete yet, and the
// backoff of flooded buckets. Safe for concurrent use; Reads of one address
// take turns.
type Reader struct {
	c      *client.Client
	limits Limits
	now    func() time.Time
	log    *slog.Logger

	mu    sync.Mutex
	boxes map[trinary.Hash]*inbox
}

// NewReader returns a Reader on c with the given limits (zero fields take
// the defaults).
func NewReader(c *client.Client, limits Limits) *Reader {
	return &Reader{
		c: c, limits: limits.withDefaults(), now: time.Now,
		log:   slog.Default().With("component", "tangle/direct"),
		boxes: map[trinary.Hash]*inbox{},
	}
}

// inbox is the in-memory side of one address.
type inbox struct {
	mu     sync.Mutex
	held   map[trinary.Hash]*heldTx
	parked map[trinary.Hash]*parkedTx
	flood  map[string]*floodState // by day
	used   time.Time
}

type heldTx struct {
	tx    *transaction.Transaction
	day   string
	since time.Time
	parks int
}

type parkedTx struct {
	day     string
	retryAt time.Time
	parks   int
}

type floodState struct {
	until     time.Time
	wait      time.Duration
	saturated bool
}

// maxIdleInboxes is how many addresses' in-memory state a Reader keeps
// before it forgets those with nothing held.
const maxIdleInboxes = 1000

func (r *Reader) inbox(address trinary.Hash, now time.Time) *inbox {
	r.mu.Lock()
	defer r.mu.Unlock()
	in := r.boxes[address]
	if in == nil {
		if len(r.boxes) >= maxIdleInboxes {
			for a, b := range r.boxes {
				if b.mu.TryLock() {
					if len(b.held) == 0 && len(b.parked) == 0 && now.Sub(b.used) > time.Hour {
						delete(r.boxes, a)
					}
					b.mu.Unlock()
				}
			}
		}
		in = &inbox{held: map[trinary.Hash]*heldTx{}, parked: map[trinary.Hash]*parkedTx{}, flood: map[string]*floodState{}}
		r.boxes[address] = in
	}
	return in
}

// Read hands every new, well-formed message sent to address (under its day
// tags, see Tag) to handle, oldest attachment first, and returns the cursor
// to persist. A message handle accepts (nil) is done for good; one it
// answers ErrLater comes again on a later Read; any other error stops the
// Read and is returned, with the cursor of what was done before it (persist
// that too). An error also means the node could not be read or since is
// malformed; the cursor returned then still holds.
//
// Bundles that are malformed, invalid or not at the address are logged and
// skipped for good. A bundle of which a transaction has not reached the node
// yet (Hornet lists a bundle's transactions as they arrive) is never
// skipped: it is looked at again on later Reads.
//
// One Read costs at most three findTransactions (one per day tag, each read
// up to Limits.MaxListed hashes) and Limits.MaxFetch transactions, within
// Limits.Timeout, however many transactions there are at the address.
func (r *Reader) Read(ctx context.Context, address trinary.Hash, since Cursor, handle func(Message) error) (Cursor, error) {
	cur, err := parseCursor(since)
	if err != nil {
		return since, err
	}
	address = address[:min(len(address), consts.HashTrytesSize)] // without checksum
	ctx, cancel := context.WithTimeout(ctx, r.limits.Timeout)
	defer cancel()
	now := r.now()
	in := r.inbox(address, now)
	in.mu.Lock()
	defer in.mu.Unlock()
	in.used = now
	log := r.log.With("address", address)

	days := window(now)
	cur.keepOnly(days, now)
	in.forgetOutside(days)
	var fetch []listed
	for _, day := range days {
		hs, err := r.list(ctx, in, cur, address, day, now, log)
		if err != nil {
			return since, err
		}
		fetch = append(fetch, hs...)
	}
	fetch = append(fetch, in.dueParked(now)...)
	if len(fetch) > r.limits.MaxFetch {
		fetch = fetch[:r.limits.MaxFetch]
	}
	if err := r.fetch(ctx, in, cur, fetch, now); err != nil {
		return since, fmt.Errorf("direct: read %s: %w", address, err)
	}
	err = r.deliver(in, cur, address, now, handle, log)
	in.park(r.limits.MaxHeld, now)
	return cur.encode(), err
}

// listed is a hash a bucket query returned.
type listed struct {
	hash trinary.Hash
	day  string
}

// list asks for one day's tag and returns the hashes not done, held or
// parked. A flooded bucket is asked only when its backoff has passed.
func (r *Reader) list(ctx context.Context, in *inbox, cur cursor, address trinary.Hash, day string, now time.Time, log *slog.Logger) ([]listed, error) {
	fl := in.flood[day]
	if fl != nil && (fl.saturated || now.Before(fl.until)) {
		return nil, nil
	}
	hashes, err := r.c.FindByTag(ctx, dayTag(address, day), r.limits.MaxListed)
	if errors.Is(err, client.ErrTooManyResults) {
		in.flooded(day, now)
		log.Warn("direct messages flooded: bucket skipped for now", "day", day, "err", err, "retry_in", in.flood[day].wait)
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if len(hashes) >= r.limits.FloodAt {
		in.flooded(day, now)
		log.Warn("direct messages flooded: bucket read with backoff", "day", day, "transactions", len(hashes), "retry_in", in.flood[day].wait)
	} else {
		delete(in.flood, day)
	}
	if len(cur.done[day]) >= r.limits.MaxProcessed {
		in.flooded(day, now)
		in.flood[day].saturated = true
		log.Error("direct messages flooded: bucket given up until it leaves the window", "day", day, "done", len(cur.done[day]))
		return nil, nil
	}
	var out []listed
	for _, h := range hashes {
		if cur.isDone(day, h) || in.held[h] != nil || in.parked[h] != nil {
			continue
		}
		out = append(out, listed{h, day})
	}
	return out, nil
}

// fetch gets the listed transactions and holds them; ones that do not
// parse are done. Hashes the node does not serve yet are simply asked for
// again next time.
func (r *Reader) fetch(ctx context.Context, in *inbox, cur cursor, fetch []listed, now time.Time) error {
	if len(fetch) == 0 {
		return nil
	}
	hashes := make(trinary.Hashes, len(fetch))
	for i, l := range fetch {
		hashes[i] = l.hash
	}
	txs, bad, err := r.c.Fetch(ctx, hashes)
	if err != nil {
		return err
	}
	for _, l := range fetch {
		p := in.parked[l.hash]
		delete(in.parked, l.hash)
		if tx := txs[l.hash]; tx != nil {
			h := &heldTx{tx: tx, day: l.day, since: now}
			if p != nil {
				h.parks = p.parks
			}
			in.held[l.hash] = h
		}
	}
	for _, h := range bad {
		for _, l := range fetch {
			if l.hash == h {
				cur.markDone(l.day, h)
			}
		}
	}
	return nil
}

// deliver assembles the held transactions and hands the complete bundles
// to handle.
func (r *Reader) deliver(in *inbox, cur cursor, address trinary.Hash, now time.Time, handle func(Message) error, log *slog.Logger) error {
	txs := make(map[trinary.Hash]*transaction.Transaction, len(in.held))
	for h, held := range in.held {
		txs[h] = held.tx
	}
	asm := r.c.Assemble(address, txs)
	skipped := len(asm.Rejected)
	for _, h := range asm.Rejected {
		in.done(cur, h)
	}
	// One line per Read, not per bundle: a flood must not flood the log.
	defer func() {
		if skipped > 0 {
			log.Warn("skipped invalid or malformed direct messages", "transactions", skipped)
		}
	}()
	for _, b := range asm.Bundles {
		id := contentID(b)
		if _, seen := cur.delivered[id]; seen {
			in.doneBundle(cur, b)
			continue
		}
		env, err := decodeBundle(b)
		if err != nil {
			log.Debug("skipping malformed direct message", "bundle", b[0].Bundle, "err", err)
			skipped += len(b)
			in.doneBundle(cur, b)
			continue
		}
		err = handle(Message{Envelope: env, Bundle: b[0].Bundle, Time: time.UnixMilli(b[0].AttachmentTimestamp)})
		switch {
		case errors.Is(err, ErrLater):
			for _, tx := range b {
				in.held[tx.Hash].since = now // not stale: kept in memory
			}
		case err != nil:
			return err
		default:
			cur.delivered[id] = now.UnixMilli()
			in.doneBundle(cur, b)
		}
	}
	return nil
}

func (in *inbox) done(cur cursor, h trinary.Hash) {
	if held := in.held[h]; held != nil {
		cur.markDone(held.day, h)
		delete(in.held, h)
	}
}

func (in *inbox) doneBundle(cur cursor, b bundle.Bundle) {
	for _, tx := range b {
		in.done(cur, tx.Hash)
	}
}

// flooded starts or doubles the backoff of a day's bucket.
func (in *inbox) flooded(day string, now time.Time) {
	fl := in.flood[day]
	if fl == nil {
		fl = &floodState{wait: firstBackoff / 2}
		in.flood[day] = fl
	}
	fl.wait = min(2*fl.wait, maxBackoff)
	fl.until = now.Add(fl.wait)
}

// park drops the oldest held transactions beyond max from memory; they are
// fetched again after a backoff.
func (in *inbox) park(max int, now time.Time) {
	if len(in.held) <= max {
		return
	}
	hs := make([]trinary.Hash, 0, len(in.held))
	for h := range in.held {
		hs = append(hs, h)
	}
	slices.SortFunc(hs, func(a, b trinary.Hash) int { return in.held[a].since.Compare(in.held[b].since) })
	for _, h := range hs[:len(hs)-max] {
		held := in.held[h]
		wait := min(firstBackoff<<min(held.parks, 10), maxBackoff)
		in.parked[h] = &parkedTx{day: held.day, retryAt: now.Add(wait), parks: held.parks + 1}
		delete(in.held, h)
	}
}

// dueParked returns the parked transactions whose backoff has passed.
func (in *inbox) dueParked(now time.Time) []listed {
	var out []listed
	for h, p := range in.parked {
		if !now.Before(p.retryAt) {
			out = append(out, listed{h, p.day})
		}
	}
	return out
}

// forgetOutside drops what belongs to buckets no longer read.
func (in *inbox) forgetOutside(days []string) {
	for h, held := range in.held {
		if !slices.Contains(days, held.day) {
			delete(in.held, h)
		}
	}
	for h, p := range in.parked {
		if !slices.Contains(days, p.day) {
			delete(in.parked, h)
		}
	}
	for day := range in.flood {
		if !slices.Contains(days, day) {
			delete(in.flood, day)
		}
	}
}

// contentIDLength is the length of a content id: 128 bits in hex.
const contentIDLength = 32

// contentID identifies a bundle by what it says: SHA-256 of bundle hash
// and message, truncated to 128 bits. Re-attachments share it.
func contentID(b bundle.Bundle) string {
	h := sha256.New()
	h.Write([]byte(b[0].Bundle))
	h.Write([]byte(client.Message(b)))
	return hex.EncodeToString(h.Sum(nil)[:contentIDLength/2])
}

func validContentID(s string) bool {
	if len(s) != contentIDLength {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil && strings.ToLower(s) == s
}
