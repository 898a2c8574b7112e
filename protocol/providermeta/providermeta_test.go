package providermeta_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"iotahome/protocol"
	"iotahome/protocol/providermeta"
	"iotahome/protocol/providermeta/providertest"
)

// account is a provider account: an address and NTRU public key.
type account struct{ address, publicKey string }

func newAccount(t testing.TB) account {
	t.Helper()
	addr, pub := providertest.Account(t)
	return account{addr, pub}
}

// clock is a settable time for the fetcher.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newFetcher(c *clock) *providermeta.Fetcher {
	return providermeta.NewFetcher(providermeta.FetchConfig{AllowHTTPLoopback: true, TTL: time.Minute, MinRefetch: 10 * time.Second, Now: c.Now})
}

func wantReason(t *testing.T, what string, err, reason error) {
	t.Helper()
	var pe *providermeta.Error
	if !errors.Is(err, reason) || !errors.As(err, &pe) || pe.Msg == "" {
		t.Fatalf("%s: got %v, want %v with a message", what, err, reason)
	}
	t.Logf("%s: refused: %s", what, pe.Msg)
}

func TestVerifyGenuineRequest(t *testing.T) {
	p := providertest.Start(t, "Wattt Insights")
	c := &clock{t: time.Now()}
	f := newFetcher(c)
	acct := newAccount(t)
	r := p.Request(acct.address, acct.publicKey, "state-12345678")
	r.Scope, r.Resolution, r.Duration = []string{protocol.KindElectricity, protocol.KindGas}, protocol.Resolution15m, "30d"
	got, doc, err := f.Verify(context.Background(), p.Sign(t, r))
	if err != nil {
		t.Fatal(err)
	}
	if doc.Name != "Wattt Insights" || got.Origin != p.URL || got.ReturnURL != p.URL+"/connect/return" ||
		got.Address != acct.address || got.Duration != 30*24*time.Hour || got.Resolution != protocol.Resolution15m ||
		strings.Join(got.Scope, ",") != "electricity,gas" || got.State != "state-12345678" {
		t.Fatalf("verified %+v from %+v", got, doc)
	}
	// A second request within the TTL uses the cached document.
	if _, _, err := f.Verify(context.Background(), p.Sign(t, r)); err != nil || p.Fetches() != 1 {
		t.Fatalf("second verify: %v, %d fetches", err, p.Fetches())
	}
}

