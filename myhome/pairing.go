package myhome

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/iotaledger/iota.go/trinary"

	"iotahome/internal/displaytext"
	"iotahome/internal/retry"
	"iotahome/protocol"
	"iotahome/store/myhomestore"
	"iotahome/tangle/direct"
	"iotahome/tangle/ntru"
)

// Pairing is a pairing attempt as the devices page shows it.
type Pairing = myhomestore.Pairing

// Device is a paired reader.
type Device = myhomestore.Device

// StartPairing validates the owner's input and queues a pairing; the
// driver sends CLAIM_DEVICE and carries it through. It returns the id to
// follow progress with.
func (s *Service) StartPairing(ctx context.Context, accountID string, in PairInput) (string, error) {
	t, err := in.parse()
	if err != nil {
		return "", err
	}
	if err := s.ensureWritable(ctx, accountID); err != nil {
		return "", err
	}
	if d, err := s.st.Device(ctx, accountID, t.address); err == nil && d.Active() {
		return "", userErr("This device is already paired with your home. Unpair it first to pair it again.")
	}
	sealedCode, err := s.key.Seal([]byte(t.code), accountID)
	if err != nil {
		return "", err
	}
	now := s.now()
	p := myhomestore.Pairing{
		ID: randomID(), AccountID: accountID, DeviceAddress: t.address, DeviceName: t.name, SealedCode: sealedCode,
		Step: myhomestore.StepQueued, CreatedAt: now, UpdatedAt: now, NextAttemptAt: now, Deadline: now.Add(s.cfg.PairingTimeout),
	}
	if err := s.st.CreatePairing(ctx, p); err != nil {
		return "", err
	}
	s.log.Info("pairing queued", "account", accountID, "pairing", p.ID, "device", t.address)
	nudge(s.wakePairing)
	return p.ID, nil
}

// Pairing returns one of the account's pairings.
func (s *Service) Pairing(ctx context.Context, accountID, id string) (Pairing, error) {
	p, err := s.st.Pairing(ctx, accountID, id)
	return p, notFound(err)
}

// Pairings returns the account's recent pairings.
func (s *Service) Pairings(ctx context.Context, accountID string) ([]Pairing, error) {
	return s.st.Pairings(ctx, accountID, 10)
}

// Devices returns the account's devices (paired ones first).
func (s *Service) Devices(ctx context.Context, accountID string) ([]Device, error) {
	v, err := s.view(ctx, accountID)
	if err != nil {
		return nil, err
	}
	return v.devices, nil
}

// Unpair publishes DEVICE_DELETED: the reader forgets every provider,
// rotates its key and stops following the home.
func (s *Service) Unpair(ctx context.Context, accountID, address string) error {
	if err := s.ensureWritable(ctx, accountID); err != nil {
		return err
	}
	d, err := s.st.Device(ctx, accountID, address)
	if err != nil {
		return notFound(err)
	}
	if !d.Active() {
		return userErr("This device is not paired any more.")
	}
	return s.publish(ctx, accountID, protocol.Event{Type: protocol.DeviceDeleted, Device: address, Deleted: &protocol.DeviceDeletedBody{}})
}

// pairingDriver moves every unfinished pairing forward: it sends queued
// claims and answers (retrying with backoff), reads the replies that
// arrive at each home's reply address, and fails pairings that time out.
func (s *Service) pairingDriver(ctx context.Context) {
	for {
		active, err := s.st.ActivePairings(ctx)
		if err != nil && ctx.Err() == nil {
			s.log.Warn("list pairings", "err", err)
		}
		byAccount := map[string][]myhomestore.Pairing{}
		var order []string
		for _, p := range active {
			if _, ok := byAccount[p.AccountID]; !ok {
				order = append(order, p.AccountID)
			}
			byAccount[p.AccountID] = append(byAccount[p.AccountID], p)
		}
		for _, acct := range order {
			if ctx.Err() != nil {
				return
			}
			if err := s.drive(ctx, acct, byAccount[acct]); err != nil && ctx.Err() == nil {
				s.log.Warn("pairing driver", "account", acct, "err", err)
			}
		}
		if !retry.Sleep(ctx, s.cfg.PollInterval, s.wakePairing) {
			return
		}
	}
}

