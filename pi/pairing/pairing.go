// Package pairing answers My Home's pairing requests over the Tangle. It
// polls the device address for direct messages and runs the device's half of
// CLAIM_DEVICE → CHALLENGE → ANSWER_CHALLENGE → CLAIM_RESULT:
//
//   - CLAIM_DEVICE (in clear: claim id, My Home's reply address and NTRU
//     key): the device answers CHALLENGE with its own NTRU key and, sealed to
//     My Home's key, a nonce and an HMAC keyed by the pairing code. Claims
//     are rate-limited and expire.
//   - ANSWER_CHALLENGE (sealed to the device key): My Home's HMAC over the
//     device's nonce proves it knows the code; it carries My Home's private
//     channel root. The device checks it, pairs, draws a fresh code and
//     answers CLAIM_RESULT.
//
// A claim is answered at most once: its record is deleted when the answer
// is handled, so a replayed ANSWER_CHALLENGE finds nothing. Malformed or
// hostile messages are logged and ignored.
package pairing

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"sync"
	"time"

	"github.com/iotaledger/iota.go/guards"
	"github.com/iotaledger/iota.go/trinary"

	"iotahome/protocol"
	"iotahome/store/readerstore"
	"iotahome/tangle/client"
	"iotahome/tangle/direct"
	"iotahome/tangle/ntru"
)

// Device is the reader's identity on the Tangle.
type Device struct {
	Address    trinary.Hash
	PublicKey  *ntru.PublicKey
	PrivateKey *ntru.PrivateKey
}

// Config configures a Handler.
type Config struct {
	Store        *readerstore.Store
	Client       *client.Client
	Device       Device
	PollInterval time.Duration
	// ClaimsPerMinute bounds how many claims get a CHALLENGE (each costs
	// proof of work and gives the claimant one sealed device proof).
	ClaimsPerMinute int
	// ClaimTTL is how long a claim waits for its answer.
	ClaimTTL time.Duration
	// Sent is called after messages were queued (wakes the sender).
	Sent func()
	// Paired is called after the reader paired (wakes the consent follower).
	Paired func()
	Log    *slog.Logger
}

// maxPendingClaims bounds the claims waiting for an answer at any time.
const maxPendingClaims = 32

// Handler answers pairing messages. Run it once.
type Handler struct {
	cfg Config

	mu     sync.Mutex
	recent []time.Time // times claims were answered, for the rate limit
}

// New returns a Handler.
func New(cfg Config) *Handler {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	cfg.Log = cfg.Log.With("component", "pairing")
	if cfg.ClaimsPerMinute <= 0 {
		cfg.ClaimsPerMinute = 6
	}
	if cfg.ClaimTTL <= 0 {
		cfg.ClaimTTL = 15 * time.Minute
	}
	return &Handler{cfg: cfg}
}

// maxPollWait caps the poll interval while the node keeps failing.
const maxPollWait = 30 * time.Second