// TestConsentPhishingRefused is issue 12's attack: a page sends the owner to
// My Home with its own address and public key but a trusted provider's
// return URL. Unsigned, signed with the attacker's own key, or a genuine
// request of the provider with the address swapped: all refused.
func TestConsentPhishingRefused(t *testing.T) {
	trusted := providertest.Start(t, "Wattt Insights")
	c := &clock{t: time.Now()}
	f := newFetcher(c)
	attacker := newAccount(t)
	victimAcct := newAccount(t)
	ctx := context.Background()

	_, _, err := f.Verify(ctx, "")
	wantReason(t, "unsigned", err, providermeta.ErrUnsigned)

	forged := trusted.Request(attacker.address, attacker.publicKey, "attacker-state-1")
	tok, err := providermeta.Sign(forged, providertest.NewKey(t))
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = f.Verify(ctx, tok)
	wantReason(t, "signed with the attacker's key", err, providermeta.ErrSignature)

	// The attacker gets a genuine request (e.g. by starting one at the
	// provider) and swaps in its own address and key.
	genuine := trusted.Sign(t, trusted.Request(victimAcct.address, victimAcct.publicKey, "genuine-state-1"))
	parts := strings.Split(genuine, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var r providermeta.Request
	if err := json.Unmarshal(payload, &r); err != nil {
		t.Fatal(err)
	}
	r.Address, r.PublicKey = attacker.address, attacker.publicKey
	swapped, _ := json.Marshal(r)
	parts[1] = base64.RawURLEncoding.EncodeToString(swapped)
	_, _, err = f.Verify(ctx, strings.Join(parts, "."))
	wantReason(t, "genuine request with the address swapped", err, providermeta.ErrSignature)

	// Its own origin and key work, but then the page names the attacker.
	evil := providertest.Start(t, "Evil Analytics")
	own := evil.Request(attacker.address, attacker.publicKey, "attacker-state-2")
	if _, doc, err := f.Verify(ctx, evil.Sign(t, own)); err != nil || doc.Origin != evil.URL || doc.Name != "Evil Analytics" {
		t.Fatalf("attacker's own request: %v %+v", err, doc)
	}
	// Signed by the attacker's origin but returning to the trusted one:
	// verified against the trusted origin's document, so refused.
	own.URL = trusted.URL + "/connect/return"
	_, _, err = f.Verify(ctx, evil.Sign(t, own))
	wantReason(t, "attacker-signed with the trusted return URL", err, providermeta.ErrSignature)
}

// TestReplayAfterLifetimeRefused: a genuine request used again after its
// lifetime is refused; one dated in the future is too.
func TestReplayAfterLifetimeRefused(t *testing.T) {
	p := providertest.Start(t, "Wattt Insights")
	acct := newAccount(t)
	issued := time.Now()
	r := p.Request(acct.address, acct.publicKey, "state-12345678")
	r.IssuedAt = issued.Unix()
	tok := p.Sign(t, r)
	c := &clock{t: issued.Add(providermeta.MaxLifetime - time.Second)}
	f := newFetcher(c)
	if _, _, err := f.Verify(context.Background(), tok); err != nil {
		t.Fatalf("within its lifetime: %v", err)
	}
	c.Add(2 * time.Second)
	_, _, err := f.Verify(context.Background(), tok)
	wantReason(t, "replayed after its lifetime", err, providermeta.ErrExpired)

	r.Expires = issued.Add(time.Minute).Unix()
	short := p.Sign(t, r)
	c.t = issued.Add(2 * time.Minute)
	_, _, err = f.Verify(context.Background(), short)
	wantReason(t, "after its own exp", err, providermeta.ErrExpired)

	c.t = issued.Add(-providermeta.ClockSkew - time.Minute)
	_, _, err = f.Verify(context.Background(), tok)
	wantReason(t, "dated in the future", err, providermeta.ErrExpired)
}

// TestKeyChangeInvalidatesCachedTrust: when the provider's document drops a
// key, requests signed with it stop verifying once the cached copy is older
// than the TTL; a request with the new key verifies as soon as a refetch is
// allowed.
func TestKeyChangeInvalidatesCachedTrust(t *testing.T) {
	p := providertest.Start(t, "Wattt Insights")
	acct := newAccount(t)
	c := &clock{t: time.Now()}
	f := newFetcher(c) // TTL 1 min, refetch on a bad signature at most every 10 s
	ctx := context.Background()
	sign := func() string {
		r := p.Request(acct.address, acct.publicKey, "state-12345678")
		r.IssuedAt = c.Now().Unix()
		return p.Sign(t, r)
	}
	oldTok := sign()
	if _, _, err := f.Verify(ctx, oldTok); err != nil {
		t.Fatal(err)
	}
	p.SetKey(providertest.NewKey(t))
	newTok := sign()

	// Within the TTL the cached document still vouches for the old key.
	c.Add(5 * time.Second)
	if _, _, err := f.Verify(ctx, oldTok); err != nil {
		t.Fatalf("old key within the TTL: %v", err)
	}
	// Past MinRefetch a request with the new key refetches and verifies.
	c.Add(10 * time.Second)
	if _, _, err := f.Verify(ctx, newTok); err != nil {
		t.Fatalf("new key after a refetch: %v", err)
	}
	if p.Fetches() != 2 {
		t.Fatalf("%d fetches, want 2", p.Fetches())
	}
	// The refetched document no longer lists the old key.
	_, _, err := f.Verify(ctx, oldTok)
	wantReason(t, "old key after the document changed", err, providermeta.ErrSignature)

	// Without a new-key request in between, the TTL alone ends the trust:
	// a fresh request signed with the dropped key verifies from the cache
	// just before the TTL and is refused just after it.
	f2 := newFetcher(c)
	dropped := p.Key()
	if _, _, err := f2.Verify(ctx, sign()); err != nil {
		t.Fatal(err)
	}
	p.SetKey(providertest.NewKey(t))
	signDropped := func() string {
		r := p.Request(acct.address, acct.publicKey, "state-12345678")
		r.IssuedAt = c.Now().Unix()
		tok, err := providermeta.Sign(r, dropped)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	c.Add(time.Minute - time.Second)
	if _, _, err := f2.Verify(ctx, signDropped()); err != nil {
		t.Fatalf("dropped key just before the TTL: %v", err)
	}
	c.Add(time.Second)
	_, _, err = f2.Verify(ctx, signDropped())
	wantReason(t, "dropped key once the TTL passed", err, providermeta.ErrSignature)
}

func TestDocumentFetchRules(t *testing.T) {
	acct := newAccount(t)
	ctx := context.Background()
	c := &clock{t: time.Now()}

	// A document that names another origin is refused.
	p := providertest.Start(t, "Wattt Insights")
	p.Edit(func(d *providermeta.Document) { d.Origin = "https://wattt.example" })
	_, _, err := newFetcher(c).Verify(ctx, p.Sign(t, p.Request(acct.address, acct.publicKey, "state-12345678")))
	wantReason(t, "document for another origin", err, providermeta.ErrDocument)

	// Hostile names and published private keys are refused.
	p.Edit(func(d *providermeta.Document) { d.Origin = p.URL; d.Name = "Wattt\u202eInsights" })
	_, _, err = newFetcher(c).Verify(ctx, p.Sign(t, p.Request(acct.address, acct.publicKey, "state-12345678")))
	wantReason(t, "bidi override in the name", err, providermeta.ErrDocument)

	// Redirects stay within the origin; size and time are capped.
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer other.Close()
	for name, h := range map[string]http.HandlerFunc{
		"redirect to another origin": func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, other.URL+providermeta.WellKnownPath, http.StatusFound)
		},
		"too large": func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(`{"v":1,"name":"` + strings.Repeat("x", providermeta.MaxDocumentBytes) + `"}`))
		},
		"too slow": func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-time.After(3 * time.Second):
			case <-r.Context().Done():
			}
		},
		"not found": http.NotFound,
		"not json":  func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("<html>")) },
	} {
		srv := httptest.NewServer(h)
		f := providermeta.NewFetcher(providermeta.FetchConfig{AllowHTTPLoopback: true, Timeout: 500 * time.Millisecond})
		r := p.Request(acct.address, acct.publicKey, "state-12345678")
		r.URL = srv.URL + "/back"
		start := time.Now()
		_, _, err := f.Verify(ctx, p.Sign(t, r))
		wantReason(t, name, err, providermeta.ErrDocument)
		if time.Since(start) > 2*time.Second {
			t.Errorf("%s: took %s", name, time.Since(start))
		}
		srv.Close()
	}

	// Without the development flag: https only, and no loopback address
	// even over https.
	strict := providermeta.NewFetcher(providermeta.FetchConfig{})
	_, _, err = strict.Verify(ctx, p.Sign(t, p.Request(acct.address, acct.publicKey, "state-12345678")))
	wantReason(t, "plain http", err, providermeta.ErrOrigin)
	tls := httptest.NewTLSServer(http.NotFoundHandler())
	defer tls.Close()
	r := p.Request(acct.address, acct.publicKey, "state-12345678")
	r.URL = tls.URL + "/back"
	_, _, err = strict.Verify(ctx, p.Sign(t, r))
	wantReason(t, "https on a loopback address", err, providermeta.ErrDocument)
	if !strings.Contains(err.Error(), "not public") {
		t.Errorf("loopback refusal does not say why: %v", err)
	}
}
