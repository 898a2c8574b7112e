package myhome

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"iotahome/internal/retry"
	"iotahome/protocol"
	"iotahome/store/myhomestore"
	"iotahome/tangle/mamch"
)

// Event is an event of the home's stream as the audit trail shows it.
type Event = myhomestore.Event

// publish appends ev to the home's stream: prepare the MAM message from the
// stored channel state, persist it together with the next state (and apply
// it to the cached devices and policies), then let the publisher attach it.
// A node outage therefore never loses an event, and a state is never used
// twice.
func (s *Service) publish(ctx context.Context, accountID string, ev protocol.Event) error {
	unlock := s.lock(accountID)
	defer unlock()
	a, err := s.st.Account(ctx, accountID)
	if err != nil {
		return notFound(err)
	}
	var state mamch.State
	if err := s.openJSON(a.SealedChannel, a.ID, &state); err != nil {
		return fmt.Errorf("open channel state: %w", err)
	}
	ev.Version = protocol.Version
	ev.ID = randomID()
	ev.Time = s.now().UTC().Truncate(time.Millisecond)
	js, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("encode event: %w", err)
	}
	p, err := mamch.Prepare(state, string(js))
	if err != nil {
		return fmt.Errorf("prepare %s: %w", ev.Type, err)
	}
	sealedP, err := s.sealJSON(p, a.ID)
	if err != nil {
		return err
	}
	sealedNext, err := s.sealJSON(p.Next, a.ID)
	if err != nil {
		return err
	}
	err = s.st.AppendEvent(ctx, a.ID, a.NextSeq, ev, string(p.Root), sealedP, "", sealedNext)
	s.views.invalidate(a.ID)
	if err != nil {
		return fmt.Errorf("queue %s: %w", ev.Type, err)
	}
	s.log.Info("event queued", "account", a.ID, "seq", a.NextSeq, "type", ev.Type, "device", ev.Device)
	nudge(s.wakePublisher)
	return nil
}

// publisher attaches queued events, oldest first per home, retrying with
// exponential backoff while the node is unreachable.
func (s *Service) publisher(ctx context.Context) {
	for {
		due, err := s.st.PendingEvents(ctx, s.now(), 20)
		if err != nil && ctx.Err() == nil {
			s.log.Warn("list pending events", "err", err)
		}
		for _, e := range due {
			if ctx.Err() != nil {
				return
			}
			s.attach(ctx, e)
		}
		wait := s.cfg.PollInterval
		if len(due) > 0 {
			wait = 0 // more may be due right behind these
		}
		if !retry.Sleep(ctx, wait, s.wakePublisher) {
			return
		}
	}
}

func (s *Service) attach(ctx context.Context, e myhomestore.Event) {
	var p mamch.Prepared
	if err := s.openJSON(e.SealedPrepared, e.AccountID, &p); err != nil {
		s.log.Error("open queued event", "account", e.AccountID, "seq", e.Seq, "err", err)
		s.st.MarkAttemptFailed(ctx, e.AccountID, e.Seq, "cannot decrypt the queued event", s.now().Add(s.cfg.RetryMax))
		return
	}
	actx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	bundle, err := mamch.Attach(actx, s.tangle, p)
	if err != nil {
		if ctx.Err() != nil {
			return
		}
		next := s.now().Add(s.backoff(e.Attempts))
		s.log.Warn("attach event failed, will retry", "account", e.AccountID, "seq", e.Seq, "type", e.Event.Type,
			"attempt", e.Attempts+1, "retry_at", next, "err", err)
		if err := s.st.MarkAttemptFailed(ctx, e.AccountID, e.Seq, err.Error(), next); err != nil {
			s.log.Warn("record failed attach", "err", err)
		}
		s.views.invalidate(e.AccountID) // the pages now say the write is delayed
		return
	}
	err = s.st.MarkAttached(ctx, e.AccountID, e.Seq, string(bundle))
	s.views.invalidate(e.AccountID)
	if err != nil {
		s.log.Warn("record attached event", "err", err)
		return
	}
	s.log.Info("event attached", "account", e.AccountID, "seq", e.Seq, "type", e.Event.Type, "bundle", bundle)
}

// Events returns the audit trail, newest first.
func (s *Service) Events(ctx context.Context, accountID string, limit int) ([]Event, error) {
	return s.st.Events(ctx, accountID, limit)
}
