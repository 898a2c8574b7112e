// Package pairing answers My Home's pairing requests over the Tangle. It
// polls the device address for direct messages and runs the device's half of
// CLAIM_DEVICE → CHALLENGE → ANSWER_CHALLENGE → CLAIM_RESULT:
//
//   - CLAIM_DEVICE (in clear: claim id, My Home's reply address and NTRU
//     key, and a MAC keyed by the pairing code): a claim whose MAC does not
//     check is dropped before anything else, so only a party that knows the
//     code can make the device do work. The device answers CHALLENGE with
//     its own NTRU key and, sealed to My Home's key, a nonce and an HMAC
//     keyed by the code. Claims are rate-limited (per minute, pending, per
//     home address) and expire; a claim over a limit is not dropped but
//     handled later.
//   - ANSWER_CHALLENGE (sealed to the device key): My Home's HMAC over the
//     device's nonce proves it knows the code; it carries My Home's private
//     channel root. The device checks it, pairs (tentatively, see
//     RevertUnconfirmed), draws a fresh code and answers CLAIM_RESULT, sealed
//     to My Home's key with an HMAC keyed by the code. An answer whose proof
//     does not check is a forgery (anyone can seal to the device key) and is
//     ignored without using the claim up.
//
// A claim is answered at most once: its record is deleted when a valid
// answer is handled, so a replayed ANSWER_CHALLENGE finds nothing.
// Malformed or hostile messages are logged and ignored. Once paired, the
// device address is read only every PairedPollInterval: no message there can
// concern a paired device.
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
	"strings"
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
	// ClaimsPerHome bounds the claims pending from one home address.
	ClaimsPerHome int
	// ClaimTTL is how long a claim waits for its answer.
	ClaimTTL time.Duration
	// PairedPollInterval is how often the device address is read while
	// paired (default 5 minutes).
	PairedPollInterval time.Duration
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
	cfg    Config
	inbox  *direct.Reader
	now    func() time.Time
	polled time.Time // last read of the device address

	mu       sync.Mutex
	recent   []time.Time // times claims were answered, for the rate limit
	keyCode  string      // the code claimKey was derived from
	claimKey []byte
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
	if cfg.ClaimsPerHome <= 0 {
		cfg.ClaimsPerHome = 2
	}
	if cfg.ClaimTTL <= 0 {
		cfg.ClaimTTL = 15 * time.Minute
	}
	if cfg.PairedPollInterval <= 0 {
		cfg.PairedPollInterval = 5 * time.Minute
	}
	h := &Handler{cfg: cfg, now: time.Now}
	if cfg.Client != nil {
		h.inbox = direct.NewReader(cfg.Client, direct.Limits{})
	}
	return h
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

// Poll handles the direct messages that arrived since the stored cursor
// (while paired, at most every PairedPollInterval).
func (h *Handler) Poll(ctx context.Context) error {
	p, err := h.cfg.Store.Pairing(ctx)
	if err != nil {
		return err
	}
	now := h.now()
	if p.Paired && now.Sub(h.polled) < h.cfg.PairedPollInterval {
		return nil
	}
	h.polled = now
	cursor, err := h.inbox.Read(ctx, h.cfg.Device.Address, direct.Cursor(p.DirectCursor), func(m direct.Message) error {
		return h.handle(ctx, m)
	})
	if string(cursor) != p.DirectCursor {
		if serr := h.cfg.Store.SetDirectCursor(ctx, string(cursor)); serr != nil && err == nil {
			err = serr
		}
	}
	if err != nil {
		return fmt.Errorf("pairing: read device address: %w", err)
	}
	return nil
}

