// Package consent follows My Home's private MAM channel once the reader is
// paired and carries out the owner's decisions for this device:
//
//   - AUTHORIZED: remember the provider and send it MAM_DATA, the reader
//     channel's next root and current side key (and the provider's consent
//     nonce) sealed to the provider's NTRU key.
//   - AUTHORIZATION_REVOKED, and a policy's expiry: draw a new side key and
//     publish KEY_ROTATION under the old key, with the new key sealed to each
//     provider still authorized; later messages use the new key.
//   - DEVICE_DELETED: end every policy, rotate the key, stop following and
//     go back to unpaired with a fresh pairing code.
//
// Events for other devices are skipped, and so are events for this device
// until the DEVICE_ADDED of its current pairing: replaying My Home's channel
// from its first root must not redo an earlier pairing's grants. Each event
// is handled in one transaction that advances the cursor, records the event
// id and queues the effect, so a restart catches up without acting twice.
package consent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/iotaledger/iota.go/guards"
	"github.com/iotaledger/iota.go/trinary"

	"iotahome/pi/pairing"
	"iotahome/pi/publisher"
	"iotahome/protocol"
	"iotahome/store/readerstore"
	"iotahome/tangle/client"
	"iotahome/tangle/mamch"
	"iotahome/tangle/ntru"
)

// Config configures a Follower.
type Config struct {
	Store         *readerstore.Store
	Client        *client.Client
	DeviceAddress trinary.Hash
	PollInterval  time.Duration
	// Queued is called after a transaction queued a channel message or a
	// direct message (wakes the publisher and the sender).
	Queued func()
	Log    *slog.Logger
}

// Follower follows My Home's event stream. Run it once.
type Follower struct {
	cfg  Config
	wake chan struct{}
}

// New returns a Follower.
func New(cfg Config) *Follower {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	cfg.Log = cfg.Log.With("component", "consent")
	return &Follower{cfg: cfg, wake: make(chan struct{}, 1)}
}

