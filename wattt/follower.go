package wattt

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/iotaledger/iota.go/consts"
	"github.com/iotaledger/iota.go/guards"

	"iotahome/internal/retry"
	"iotahome/protocol"
	"iotahome/store/watttstore"
	"iotahome/tangle/mamch"
	"iotahome/tangle/ntru"
)

// superviseFollowers keeps one follower goroutine per live connection: at
// start, whenever keys arrive (nudge), and every minute as a backstop. A
// follower is a loop with a few hundred bytes of state; the number of node
// requests in flight is bounded by the shared fetch semaphore, not by the
// number of followers, so 100 meters cost 100 small goroutines.
func (s *Service) superviseFollowers(ctx context.Context, wg *sync.WaitGroup) {
	for {
		conns, err := s.st.LiveConnections(ctx)
		if err != nil && ctx.Err() == nil {
			s.log.Error("list live connections", "err", err)
		}
		for _, c := range conns {
			s.followMu.Lock()
			running := s.followers[c.ID]
			s.followers[c.ID] = true
			s.followMu.Unlock()
			if !running {
				wg.Go(func() { s.follow(ctx, c.ID) })
			}
		}
		t := time.NewTimer(time.Minute)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-s.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// follow reads one connection's channel until it is revoked or ctx ends.
func (s *Service) follow(ctx context.Context, id int64) {
	s.stats.followers.Add(1)
	defer func() {
		s.stats.followers.Add(-1)
		s.followMu.Lock()
		delete(s.followers, id)
		s.followMu.Unlock()
	}()
	log := s.log.With("connection", id)
	failures := 0
	var (
		conn    watttstore.Connection
		sideKey string // conn.SideKey opened
		kp      *keyPair
		addr    string
	)
	reload := true
	for ctx.Err() == nil {
		if reload {
			c, err := s.st.Connection(ctx, id)
			if err == nil && kp == nil {
				var a watttstore.Account
				if a, err = s.st.Account(ctx, c.AccountID); err == nil {
					kp, err = s.keysOf(a)
					addr = a.Address
				}
			}
			if err == nil {
				sideKey, err = s.openSideKey(addr, c.SideKey)
			}
			if err != nil {
				if ctx.Err() == nil {
					log.Error("load connection", "err", err)
				}
				return
			}
			conn, reload = c, false
		}
		if conn.Status != watttstore.ConnectionLive {
			return
		}
		next, nextKey, read, err := s.step(ctx, conn, sideKey, addr, kp)
		switch {
		case errors.Is(err, watttstore.ErrMoved):
			reload = true // new keys arrived meanwhile; read from there
			continue
		case err != nil && ctx.Err() == nil:
			wait := s.backoff(failures)
			failures++
			log.Warn("follow: backing off", "err", err, "retry_in", wait)
			if !retry.Sleep(ctx, wait, nil) {
				return
			}
			if read > 0 {
				conn, sideKey = next, nextKey
			}
			continue
		}
		failures = 0
		conn, sideKey = next, nextKey
		if read == 0 && !retry.Sleep(ctx, s.cfg.FollowInterval, nil) {
			return
		}
	}
}

// step reads up to FetchBatch messages from the connection's root with
// sideKey and stores what they say together with the root (and sealed side
// key) to continue from. It returns the connection as it now stands, the
// side key to read on with, and how many messages it read. Messages read
// before a node error are still stored.
func (s *Service) step(ctx context.Context, conn watttstore.Connection, sideKey, addr string, kp *keyPair) (watttstore.Connection, string, int, error) {
	select {
	case s.fetches <- struct{}{}:
	case <-ctx.Done():
		return conn, sideKey, 0, ctx.Err()
	}
	msgs, next, fetchErr := mamch.Fetch(ctx, s.tangle, conn.Root, mamch.Restricted, sideKey, s.cfg.FetchBatch)
	<-s.fetches
	if len(msgs) == 0 {
		return conn, sideKey, 0, fetchErr
	}
	// apply puts a rotated side key into p.SideKey in clear; it is sealed
	// before it is stored.
	p := watttstore.Progress{ConnectionID: conn.ID, FromRoot: conn.Root, Root: conn.Root, SideKey: sideKey}
	log := s.log.With("connection", conn.ID)
	for i, m := range msgs {
		p.Messages++
		p.Root = next
		if i+1 < len(msgs) {
			p.Root = msgs[i+1].Root
		}
		stop, err := s.apply(m, addr, kp, &p)
		if err != nil {
			s.stats.skipped.Add(1)
			log.Warn("ignoring channel message", "bundle", m.Bundle, "root", m.Root, "err", err)
		}
		if stop {
			break // the side key changed or access ended: later messages need the new key
		}
	}
	newKey, sealed := p.SideKey, conn.SideKey
	if newKey != sideKey {
		var err error
		if sealed, err = s.sealSideKey(addr, newKey); err != nil {
			return conn, sideKey, 0, err
		}
	}
	p.SideKey = sealed
	n, err := s.st.Advance(ctx, p, s.cfg.Location)
	if err != nil {
		return conn, sideKey, 0, err
	}
	s.stats.messages.Add(int64(p.Messages))
	s.stats.readings.Add(int64(n))
	conn.Root, conn.SideKey, conn.Messages = p.Root, sealed, conn.Messages+int64(p.Messages)
	if p.RevokedAt != nil {
		s.stats.revocations.Add(1)
		conn.Status, conn.RevokedAt = watttstore.ConnectionRevoked, p.RevokedAt
		log.Info("access revoked: no new key for this provider in KEY_ROTATION; stopped following")
	}
	return conn, newKey, p.Messages, fetchErr
}

// apply folds one channel message into p. stop says that messages after
// this one cannot be read with the key they were fetched with.
func (s *Service) apply(m mamch.Message, addr string, kp *keyPair, p *watttstore.Progress) (stop bool, err error) {
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
			p.Readings = append(p.Readings, watttstore.StoredReading{Seq: int64(cm.Data.Seq) + int64(j), Reading: r})
		}
		return false, nil
	case protocol.KeyRotation:
		if cm.KeyRotation == nil {
			return false, errors.New("KEY_ROTATION without body")
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
