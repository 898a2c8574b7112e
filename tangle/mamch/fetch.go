package mamch

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/iotaledger/iota.go/bundle"
	"github.com/iotaledger/iota.go/consts"
	"github.com/iotaledger/iota.go/guards"
	"github.com/iotaledger/iota.go/trinary"

	"iotahome/tangle/client"
)

// Message is one message read from a channel.
type Message struct {
	Root   trinary.Trytes // root the message was found at
	Text   string         // the message as published (non-ASCII escaped)
	Bundle trinary.Hash   // bundle it was read from
}

// FetchOne reads the message at root. msg is nil when nothing readable is
// there (yet); next is then root itself, so polling can simply continue
// from next. Bundles at the address that do not parse or whose signature
// does not match the root (garbage, or another writer) are logged and
// skipped. If the same message was attached more than once (a retried
// Attach), it is returned once, from the earliest attachment. sideKey is
// ignored in Private mode.
func FetchOne(ctx context.Context, c *client.Client, root trinary.Trytes, mode Mode, sideKey trinary.Trytes) (*Message, trinary.Trytes, error) {
	msgs, next, err := Fetch(ctx, c, root, mode, sideKey, 1)
	if err != nil {
		return nil, "", err
	}
	if len(msgs) == 0 {
		return nil, root, nil
	}
	return &msgs[0], next, nil
}

// Fetch reads up to max messages (max ≤ 0: all there are) starting at
// root, following each message's next root, and returns them in channel
// order with the root to continue from. On an error it returns the
// messages read so far, the root to continue from, and the error. What
// it returns is what FetchOne, called in a loop, would: every message is
// signature-checked before it is returned, and a root where no bundle
// verifies ends the messages there (next is that root).
//
// It is a pipeline of two goroutines. The next root comes out of
// decrypting a message, before its signature is checked, so one goroutine
// reads and decrypts along the chain (readRoots) while the calling one
// checks signatures, many messages at once (verifyRoots: 64 lanes are
// kept busy by about three messages' signature chains). Where the first
// readable bundle at a root turns out not to be signed by the channel
// (forged, but readable with the side key), Fetch discards what was read
// beyond it and continues from the bundle that is.
func Fetch(ctx context.Context, c *client.Client, root trinary.Trytes, mode Mode, sideKey trinary.Trytes, max int) ([]Message, trinary.Trytes, error) {
	_, key, err := readerKeys(root, mode, sideKey)
	if err != nil {
		return nil, root, err
	}
	var msgs []Message
	for max <= 0 || len(msgs) < max {
		n := 0 // all there are
		if max > 0 {
			n = max - len(msgs)
		}
		got, next, done, err := follow(ctx, c, root, key, n)
		msgs, root = append(msgs, got...), next
		if done || err != nil {
			return msgs, root, err
		}
	}
	return msgs, root, nil
}

const (
	// readAhead bounds how far the reader runs ahead of verification.
	readAhead = 64
	// minVerify is how many messages verification waits for (unless
	// the reader has stopped): fewer would waste hashChains' lanes.
	minVerify = 8
)

// follow runs the pipeline from root for up to n messages (n ≤ 0: no
// limit). It returns the verified messages and the root to continue from;
// done is false when it stopped early because a root's first readable
// bundle was forged (the caller goes on from next).
func follow(ctx context.Context, c *client.Client, root trinary.Trytes, key trinary.Trytes, n int) (msgs []Message, next trinary.Trytes, done bool, err error) {
	rctx, cancel := context.WithCancel(ctx)
	roots := make(chan atRoot, readAhead)
	readErr := make(chan error, 1)
	go func() {
		readErr <- readRoots(rctx, c, root, key, n, roots)
		close(roots)
	}()
	defer func() {
		cancel()
		for range roots { // let the reader finish
		}
	}()
	next = root
	for {
		batch := collect(roots)
		if len(batch) == 0 {
			return msgs, next, true, <-readErr
		}
		verifyRoots(batch)
		for _, r := range batch {
			msg, nr, first := r.choose()
			if msg == nil {
				return msgs, r.root, true, nil
			}
			msgs, next = append(msgs, *msg), nr
			if !first {
				return msgs, next, false, nil // what was read after r followed a forged message
			}
		}
	}
}

// collect waits for the next roots to verify: at least minVerify unless
// the reader stopped, and what else is ready, up to readAhead. It returns
// nothing once the reader has stopped and everything was taken.
func collect(roots <-chan atRoot) []atRoot {
	var batch []atRoot
	for len(batch) < readAhead {
		if len(batch) >= minVerify {
			select {
			case r, ok := <-roots:
				if !ok {
					return batch
				}
				batch = append(batch, r)
				continue
			default:
				return batch
			}
		}
		r, ok := <-roots
		if !ok {
			return batch
		}
		batch = append(batch, r)
	}
	return batch
}

