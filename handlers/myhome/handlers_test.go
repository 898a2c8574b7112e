package myhome

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"iotahome/myhome"
	"iotahome/protocol"
	"iotahome/protocol/providermeta"
	"iotahome/protocol/providermeta/providertest"
	"iotahome/store/myhomestore"
	"iotahome/store/serverkey"
	"iotahome/tangle/client"
	"iotahome/tangle/ntru"
	"iotahome/tangle/seed"
	"iotahome/tangle/tangletest"
)

// site is My Home served over HTTP for a test, on the real dev node.
type site struct {
	srv      *httptest.Server
	st       *myhomestore.Store
	provider *providertest.Provider // a provider site that publishes its document
}

func startSite(t *testing.T) *site {
	t.Helper()
	node := tangletest.StartNode(t, 9)
	c, err := client.New(client.Config{NodeURL: node.URL, MWM: node.MWM, PoW: client.PoWLocal})
	if err != nil {
		t.Fatal(err)
	}
	st, err := myhomestore.Open(context.Background(), filepath.Join(t.TempDir(), "myhome.db"))
	if err != nil {
		t.Fatal(err)
	}
	key, _ := serverkey.FromBytes(bytes.Repeat([]byte{3}, serverkey.Size))
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	svc := myhome.New(st, key, c, log, myhome.Config{PollInterval: 100 * time.Millisecond,
		Providers: providermeta.FetchConfig{AllowHTTPLoopback: true}})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); svc.Run(ctx) }()
	srv := httptest.NewServer(New(svc, st, log))
	t.Cleanup(func() {
		srv.Close()
		cancel()
		wg.Wait()
		st.Close()
	})
	return &site{srv: srv, st: st, provider: providertest.Start(t, "Provider Example")}
}

// browser is one person's browser: its own cookies, no automatic redirects.
type browser struct {
	t    *testing.T
	base string
	c    *http.Client
	csrf string
}

func (s *site) browser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: s.srv.URL, c: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var csrfField = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

func (b *browser) get(path string) (int, string, http.Header) {
	b.t.Helper()
	resp, err := b.c.Get(b.base + path)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if m := csrfField.FindSubmatch(body); m != nil {
		b.csrf = string(m[1])
	}
	return resp.StatusCode, string(body), resp.Header
}

// post submits a form with the browser's current CSRF token (unless the
// form sets _csrf itself).
func (b *browser) post(path string, form url.Values) (int, string, http.Header) {
	b.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["_csrf"]; !ok {
		form.Set("_csrf", b.csrf)
	}
	resp, err := b.c.PostForm(b.base+path, form)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), resp.Header
}

// newHome creates a home in this browser and returns its account id.
func (b *browser) newHome(s *site) string {
	b.t.Helper()
	b.get("/")
	code, _, h := b.post("/start/new", nil)
	if code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/seed") {
		b.t.Fatalf("create home: %d %s", code, h.Get("Location"))
	}
	u, _ := url.Parse(b.base)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == SessionCookie {
			acct, err := s.st.SessionAccount(context.Background(), c.Value, time.Now())
			if err != nil {
				b.t.Fatal(err)
			}
			return acct
		}
	}
	b.t.Fatal("no session cookie after creating a home")
	return ""
}

// addDevice puts a paired device into the account's cached stream
// directly (keeping the channel state as it was); pairing itself is tested
// end to end in package myhome.
func (s *site) addDevice(t *testing.T, acct string) string {
	t.Helper()
	sd, _ := seed.New()
	addr, _ := seed.Address(sd, 0)
	pub, _, _ := ntru.DeriveKeyPair(sd)
	a, err := s.st.Account(context.Background(), acct)
	if err != nil {
		t.Fatal(err)
	}
	ev := protocol.Event{Type: protocol.DeviceAdded, ID: "test-" + string(addr[:10]), Time: time.Now(), Device: string(addr),
		DeviceAdded: &protocol.DeviceAddedBody{Name: "Test meter", PublicKey: string(pub.Trytes())}}
	if err := s.st.AppendEvent(context.Background(), acct, a.NextSeq, ev, "TEST", nil, "TESTBUNDLE", a.SealedChannel); err != nil {
		t.Fatal(err)
	}
	return string(addr)
}

// providerAccount is an address and NTRU public key of a provider account.
type providerAccount struct{ address, publicKey string }

