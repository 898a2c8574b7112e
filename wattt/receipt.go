package wattt

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/iotaledger/iota.go/consts"
	"github.com/iotaledger/iota.go/guards"

	"iotahome/internal/retry"
	"iotahome/protocol"
	"iotahome/tangle/direct"
	"iotahome/tangle/ntru"
)

// receiveKeys polls the address of every account whose consent request came
// back from My Home granted (and has no keys yet) for MAM_DATA until ctx
// ends. Only those addresses are polled: an account that asked for nothing,
// or whose owner never came back from My Home, has nothing to receive.
func (s *Service) receiveKeys(ctx context.Context) {
	failures := 0
	for {
		err := s.receiveKeysOnce(ctx)
		wait := s.cfg.KeyInterval
		if err != nil && ctx.Err() == nil {
			wait = s.backoff(failures)
			failures++
			s.log.Warn("key receipt: node unreachable, backing off", "err", err, "retry_in", wait)
		} else {
			failures = 0
		}
		if !retry.Sleep(ctx, wait, nil) {
			return
		}
	}
}

// receiveKeysOnce reads each waiting account's new direct messages once and
// persists its cursor.
func (s *Service) receiveKeysOnce(ctx context.Context) error {
	now := time.Now()
	accts, err := s.st.AccountsAwaitingKeys(ctx, now.Add(-s.cfg.KeyWait))
	if err != nil {
		return err
	}
	var firstErr error
	for _, a := range accts {
		cur, err := s.inbox.Read(ctx, a.Address, direct.Cursor(a.Cursor), func(m direct.Message) error {
			s.receive(ctx, a, m)
			return nil
		})
		if err != nil {
			firstErr = cmpErr(firstErr, err)
		}
		if string(cur) != a.Cursor {
			if err := s.st.SetCursor(ctx, a.ID, string(cur)); err != nil {
				firstErr = cmpErr(firstErr, err)
			}
		}
	}
	return firstErr
}

func cmpErr(first, err error) error {
	if first != nil {
		return first
	}
	return err
}

// receive handles one direct message to an account's address. Anyone can
// send anything there: only a MAM_DATA that opens with the account's private
// key, is well formed, names the device it came from and carries the state
// of an open consent request of this account becomes a connection.
func (s *Service) receive(ctx context.Context, a Account, m direct.Message) {
	log := s.log.With("account", a.ID, "bundle", m.Bundle)
	if m.Envelope.Type != protocol.MAMData {
		log.Info("ignoring direct message that is not MAM_DATA", "type", m.Envelope.Type)
		return
	}
	key, err := s.openKey(a, m.Envelope.Body)
	if err != nil {
		s.stats.keysRejected.Add(1)
		log.Warn("rejected MAM_DATA", "reason", err)
		return
	}
	c, err := s.connect(ctx, a, key)
	if errors.Is(err, ErrNoPendingRequest) {
		s.stats.keysRejected.Add(1)
		log.Warn("rejected MAM_DATA", "reason", "state is not an open consent request of this account", "device", key.Device)
		return
	}
	if err != nil {
		log.Error("store channel keys", "err", err)
		return
	}
	s.stats.keysAccepted.Add(1)
	log.Info("channel keys received; following", "connection", c.ID, "device", c.Device)
}

// Connect turns the account's open consent request key.State into a live
// connection to key.Device at key.Root and starts following it. Key receipt
// calls it for every MAM_DATA that opened; it is exported for tools and
// benchmarks that hand over a channel key directly. A state that is not an
// open request of the account is ErrNoPendingRequest.
func (s *Service) Connect(ctx context.Context, accountID int64, key protocol.ChannelKey) (Connection, error) {
	a, err := s.st.Account(ctx, accountID)
	if err != nil {
		return Connection{}, err
	}
	return s.connect(ctx, a, key)
}

