package node

import (
	"context"
	"errors"
	"fmt"
	"net/http"
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

// attach does what IRI's attachToTangle does once it is the request's turn
// (attachGate): for each transaction in txs (sorted by attachable, a
// bundle's last transaction first), set trunk and branch — the first one
// approves trunk and branch, each later one approves the previous
// transaction (trunk) and the original trunk (branch) — copy the obsolete
// tag into an empty tag, set the attachment timestamps, and find a nonce
// at the node's MWM. The result is in reverse order, tail first, as IRI
// returns it. An interrupt, the client going away or the node shutting
// down stops the proof of work at once.
func (n *Node) attach(ctx context.Context, client string, trunk, branch trinary.Hash, txs []trinary.Trytes) ([]trinary.Trytes, error) {
	ctx, done, err := n.gate.enter(ctx, client)
	if err != nil {
		return nil, err
	}
	defer done()

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
		nonce, err := searchNonce(ctx, string(b), n.mwm, runtime.NumCPU(), &n.powRunning)
		if err != nil {
			switch cause := context.Cause(ctx); {
			case errors.Is(cause, errInterrupted):
				return nil, badRequestf("%v after %d of %d transactions", errInterrupted, i, len(txs))
			case errors.Is(cause, errShutdown):
				return nil, &apiError{status: http.StatusServiceUnavailable, msg: errShutdown.Error()}
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
	n.log.Debug("attached", "transactions", len(txs), "mwm", n.mwm, "took", time.Since(start))
	return out, nil
}

// InterruptAttach makes the running attachToTangle stop its proof of work
// and answer at once with an "interrupted" error, as the
// interruptAttachingToTangle command does. Waiting attaches go on.
func (n *Node) InterruptAttach() { n.gate.interruptRunning() }

// Shutdown stops the running attachToTangle and every waiting one (they
// answer 503) and refuses new ones; other commands keep working until
// Close. Servers call it when they shut down (http.Server's
// RegisterOnShutdown), so that no proof of work holds up the exit.
func (n *Node) Shutdown() { n.gate.shutdown() }
