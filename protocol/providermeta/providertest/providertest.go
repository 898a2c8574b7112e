// Package providertest runs a service provider's metadata document on a
// loopback HTTP server and signs consent requests with its key, for tests
// of anything that takes consent requests (My Home needs
// FetchConfig.AllowHTTPLoopback to reach it).
package providertest

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"iotahome/protocol"
	"iotahome/protocol/providermeta"
	"iotahome/tangle/ntru"
	"iotahome/tangle/seed"
)

// Provider is a provider's web origin: it serves its document at
// providermeta.WellKnownPath and signs requests.
type Provider struct {
	URL string // the origin, http://127.0.0.1:port

	mu      sync.Mutex
	key     ed25519.PrivateKey
	doc     providermeta.Document
	fetches atomic.Int64
}

// Start serves a provider named name until the test ends.
func Start(t testing.TB, name string) *Provider {
	t.Helper()
	p := &Provider{key: NewKey(t)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != providermeta.WellKnownPath {
			http.NotFound(w, r)
			return
		}
		p.fetches.Add(1)
		p.mu.Lock()
		body, err := json.Marshal(p.doc)
		p.mu.Unlock()
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	p.doc = providermeta.Document{Version: providermeta.DocumentVersion, Origin: srv.URL, Name: name,
		Description: "Graphs of your energy use (test provider).", PrivacyPolicy: srv.URL + "/privacy",
		Keys: []providermeta.Key{providermeta.NewKey(p.key.Public().(ed25519.PublicKey))}}
	return p
}

// NewKey returns a fresh Ed25519 private key.
func NewKey(t testing.TB) ed25519.PrivateKey {
	t.Helper()
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// Account is a fresh provider account: an IOTA address (index 0 of a new
// seed) and the NTRU public key derived from the seed, as trytes.
func Account(t testing.TB) (address, publicKey string) {
	t.Helper()
	sd, err := seed.New()
	if err != nil {
		t.Fatal(err)
	}
	addr, err := seed.Address(sd, 0)
	if err != nil {
		t.Fatal(err)
	}
	pub, _, err := ntru.DeriveKeyPair(sd)
	if err != nil {
		t.Fatal(err)
	}
	return string(addr), string(pub.Trytes())
}

// Key is the key the provider signs with now.
func (p *Provider) Key() ed25519.PrivateKey {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.key
}

// SetKey makes the provider sign with key and publish only its public half.
func (p *Provider) SetKey(key ed25519.PrivateKey) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.key = key
	p.doc.Keys = []providermeta.Key{providermeta.NewKey(key.Public().(ed25519.PublicKey))}
}

// Edit changes the served document.
func (p *Provider) Edit(f func(*providermeta.Document)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f(&p.doc)
}

// Fetches is how often the document was fetched.
func (p *Provider) Fetches() int { return int(p.fetches.Load()) }

// Request is a valid request of this provider for an account (address and
// NTRU public key trytes), issued now: all kinds at raw resolution,
// returning to <URL>/connect/return.
func (p *Provider) Request(address, publicKey, state string) providermeta.Request {
	return providermeta.Request{Address: address, PublicKey: publicKey, Goal: "Show your energy use",
		URL: p.URL + "/connect/return", State: state, Scope: append([]string(nil), protocol.Kinds...),
		Resolution: protocol.ResolutionRaw, IssuedAt: time.Now().Unix()}
}

// Sign signs r with the provider's current key.
func (p *Provider) Sign(t testing.TB, r providermeta.Request) string {
	t.Helper()
	tok, err := providermeta.Sign(r, p.Key())
	if err != nil {
		t.Fatal(err)
	}
	return tok
}