// drive advances one home's pairings.
func (s *Service) drive(ctx context.Context, accountID string, ps []myhomestore.Pairing) error {
	k, err := s.keysFor(ctx, accountID)
	if err != nil {
		return err
	}
	a, err := s.st.Account(ctx, accountID)
	if err != nil {
		return err
	}
	waiting := false
	for i := range ps {
		p := &ps[i]
		switch p.Step {
		case myhomestore.StepQueued:
			s.sendClaim(ctx, a, k, p)
		case myhomestore.StepAnswerQueued:
			s.sendAnswer(ctx, a, k, p)
		}
		if p.Step == myhomestore.StepClaimSent || p.Step == myhomestore.StepAnswerSent {
			waiting = true
		}
	}
	if waiting {
		lctx, cancel := context.WithTimeout(ctx, time.Minute)
		msgs, cursor, err := direct.List(lctx, s.tangle, trinary.Hash(a.HomeAddress), direct.Cursor(a.ReplyCursor))
		cancel()
		if err != nil {
			s.log.Warn("read reply address", "account", accountID, "err", err)
		} else {
			for _, m := range msgs {
				s.handleReply(ctx, a, k, ps, m)
			}
			if string(cursor) != a.ReplyCursor {
				if err := s.st.SetReplyCursor(ctx, accountID, string(cursor)); err != nil {
					return err
				}
			}
		}
	}
	for i := range ps {
		s.checkDeadline(ctx, &ps[i])
	}
	return nil
}

// update persists p (which was at step from) and logs the transition.
func (s *Service) update(ctx context.Context, p *myhomestore.Pairing, from string) bool {
	p.UpdatedAt = s.now()
	if err := s.st.UpdatePairing(ctx, *p, from); err != nil {
		s.log.Warn("update pairing", "pairing", p.ID, "err", err)
		return false
	}
	if p.Step != from {
		s.log.Info("pairing step", "pairing", p.ID, "device", p.DeviceAddress, "from", from, "to", p.Step, "reason", p.Reason)
	}
	return true
}

func (s *Service) fail(ctx context.Context, p *myhomestore.Pairing, reason string) {
	from := p.Step
	p.Step, p.Reason = myhomestore.StepFailed, reason
	s.update(ctx, p, from)
}

// retryLater records a failed send and schedules the next attempt.
func (s *Service) retryLater(ctx context.Context, p *myhomestore.Pairing, what string, err error) {
	p.Attempts++
	p.LastError = fmt.Sprintf("could not send the %s (the Tangle node may be unreachable); retrying", what)
	p.NextAttemptAt = s.now().Add(s.backoff(p.Attempts))
	s.log.Warn("pairing send failed", "pairing", p.ID, "what", what, "attempt", p.Attempts, "err", err)
	s.update(ctx, p, p.Step)
}

func (s *Service) sendClaim(ctx context.Context, a myhomestore.Account, k *homeKeys, p *myhomestore.Pairing) {
	if s.now().Before(p.NextAttemptAt) {
		return
	}
	body := protocol.ClaimDeviceBody{ClaimID: p.ID, HomeAddress: a.HomeAddress, HomePublicKey: string(k.pub.Trytes())}
	sctx, cancel := context.WithTimeout(ctx, time.Minute)
	bundle, err := direct.Send(sctx, s.tangle, trinary.Hash(p.DeviceAddress), protocol.ClaimDevice, body)
	cancel()
	if err != nil {
		s.retryLater(ctx, p, "claim", err)
		return
	}
	p.Step, p.ClaimBundle, p.LastError, p.Attempts = myhomestore.StepClaimSent, string(bundle), "", 0
	p.Deadline = s.now().Add(s.cfg.PairingTimeout)
	s.update(ctx, p, myhomestore.StepQueued)
}