func newProviderAccount(t *testing.T) providerAccount {
	addr, pub := providertest.Account(t)
	return providerAccount{addr, pub}
}

// providerQuery is a /new-policy query with a request of a fresh account
// of the site's provider, signed after edit changed it.
func (s *site) providerQuery(t *testing.T, edit func(*providermeta.Request)) url.Values {
	return s.accountQuery(t, newProviderAccount(t), edit)
}

// accountQuery is providerQuery for a given provider account.
func (s *site) accountQuery(t *testing.T, a providerAccount, edit func(*providermeta.Request)) url.Values {
	t.Helper()
	r := s.provider.Request(a.address, a.publicKey, "nonce-12345678")
	r.Goal = "Show <b>your</b> energy use"
	r.URL = s.provider.URL + "/back"
	if edit != nil {
		edit(&r)
	}
	return url.Values{"request": {s.provider.Sign(t, r)}}
}

// returnTo sets a request's return URL.
func returnTo(u string) func(*providermeta.Request) {
	return func(r *providermeta.Request) { r.URL = u }
}

// consentID follows /new-policy to the stored request's page.
func (b *browser) consentID(q url.Values) string {
	b.t.Helper()
	code, body, h := b.get("/new-policy?" + q.Encode())
	if code != http.StatusSeeOther {
		b.t.Fatalf("/new-policy: %d %s", code, body)
	}
	return strings.TrimPrefix(h.Get("Location"), "/consent/")
}

func TestCSRFRequiredOnEveryForm(t *testing.T) {
	s := startSite(t)
	b := s.browser(t)
	code, _, hdr := b.get("/")
	if code != http.StatusOK || b.csrf == "" {
		t.Fatalf("start page %d, csrf %q", code, b.csrf)
	}
	for _, h := range []string{"Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy"} {
		if hdr.Get(h) == "" {
			t.Errorf("missing %s", h)
		}
	}
	for _, path := range []string{"/start/new", "/start/restore", "/devices/pair", "/signout", "/policies/x/revoke", "/consent/x"} {
		for _, tok := range []string{"", "forged-token"} {
			if code, _, _ := b.post(path, url.Values{"_csrf": {tok}}); code != http.StatusForbidden && code != http.StatusBadRequest {
				t.Errorf("POST %s with token %q: %d, want 403/400", path, tok, code)
			}
		}
	}
	// A cross-site form post is refused even with the victim's cookies.
	req, _ := http.NewRequest(http.MethodPost, s.srv.URL+"/start/new", strings.NewReader("_csrf="+b.csrf))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site POST: %d", resp.StatusCode)
	}
	if n := countAccounts(t, s); n != 0 {
		t.Fatalf("%d accounts created by rejected posts", n)
	}
	b.newHome(s)
	if n := countAccounts(t, s); n != 1 {
		t.Fatalf("%d accounts after one create", n)
	}
}

