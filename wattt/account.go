package wattt

import (
	"context"
	"fmt"
	"time"

	"github.com/iotaledger/iota.go/trinary"

	"iotahome/tangle/ntru"
	"iotahome/tangle/seed"
)

// keyPair is an account's NTRU key pair.
type keyPair struct {
	pub  *ntru.PublicKey
	priv *ntru.PrivateKey
}

// sealContext binds a sealed seed to its account's address, so a sealed
// seed copied onto another row does not open.
func sealContext(address string) string { return "wattt-seed:" + address }

// CreateAccount makes a new provider identity: a fresh seed (sealed with the
// server key before it is stored), its address 0 for receiving MAM_DATA and
// the NTRU key pair derived from it. It returns the account id.
func (s *Service) CreateAccount(ctx context.Context) (int64, error) {
	sd, err := seed.New()
	if err != nil {
		return 0, fmt.Errorf("wattt: new account: %w", err)
	}
	addr, err := seed.Address(sd, 0)
	if err != nil {
		return 0, fmt.Errorf("wattt: new account: %w", err)
	}
	pub, priv, err := ntru.DeriveKeyPair(sd)
	if err != nil {
		return 0, fmt.Errorf("wattt: new account: %w", err)
	}
	sealed, err := s.key.Seal([]byte(sd), sealContext(addr))
	if err != nil {
		return 0, fmt.Errorf("wattt: new account: %w", err)
	}
	id, err := s.st.CreateAccount(ctx, Account{
		Address: addr, PublicKey: string(pub.Trytes()), SealedSeed: sealed, CreatedAt: time.Now(),
	})
	if err != nil {
		return 0, err
	}
	s.keysMu.Lock()
	s.keys[id] = &keyPair{pub: pub, priv: priv}
	s.keysMu.Unlock()
	return id, nil
}

// keysOf returns the account's key pair, deriving it from the sealed seed
// the first time.
func (s *Service) keysOf(a Account) (*keyPair, error) {
	s.keysMu.Lock()
	kp := s.keys[a.ID]
	s.keysMu.Unlock()
	if kp != nil {
		return kp, nil
	}
	raw, err := s.key.Open(a.SealedSeed, sealContext(a.Address))
	if err != nil {
		return nil, fmt.Errorf("wattt: open seed of account %d: %w", a.ID, err)
	}
	pub, priv, err := ntru.DeriveKeyPair(trinary.Trytes(raw))
	if err != nil {
		return nil, fmt.Errorf("wattt: keys of account %d: %w", a.ID, err)
	}
	kp = &keyPair{pub: pub, priv: priv}
	s.keysMu.Lock()
	s.keys[a.ID] = kp
	s.keysMu.Unlock()
	return kp, nil
}
