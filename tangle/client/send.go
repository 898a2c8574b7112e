package client

import (
	"context"
	"fmt"

	"github.com/iotaledger/iota.go/address"
	"github.com/iotaledger/iota.go/api"
	"github.com/iotaledger/iota.go/bundle"
	"github.com/iotaledger/iota.go/checksum"
	"github.com/iotaledger/iota.go/consts"
	"github.com/iotaledger/iota.go/guards"
	"github.com/iotaledger/iota.go/trinary"

	"iotahome/tangle/seed"
)

// tipDepth is the depth passed to getTransactionsToApprove; 3 is what
// iota.go and the IOTA wallets use.
const tipDepth = 3

// Send attaches message (any number of trytes; split over as many
// transactions as needed, 2187 trytes each) to address as one zero-value
// bundle: tip selection, proof of work (local or remote), store and
// broadcast. It returns the attached bundle, tail first.
//
// Every bundle gets a random tag. The bundle hash covers address, value,
// tag, timestamp (seconds) and indexes but not the message, so without it
// two messages of equal length sent to one address within a second would
// share a bundle hash.
func (c *Client) Send(ctx context.Context, address trinary.Hash, message trinary.Trytes) (bundle.Bundle, error) {
	a, err := c.compose(ctx)
	if err != nil {
		return nil, err
	}
	if err := trinary.ValidTrytes(message); err != nil && message != "" {
		return nil, fmt.Errorf("send: message: %w", err)
	}
	to, err := withChecksum(address)
	if err != nil {
		return nil, fmt.Errorf("send: %w", err)
	}
	tag, err := seed.New()
	if err != nil {
		return nil, fmt.Errorf("send: tag: %w", err)
	}
	transfers := bundle.Transfers{{Address: to, Value: 0, Message: message, Tag: tag[:consts.TagTrinarySize/3]}}
	trytes, err := a.PrepareTransfers(consts.NullHashTrytes, transfers, api.PrepareTransfersOptions{})
	if err != nil {
		return nil, fmt.Errorf("send: prepare transfer to %s: %w", address, err)
	}
	b, err := a.SendTrytes(trytes, tipDepth, c.cfg.MWM)
	if err != nil {
		return nil, fmt.Errorf("send: attach bundle to %s via %s: %w", address, c.cfg.NodeURL, err)
	}
	return tailFirst(b), nil
}

// withoutChecksum accepts an address of 81 trytes, or 90 with a valid
// checksum, and returns the 81-tryte form.
func withoutChecksum(a trinary.Hash) (trinary.Hash, error) {
	switch {
	case guards.IsTrytesOfExactLength(a, consts.HashTrytesSize):
		return a, nil
	case guards.IsTrytesOfExactLength(a, consts.AddressWithChecksumTrytesSize):
		if err := address.ValidAddress(a); err != nil {
			return "", fmt.Errorf("address %s: %w", a, err)
		}
		return a[:consts.HashTrytesSize], nil
	}
	return "", fmt.Errorf("address %q: want 81 trytes, or 90 with checksum", a)
}

// withChecksum returns the 90-tryte form iota.go's PrepareTransfers wants.
func withChecksum(a trinary.Hash) (trinary.Hash, error) {
	a, err := withoutChecksum(a)
	if err != nil {
		return "", err
	}
	return checksum.AddChecksum(a, true, consts.AddressChecksumTrytesSize)
}

// tailFirst orders a bundle's transactions by currentIndex.
func tailFirst(b bundle.Bundle) bundle.Bundle {
	out := make(bundle.Bundle, len(b))
	for _, tx := range b {
		if tx.CurrentIndex < uint64(len(out)) {
			out[tx.CurrentIndex] = tx
		}
	}
	return out
}