func (s *Service) connect(ctx context.Context, a Account, key protocol.ChannelKey) (Connection, error) {
	if c, ok, err := s.following(ctx, a, key); err != nil || ok {
		if ok {
			err = s.st.ConfirmKeys(ctx, a.ID, key.State, c.ID, time.Now())
		}
		return c, err
	}
	sealed, err := s.sealSideKey(a.Address, key.SideKey)
	if err != nil {
		return Connection{}, err
	}
	c, err := s.st.AcceptKeys(ctx, a.ID, key.State, key.Device, key.Root, sealed, time.Now())
	if err != nil {
		return Connection{}, err
	}
	s.nudge()
	return c, nil
}

// following finds the account's live connection to key.Device when it
// reads with the same side key: the keys of a renewal. Its follower is
// somewhere on the channel already, maybe behind the root in the key, so
// the connection stays where it is rather than skipping what it has not
// read yet. Keys with another side key (there was a rotation since, e.g. a
// revocation and a new grant) move the connection to the new root.
func (s *Service) following(ctx context.Context, a Account, key protocol.ChannelKey) (Connection, bool, error) {
	conns, err := s.st.AccountConnections(ctx, a.ID)
	if err != nil {
		return Connection{}, false, err
	}
	for _, c := range conns {
		if c.Device != key.Device || c.Status != ConnectionLive {
			continue
		}
		side, err := s.openSideKey(a.Address, c.SideKey)
		if err != nil {
			return Connection{}, false, err
		}
		return c, side == key.SideKey, nil
	}
	return Connection{}, false, nil
}

// sideKeyContext binds a sealed side key to the account it was given to.
func sideKeyContext(address string) string { return "wattt-sidekey:" + address }

// sealSideKey seals a channel's side key with the server key for storage:
// a copy of the database alone does not let anyone read the meters' data.
func (s *Service) sealSideKey(address, key string) (string, error) {
	b, err := s.key.Seal([]byte(key), sideKeyContext(address))
	if err != nil {
		return "", fmt.Errorf("wattt: seal side key: %w", err)
	}
	return base64.StdEncoding.EncodeToString(b), nil
}

// openSideKey opens what sealSideKey stored.
func (s *Service) openSideKey(address, sealed string) (string, error) {
	b, err := base64.StdEncoding.DecodeString(sealed)
	if err != nil {
		return "", fmt.Errorf("wattt: stored side key: %w", err)
	}
	k, err := s.key.Open(b, sideKeyContext(address))
	if err != nil {
		return "", fmt.Errorf("wattt: open stored side key: %w", err)
	}
	return string(k), nil
}

// openKey decodes a MAM_DATA body and opens its sealed channel key.
func (s *Service) openKey(a Account, body json.RawMessage) (protocol.ChannelKey, error) {
	var md protocol.MAMDataBody
	if err := json.Unmarshal(body, &md); err != nil {
		return protocol.ChannelKey{}, fmt.Errorf("malformed body: %w", err)
	}
	kp, err := s.keysOf(a)
	if err != nil {
		return protocol.ChannelKey{}, err
	}
	plain, err := ntru.OpenString(kp.priv, md.Sealed)
	if err != nil {
		return protocol.ChannelKey{}, fmt.Errorf("does not open with this account's key: %w", err)
	}
	var key protocol.ChannelKey
	if err := json.Unmarshal(plain, &key); err != nil {
		return protocol.ChannelKey{}, fmt.Errorf("malformed channel key: %w", err)
	}
	switch {
	case key.Device != md.Device:
		return protocol.ChannelKey{}, errors.New("sealed device differs from the envelope's")
	case !guards.IsTrytesOfExactLength(key.Device, consts.HashTrytesSize):
		return protocol.ChannelKey{}, errors.New("device is not an 81-tryte address")
	case !guards.IsTrytesOfExactLength(key.Root, consts.HashTrytesSize):
		return protocol.ChannelKey{}, errors.New("root is not 81 trytes")
	case !guards.IsTrytesOfExactLength(key.SideKey, consts.HashTrytesSize):
		return protocol.ChannelKey{}, errors.New("side key is not 81 trytes")
	case key.State == "":
		return protocol.ChannelKey{}, errors.New("no state")
	}
	return key, nil
}