func (s *Service) sendAnswer(ctx context.Context, a myhomestore.Account, k *homeKeys, p *myhomestore.Pairing) {
	if s.now().Before(p.NextAttemptAt) {
		return
	}
	code, err := s.key.Open(p.SealedCode, a.ID)
	if err != nil {
		s.fail(ctx, p, "internal error: the stored pairing code cannot be read")
		return
	}
	devKey, err := ntru.ParsePublicKey(p.DevicePublicKey)
	if err != nil {
		s.fail(ctx, p, "internal error: the device key cannot be read")
		return
	}
	secret, err := json.Marshal(protocol.AnswerSecret{
		ClaimID:   p.ID,
		HomeProof: protocol.HomeProof(string(code), p.ID, p.Nonce, p.DeviceAddress),
		HomeRoot:  a.FirstRoot,
	})
	if err != nil {
		s.fail(ctx, p, "internal error: "+err.Error())
		return
	}
	sealed, err := ntru.SealString(devKey, secret)
	if err != nil {
		s.fail(ctx, p, "internal error: "+err.Error())
		return
	}
	sctx, cancel := context.WithTimeout(ctx, time.Minute)
	bundle, err := direct.Send(sctx, s.tangle, trinary.Hash(p.DeviceAddress), protocol.AnswerChallenge,
		protocol.AnswerChallengeBody{ClaimID: p.ID, Sealed: sealed})
	cancel()
	if err != nil {
		s.retryLater(ctx, p, "answer", err)
		return
	}
	p.Step, p.AnswerBundle, p.LastError, p.Attempts = myhomestore.StepAnswerSent, string(bundle), "", 0
	p.Deadline = s.now().Add(s.cfg.PairingTimeout)
	s.update(ctx, p, myhomestore.StepAnswerQueued)
}

// handleReply processes one message at the home's reply address. Anyone
// can post there, so nothing is trusted that a proof does not cover.
func (s *Service) handleReply(ctx context.Context, a myhomestore.Account, k *homeKeys, ps []myhomestore.Pairing, m direct.Message) {
	find := func(claimID string) *myhomestore.Pairing {
		for i := range ps {
			if ps[i].ID == claimID {
				return &ps[i]
			}
		}
		return nil
	}
	switch m.Envelope.Type {
	case protocol.Challenge:
		var body protocol.ChallengeBody
		if err := json.Unmarshal(m.Envelope.Body, &body); err != nil {
			s.log.Warn("ignoring malformed CHALLENGE", "bundle", m.Bundle, "err", err)
			return
		}
		p := find(body.ClaimID)
		if p == nil || p.Step != myhomestore.StepClaimSent {
			s.log.Info("ignoring CHALLENGE for no waiting claim", "bundle", m.Bundle, "claim", body.ClaimID)
			return
		}
		s.handleChallenge(ctx, a, k, p, body, m.Bundle)
		if p.Step == myhomestore.StepAnswerQueued {
			s.sendAnswer(ctx, a, k, p)
		}
	case protocol.ClaimResult:
		var body protocol.ClaimResultBody
		if err := json.Unmarshal(m.Envelope.Body, &body); err != nil {
			s.log.Warn("ignoring malformed CLAIM_RESULT", "bundle", m.Bundle, "err", err)
			return
		}
		p := find(body.ClaimID)
		switch {
		case p != nil && p.Step == myhomestore.StepAnswerSent:
			s.handleResult(ctx, p, body)
		case p != nil && p.Step == myhomestore.StepClaimSent && !body.OK:
			// The device refuses before any challenge (e.g. "already
			// paired"). Results are not authenticated, so like a bad
			// challenge this only ends the pairing if no valid challenge
			// follows within WrongCodeGrace.
			s.log.Info("device refused the claim", "pairing", p.ID, "reason", body.Reason)
			p.Reason = "The device refused the pairing: " + clean(body.Reason)
			if p.FirstBadAt == nil {
				t := s.now()
				p.FirstBadAt = &t
			}
			s.update(ctx, p, p.Step)
		default:
			s.log.Info("ignoring CLAIM_RESULT for no waiting claim", "bundle", m.Bundle, "claim", body.ClaimID)
		}
	default:
		s.log.Info("ignoring message at reply address", "type", m.Envelope.Type, "bundle", m.Bundle)
	}
}

