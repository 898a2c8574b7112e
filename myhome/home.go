package myhome

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/iotaledger/iota.go/trinary"

	"iotahome/store/myhomestore"
	"iotahome/tangle/mamch"
	"iotahome/tangle/ntru"
	"iotahome/tangle/seed"
)

// Home is what the pages show about the home itself.
type Home struct {
	ID           string
	Address      string // the home's reply address (pairing answers arrive here)
	SeedShown    bool
	Restoring    bool
	RestoreRead  int64
	RestoreError string
	Pending      int // events not yet on the Tangle
	// PendingSince is when the oldest of them was queued; PendingFailed
	// says an attempt to attach one failed. Together they tell a write
	// that is simply under way from one that waits for the node.
	PendingSince  time.Time
	PendingFailed bool
}

// slowWrite is how long an event may wait for the Tangle before the pages
// call it delayed rather than being saved.
const slowWrite = 30 * time.Second

// PendingDelayed reports whether waiting events are stuck (an attempt
// failed, or they wait longer than a normal attach takes) rather than
// just being attached.
func (h Home) PendingDelayed(now time.Time) bool {
	return h.Pending > 0 && (h.PendingFailed || now.Sub(h.PendingSince) > slowWrite)
}

// homeKeys are the secrets derived from a home's seed (about 14 KB), cached
// per account so that a page never decrypts the seed; the cache keeps the
// most recently used homes, so creating homes cannot grow it without bound.
type homeKeys struct {
	seed trinary.Trytes
	pub  *ntru.PublicKey
	priv *ntru.PrivateKey
}

// CreateHome makes a new home with a fresh seed and returns its account id.
func (s *Service) CreateHome(ctx context.Context) (string, error) {
	sd, err := seed.New()
	if err != nil {
		return "", err
	}
	id, _, err := s.addAccount(ctx, sd, "none")
	return id, err
}

// RestoreHome opens the home of an existing seed. If this server knows the
// home already it is simply opened; otherwise a new account is made and its
// stream is replayed in the background (restoring = true; watch Home).
func (s *Service) RestoreHome(ctx context.Context, seedText string) (accountID string, restoring bool, err error) {
	sd := trinary.Trytes(strings.ToUpper(strings.Join(strings.Fields(seedText), "")))
	if err := seed.Validate(sd); err != nil {
		return "", false, userErr("That is not a seed: a seed is 81 characters, each A–Z or 9.")
	}
	addr, err := seed.Address(sd, 0)
	if err != nil {
		return "", false, err
	}
	if a, err := s.st.AccountByHomeAddress(ctx, string(addr)); err == nil {
		return a.ID, false, nil
	} else if !errors.Is(err, myhomestore.ErrNotFound) {
		return "", false, err
	}
	id, _, err := s.addAccount(ctx, sd, "running")
	if errors.Is(err, myhomestore.ErrConflict) { // restored twice at once
		a, err := s.st.AccountByHomeAddress(ctx, string(addr))
		return a.ID, false, err
	}
	if err != nil {
		return "", false, err
	}
	nudge(s.wakeRestore)
	return id, true, nil
}

func (s *Service) addAccount(ctx context.Context, sd trinary.Trytes, restore string) (string, *homeKeys, error) {
	id := randomID()
	addr, err := seed.Address(sd, 0)
	if err != nil {
		return "", nil, err
	}
	pub, priv, err := ntru.DeriveKeyPair(sd)
	if err != nil {
		return "", nil, fmt.Errorf("derive home key pair: %w", err)
	}
	state, err := mamch.NewState(sd, mamch.Private, "")
	if err != nil {
		return "", nil, fmt.Errorf("new home channel: %w", err)
	}
	sealedSeed, err := s.key.Seal([]byte(sd), id)
	if err != nil {
		return "", nil, err
	}
	sealedState, err := s.sealJSON(state, id)
	if err != nil {
		return "", nil, err
	}
	a := myhomestore.Account{
		ID: id, HomeAddress: string(addr), HomePublicKey: string(pub.Trytes()), FirstRoot: string(state.NextRoot()),
		SealedSeed: sealedSeed, SealedChannel: sealedState, CreatedAt: s.now(), RestoreState: restore,
	}
	if restore != "none" {
		// A restored seed was written down already: there is nothing to show.
		a.SeedShownAt = &a.CreatedAt
	}
	if err := s.st.CreateAccount(ctx, a); err != nil {
		return "", nil, err
	}
	k := &homeKeys{seed: sd, pub: pub, priv: priv}
	s.keys.Add(id, k)
	return id, k, nil
}

// keysFor returns the account's derived secrets, decrypting the seed once
// per process.
func (s *Service) keysFor(ctx context.Context, accountID string) (*homeKeys, error) {
	if k, ok := s.keys.Get(accountID); ok {
		return k, nil
	}
	a, err := s.st.Account(ctx, accountID)
	if err != nil {
		return nil, notFound(err)
	}
	raw, err := s.key.Open(a.SealedSeed, a.ID)
	if err != nil {
		return nil, fmt.Errorf("open seed of account %s: %w", a.ID, err)
	}
	sd := trinary.Trytes(raw)
	pub, priv, err := ntru.DeriveKeyPair(sd)
	if err != nil {
		return nil, fmt.Errorf("derive home key pair: %w", err)
	}
	k := &homeKeys{seed: sd, pub: pub, priv: priv}
	s.keys.Add(accountID, k)
	return k, nil
}

// Home returns the home's overview.
func (s *Service) Home(ctx context.Context, accountID string) (Home, error) {
	v, err := s.view(ctx, accountID)
	if err != nil {
		return Home{}, err
	}
	return v.home, nil
}

// RevealSeed returns the seed the first time it is asked for, and
// ok = false every time after: the seed is shown once.
func (s *Service) RevealSeed(ctx context.Context, accountID string) (sd string, ok bool, err error) {
	first, err := s.st.MarkSeedShown(ctx, accountID, s.now())
	s.views.invalidate(accountID)
	if err != nil || !first {
		return "", false, err
	}
	k, err := s.keysFor(ctx, accountID)
	if err != nil {
		return "", false, err
	}
	return string(k.seed), true, nil
}

func (s *Service) sealJSON(v any, accountID string) ([]byte, error) {
	js, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	return s.key.Seal(js, accountID)
}

func (s *Service) openJSON(sealed []byte, accountID string, v any) error {
	js, err := s.key.Open(sealed, accountID)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(js, v); err != nil {
		return fmt.Errorf("decode: %w", err)
	}
	return nil
}

// ensureWritable refuses changes to a home whose stream is still being
// replayed (they would interleave with the replayed events).
func (s *Service) ensureWritable(ctx context.Context, accountID string) error {
	a, err := s.st.Account(ctx, accountID)
	if err != nil {
		return notFound(err)
	}
	if a.RestoreState == "running" {
		return userErr("Your home is still being restored from the Tangle. Wait until that has finished.")
	}
	return nil
}