// Wake makes the follower look for events now (e.g. right after pairing).
func (f *Follower) Wake() {
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

// maxPollWait caps the poll interval while the node keeps failing.
const maxPollWait = 30 * time.Second

// Run follows events and expires policies until ctx is done.
func (f *Follower) Run(ctx context.Context) error {
	wait := f.cfg.PollInterval
	for {
		if err := f.ExpirePolicies(ctx, time.Now()); err != nil && ctx.Err() == nil {
			f.cfg.Log.Error("expire policies", "err", err)
		}
		if err := f.CatchUp(ctx); err != nil && ctx.Err() == nil {
			wait = min(2*wait, max(maxPollWait, f.cfg.PollInterval))
			f.cfg.Log.Warn("follow My Home", "err", err, "next in", wait)
		} else {
			wait = f.cfg.PollInterval
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-f.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// CatchUp handles every event published since the stored cursor.
func (f *Follower) CatchUp(ctx context.Context) error {
	for {
		p, err := f.cfg.Store.Pairing(ctx)
		if err != nil {
			return err
		}
		if !p.Paired || p.HomeNextRoot == "" {
			return nil
		}
		msg, next, err := mamch.FetchOne(ctx, f.cfg.Client, trinary.Trytes(p.HomeNextRoot), mamch.Private, "")
		if err != nil {
			return fmt.Errorf("consent: fetch event at %s: %w", p.HomeNextRoot, err)
		}
		if msg == nil {
			return nil
		}
		if err := f.apply(ctx, p.HomeNextRoot, string(next), msg.Text); err != nil {
			return err
		}
	}
}

// errSkip marks an event that is consumed without effect.
var errSkip = errors.New("skipped")

// apply handles the event text found at root, whose successor is next.
func (f *Follower) apply(ctx context.Context, root, next, text string) error {
	var ev protocol.Event
	decodeErr := json.Unmarshal([]byte(text), &ev)
	queued := false
	err := f.cfg.Store.Update(ctx, func(tx *readerstore.Tx) error {
		p, err := tx.Pairing()
		if err != nil {
			return err
		}
		if !p.Paired || p.HomeNextRoot != root {
			return nil // someone else moved on; nothing to do
		}
		if err := tx.SetHomeNextRoot(next); err != nil {
			return err
		}
		p.HomeNextRoot = next
		if decodeErr != nil {
			f.cfg.Log.Warn("malformed event ignored", "root", root, "err", decodeErr)
			return nil
		}
		if ev.ID == "" || ev.Device != string(f.cfg.DeviceAddress) {
			return nil
		}
		fresh, err := tx.MarkProcessed("event:" + ev.ID)
		if err != nil || !fresh {
			return err
		}
		if !p.Armed {
			return f.arm(tx, p, ev)
		}
		err = f.handle(tx, p, ev)
		if errors.Is(err, errSkip) {
			f.cfg.Log.Warn("event ignored", "type", ev.Type, "id", ev.ID, "reason", err)
			return nil
		}
		queued = err == nil
		return err
	})
	if err != nil {
		return err
	}
	if queued && f.cfg.Queued != nil {
		f.cfg.Queued()
	}
	return nil
}

// armSkew is how much earlier than the reader's pairing time a DEVICE_ADDED
// without claim id may be stamped (clock differences) and still count.
const armSkew = 10 * time.Minute

// arm waits for the DEVICE_ADDED of the current pairing; events for this
// device before it belong to an earlier pairing.
func (f *Follower) arm(tx *readerstore.Tx, p readerstore.Pairing, ev protocol.Event) error {
	if ev.Type != protocol.DeviceAdded || ev.DeviceAdded == nil {
		f.cfg.Log.Info("event of an earlier pairing skipped", "type", ev.Type, "id", ev.ID)
		return nil
	}
	if id := ev.DeviceAdded.ClaimID; id != p.ClaimID && (id != "" || ev.Time.Before(p.PairedAt.Add(-armSkew))) {
		f.cfg.Log.Info("DEVICE_ADDED of an earlier pairing skipped", "id", ev.ID)
		return nil
	}
	p.Armed = true
	f.cfg.Log.Info("following My Home's events for this device")
	return tx.SetPairing(p)
}

func (f *Follower) handle(tx *readerstore.Tx, p readerstore.Pairing, ev protocol.Event) error {
	switch ev.Type {
	case protocol.Authorized:
		if ev.Authorized == nil {
			return fmt.Errorf("%w: AUTHORIZED without body", errSkip)
		}
		return f.authorize(tx, ev)
	case protocol.AuthorizationRevoked:
		if ev.Revoked == nil {
			return fmt.Errorf("%w: AUTHORIZATION_REVOKED without body", errSkip)
		}
		pol, err := tx.Policy(ev.Revoked.PolicyID)
		if errors.Is(err, readerstore.ErrNoPolicy) {
			return fmt.Errorf("%w: unknown policy %q", errSkip, ev.Revoked.PolicyID)
		}
		if err != nil {
			return err
		}
		if pol.State != readerstore.PolicyActive {
			return fmt.Errorf("%w: policy %s is %s", errSkip, pol.ID, pol.State)
		}
		if err := tx.EndPolicy(pol.ID, readerstore.PolicyRevoked, time.Now()); err != nil {
			return err
		}
		f.cfg.Log.Info("consent revoked; rotating key", "policy", pol.ID, "provider", pol.ProviderAddress)
		return Rotate(tx)
	case protocol.DeviceDeleted:
		now := time.Now()
		if err := tx.EndAllPolicies(readerstore.PolicyDeleted, now); err != nil {
			return err
		}
		if err := Rotate(tx); err != nil {
			return err
		}
		code, err := pairing.NewCode()
		if err != nil {
			return err
		}
		f.cfg.Log.Info("unpaired by My Home; key rotated, providers forgotten")
		return tx.SetPairing(readerstore.Pairing{Code: code})
	case protocol.DeviceAdded:
		return nil
	default:
		return fmt.Errorf("%w: unknown event type", errSkip)
	}
}

func (f *Follower) authorize(tx *readerstore.Tx, ev protocol.Event) error {
	a := ev.Authorized
	if a.PolicyID == "" || len(a.PolicyID) > 128 {
		return fmt.Errorf("%w: bad policy id", errSkip)
	}
	if !guards.IsTrytesOfExactLength(a.Provider.Address, 81) {
		return fmt.Errorf("%w: provider address is not 81 trytes", errSkip)
	}
	key, err := ntru.ParsePublicKey(a.Provider.PublicKey)
	if err != nil {
		return fmt.Errorf("%w: provider public key: %v", errSkip, err)
	}
	if _, err := tx.Policy(a.PolicyID); err == nil {
		return fmt.Errorf("%w: policy %s already known", errSkip, a.PolicyID)
	} else if !errors.Is(err, readerstore.ErrNoPolicy) {
		return err
	}
	replaced, err := f.replace(tx, a)
	if err != nil {
		return err
	}
	pol := readerstore.Policy{
		ID: a.PolicyID, ProviderAddress: a.Provider.Address, ProviderKey: a.Provider.PublicKey,
		Goal: a.Goal, State: readerstore.PolicyActive, ExpiresAt: a.ExpiresAt, GrantedAt: ev.Time,
	}
	if a.ExpiresAt != nil && !a.ExpiresAt.After(time.Now()) {
		pol.State = readerstore.PolicyExpired
		f.cfg.Log.Info("consent already expired; no keys sent", "policy", a.PolicyID)
		if err := tx.AddPolicy(pol); err != nil || replaced.ID == "" {
			return err
		}
		return Rotate(tx) // the replaced policy's provider must lose access
	}
	if err := tx.AddPolicy(pol); err != nil {
		return err
	}
	st, err := publisher.LoadState(tx)
	if err != nil {
		return err
	}
	ck, err := json.Marshal(protocol.ChannelKey{
		Device: string(f.cfg.DeviceAddress), Root: string(st.NextRoot()), SideKey: string(st.SideKey()), State: a.State,
	})
	if err != nil {
		return fmt.Errorf("consent: encode channel key: %w", err)
	}
	sealed, err := ntru.SealString(key, ck)
	if err != nil {
		return fmt.Errorf("consent: seal channel key: %w", err)
	}
	body, err := json.Marshal(protocol.MAMDataBody{Device: string(f.cfg.DeviceAddress), Sealed: sealed})
	if err != nil {
		return fmt.Errorf("consent: encode MAM_DATA: %w", err)
	}
	f.cfg.Log.Info("consent granted; sending channel key", "policy", a.PolicyID, "provider", a.Provider.Address)
	if err := tx.QueueDirect(a.Provider.Address, string(protocol.MAMData), body); err != nil {
		return err
	}
	if replaced.ID != "" && replaced.ProviderKey != a.Provider.PublicKey {
		return Rotate(tx)
	}
	return nil
}

// replace ends the policy an AUTHORIZED replaces (a renewal or a repeated
// request of the same provider account) and returns it. For the same
// provider address and key nothing changes on the channel: the provider
// keeps the key it has, so there is no rotation and no gap; the new
// policy's MAM_DATA (current root and key, new state) confirms the grant
// and the provider carries on where it is. Were the key different (My Home
// refuses that; this is defence in depth), or the new policy already
// expired, the old key's holder must lose access: authorize then rotates.
// An unknown or already ended policy is no replacement (zero Policy): the
// grant proceeds as a new one.
func (f *Follower) replace(tx *readerstore.Tx, a *protocol.AuthorizedBody) (readerstore.Policy, error) {
	if a.Replaces == "" {
		return readerstore.Policy{}, nil
	}
	old, err := tx.Policy(a.Replaces)
	if errors.Is(err, readerstore.ErrNoPolicy) {
		return readerstore.Policy{}, nil
	}
	if err != nil {
		return readerstore.Policy{}, err
	}
	if old.State != readerstore.PolicyActive || old.ProviderAddress != a.Provider.Address {
		return readerstore.Policy{}, nil
	}
	if err := tx.EndPolicy(old.ID, readerstore.PolicyReplaced, time.Now()); err != nil {
		return readerstore.Policy{}, err
	}
	f.cfg.Log.Info("consent renewed", "policy", a.PolicyID, "replaces", old.ID, "provider", a.Provider.Address)
	return old, nil
}

// ExpirePolicies ends the active policies whose expiry has passed and, if
// there were any, rotates the key.
func (f *Follower) ExpirePolicies(ctx context.Context, now time.Time) error {
	rotated := false
	err := f.cfg.Store.Update(ctx, func(tx *readerstore.Tx) error {
		active, err := tx.ActivePolicies()
		if err != nil {
			return err
		}
		for _, p := range active {
			if p.ExpiresAt != nil && !p.ExpiresAt.After(now) {
				if err := tx.EndPolicy(p.ID, readerstore.PolicyExpired, now); err != nil {
					return err
				}
				f.cfg.Log.Info("consent expired", "policy", p.ID, "provider", p.ProviderAddress)
				rotated = true
			}
		}
		if !rotated {
			return nil
		}
		return Rotate(tx)
	})
	if err != nil {
		return err
	}
	if rotated && f.cfg.Queued != nil {
		f.cfg.Queued()
	}
	return nil
}

// Rotate draws a new side key and appends KEY_ROTATION (under the current
// key) with the new key sealed to every provider with an active policy; the
// channel continues under the new key.
func Rotate(tx *readerstore.Tx) error {
	newKey, err := mamch.RandomSideKey()
	if err != nil {
		return fmt.Errorf("consent: new side key: %w", err)
	}
	active, err := tx.ActivePolicies()
	if err != nil {
		return err
	}
	body := protocol.KeyRotationBody{Keys: []protocol.SealedKey{}}
	seen := map[string]bool{}
	for _, p := range active {
		if seen[p.ProviderAddress] {
			continue
		}
		seen[p.ProviderAddress] = true
		pub, err := ntru.ParsePublicKey(p.ProviderKey)
		if err != nil {
			return fmt.Errorf("consent: stored key of %s: %w", p.ProviderAddress, err)
		}
		sealed, err := ntru.SealString(pub, []byte(newKey))
		if err != nil {
			return fmt.Errorf("consent: seal new key: %w", err)
		}
		body.Keys = append(body.Keys, protocol.SealedKey{ProviderAddress: p.ProviderAddress, Sealed: sealed})
	}
	msg := protocol.ChannelMessage{Type: protocol.KeyRotation, Version: protocol.Version, KeyRotation: &body}
	return publisher.Append(tx, msg, 0, 0, newKey)
}