// Run polls the device address until ctx is done.
func (h *Handler) Run(ctx context.Context) error {
	wait := h.cfg.PollInterval
	for {
		if err := h.Poll(ctx); err != nil && ctx.Err() == nil {
			wait = min(2*wait, max(maxPollWait, h.cfg.PollInterval))
			h.cfg.Log.Warn("poll device address", "err", err, "next in", wait)
		} else {
			wait = h.cfg.PollInterval
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}

// Poll handles the direct messages that arrived since the stored cursor.
func (h *Handler) Poll(ctx context.Context) error {
	p, err := h.cfg.Store.Pairing(ctx)
	if err != nil {
		return err
	}
	msgs, cursor, err := direct.List(ctx, h.cfg.Client, h.cfg.Device.Address, direct.Cursor(p.DirectCursor))
	if err != nil {
		return fmt.Errorf("pairing: list direct messages: %w", err)
	}
	for _, m := range msgs {
		if err := h.handle(ctx, m); err != nil {
			return err
		}
	}
	if string(cursor) != p.DirectCursor {
		return h.cfg.Store.SetDirectCursor(ctx, string(cursor))
	}
	return nil
}

// errIgnore marks a message that is dropped (logged, marked processed).
var errIgnore = errors.New("ignored")

func (h *Handler) handle(ctx context.Context, m direct.Message) error {
	log := h.cfg.Log.With("type", m.Envelope.Type, "bundle", m.Bundle)
	var queued, paired bool
	err := h.cfg.Store.Update(ctx, func(tx *readerstore.Tx) error {
		fresh, err := tx.MarkProcessed("direct:" + string(m.Bundle))
		if err != nil || !fresh {
			return err
		}
		switch m.Envelope.Type {
		case protocol.ClaimDevice:
			queued, err = h.claim(tx, m)
		case protocol.AnswerChallenge:
			queued, paired, err = h.answer(tx, m)
		default:
			err = fmt.Errorf("%w: not a message for a device", errIgnore)
		}
		return err
	})
	if errors.Is(err, errIgnore) {
		log.Warn("pairing message ignored", "reason", err)
		// Record it as processed so it is not looked at again.
		return h.cfg.Store.Update(ctx, func(tx *readerstore.Tx) error {
			_, err := tx.MarkProcessed("direct:" + string(m.Bundle))
			return err
		})
	}
	if err != nil {
		return err
	}
	if queued && h.cfg.Sent != nil {
		h.cfg.Sent()
	}
	if paired {
		log.Info("paired with My Home")
		if h.cfg.Paired != nil {
			h.cfg.Paired()
		}
	}
	return nil
}

// claimIDPattern keeps claim ids short and free of the proof's separator.
var claimIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{8,64}$`)

func (h *Handler) claim(tx *readerstore.Tx, m direct.Message) (bool, error) {
	var body protocol.ClaimDeviceBody
	if err := json.Unmarshal(m.Envelope.Body, &body); err != nil {
		return false, fmt.Errorf("%w: CLAIM_DEVICE body: %v", errIgnore, err)
	}
	if !claimIDPattern.MatchString(body.ClaimID) {
		return false, fmt.Errorf("%w: CLAIM_DEVICE claim id %q", errIgnore, body.ClaimID)
	}
	if !guards.IsTrytesOfExactLength(body.HomeAddress, 81) {
		return false, fmt.Errorf("%w: CLAIM_DEVICE home address is not 81 trytes", errIgnore)
	}
	homeKey, err := ntru.ParsePublicKey(body.HomePublicKey)
	if err != nil {
		return false, fmt.Errorf("%w: CLAIM_DEVICE home public key: %v", errIgnore, err)
	}
	p, err := tx.Pairing()
	if err != nil {
		return false, err
	}
	if p.Paired {
		// Say so (no secret in it), so the owner's page can explain.
		if !h.allowClaim() {
			return false, fmt.Errorf("%w: claim rate limit", errIgnore)
		}
		return true, queueResult(tx, body.HomeAddress, body.ClaimID, false, "already paired")
	}
	now := time.Now()
	if err := tx.DeleteClaims(now.Add(-h.cfg.ClaimTTL)); err != nil {
		return false, err
	}
	if _, err := tx.Claim(body.ClaimID); err == nil {
		return false, fmt.Errorf("%w: claim %s already answered", errIgnore, body.ClaimID)
	}
	if n, err := tx.CountClaims(); err != nil {
		return false, err
	} else if n >= maxPendingClaims {
		return false, fmt.Errorf("%w: %d claims pending", errIgnore, n)
	}
	if !h.allowClaim() {
		return false, fmt.Errorf("%w: claim rate limit", errIgnore)
	}
	nonce, err := randomHex(16)
	if err != nil {
		return false, err
	}
	devKey := string(h.cfg.Device.PublicKey.Trytes())
	secret := protocol.ChallengeSecret{
		ClaimID:     body.ClaimID,
		Nonce:       nonce,
		DeviceProof: protocol.DeviceProof(p.Code, body.ClaimID, nonce, body.HomeAddress, devKey),
	}
	plain, err := json.Marshal(secret)
	if err != nil {
		return false, fmt.Errorf("pairing: encode challenge secret: %w", err)
	}
	sealed, err := ntru.SealString(homeKey, plain)
	if err != nil {
		return false, fmt.Errorf("pairing: seal challenge: %w", err)
	}
	challenge, err := json.Marshal(protocol.ChallengeBody{
		ClaimID:         body.ClaimID,
		DeviceAddress:   string(h.cfg.Device.Address),
		DevicePublicKey: devKey,
		Sealed:          sealed,
	})
	if err != nil {
		return false, fmt.Errorf("pairing: encode challenge: %w", err)
	}
	if err := tx.AddClaim(readerstore.Claim{
		ID: body.ClaimID, HomeAddress: body.HomeAddress, HomePublicKey: body.HomePublicKey,
		Nonce: nonce, Code: p.Code, CreatedAt: now,
	}); err != nil {
		return false, err
	}
	return true, tx.QueueDirect(body.HomeAddress, string(protocol.Challenge), challenge)
}

func (h *Handler) answer(tx *readerstore.Tx, m direct.Message) (queued, paired bool, err error) {
	var body protocol.AnswerChallengeBody
	if err := json.Unmarshal(m.Envelope.Body, &body); err != nil {
		return false, false, fmt.Errorf("%w: ANSWER_CHALLENGE body: %v", errIgnore, err)
	}
	c, err := tx.Claim(body.ClaimID)
	if errors.Is(err, readerstore.ErrNoClaim) {
		return false, false, fmt.Errorf("%w: ANSWER_CHALLENGE for unknown, finished or expired claim %q", errIgnore, body.ClaimID)
	}
	if err != nil {
		return false, false, err
	}
	if time.Since(c.CreatedAt) > h.cfg.ClaimTTL {
		return false, false, fmt.Errorf("%w: claim %s expired", errIgnore, c.ID)
	}
	p, err := tx.Pairing()
	if err != nil {
		return false, false, err
	}
	if p.Paired || p.Code != c.Code {
		return false, false, fmt.Errorf("%w: claim %s is stale", errIgnore, c.ID)
	}
	plain, err := ntru.OpenString(h.cfg.Device.PrivateKey, body.Sealed)
	if err != nil {
		return false, false, fmt.Errorf("%w: ANSWER_CHALLENGE does not open: %v", errIgnore, err)
	}
	var secret protocol.AnswerSecret
	if err := json.Unmarshal(plain, &secret); err != nil {
		return false, false, fmt.Errorf("%w: answer secret: %v", errIgnore, err)
	}
	// From here on the claim is used up, whatever the outcome.
	if err := tx.DeleteClaim(c.ID); err != nil {
		return false, false, err
	}
	want := protocol.HomeProof(c.Code, c.ID, c.Nonce, string(h.cfg.Device.Address))
	if secret.ClaimID != c.ID || !protocol.ProofEqual(secret.HomeProof, want) {
		h.cfg.Log.Warn("pairing refused: wrong pairing code", "claim", c.ID)
		return true, false, queueResult(tx, c.HomeAddress, c.ID, false, "wrong pairing code")
	}
	if !guards.IsTrytesOfExactLength(secret.HomeRoot, 81) {
		return true, false, queueResult(tx, c.HomeAddress, c.ID, false, "malformed channel root")
	}
	code, err := NewCode()
	if err != nil {
		return false, false, err
	}
	if err := tx.SetPairing(readerstore.Pairing{
		Paired: true, Code: code, HomeAddress: c.HomeAddress, HomePublicKey: c.HomePublicKey,
		HomeNextRoot: secret.HomeRoot, ClaimID: c.ID, PairedAt: time.Now(),
	}); err != nil {
		return false, false, err
	}
	if err := tx.DeleteClaims(time.Now().Add(time.Hour)); err != nil {
		return false, false, err
	}
	return true, true, queueResult(tx, c.HomeAddress, c.ID, true, "")
}

func queueResult(tx *readerstore.Tx, to, claimID string, ok bool, reason string) error {
	b, err := json.Marshal(protocol.ClaimResultBody{ClaimID: claimID, OK: ok, Reason: reason})
	if err != nil {
		return fmt.Errorf("pairing: encode claim result: %w", err)
	}
	return tx.QueueDirect(to, string(protocol.ClaimResult), b)
}

// allowClaim applies the claims-per-minute limit.
func (h *Handler) allowClaim() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	cutoff := time.Now().Add(-time.Minute)
	kept := h.recent[:0]
	for _, t := range h.recent {
		if t.After(cutoff) {
			kept = append(kept, t)
		}
	}
	h.recent = kept
	if len(h.recent) >= h.cfg.ClaimsPerMinute {
		return false
	}
	h.recent = append(h.recent, time.Now())
	return true
}

func randomHex(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("pairing: random: %w", err)
	}
	return hex.EncodeToString(b), nil
}
