package wattt

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/iotaledger/iota.go/consts"
	"github.com/iotaledger/iota.go/guards"

	"iotahome/protocol"
	"iotahome/tangle/mamch"
	"iotahome/tangle/ntru"
)

// transientError marks a failure to apply a message that says nothing
// about the message (the database was unreachable while loading the
// account's keys): the message must be read again later, not skipped.
type transientError struct{ error }

func (e transientError) Unwrap() error { return e.error }

// apply folds one channel message into p. stop says that messages after
// this one cannot be read with the key they were fetched with. An error
// means the message is skipped (malformed: logged, the channel goes on),
// unless it is a transientError. keys gives the account's key pair; it is
// asked for only when a KEY_ROTATION needs it (deriving NTRU keys is not
// free, and most meters never rotate). A rotated side key goes into
// p.SideKey in clear; the caller seals it.
func (s *Service) apply(m mamch.Message, addr string, keys func() (*keyPair, error), p *Progress) (stop bool, err error) {
	var cm protocol.ChannelMessage
	if err := json.Unmarshal([]byte(m.Text), &cm); err != nil {
		return false, fmt.Errorf("not a channel message: %w", err)
	}
	switch cm.Type {
	case protocol.Data:
		if cm.Data == nil {
			return false, errors.New("DATA without body")
		}
		readings, err := cm.Data.AllReadings() // plain or DEFLATE-packed (p1reader --pack)
		if err != nil {
			return false, fmt.Errorf("DATA readings: %w", err)
		}
		if cm.Data.Seq > math.MaxInt64-uint64(len(readings)) {
			return false, errors.New("DATA sequence number out of range")
		}
		for j, r := range readings {
			if r.Time.IsZero() {
				continue
			}
			p.Readings = append(p.Readings, StoredReading{Seq: int64(cm.Data.Seq) + int64(j), Reading: r})
		}
		return false, nil
	case protocol.KeyRotation:
		if cm.KeyRotation == nil {
			return false, errors.New("KEY_ROTATION without body")
		}
		kp, err := keys()
		if err != nil {
			return false, transientError{fmt.Errorf("KEY_ROTATION: account keys: %w", err)}
		}
		key, ok := s.rotatedKey(addr, kp, cm.KeyRotation)
		if !ok {
			now := time.Now()
			p.RevokedAt = &now
			return true, nil
		}
		p.SideKey = key
		return true, nil
	}
	return false, fmt.Errorf("unknown channel message type %q", cm.Type)
}

// rotatedKey opens the new side key sealed for the provider's address in a
// KEY_ROTATION; ok is false when there is none it can open.
func (s *Service) rotatedKey(addr string, kp *keyPair, kr *protocol.KeyRotationBody) (key string, ok bool) {
	for _, k := range kr.Keys {
		if k.ProviderAddress != addr {
			continue
		}
		raw, err := ntru.OpenString(kp.priv, k.Sealed)
		if err != nil {
			s.log.Warn("KEY_ROTATION: key for this address does not open", "address", addr, "err", err)
			continue
		}
		if !guards.IsTrytesOfExactLength(string(raw), consts.HashTrytesSize) {
			s.log.Warn("KEY_ROTATION: new side key is not 81 trytes", "address", addr)
			continue
		}
		return string(raw), true
	}
	return "", false
}
