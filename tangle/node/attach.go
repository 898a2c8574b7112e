package node

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"time"

	"github.com/iotaledger/iota.go/consts"
	"github.com/iotaledger/iota.go/curl"
	"github.com/iotaledger/iota.go/trinary"
)

// Tryte offsets of the fields attachToTangle fills in.
const (
	obsoleteTagOffset = consts.ObsoleteTagTrinaryOffset / 3
	trunkOffset       = consts.TrunkTransactionTrinaryOffset / 3
	branchOffset      = consts.BranchTransactionTrinaryOffset / 3
	tagOffset         = consts.TagTrinaryOffset / 3
	attachedAtOffset  = consts.AttachmentTimestampTrinaryOffset / 3
	lowerBoundOffset  = consts.AttachmentTimestampLowerBoundTrinaryOffset / 3
	upperBoundOffset  = consts.AttachmentTimestampUpperBoundTrinaryOffset / 3
	nonceOffset       = consts.NonceTrinaryOffset / 3
	timestampTrytes   = 9

	// upperBoundTimestamp is IRI's attachmentTimestampUpperBound, the
	// largest 27-trit number, (3^27-1)/2. (iota.go's constant of the same
	// name computes 11: ^ is XOR in Go.)
	upperBoundTimestamp = 3812798742493
)

var errInterrupted = errors.New("attachToTangle was interrupted")

// attach does what IRI's attachToTangle does: for each transaction in the
// order given (a bundle's last transaction first), set trunk and branch —
// the first one approves trunk and branch, each later one approves the
// previous transaction (trunk) and the original trunk (branch) — copy the
// obsolete tag into an empty tag, set the attachment timestamps, and find a
// nonce. The result is in reverse order, tail first, as IRI returns it.
func (n *Node) attach(ctx context.Context, trunk, branch trinary.Hash, mwm int, txs []trinary.Trytes) ([]trinary.Trytes, error) {
	n.attachMu.Lock()
	// Unlocked when this attach is done, or by the abandoned PoW search (see
	// nonce) when it ends.
	locked := true
	defer func() {
		if locked {
			n.attachMu.Unlock()
		}
	}()
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	n.interruptMu.Lock()
	n.interrupt = func() { cancel(errInterrupted) }
	n.interruptMu.Unlock()
	defer func() {
		n.interruptMu.Lock()
		n.interrupt = nil
		n.interruptMu.Unlock()
	}()

	start := time.Now()
	out := make([]trinary.Trytes, len(txs))
	var prev trinary.Hash
	for i, t := range txs {
		b := []byte(t)
		if i == 0 {
			copy(b[trunkOffset:], trunk)
			copy(b[branchOffset:], branch)
		} else {
			copy(b[trunkOffset:], prev)
			copy(b[branchOffset:], trunk)
		}
		if strings.Trim(string(b[tagOffset:tagOffset+tagTrytes]), "9") == "" {
			copy(b[tagOffset:], b[obsoleteTagOffset:obsoleteTagOffset+tagTrytes])
		}
		copy(b[attachedAtOffset:], trinary.IntToTrytes(time.Now().UnixMilli(), timestampTrytes))
		copy(b[lowerBoundOffset:], trinary.IntToTrytes(0, timestampTrytes))
		copy(b[upperBoundOffset:], trinary.IntToTrytes(upperBoundTimestamp, timestampTrytes))
		nonce, err := n.nonce(ctx, string(b), mwm, &locked)
		if err != nil {
			if errors.Is(context.Cause(ctx), errInterrupted) {
				return nil, badRequestf("%v after %d of %d transactions", errInterrupted, i, len(txs))
			}
			return nil, fmt.Errorf("proof of work for transaction %d: %w", i, err)
		}
		copy(b[nonceOffset:], nonce)
		hash, err := curl.HashTrytes(string(b))
		if err != nil {
			return nil, fmt.Errorf("hash transaction %d: %w", i, err)
		}
		prev = hash
		out[len(txs)-1-i] = string(b)
	}
	n.log.Debug("attached", "transactions", len(txs), "mwm", mwm, "took", time.Since(start))
	return out, nil
}

// nonce runs the PoW search for one transaction on all cores. iota.go's
// searches cannot be stopped, so when ctx ends first (interrupt, client
// gone, shutdown) nonce returns at once and leaves the search to finish in
// the background; the search then owns attachMu (*locked becomes false) and
// releases it when it ends, so that the next attach does not compete with
// it for the cores.
func (n *Node) nonce(ctx context.Context, trytes string, mwm int, locked *bool) (trinary.Trytes, error) {
	type result struct {
		nonce trinary.Trytes
		err   error
	}
	done := make(chan result, 1)
	go func() {
		nonce, err := n.pow(trytes, mwm, runtime.NumCPU())
		done <- result{nonce, err}
	}()
	select {
	case r := <-done:
		return r.nonce, r.err
	case <-ctx.Done():
		*locked = false
		go func() {
			<-done
			n.attachMu.Unlock()
		}()
		return "", ctx.Err()
	}
}

// InterruptAttach makes a running attachToTangle answer at once with an
// "interrupted" error, as the interruptAttachingToTangle command does.
// Servers call it when shutting down so that a long PoW does not hold up
// the exit.
func (n *Node) InterruptAttach() {
	n.interruptMu.Lock()
	defer n.interruptMu.Unlock()
	if n.interrupt != nil {
		n.interrupt()
	}
}
