package mamch

import (
	"fmt"

	"github.com/iotaledger/iota.go/consts"
	"github.com/iotaledger/iota.go/curl"
	"github.com/iotaledger/iota.go/trinary"

	"iotahome/tangle/client"
)

// Prepared is one message ready to attach, and the channel state after it.
// It marshals to JSON (and holds the state's secrets).
type Prepared struct {
	Root    trinary.Trytes `json:"root"`    // root of this message
	Address trinary.Hash   `json:"address"` // where it is attached (81 trytes)
	Payload trinary.Trytes `json:"payload"` // the masked, signed MAM payload
	Next    State          `json:"next"`    // state for the next message
}

// Prepare builds message number s.Index() of the channel. It does no I/O.
// message may be any string; non-ASCII characters are escaped as \uXXXX
// (JSON stays equivalent JSON). Prepare is deterministic: the same State
// and message always give the same Prepared, so storing the State and the
// message is as good as storing the Prepared. Never Prepare two different
// messages from one State: two messages at one root break the channel for
// readers (they follow the earliest).
func Prepare(s State, message string) (Prepared, error) {
	if err := s.validate(); err != nil {
		return Prepared{}, err
	}
	msgTrytes, err := client.ASCIIToTrytes(client.EscapeNonASCII(message))
	if err != nil {
		return Prepared{}, fmt.Errorf("mamch: prepare: %w", err)
	}
	// A one-leaf Merkle tree is just its root. The state's root was
	// computed from seed and index by NewState, Prepare or UnmarshalJSON
	// (the only ways to make a State), so it is not recomputed here.
	root := trinary.MustTrytesToTrits(s.root)
	next, err := merkleRoot(s.seed, s.index+1, s.security)
	if err != nil {
		return Prepared{}, err
	}

	payload, err := createPayload(msgTrytes, s.mamSideKey(), root, next, s.index, s.seed, s.security)
	if err != nil {
		return Prepared{}, fmt.Errorf("mamch: prepare: create payload: %w", err)
	}
	if r := len(payload) % 3; r != 0 {
		payload = trinary.MustPadTrits(payload, len(payload)+3-r)
	}
	// Read our own message back before anyone can depend on it. iota.go's
	// MAMCreate once produced payloads nobody could read (its nonce search
	// touched trits that are never sent); a channel stops for every reader
	// at an unreadable message, and Prepare is deterministic, so a bad
	// payload must never leave here.
	if err := selfCheck(payload, s.mamSideKey(), root, next); err != nil {
		return Prepared{}, fmt.Errorf("mamch: prepare: message %d does not read back: %w", s.index, err)
	}
	n := s
	n.index++
	n.root = trinary.MustTritsToTrytes(next)
	return Prepared{
		Root:    s.root,
		Address: channelAddress(root),
		Payload: trinary.MustTritsToTrytes(payload),
		Next:    n,
	}, nil
}

// mamSideKey is the side key as mam/v1 uses it: the null hash in private
// mode.
func (s State) mamSideKey() trinary.Trytes { return mamSideKey(s.mode, s.sideKey) }

func mamSideKey(mode Mode, sideKey trinary.Trytes) trinary.Trytes {
	if mode == Private {
		return consts.NullHashTrytes
	}
	return sideKey
}

// channelAddress is where the message with this root lives in private
// and restricted mode: Curl-P81(root), without checksum, as mam.client.js
// and @iota/mam.js attach and look. (iota.go's mam/v1 makeAddress hashes
// side key ‖ root instead; with private mode's null side key that is the
// same hash, because Curl-P81 maps the zero state to itself, but in
// restricted mode its addresses differ: docs/tangle.md.)
func channelAddress(root trinary.Trits) trinary.Hash {
	h := newSponge(curl.CurlP81)
	h.absorb(root[:consts.HashTrinarySize])
	return trinary.MustTritsToTrytes(h.squeeze())
}

// selfCheck decodes and verifies a freshly created payload the way a
// reader will.
func selfCheck(payload trinary.Trits, mamSideKey trinary.Trytes, root, next trinary.Trits) error {
	d, err := decodePayload(payload, mamSideKey, root)
	if err != nil {
		return err
	}
	if err := verify([]*decoded{d})[0]; err != nil {
		return err
	}
	if d.next != trinary.MustTritsToTrytes(next) {
		return fmt.Errorf("next root does not match")
	}
	return nil
}