func countAccounts(t *testing.T, s *site) int {
	t.Helper()
	n, err := s.st.CountAccounts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSessionIsolation(t *testing.T) {
	s := startSite(t)
	alice, bob := s.browser(t), s.browser(t)
	acctA := alice.newHome(s)
	bob.newHome(s)
	dev := s.addDevice(t, acctA)

	id := alice.consentID(s.providerQuery(t, nil))
	alice.get("/consent/" + id)
	code, _, h := alice.post("/consent/"+id, url.Values{"decision": {"grant"}, "device": {dev}})
	if code != http.StatusSeeOther {
		t.Fatalf("grant: %d", code)
	}
	back, _ := url.Parse(h.Get("Location"))
	policy := back.Query().Get("policy")

	_, body, _ := alice.get("/policies")
	if !strings.Contains(body, "Provider Example") || !strings.Contains(body, s.provider.URL) {
		t.Fatal("owner does not see her policy")
	}
	_, body, _ = bob.get("/policies")
	if strings.Contains(body, "Provider Example") || strings.Contains(body, policy) {
		t.Fatal("another user sees the policy")
	}
	_, body, _ = bob.get("/devices")
	if strings.Contains(body, dev[:8]) {
		t.Fatal("another user sees the device")
	}
	if code, _, _ := bob.get("/consent/" + id); code != http.StatusNotFound {
		t.Fatalf("other user opens a decided request: %d", code)
	}
	if code, _, _ := bob.post("/policies/"+policy+"/revoke", nil); code != http.StatusNotFound {
		t.Fatalf("other user revokes: %d", code)
	}
	if code, _, _ := bob.post("/devices/"+dev+"/unpair", nil); code != http.StatusNotFound {
		t.Fatalf("other user unpairs: %d", code)
	}
	// Signed out: every page of a home sends you to the start.
	anon := s.browser(t)
	for _, p := range []string{"/devices", "/policies", "/audit", "/seed"} {
		if code, _, h := anon.get(p); code != http.StatusSeeOther || h.Get("Location") != "/" {
			t.Errorf("GET %s without session: %d %s", p, code, h.Get("Location"))
		}
	}
	if code, _, _ := bob.get("/policies/" + policy + "/revoke"); code != http.StatusNotFound {
		t.Fatalf("other user opens the revoke page: %d", code)
	}
	// The owner's revoke (with its confirmation step) works.
	if code, body, _ := alice.get("/policies/" + policy + "/revoke"); code != http.StatusOK || !strings.Contains(body, "Revoke access") {
		t.Fatalf("confirm page: %d", code)
	}
	if code, _, _ := alice.post("/policies/"+policy+"/revoke", nil); code != http.StatusSeeOther {
		t.Fatalf("revoke: %d", code)
	}
	if _, body, _ := alice.get("/policies"); !strings.Contains(body, "badge-revoked") {
		t.Fatal("revoked policy not shown as revoked")
	}
}

func TestConsentRedirectsOnlyWhereTheOwnerSaw(t *testing.T) {
	s := startSite(t)
	b := s.browser(t)
	acct := b.newHome(s)
	dev := s.addDevice(t, acct)

	for _, bad := range []string{
		"javascript:alert(1)", "//evil.example/x", "/relative", "ftp://evil.example/", "http:///nohost",
		"https://user:pw@evil.example/", "data:text/html,hi", "http://evil.example/\x00", "https://:443/",
		"  javascript:alert(1)", "http:\\\\evil.example",
	} {
		code, body, _ := b.get("/new-policy?" + s.providerQuery(t, returnTo(bad)).Encode())
		if code != http.StatusBadRequest || !strings.Contains(body, "return address") {
			t.Errorf("url %q: %d", bad, code)
		}
	}

	id := b.consentID(s.providerQuery(t, returnTo(s.provider.URL+"/connect?keep=1")))
	_, page, _ := b.get("/consent/" + id)
	if !strings.Contains(page, s.provider.URL) || strings.Contains(page, "<b>your</b>") {
		t.Fatal("consent page does not show the origin, or does not escape the goal")
	}
	// A changed URL posted with the decision is ignored.
	code, _, h := b.post("/consent/"+id, url.Values{"decision": {"deny"}, "url": {"https://evil.example/"}, "device": {dev}})
	if code != http.StatusSeeOther {
		t.Fatalf("deny: %d", code)
	}
	loc, _ := url.Parse(h.Get("Location"))
	if "http://"+loc.Host != s.provider.URL || loc.Path != "/connect" || loc.Query().Get("keep") != "1" ||
		loc.Query().Get("result") != "denied" || loc.Query().Get("state") != "nonce-12345678" {
		t.Fatalf("deny redirect %q", h.Get("Location"))
	}
	// Deciding again does not change the outcome.
	_, _, h = b.post("/consent/"+id, url.Values{"decision": {"grant"}, "device": {dev}})
	if !strings.Contains(h.Get("Location"), "result=denied") {
		t.Fatalf("second decision changed the outcome: %q", h.Get("Location"))
	}
	// The start pages only ever continue to a consent request.
	_, _, h = b.post("/start/restore", url.Values{"seed": {"x"}, "next": {"//evil.example"}})
	if loc := h.Get("Location"); strings.Contains(loc, "evil") {
		t.Fatalf("next followed to %q", loc)
	}
	if _, body, _ := b.get("/?next=//evil.example"); strings.Contains(body, "evil.example") {
		t.Fatal("start page echoes a foreign next")
	}
}

func TestMalformedConsentRequests(t *testing.T) {
	s := startSite(t)
	b := s.browser(t)
	b.newHome(s)
	cases := map[string]func(*providermeta.Request){
		"short address":    func(r *providermeta.Request) { r.Address = "ABC" },
		"bad key":          func(r *providermeta.Request) { r.PublicKey = "NOTAKEY" },
		"empty goal":       func(r *providermeta.Request) { r.Goal = " " },
		"long goal":        func(r *providermeta.Request) { r.Goal = strings.Repeat("g", 301) },
		"bad state":        func(r *providermeta.Request) { r.State = "a b" },
		"short state":      func(r *providermeta.Request) { r.State = "abc" },
		"unknown kind":     func(r *providermeta.Request) { r.Scope = []string{"electricity", "location"} },
		"no kinds":         func(r *providermeta.Request) { r.Scope = nil },
		"bad resolution":   func(r *providermeta.Request) { r.Resolution = "5s" },
		"bad duration":     func(r *providermeta.Request) { r.Duration = "forever" },
		"too long":         func(r *providermeta.Request) { r.Duration = "400d" },
		"too short":        func(r *providermeta.Request) { r.Duration = "1m" },
		"missing url":      func(r *providermeta.Request) { r.URL = "" },
		"control in goal":  func(r *providermeta.Request) { r.Goal = "a\x07b" },
		"missing state":    func(r *providermeta.Request) { r.State = "" },
		"missing key":      func(r *providermeta.Request) { r.PublicKey = "" },
		"expired":          func(r *providermeta.Request) { r.IssuedAt = time.Now().Add(-time.Hour).Unix() },
		"from the future":  func(r *providermeta.Request) { r.IssuedAt = time.Now().Add(time.Hour).Unix() },
		"overflowing days": func(r *providermeta.Request) { r.Duration = "213505d" }, // issue 13: was 24h25m
		"invisible goal":   func(r *providermeta.Request) { r.Goal = strings.Repeat("\u200b", 300) },
		"bidi goal":        func(r *providermeta.Request) { r.Goal = "Graphs \u202eeerf" },
		"port 99999":       returnTo("http://127.0.0.1:99999/back"),
	}
	for name, mutate := range cases {
		code, body, _ := b.get("/new-policy?" + s.providerQuery(t, mutate).Encode())
		if code != http.StatusBadRequest || !strings.Contains(body, "was refused") || !strings.Contains(body, "Nothing was shared") {
			t.Errorf("%s: %d", name, code)
		}
	}
	// The old, unsigned form of a request is refused.
	unsigned := url.Values{"address": {strings.Repeat("A", 81)}, "publicKey": {"X"}, "goal": {"x"},
		"url": {s.provider.URL + "/back"}, "state": {"nonce-12345678"}}
	if code, body, _ := b.get("/new-policy?" + unsigned.Encode()); code != http.StatusBadRequest || !strings.Contains(body, "not signed") {
		t.Errorf("unsigned request: %d", code)
	}
	if n := countRequests(t, s); n != 0 {
		t.Fatalf("%d consent requests stored by refused requests", n)
	}

	id := b.consentID(s.providerQuery(t, func(r *providermeta.Request) {
		r.Scope, r.Resolution, r.Duration = []string{"gas", "electricity"}, "15m", "30d"
	}))
	_, page, _ := b.get("/consent/" + id)
	for _, want := range []string{"Provider Example", s.provider.URL, "verified", "gas use", "one value per 15 minutes", "ends in 30 days"} {
		if !strings.Contains(page, want) {
			t.Errorf("consent page does not show %q", want)
		}
	}
	if strings.Contains(page, "voltage") {
		t.Error("consent page lists a kind of data that was not asked for")
	}
	if code, _, _ := b.get("/consent/0123456789abcdef0123456789abcdef"); code != http.StatusNotFound {
		t.Fatalf("unknown request: %d", code)
	}
}

// TestConsentPhishingRefusedOverHTTP: issue 12's attack through My Home's
// front door. A page sends the owner to /new-policy with its own address
// and key and a trusted provider's return URL, signed with its own key (or
// not at all): the owner gets a page that says so, and nothing is stored.
func TestConsentPhishingRefusedOverHTTP(t *testing.T) {
	s := startSite(t)
	b := s.browser(t)
	b.newHome(s)
	attacker := newProviderAccount(t)
	r := s.provider.Request(attacker.address, attacker.publicKey, "attack-state-1")
	tok, err := providermeta.Sign(r, providertest.NewKey(t))
	if err != nil {
		t.Fatal(err)
	}
	code, body, _ := b.get("/new-policy?" + url.Values{"request": {tok}}.Encode())
	if code != http.StatusBadRequest || !strings.Contains(body, "was refused") || !strings.Contains(body, "does not publish") {
		t.Fatalf("forged request: %d\n%s", code, body)
	}
	if n := countRequests(t, s); n != 0 {
		t.Fatalf("%d consent requests stored for a forged request", n)
	}
}

func countRequests(t *testing.T, s *site) int {
	t.Helper()
	n, err := s.st.CountConsentRequests(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestRenewalReplacesThePolicy: a second request of the same provider
// account for the same device says "renew", shows what changes, and
// granting it leaves one active consent, marked renewed.
func TestRenewalReplacesThePolicy(t *testing.T) {
	s := startSite(t)
	b := s.browser(t)
	acct := b.newHome(s)
	dev := s.addDevice(t, acct)
	a := newProviderAccount(t)
	grant := func(q url.Values) string {
		id := b.consentID(q)
		b.get("/consent/" + id)
		code, _, h := b.post("/consent/"+id, url.Values{"decision": {"grant"}, "device": {dev}})
		if code != http.StatusSeeOther {
			t.Fatalf("grant: %d", code)
		}
		back, _ := url.Parse(h.Get("Location"))
		if _, err := time.Parse(time.RFC3339, back.Query().Get("expires")); err != nil {
			t.Fatalf("grant redirect has no end date: %s", back)
		}
		return back.Query().Get("policy")
	}
	first := grant(s.accountQuery(t, a, func(r *providermeta.Request) { r.Duration = "30d" }))

	q := s.accountQuery(t, a, func(r *providermeta.Request) {
		r.State, r.Resolution, r.Scope = "nonce-renewal-1", "15m", []string{"electricity", "gas"}
	})
	id := b.consentID(q)
	_, page, _ := b.get("/consent/" + id)
	for _, want := range []string{"asks to renew", "What changes", "per 15 minutes", "electricity, gas", "ends in 30 days", "Renew access"} {
		if !strings.Contains(page, want) {
			t.Errorf("renewal page does not show %q", want)
		}
	}
	second := grant(q)
	if second == first {
		t.Fatal("renewal reused the policy id")
	}
	_, body, _ := b.get("/policies")
	if n := strings.Count(body, "badge-active"); n != 1 || !strings.Contains(body, "renewed") || strings.Count(body, "/revoke") != 1 {
		t.Fatalf("after renewing: %d active consents shown, want 1 (renewed):\n%s", n, body)
	}
	p1, _ := s.st.Policy(context.Background(), acct, first)
	p2, _ := s.st.Policy(context.Background(), acct, second)
	if p1.ReplacedBy != second || p2.Replaces != first || p1.Status(time.Now()) != "replaced" || p2.Status(time.Now()) != "active" {
		t.Fatalf("replaced %+v\nby %+v", p1, p2)
	}
	// A repeated request (nothing changed) merges the same way.
	third := grant(s.accountQuery(t, a, func(r *providermeta.Request) { r.State = "nonce-repeat-123" }))
	ps, _ := s.st.Policies(context.Background(), acct)
	active := 0
	for _, p := range ps {
		if p.Status(time.Now()) == "active" {
			active++
			if p.ID != third {
				t.Errorf("active policy %s, want %s", p.ID, third)
			}
		}
	}
	if active != 1 {
		t.Fatalf("%d active policies for one provider account, want 1", active)
	}
}

func TestBadFormValues(t *testing.T) {
	s := startSite(t)
	b := s.browser(t)
	acct := b.newHome(s)
	dev := s.addDevice(t, acct) // before any page caches the home's view
	b.get("/devices")
	for name, form := range map[string]url.Values{
		"empty":        {},
		"bad address":  {"address": {"HELLO"}, "code": {"ABCD-EFGH-IJKL-MNOP"}},
		"short code":   {"address": {strings.Repeat("A", 81)}, "code": {"ABCD"}},
		"code letters": {"address": {strings.Repeat("A", 81)}, "code": {"ABCD-EFGH-IJKL-MNO1"}},
		"bad qr":       {"qr": {"https://example.com"}},
	} {
		code, body, _ := b.post("/devices/pair", form)
		if code != http.StatusUnprocessableEntity || !strings.Contains(body, `role="alert"`) {
			t.Errorf("%s: %d", name, code)
		}
	}
	code, _, h := b.post("/devices/pair", url.Values{"qr": {"iotahome:pair?address=" + strings.Repeat("A", 81) + "&code=abcd-efgh-ijkl-mnop"}})
	if code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/pairings/") {
		t.Fatalf("pair from QR text: %d %s", code, h.Get("Location"))
	}
	if code, body, _ := b.get(h.Get("Location")); code != http.StatusOK || !strings.Contains(body, "Claim sent") {
		t.Fatalf("pairing page: %d", code)
	}

	id := b.consentID(s.providerQuery(t, nil))
	b.get("/consent/" + id)
	for name, form := range map[string]url.Values{
		"no decision":   {"device": {dev}},
		"odd decision":  {"decision": {"maybe"}, "device": {dev}},
		"foreign dev":   {"decision": {"grant"}, "device": {strings.Repeat("B", 81)}},
		"missing dev":   {"decision": {"grant"}},
		"injected html": {"decision": {"grant"}, "device": {"<script>"}},
	} {
		code, body, _ := b.post("/consent/"+id, form)
		if code != http.StatusUnprocessableEntity || !strings.Contains(body, `role="alert"`) || strings.Contains(body, "<script>") {
			t.Errorf("%s: %d", name, code)
		}
	}
	if code, _, _ := b.post("/start/restore", url.Values{"seed": {"NOT A SEED"}}); code != http.StatusUnprocessableEntity {
		t.Fatalf("bad seed: %d", code)
	}
}

func TestSeedShownOnce(t *testing.T) {
	s := startSite(t)
	b := s.browser(t)
	b.newHome(s)
	_, first, h := b.get("/seed")
	if !strings.Contains(first, `id="seed-value"`) || h.Get("Cache-Control") != "no-store" {
		t.Fatal("seed not shown the first time, or cacheable")
	}
	if _, again, _ := b.get("/seed"); strings.Contains(again, `id="seed-value"`) {
		t.Fatal("seed shown twice")
	}
}

// TestConsentBeforeHavingAHome: a visitor without a home is sent through
// creating one and lands back on the request.
func TestConsentBeforeHavingAHome(t *testing.T) {
	s := startSite(t)
	b := s.browser(t)
	id := b.consentID(s.providerQuery(t, nil))
	code, body, _ := b.get("/consent/" + id)
	if code != http.StatusOK || !strings.Contains(body, "/?next=/consent/"+id) {
		t.Fatalf("anonymous consent page: %d", code)
	}
	b.get("/?next=/consent/" + id)
	code, _, h := b.post("/start/new", url.Values{"next": {"/consent/" + id}})
	if code != http.StatusSeeOther || h.Get("Location") != "/seed?next=/consent/"+id {
		t.Fatalf("create with next: %d %q", code, h.Get("Location"))
	}
	if _, body, _ := b.get(h.Get("Location")); !strings.Contains(body, `href="/consent/`+id+`"`) {
		t.Fatal("seed page does not continue to the request")
	}
	if code, body, _ := b.get("/consent/" + id); code != http.StatusOK || !strings.Contains(body, "Grant access") && !strings.Contains(body, "no paired reader") {
		t.Fatalf("consent page after creating a home: %d", code)
	}
}

// TestRestoreShowsProgress: restoring a seed this server does not know
// starts a replay whose page reloads itself until it is done.
func TestRestoreShowsProgress(t *testing.T) {
	s := startSite(t)
	b := s.browser(t)
	b.get("/")
	sd, _ := seed.New()
	grouped := ""
	for i := 0; i < len(sd); i += 9 {
		grouped += string(sd[i:i+9]) + " " // as the seed page shows it
	}
	code, _, h := b.post("/start/restore", url.Values{"seed": {strings.ToLower(grouped)}})
	if code != http.StatusSeeOther || h.Get("Location") != "/restore" {
		t.Fatalf("restore: %d %q", code, h.Get("Location"))
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, body, _ := b.get("/restore")
		if strings.Contains(body, "Home restored") {
			break
		}
		if !strings.Contains(body, `http-equiv="refresh"`) {
			t.Fatal("restore progress page does not refresh itself")
		}
		if time.Now().After(deadline) {
			t.Fatal("restore did not finish")
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Restoring the same seed again opens the same home at once.
	other := s.browser(t)
	other.get("/")
	if code, _, h := other.post("/start/restore", url.Values{"seed": {string(sd)}}); code != http.StatusSeeOther || h.Get("Location") != "/devices" {
		t.Fatalf("second restore: %d %q", code, h.Get("Location"))
	}
	if n := countAccounts(t, s); n != 1 {
		t.Fatalf("%d accounts for one seed", n)
	}
}

// TestPairingFromAConsentRequestReturnsToIt: the consent page of a home
// without a reader sends the owner to pair one and, once paired, back to
// the request; next never leads anywhere but a consent request.
func TestPairingFromAConsentRequestReturnsToIt(t *testing.T) {
	s := startSite(t)
	b := s.browser(t)
	acct := b.newHome(s)
	id := b.consentID(s.providerQuery(t, nil))
	next := "/consent/" + id

	_, body, _ := b.get(next)
	if !strings.Contains(body, `class="button" href="/devices?next=`+next+`#pair"`) {
		t.Fatalf("consent page without a reader does not offer pairing that returns here:\n%s", body)
	}
	if strings.Contains(body, "You can revoke this consent") {
		t.Error("consent page without a reader talks about revoking a consent it cannot grant")
	}
	_, body, _ = b.get("/devices?next=" + url.QueryEscape(next))
	if !strings.Contains(body, `name="next" value="`+next+`"`) {
		t.Fatal("pair form does not carry the consent request on")
	}

	qr := "iotahome:pair?address=" + strings.Repeat("A", 81) + "&code=abcd-efgh-ijkl-mnop"
	code, _, h := b.post("/devices/pair", url.Values{"qr": {qr}, "next": {next}})
	pairing, ok := strings.CutSuffix(h.Get("Location"), "?next="+next)
	if code != http.StatusSeeOther || !ok || !strings.HasPrefix(pairing, "/pairings/") {
		t.Fatalf("pair with next: %d %q", code, h.Get("Location"))
	}
	// The fake device never answers: mark the pairing done as the driver would.
	for {
		p, err := s.st.Pairing(context.Background(), acct, strings.TrimPrefix(pairing, "/pairings/"))
		if err != nil {
			t.Fatal(err)
		}
		from := p.Step
		p.Step = myhomestore.StepPaired
		if err := s.st.UpdatePairing(context.Background(), p, from); err == nil {
			break
		}
	}
	_, body, _ = b.get(h.Get("Location"))
	if !strings.Contains(body, `class="button" href="`+next+`"`) || !strings.Contains(body, "Continue to the request from "+s.provider.URL) {
		t.Fatalf("paired page does not lead back to the request:\n%s", body)
	}
	if _, body, _ = b.get(pairing); strings.Contains(body, next) {
		t.Error("pairing page without next links to a consent request")
	}

	// Only a consent request path goes through; anything else is dropped.
	for _, evil := range []string{"https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)",
		next + "/../../x", next + "?x=1", next + "#x", "/consent/" + strings.Repeat("0", 31), "/devices", " " + next} {
		if _, body, _ := b.get("/devices?next=" + url.QueryEscape(evil)); strings.Contains(body, `name="next"`) || strings.Contains(body, "evil") {
			t.Errorf("devices page kept next=%q", evil)
		}
		code, _, h := b.post("/devices/pair", url.Values{"qr": {qr}, "next": {evil}})
		if loc := h.Get("Location"); code != http.StatusSeeOther || !strings.HasPrefix(loc, "/pairings/") || strings.Contains(loc, "?") {
			t.Errorf("pair with next=%q: %d %q", evil, code, loc)
		}
		if _, body, _ := b.get(pairing + "?next=" + url.QueryEscape(evil)); strings.Contains(body, "evil") || strings.Contains(body, "Continue to the request") {
			t.Errorf("pairing page followed next=%q", evil)
		}
	}
	// A well-formed next naming a request this home cannot see is dropped too.
	other := "/consent/" + strings.Repeat("0", 32)
	if _, body, _ := b.get(pairing + "?next=" + other); strings.Contains(body, other) {
		t.Error("pairing page links to an unknown consent request")
	}
}