var (
	// errIgnore marks a message that is dropped (logged, marked processed).
	errIgnore = errors.New("ignored")
	// errDiscard marks a claim without the code's MAC: dropped without a
	// write or a warning, since anyone can send any number of them.
	errDiscard = errors.New("discarded")
	// errLater marks a claim over a limit: handled on a later poll.
	errLater = errors.New("over a claim limit")
)

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
	switch {
	case errors.Is(err, errDiscard):
		log.Debug("claim dropped", "reason", err)
		return nil
	case errors.Is(err, errLater):
		log.Info("claim deferred", "reason", err)
		return fmt.Errorf("%w: %w", direct.ErrLater, err)
	case errors.Is(err, errIgnore):
		log.Warn("pairing message ignored", "reason", err)
		// Record it as processed so it is not looked at again.
		return h.cfg.Store.Update(ctx, func(tx *readerstore.Tx) error {
			_, err := tx.MarkProcessed("direct:" + string(m.Bundle))
			return err
		})
	case err != nil:
		return err
	}
	if queued && h.cfg.Sent != nil {
		h.cfg.Sent()
	}
	if paired {
		log.Info("paired with My Home; waiting for its DEVICE_ADDED")
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
		return false, fmt.Errorf("%w: CLAIM_DEVICE body: %v", errDiscard, err)
	}
	p, err := tx.Pairing()
	if err != nil {
		return false, err
	}
	if p.Paired {
		// The current code has never been shown: no claim can carry its MAC.
		return false, fmt.Errorf("%w: already paired", errDiscard)
	}
	mac := protocol.ClaimMAC(h.claimKeyFor(p.Code), body.ClaimID, body.HomeAddress, body.HomePublicKey)
	if !protocol.ProofEqual(strings.ToLower(body.MAC), mac) {
		return false, fmt.Errorf("%w: no MAC of the pairing code", errDiscard)
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
	now := h.now()
	if err := tx.DeleteClaims(now.Add(-h.cfg.ClaimTTL)); err != nil {
		return false, err
	}
	if _, err := tx.Claim(body.ClaimID); err == nil {
		return false, fmt.Errorf("%w: claim %s already answered", errIgnore, body.ClaimID)
	}
	if n, err := tx.CountClaims(""); err != nil {
		return false, err
	} else if n >= maxPendingClaims {
		return false, fmt.Errorf("%w: %d claims pending", errLater, n)
	}
	if n, err := tx.CountClaims(body.HomeAddress); err != nil {
		return false, err
	} else if n >= h.cfg.ClaimsPerHome {
		return false, fmt.Errorf("%w: %d claims pending from %s", errLater, n, body.HomeAddress)
	}
	if !h.allowClaim(now) {
		return false, fmt.Errorf("%w: %d claims a minute", errLater, h.cfg.ClaimsPerMinute)
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

// claimKeyFor returns protocol.ClaimKey for the current code, derived once
// per code (it costs an Argon2id).
func (h *Handler) claimKeyFor(code string) []byte {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.keyCode != code || h.claimKey == nil {
		h.keyCode, h.claimKey = code, protocol.ClaimKey(code, string(h.cfg.Device.Address))
	}
	return h.claimKey
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
	if h.now().Sub(c.CreatedAt) > h.cfg.ClaimTTL {
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
	// Only the claiming home has the nonce (sealed to its key) and the code
	// (its claim's MAC proved that): an answer without the right proof is
	// forged by someone who saw the public claim id and device key. It must
	// not use the claim up, or a forger could end the real pairing first.
	want := protocol.HomeProof(c.Code, c.ID, c.Nonce, string(h.cfg.Device.Address))
	if secret.ClaimID != c.ID || !protocol.ProofEqual(secret.HomeProof, want) {
		return false, false, fmt.Errorf("%w: ANSWER_CHALLENGE for claim %s without the home's proof (forged)", errIgnore, c.ID)
	}
	if err := tx.DeleteClaim(c.ID); err != nil {
		return false, false, err
	}
	if !guards.IsTrytesOfExactLength(secret.HomeRoot, 81) {
		return true, false, queueResult(tx, c, false, "malformed channel root")
	}
	code, err := NewCode()
	if err != nil {
		return false, false, err
	}
	if err := tx.SetPairing(readerstore.Pairing{
		Paired: true, Code: code, HomeAddress: c.HomeAddress, HomePublicKey: c.HomePublicKey,
		HomeNextRoot: secret.HomeRoot, ClaimID: c.ID, PairedAt: h.now(),
	}); err != nil {
		return false, false, err
	}
	if err := tx.DeleteClaims(h.now().Add(time.Hour)); err != nil {
		return false, false, err
	}
	return true, true, queueResult(tx, c, true, "")
}

// queueResult queues the CLAIM_RESULT of claim c, sealed to the home's key
// with a proof keyed by the claim's code over its nonce.
func queueResult(tx *readerstore.Tx, c readerstore.Claim, ok bool, reason string) error {
	homeKey, err := ntru.ParsePublicKey(c.HomePublicKey)
	if err != nil {
		return fmt.Errorf("pairing: home key of claim %s: %w", c.ID, err)
	}
	plain, err := json.Marshal(protocol.ResultSecret{
		ClaimID: c.ID, OK: ok, Reason: reason, Proof: protocol.ResultProof(c.Code, c.ID, c.Nonce, ok, reason),
	})
	if err != nil {
		return fmt.Errorf("pairing: encode claim result: %w", err)
	}
	sealed, err := ntru.SealString(homeKey, plain)
	if err != nil {
		return fmt.Errorf("pairing: seal claim result: %w", err)
	}
	b, err := json.Marshal(protocol.ClaimResultBody{ClaimID: c.ID, Sealed: sealed})
	if err != nil {
		return fmt.Errorf("pairing: encode claim result: %w", err)
	}
	return tx.QueueDirect(c.HomeAddress, string(protocol.ClaimResult), b)
}

// allowClaim applies the claims-per-minute limit.
func (h *Handler) allowClaim(now time.Time) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	cutoff := now.Add(-time.Minute)
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
	h.recent = append(h.recent, now)
	return true
}

func randomHex(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("pairing: random: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// DefaultConfirmWait is how long a pairing stays tentative: if My Home's
// DEVICE_ADDED for it has not appeared on the home channel by then, the
// device goes back to unpaired with a new code.
const DefaultConfirmWait = 10 * time.Minute

// RevertUnconfirmed ends a pairing that is older than wait and whose
// DEVICE_ADDED was never seen (p.Armed): My Home did not take it (its
// pairing failed, or a forged result misled it), so the device must not
// stay paired to a home that does not know it. The consent follower calls it
// after reading My Home's channel to its end, so a device that could not
// reach the node does not give up on a pairing My Home did confirm. It
// reports whether it reverted.
func RevertUnconfirmed(tx *readerstore.Tx, now time.Time, wait time.Duration) (bool, error) {
	p, err := tx.Pairing()
	if err != nil {
		return false, err
	}
	if !p.Paired || p.Armed || now.Sub(p.PairedAt) < wait {
		return false, nil
	}
	code, err := NewCode()
	if err != nil {
		return false, err
	}
	return true, tx.SetPairing(readerstore.Pairing{Code: code})
}
