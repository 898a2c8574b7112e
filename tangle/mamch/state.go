// Package mamch publishes and reads MAM channels (iota.go mam/v1, the
// format of the JavaScript mam.client.js) in private and restricted mode.
//
// Publishing is split in two so that a channel index is never used twice,
// even across crashes: Prepare is pure (no network) and returns the
// message payload together with the channel's next State; the caller
// stores both durably, then calls Attach, which may be retried. iota.go's
// own Transmitter advances its state in memory and attaches in one step,
// so a crash between the two reuses an index; this package does not use it.
//
// Each message is a one-leaf Merkle tree (as the Transmitter's default), so
// channel message n is signed with the key at index n of the channel seed
// and carries the root of message n+1. Security level 1 (SecurityLevel):
// the smallest signature (one 2187-tryte fragment) and the least work per
// message; a MAM key signs exactly one message, so the one-time-signature
// weakness of reused low-security keys does not arise.
package mamch

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/iotaledger/iota.go/consts"
	"github.com/iotaledger/iota.go/guards"
	mam "github.com/iotaledger/iota.go/mam/v1"
	"github.com/iotaledger/iota.go/trinary"

	"iotahome/tangle/seed"
)

// Mode is a channel mode.
type Mode string

// Channel modes. Public mode (root = address) is not offered: everything in
// iotahome is either private to its owner or shared by side key.
const (
	// Private: the address is a hash of the root, so only who knows a root
	// can find and read the message there and after.
	Private Mode = "private"
	// Restricted: the address and the encryption also depend on an
	// 81-tryte side key, which can be changed mid-channel.
	Restricted Mode = "restricted"
)

// SecurityLevel is the signing security level of new channels. A State
// remembers the level its channel was created with.
const SecurityLevel = consts.SecurityLevelLow

func (m Mode) mam() (mam.ChannelMode, error) {
	switch m {
	case Private:
		return mam.ChannelModePrivate, nil
	case Restricted:
		return mam.ChannelModeRestricted, nil
	}
	return "", fmt.Errorf("mamch: unknown mode %q (want %q or %q)", m, Private, Restricted)
}

// State is everything needed to continue a channel: its seed, mode, side
// key, the index of the next message and that message's root. It is
// SECRET (it holds the seed and side key): store it like a seed. It
// marshals to JSON; unmarshalling validates.
type State struct {
	seed     trinary.Trytes
	mode     Mode
	sideKey  trinary.Trytes
	index    uint64
	root     trinary.Trytes
	security consts.SecurityLevel
}

// NewState starts a channel at index 0. sideKey must be 81 trytes in
// Restricted mode and empty in Private mode.
func NewState(s trinary.Trytes, mode Mode, sideKey trinary.Trytes) (State, error) {
	st := State{seed: s, mode: mode, sideKey: sideKey, security: SecurityLevel}
	if err := st.validateKeys(); err != nil {
		return State{}, err
	}
	root, err := merkleRoot(st.seed, 0, st.security)
	if err != nil {
		return State{}, err
	}
	st.root = trinary.MustTritsToTrytes(root)
	return st, nil
}

// RandomSideKey returns a fresh random 81-tryte side key.
func RandomSideKey() (trinary.Trytes, error) {
	k, err := seed.New()
	if err != nil {
		return "", fmt.Errorf("mamch: side key: %w", err)
	}
	return k, nil
}

// NextRoot is the root of the next message to be published: what a reader
// needs (with the mode and side key) to read from there on.
func (s State) NextRoot() trinary.Trytes { return s.root }

// SideKey is the current side key ("" in Private mode).
func (s State) SideKey() trinary.Trytes { return s.sideKey }

// Mode is the channel mode.
func (s State) Mode() Mode { return s.mode }

// Index is the number of messages prepared on the channel so far.
func (s State) Index() uint64 { return s.index }

// WithSideKey returns the state with a new side key: messages prepared
// from it on are readable only with k. The root stays: the message before
// the change (under the old key) already points to it. Prepare rejects a
// side key that is not 81 trytes, and any side key in Private mode.
func (s State) WithSideKey(k trinary.Trytes) State {
	s.sideKey = k
	return s
}

func (s State) validateKeys() error {
	if err := seed.Validate(s.seed); err != nil {
		return fmt.Errorf("mamch: channel seed: %w", err)
	}
	if _, err := s.mode.mam(); err != nil {
		return err
	}
	switch {
	case s.mode == Restricted && !guards.IsTrytesOfExactLength(s.sideKey, consts.HashTrytesSize):
		return fmt.Errorf("mamch: restricted mode needs an 81-tryte side key, got %d characters", len(s.sideKey))
	case s.mode == Private && s.sideKey != "":
		return errors.New("mamch: private mode has no side key")
	}
	return nil
}

func (s State) validate() error {
	if s.seed == "" && s.mode == "" {
		return errors.New("mamch: uninitialised state (use NewState)")
	}
	if err := s.validateKeys(); err != nil {
		return err
	}
	if s.security < consts.SecurityLevelLow || s.security > consts.SecurityLevelHigh {
		return fmt.Errorf("mamch: security level %d", s.security)
	}
	if !guards.IsTrytesOfExactLength(s.root, consts.HashTrytesSize) {
		return errors.New("mamch: state has no valid root")
	}
	return nil
}

type stateJSON struct {
	Seed     trinary.Trytes `json:"seed"`
	Mode     Mode           `json:"mode"`
	SideKey  trinary.Trytes `json:"sideKey,omitempty"`
	Index    uint64         `json:"index"`
	Root     trinary.Trytes `json:"root"`
	Security int            `json:"security"`
}

// MarshalJSON encodes the state (secrets included).
func (s State) MarshalJSON() ([]byte, error) {
	return json.Marshal(stateJSON{s.seed, s.mode, s.sideKey, s.index, s.root, int(s.security)})
}

// UnmarshalJSON decodes and validates a state. The root is checked
// against the seed and index, so a state edited by hand or mixed up with
// another channel's fails here rather than publishing unreadable messages.
func (s *State) UnmarshalJSON(b []byte) error {
	var j stateJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return fmt.Errorf("mamch: state: %w", err)
	}
	st := State{j.Seed, j.Mode, j.SideKey, j.Index, j.Root, consts.SecurityLevel(j.Security)}
	if err := st.validate(); err != nil {
		return err
	}
	root, err := merkleRoot(st.seed, st.index, st.security)
	if err != nil {
		return err
	}
	if trinary.MustTritsToTrytes(root) != st.root {
		return fmt.Errorf("mamch: state root does not belong to index %d of its seed", st.index)
	}
	*s = st
	return nil
}