// atRoot is what one root of a channel holds: the bundles there that
// decrypt to a well-formed message, in the order Bundles returned them
// (earliest first), with their signature check once verifyRoots ran.
type atRoot struct {
	root  trinary.Trytes
	found []found
	log   *slog.Logger
}

type found struct {
	decoded *decoded
	bundle  trinary.Hash
	err     error // verifyRoots' verdict
}

// readRoots reads and decrypts the messages at up to n roots (n ≤ 0: no
// limit) from root on, following the first readable bundle's next root,
// and sends them to out. It stops after a root where nothing is readable
// (that root is sent, with nothing found), at a node error (returned), or
// when ctx ends. key is the side key as readerKeys returns it.
func readRoots(ctx context.Context, c *client.Client, root trinary.Trytes, key trinary.Trytes, n int, out chan<- atRoot) error {
	for i := 0; n <= 0 || i < n; i++ {
		rootTrits := trinary.MustTrytesToTrits(root)
		bundles, err := c.Bundles(ctx, channelAddress(rootTrits))
		if err != nil {
			return fmt.Errorf("mamch: fetch %s: %w", root, err)
		}
		r := decodeAt(root, rootTrits, key, bundles)
		select {
		case out <- r:
		case <-ctx.Done():
			return ctx.Err()
		}
		if len(r.found) == 0 {
			return nil
		}
		root = r.found[0].decoded.next
	}
	return nil
}

// decodeAt decrypts the bundles found at root's address (skipping and
// logging those that are not a well-formed message for root); their
// signatures are checked later, by verifyRoots.
func decodeAt(root trinary.Trytes, rootTrits trinary.Trits, key trinary.Trytes, bundles []bundle.Bundle) atRoot {
	r := atRoot{root: root, log: slog.Default().With("component", "tangle/mamch", "root", root)}
	for _, b := range bundles {
		d, err := decode(b, key, rootTrits)
		if err != nil {
			r.log.Warn("skipping unreadable bundle at channel address", "bundle", b[0].Bundle, "err", err)
			continue
		}
		r.found = append(r.found, found{decoded: d, bundle: b[0].Bundle})
	}
	return r
}

// verifyRoots checks the signatures of everything found at roots.
func verifyRoots(roots []atRoot) {
	var ds []*decoded
	for _, r := range roots {
		for _, f := range r.found {
			ds = append(ds, f.decoded)
		}
	}
	errs := verify(ds)
	for i := range roots {
		for j := range roots[i].found {
			roots[i].found[j].err, errs = errs[0], errs[1:]
		}
	}
}

// choose returns the message at r (the earliest bundle whose signature
// verified; nil if none did) and its next root; first says whether it was
// the first readable bundle, the one readRoots followed.
func (r atRoot) choose() (msg *Message, next trinary.Trytes, first bool) {
	for i, f := range r.found {
		if f.err != nil {
			r.log.Warn("skipping unreadable bundle at channel address", "bundle", f.bundle, "err", f.err)
			continue
		}
		if msg == nil {
			msg, next, first = &Message{Root: r.root, Text: f.decoded.text, Bundle: f.bundle}, f.decoded.next, i == 0
			continue
		}
		if f.decoded.text != msg.Text || f.decoded.next != next {
			// Two different validly signed messages at one root mean the
			// writer prepared twice from one state. Readers follow the
			// first; say so loudly.
			r.log.Error("conflicting messages at one root; keeping the earliest", "kept", msg.Bundle, "ignored", f.bundle)
		}
	}
	return msg, next, first
}

// readerKeys checks a reader's parameters and returns the root as trits
// and the side key as mam/v1 uses it (sideKey is ignored in Private mode).
func readerKeys(root trinary.Trytes, mode Mode, sideKey trinary.Trytes) (trinary.Trits, trinary.Trytes, error) {
	if !guards.IsTrytesOfExactLength(root, consts.HashTrytesSize) {
		return nil, "", fmt.Errorf("mamch: root must be 81 trytes, got %d characters", len(root))
	}
	if mode == Restricted && !guards.IsTrytesOfExactLength(sideKey, consts.HashTrytesSize) {
		return nil, "", fmt.Errorf("mamch: restricted mode needs an 81-tryte side key, got %d characters", len(sideKey))
	}
	if _, err := mode.mam(); err != nil {
		return nil, "", err
	}
	return trinary.MustTrytesToTrits(root), mamSideKey(mode, sideKey), nil
}
