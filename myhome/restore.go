package myhome

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/iotaledger/iota.go/trinary"

	"iotahome/internal/retry"
	"iotahome/protocol"
	"iotahome/store/myhomestore"
	"iotahome/tangle/mamch"
)

// restorer replays the streams of restored homes: every message on the
// private channel from its first root is read, applied to the cached
// devices and policies exactly as when it was published, and the channel
// state is set to continue after the last one. Progress is stored so the
// page can show it and a restart resumes.
func (s *Service) restorer(ctx context.Context) {
	failures := map[string]int{}
	for {
		accounts, err := s.st.RestoringAccounts(ctx)
		if err != nil && ctx.Err() == nil {
			s.log.Warn("list restoring homes", "err", err)
		}
		for _, a := range accounts {
			if err := s.replay(ctx, a); err != nil {
				if ctx.Err() != nil {
					return
				}
				failures[a.ID]++
				s.log.Warn("replay failed, will retry", "account", a.ID, "err", err)
				s.st.SetRestore(ctx, a.ID, "running", a.RestoreRead, "The Tangle node could not be read; retrying…")
				s.views.invalidate(a.ID)
				continue
			}
			delete(failures, a.ID)
		}
		wait := s.cfg.PollInterval
		for _, n := range failures {
			wait = max(wait, s.backoff(n))
		}
		if !retry.Sleep(ctx, wait, s.wakeRestore) {
			return
		}
	}
}

// replay reads the account's stream from where the cache ends to the end.
func (s *Service) replay(ctx context.Context, a myhomestore.Account) error {
	k, err := s.keysFor(ctx, a.ID)
	if err != nil {
		return err
	}
	var state mamch.State
	if err := s.openJSON(a.SealedChannel, a.ID, &state); err != nil {
		return fmt.Errorf("open channel state: %w", err)
	}
	root, seq, read := state.NextRoot(), a.NextSeq, a.RestoreRead
	for {
		fctx, cancel := context.WithTimeout(ctx, time.Minute)
		msgs, next, err := mamch.Fetch(fctx, s.tangle, root, mamch.Private, "", 20)
		cancel()
		for i, m := range msgs {
			nextRoot := next
			if i+1 < len(msgs) {
				nextRoot = msgs[i+1].Root
			}
			if err := s.replayOne(ctx, a.ID, k.seed, seq, m, nextRoot); err != nil {
				return err
			}
			seq++
			read++
		}
		if len(msgs) > 0 {
			err := s.st.SetRestore(ctx, a.ID, "running", read, "")
			s.views.invalidate(a.ID)
			if err != nil {
				return err
			}
		}
		if err != nil {
			return fmt.Errorf("fetch home channel: %w", err)
		}
		if len(msgs) == 0 {
			s.log.Info("home restored", "account", a.ID, "events", read)
			err := s.st.SetRestore(ctx, a.ID, "done", read, "")
			s.views.invalidate(a.ID)
			return err
		}
		root = next
	}
}

// replayOne stores one replayed message as event seq and moves the channel
// state past it.
func (s *Service) replayOne(ctx context.Context, accountID string, sd trinary.Trytes, seq int64, m mamch.Message, nextRoot trinary.Trytes) error {
	var ev protocol.Event
	if err := json.Unmarshal([]byte(m.Text), &ev); err != nil || ev.ID == "" {
		// Only this home's seed can sign its channel, so this is a bug of
		// an earlier version rather than an attack: keep it visible.
		s.log.Warn("unreadable event in home stream", "account", accountID, "seq", seq, "bundle", m.Bundle)
		ev = protocol.Event{Type: "UNREADABLE", ID: "bundle-" + string(m.Bundle)}
	}
	next, err := stateAt(sd, seq+1, nextRoot)
	if err != nil {
		return err
	}
	sealedNext, err := s.sealJSON(next, accountID)
	if err != nil {
		return err
	}
	err = s.st.AppendEvent(ctx, accountID, seq, ev, string(m.Root), nil, string(m.Bundle), sealedNext)
	s.views.invalidate(accountID)
	return err
}

// stateAt is the private-channel state that continues at message index with
// the given root. mamch.State only comes from NewState or JSON; decoding
// checks that root really is message index of the seed's channel.
func stateAt(sd trinary.Trytes, index int64, root trinary.Trytes) (mamch.State, error) {
	js, err := json.Marshal(map[string]any{"seed": sd, "mode": mamch.Private, "index": index, "root": root,
		"security": int(mamch.SecurityLevel)})
	if err != nil {
		return mamch.State{}, err
	}
	var st mamch.State
	if err := json.Unmarshal(js, &st); err != nil {
		return mamch.State{}, fmt.Errorf("channel state after replay: %w", err)
	}
	return st, nil
}