// handleChallenge verifies a CHALLENGE. A valid one (the device proved it
// knows the code the owner typed, bound to this claim, this home and the
// device key) queues the answer. An invalid one is counted but does not
// end the pairing at once: anyone who saw the CLAIM_DEVICE can post a
// forged challenge, and the real device's must still be able to win. If
// no valid challenge follows within WrongCodeGrace, the pairing fails with
// "wrong code" (checkDeadline).
func (s *Service) handleChallenge(ctx context.Context, a myhomestore.Account, k *homeKeys, p *myhomestore.Pairing, body protocol.ChallengeBody, bundle trinary.Hash) {
	reject := func(why string) {
		s.log.Warn("rejected CHALLENGE (wrong code or forged)", "pairing", p.ID, "bundle", bundle, "why", why)
		p.BadChallenges++
		if p.FirstBadAt == nil {
			t := s.now()
			p.FirstBadAt = &t
		}
		s.update(ctx, p, p.Step)
	}
	if body.DeviceAddress != p.DeviceAddress {
		reject("challenge names another device")
		return
	}
	devKey, err := ntru.ParsePublicKey(body.DevicePublicKey)
	if err != nil {
		reject("malformed device key")
		return
	}
	plain, err := ntru.OpenString(k.priv, body.Sealed)
	if err != nil {
		reject("sealed part does not open with the home key")
		return
	}
	var secret protocol.ChallengeSecret
	if err := json.Unmarshal(plain, &secret); err != nil || secret.ClaimID != p.ID || secret.Nonce == "" {
		reject("sealed part is malformed or for another claim")
		return
	}
	code, err := s.key.Open(p.SealedCode, a.ID)
	if err != nil {
		s.fail(ctx, p, "internal error: the stored pairing code cannot be read")
		return
	}
	want := protocol.DeviceProof(string(code), p.ID, secret.Nonce, a.HomeAddress, string(devKey.Trytes()))
	if !protocol.ProofEqual(want, strings.ToLower(secret.DeviceProof)) {
		reject("proof does not match the pairing code")
		return
	}
	p.Step, p.DevicePublicKey, p.Nonce = myhomestore.StepAnswerQueued, string(devKey.Trytes()), secret.Nonce
	p.NextAttemptAt = s.now()
	s.update(ctx, p, myhomestore.StepClaimSent)
}

// handleResult ends a pairing. On success DEVICE_ADDED goes on the home's
// stream first, so a crash between the two steps re-publishes (harmless:
// DEVICE_ADDED is idempotent) rather than losing the device.
func (s *Service) handleResult(ctx context.Context, p *myhomestore.Pairing, body protocol.ClaimResultBody) {
	if !body.OK {
		s.fail(ctx, p, "The device refused the pairing: "+clean(body.Reason))
		return
	}
	ev := protocol.Event{Type: protocol.DeviceAdded, Device: p.DeviceAddress,
		DeviceAdded: &protocol.DeviceAddedBody{Name: p.DeviceName, PublicKey: p.DevicePublicKey, ClaimID: p.ID}}
	if err := s.publish(ctx, p.AccountID, ev); err != nil {
		s.log.Warn("publish DEVICE_ADDED", "pairing", p.ID, "err", err)
		return // stays answer_sent; checkDeadline ends it if the store keeps failing
	}
	from := p.Step
	p.Step = myhomestore.StepPaired
	s.update(ctx, p, from)
}

// checkDeadline fails pairings that waited too long, with the most useful
// reason it can give.
func (s *Service) checkDeadline(ctx context.Context, p *myhomestore.Pairing) {
	now := s.now()
	if p.Step == myhomestore.StepClaimSent && p.FirstBadAt != nil && now.Sub(*p.FirstBadAt) >= s.cfg.WrongCodeGrace {
		reason := ReasonWrongCode
		if p.BadChallenges == 0 && p.Reason != "" {
			reason = p.Reason // the device's own refusal
		}
		s.fail(ctx, p, reason)
		return
	}
	if now.Before(p.Deadline) {
		return
	}
	switch p.Step {
	case myhomestore.StepQueued, myhomestore.StepAnswerQueued:
		s.fail(ctx, p, ReasonUnreachable)
	case myhomestore.StepClaimSent:
		s.fail(ctx, p, ReasonNoAnswer)
	case myhomestore.StepAnswerSent:
		s.fail(ctx, p, ReasonNoConfirmation)
	}
}

// Reasons a pairing fails, as shown to the owner.
const (
	ReasonWrongCode      = "Wrong pairing code: the device answered, but could not prove it knows the code you entered. Check the code on the reader and try again."
	ReasonNoAnswer       = "No answer from the device. Check the device address, that the reader is running and online, and that it is not paired with another home."
	ReasonNoConfirmation = "The device did not confirm the pairing in time. Try again."
	ReasonUnreachable    = "The Tangle node could not be reached in time, so the device was never contacted. Try again later."
)

// clean makes a reason sent by a device safe and short enough to show.
func clean(reason string) string {
	reason = strings.TrimSpace(displaytext.Strip(reason))
	if r := []rune(reason); len(r) > 200 {
		reason = string(r[:200])
	}
	if reason == "" {
		return "no reason given"
	}
	return reason
}
