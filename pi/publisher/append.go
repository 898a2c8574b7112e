// Package publisher moves the reader's outbox to the Tangle: it batches
// stored readings into DATA messages on the reader's restricted MAM channel
// and attaches every prepared channel message (DATA and KEY_ROTATION) in
// channel order, and it sends queued direct messages. Both retry with
// exponential backoff while the node is unreachable; nothing is lost,
// duplicated or reordered.
//
// Persist before publish: a channel message is prepared (no network) and
// stored together with the channel state that follows it, in one SQLite
// transaction, before it is attached. After a restart the stored messages
// are attached again before anything new is prepared, so a channel index is
// never used twice.
package publisher

import (
	"encoding/json"
	"fmt"

	"github.com/iotaledger/iota.go/trinary"

	"iotahome/protocol"
	"iotahome/store/readerstore"
	"iotahome/tangle/mamch"
)

// Append prepares msg from the channel state in tx and stores it with the
// state that follows it. firstSeq..lastSeq are the readings of a DATA
// message (0, 0 otherwise). A non-empty newSideKey switches the channel to
// that key for the messages after this one (KEY_ROTATION); msg itself still
// goes out under the current key. The caller wakes the Publisher after the
// transaction commits.
func Append(tx *readerstore.Tx, msg protocol.ChannelMessage, firstSeq, lastSeq uint64, newSideKey trinary.Trytes) error {
	text, err := json.Marshal(msg)
	if err != nil {
		return fmt.Errorf("publisher: encode %s: %w", msg.Type, err)
	}
	stateJSON, err := tx.ChannelState()
	if err != nil {
		return err
	}
	var state mamch.State
	if err := json.Unmarshal([]byte(stateJSON), &state); err != nil {
		return fmt.Errorf("publisher: decode channel state: %w", err)
	}
	p, err := mamch.Prepare(state, string(text))
	if err != nil {
		return fmt.Errorf("publisher: prepare %s: %w", msg.Type, err)
	}
	next := p.Next
	if newSideKey != "" {
		next = next.WithSideKey(newSideKey)
	}
	nextJSON, err := json.Marshal(next)
	if err != nil {
		return fmt.Errorf("publisher: encode channel state: %w", err)
	}
	m := readerstore.ChannelMessage{Message: string(text), State: stateJSON, Kind: string(msg.Type), FirstSeq: firstSeq, LastSeq: lastSeq}
	_, err = tx.AppendChannelMessage(m, string(nextJSON))
	return err
}

// prepare rebuilds a stored message's MAM payload (Prepare is deterministic).
func prepare(m readerstore.ChannelMessage) (mamch.Prepared, error) {
	var state mamch.State
	if err := json.Unmarshal([]byte(m.State), &state); err != nil {
		return mamch.Prepared{}, fmt.Errorf("publisher: stored message %d: state: %w", m.ID, err)
	}
	p, err := mamch.Prepare(state, m.Message)
	if err != nil {
		return mamch.Prepared{}, fmt.Errorf("publisher: stored message %d: %w", m.ID, err)
	}
	return p, nil
}

// LoadState returns the channel state the next message is prepared from.
func LoadState(tx *readerstore.Tx) (mamch.State, error) {
	raw, err := tx.ChannelState()
	if err != nil {
		return mamch.State{}, err
	}
	var st mamch.State
	if err := json.Unmarshal([]byte(raw), &st); err != nil {
		return mamch.State{}, fmt.Errorf("publisher: decode channel state: %w", err)
	}
	return st, nil
}
