package wattt

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"iotahome/protocol"
	"iotahome/protocol/providermeta"
	"iotahome/store/serverkey"
	"iotahome/store/watttsqlite"
	"iotahome/tangle/client"
	"iotahome/wattt"
)

// testSite is the Wattt app on a fresh database. Its service never runs its
// workers: handlers need none of them, and no node is contacted.
type testSite struct {
	e   *echo.Echo
	st  wattt.Store
	svc *wattt.Service
}

func newSite(t testing.TB) *testSite {
	t.Helper()
	st, err := watttsqlite.Open(context.Background(), filepath.Join(t.TempDir(), "wattt.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	raw := make([]byte, serverkey.Size)
	rand.Read(raw)
	key, _ := serverkey.FromBytes(raw)
	c, err := client.New(client.Config{NodeURL: "http://127.0.0.1:1", MWM: 9, PoW: client.PoWRemote})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	svc := wattt.New(st, key, c, log, wattt.Config{MyHomeURL: "http://myhome.test", PublicURL: "http://wattt.test", Location: time.UTC})
	return &testSite{e: New(svc, st, log), st: st, svc: svc}
}

// browser keeps cookies like a browser (one per visitor).
type browser struct {
	t       testing.TB
	site    *testSite
	cookies map[string]*http.Cookie
}

func (s *testSite) browser(t testing.TB) *browser {
	return &browser{t: t, site: s, cookies: map[string]*http.Cookie{}}
}

func (b *browser) do(req *http.Request) *httptest.ResponseRecorder {
	for _, c := range b.cookies {
		req.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	b.site.e.ServeHTTP(rec, req)
	for _, c := range rec.Result().Cookies() {
		if c.MaxAge < 0 {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c
		}
	}
	return rec
}

func (b *browser) get(path string) *httptest.ResponseRecorder {
	return b.do(httptest.NewRequest(http.MethodGet, path, nil))
}

func (b *browser) post(path string, form url.Values) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

var csrfRe = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// csrf loads the start page and returns its form token.
func (b *browser) csrf() string {
	rec := b.get("/?new=1")
	m := csrfRe.FindStringSubmatch(rec.Body.String())
	if m == nil {
		b.t.Fatalf("no CSRF field on the start page: %s", rec.Body)
	}
	return m[1]
}

// connect posts the connect form (Live plan) and returns the consent
// request's state.
func (b *browser) connect() string {
	b.t.Helper()
	return b.connectPlan("live").State
}

// connectPlan posts the connect form for a plan and returns the signed
// request it sent the browser to My Home with, verified against Wattt's
// published document (fetched over HTTP as My Home does).
func (b *browser) connectPlan(plan string) providermeta.Checked {
	b.t.Helper()
	rec := b.post("/connect", url.Values{"_csrf": {b.csrf()}, "myhome": {"http://myhome.test/"}, "plan": {plan}})
	if rec.Code != http.StatusSeeOther {
		b.t.Fatalf("connect: %d %s", rec.Code, rec.Body)
	}
	u, err := url.Parse(rec.Header().Get("Location"))
	if err != nil || u.Host != "myhome.test" || u.Path != "/new-policy" {
		b.t.Fatalf("connect redirected to %q", rec.Header().Get("Location"))
	}
	docRec := b.get(providermeta.WellKnownPath)
	doc, err := providermeta.ParseDocument(docRec.Body.Bytes(), "http://wattt.test")
	if docRec.Code != http.StatusOK || err != nil {
		b.t.Fatalf("provider document: %d %v\n%s", docRec.Code, err, docRec.Body)
	}
	c, err := providermeta.Verify(u.Query().Get("request"), doc, time.Now())
	if err != nil {
		b.t.Fatalf("consent request does not verify against the published document: %v", err)
	}
	if c.URL != "http://wattt.test/connect/return" || len(c.Address) != 81 {
		b.t.Fatalf("consent request %+v", c)
	}
	return c
}

func (b *browser) accountID() int64 {
	b.t.Helper()
	ck := b.cookies[SessionCookie]
	if ck == nil {
		b.t.Fatal("no session")
	}
	id, err := b.site.st.SessionAccount(context.Background(), ck.Value, time.Now())
	if err != nil {
		b.t.Fatal(err)
	}
	n, _ := strconv.ParseInt(id, 10, 64)
	return n
}

func TestStartPageAndCSRF(t *testing.T) {
	s := newSite(t)
	b := s.browser(t)
	rec := b.get("/")
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "Wattt Insights") || !strings.Contains(rec.Body.String(), `value="http://myhome.test"`) {
		t.Fatalf("start page: %d\n%s", rec.Code, rec.Body)
	}
	for _, h := range []string{"Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options"} {
		if rec.Header().Get(h) == "" {
			t.Errorf("missing %s", h)
		}
	}
	// No token, wrong token, cross-site: refused, and no account is made.
	if rec := b.post("/connect", url.Values{"myhome": {"http://myhome.test"}}); rec.Code != http.StatusForbidden && rec.Code != http.StatusBadRequest {
		t.Errorf("POST without CSRF token: %d", rec.Code)
	}
	if rec := b.post("/connect", url.Values{"_csrf": {"forged"}, "myhome": {"http://myhome.test"}}); rec.Code != http.StatusForbidden {
		t.Errorf("POST with a wrong CSRF token: %d", rec.Code)
	}
	req := httptest.NewRequest(http.MethodPost, "/connect", strings.NewReader("myhome=http://myhome.test"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if rec := b.do(req); rec.Code != http.StatusForbidden && rec.Code != http.StatusBadRequest {
		t.Errorf("cross-site POST: %d", rec.Code)
	}
	if b.cookies[SessionCookie] != nil {
		t.Fatal("a refused POST started a session")
	}
	// A bad My Home URL is a clear message, not a redirect.
	rec = b.post("/connect", url.Values{"_csrf": {b.csrf()}, "myhome": {"javascript:alert(1)"}})
	if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "starting with http://") {
		t.Errorf("bad My Home URL: %d %s", rec.Code, rec.Body)
	}
	cookie := b.cookies[CSRFCookie]
	if cookie == nil || !cookie.HttpOnly {
		t.Errorf("CSRF cookie %+v", cookie)
	}
}

func TestReturnHandlerChecksState(t *testing.T) {
	s := newSite(t)
	alice, bob, eve := s.browser(t), s.browser(t), s.browser(t)
	stateA, stateB := alice.connect(), bob.connect()
	if stateA == stateB || alice.cookies[SessionCookie] == nil || !alice.cookies[SessionCookie].HttpOnly {
		t.Fatal("states must be fresh per request and the session cookie HttpOnly")
	}
	for _, c := range []struct {
		name string
		b    *browser
		q    string
	}{
		{"missing state", alice, "result=granted"},
		{"unknown state", alice, "state=made-up&result=granted"},
		{"another visitor's state", alice, "state=" + stateB + "&result=granted"},
		{"no session", eve, "state=" + stateA + "&result=granted"},
		{"missing result", alice, "state=" + stateA},
	} {
		if rec := c.b.get("/connect/return?" + c.q); rec.Code != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", c.name, rec.Code)
		}
	}
	// Bob's request was not touched by Alice's attempt.
	if r, _ := s.st.ConsentRequest(context.Background(), bob.accountID(), stateB); r.Status != wattt.RequestPending {
		t.Errorf("bob's request is %s", r.Status)
	}
	rec := alice.get("/connect/return?state=" + url.QueryEscape(stateA) + "&result=granted&policy=p1")
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/connect/waiting?state="+stateA {
		t.Fatalf("granted return: %d %q", rec.Code, rec.Header().Get("Location"))
	}
	rec = alice.get("/connect/waiting?state=" + url.QueryEscape(stateA))
	body := rec.Body.String()
	if rec.Code != http.StatusOK || !strings.Contains(body, "Waiting for your meter") || !strings.Contains(body, `http-equiv="refresh"`) {
		t.Fatalf("waiting page: %d %s", rec.Code, body)
	}
	if rec := bob.get("/connect/waiting?state=" + url.QueryEscape(stateA)); rec.Code != http.StatusNotFound {
		t.Errorf("bob saw alice's waiting page: %d", rec.Code)
	}
	rec = bob.get("/connect/return?state=" + url.QueryEscape(stateB) + "&result=denied")
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "No access granted") {
		t.Errorf("denied return: %d", rec.Code)
	}
}

func f(v float64) *float64 { return &v }

func TestDashboardSessionIsolationTariffAndExport(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	alice, bob := s.browser(t), s.browser(t)
	stateA, stateB := alice.connect(), bob.connect()
	conn, err := s.st.AcceptKeys(ctx, alice.accountID(), stateA, "DEVICE", "ROOT", "KEY", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	var rs []wattt.StoredReading
	for i := range 120 {
		rs = append(rs, wattt.StoredReading{Seq: int64(i), Reading: protocol.Reading{
			Time: now.Add(time.Duration(i-120) * time.Second), DeliveredT1: f(100 + float64(i)/1000), PowerDelivered: f(1.234), PowerReturned: f(0),
			Phases: []protocol.Phase{{Phase: 1, Voltage: f(231.5), Current: f(5)}},
		}})
	}
	if _, err := s.st.Advance(ctx, time.UTC, []wattt.Progress{wattt.Progress{ConnectionID: conn.ID, FromRoot: "ROOT", Root: "ROOT2", SideKey: "KEY", Messages: 1, Readings: rs}}); err != nil {
		t.Fatal(err)
	}
	id := strconv.FormatInt(conn.ID, 10)

	rec := alice.get("/dashboard")
	body := rec.Body.String()
	if rec.Code != http.StatusOK || !strings.Contains(body, "1.234 kW") || !strings.Contains(body, "<svg") || !strings.Contains(body, "Live") ||
		!strings.Contains(body, "231.5 V") {
		t.Fatalf("dashboard: %d\n%s", rec.Code, body)
	}
	if rec := alice.get("/live.json?c=" + id); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"powerDelivered":"1.234 kW"`) {
		t.Errorf("live: %d %s", rec.Code, rec.Body)
	}
	// Bob has no connection: his dashboard is his waiting page, and
	// Alice's meter is not found for him on any route.
	if rec := bob.get("/dashboard"); rec.Code != http.StatusSeeOther || !strings.Contains(rec.Header().Get("Location"), stateB) {
		t.Errorf("bob's dashboard: %d %s", rec.Code, rec.Header().Get("Location"))
	}
	for _, path := range []string{"/dashboard?c=" + id, "/live.json?c=" + id, "/export.csv?c=" + id + "&from=2026-01-01&to=2030-01-01"} {
		if rec := bob.get(path); rec.Code != http.StatusNotFound || strings.Contains(rec.Body.String(), "1.234") {
			t.Errorf("bob GET %s: %d", path, rec.Code)
		}
	}
	// Without a session the private pages send you to the start.
	if rec := s.browser(t).get("/dashboard"); rec.Code != http.StatusSeeOther {
		t.Errorf("anonymous dashboard: %d", rec.Code)
	}

	// Tariff: a bad number is a message; a good one is saved.
	token := csrfRe.FindStringSubmatch(body)[1]
	form := url.Values{"_csrf": {token}, "per_kwh": {"abc"}, "per_kwh_returned": {"0.1"}, "per_m3": {"1.2"}, "standing_per_day": {"1"}}
	if rec := alice.post("/tariff?c="+id, form); rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "Electricity per kWh: enter a number") {
		t.Errorf("bad tariff: %d", rec.Code)
	}
	form.Set("per_kwh", "0,31")
	if rec := alice.post("/tariff?c="+id, form); rec.Code != http.StatusSeeOther {
		t.Errorf("tariff: %d %s", rec.Code, rec.Body)
	}
	delete(form, "_csrf")
	if rec := alice.post("/tariff?c="+id, form); rec.Code != http.StatusForbidden && rec.Code != http.StatusBadRequest {
		t.Errorf("tariff without CSRF: %d", rec.Code)
	}
	if tr, _ := s.st.Tariff(ctx, alice.accountID(), wattt.Tariff{}); tr.PerKWh != 0.31 || tr.PerKWhReturned != 0.1 {
		t.Errorf("tariff stored %+v", tr)
	}

	day := now.UTC().Format(time.DateOnly)
	rec = alice.get("/export.csv?c=" + id + "&from=" + day + "&to=" + day)
	csv, _ := io.ReadAll(rec.Body)
	lines := strings.Split(strings.TrimSpace(string(csv)), "\n")
	if rec.Code != http.StatusOK || !strings.HasPrefix(lines[0], "time,source,power_delivered_kw") {
		t.Fatalf("export: %d %s", rec.Code, csv)
	}
	// Readings of the last two minutes may straddle midnight UTC.
	if len(lines) < 2 || !strings.Contains(lines[len(lines)-1], ",reading,1.234,0,") || !strings.Contains(lines[len(lines)-1], "231.5") {
		t.Errorf("export rows: %d, last %q", len(lines)-1, lines[len(lines)-1])
	}
	if rec := alice.get("/export.csv?c=" + id + "&from=2026-02-01&to=2026-01-01"); rec.Code != http.StatusBadRequest {
		t.Errorf("reversed range: %d", rec.Code)
	}
}

// Regression (issue 13, limits): a large body is refused before CSRF reads
// it (it used to be spilled to a temp file first); the static files carry
// the security headers too; a client cannot create accounts without limit.
func TestBodyLimitHeadersAndRateLimit(t *testing.T) {
	s := newSite(t)
	b := s.browser(t)
	b.get("/")
	var big bytes.Buffer
	mw := multipart.NewWriter(&big)
	fw, _ := mw.CreateFormFile("upload", "big.bin")
	fw.Write(make([]byte, 2<<20))
	mw.Close()
	req := httptest.NewRequest(http.MethodPost, "/connect", &big)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if rec := b.do(req); rec.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("2 MB POST: %d, want 413", rec.Code)
	}
	for _, path := range []string{"/static/site.css", "/assets/wattt.js", "/static/nonexistent"} {
		rec := b.get(path)
		if rec.Header().Get("Content-Security-Policy") == "" || rec.Header().Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s (%d) has no security headers", path, rec.Code)
		}
	}
	limited := 0
	for range 80 {
		if rec := b.post("/connect", url.Values{"_csrf": {b.csrf()}, "myhome": {"http://myhome.test"}}); rec.Code == http.StatusTooManyRequests {
			limited++
		}
	}
	if limited == 0 {
		t.Fatal("80 connects from one client in a row were all accepted")
	}
}

// TestPlansDocumentAndRenewal: Wattt publishes its provider document and a
// privacy page; each plan asks for what it says; the end of the consent
// that My Home reports comes back on the dashboard with a renew form, and
// the keys of a renewal confirm the connection without moving it.
func TestPlansDocumentAndRenewal(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	b := s.browser(t)
	b.get("/")
	rec := b.get(providermeta.WellKnownPath)
	if ct := rec.Header().Get("Content-Type"); rec.Code != http.StatusOK || !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("document: %d %s", rec.Code, ct)
	}
	doc, err := providermeta.ParseDocument(rec.Body.Bytes(), "http://wattt.test")
	if err != nil || doc.Name != "Wattt Insights" || doc.PrivacyPolicy != "http://wattt.test/privacy" {
		t.Fatalf("document %+v: %v", doc, err)
	}
	if rec := b.get("/privacy"); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "Privacy at Wattt Insights") {
		t.Fatalf("privacy page: %d", rec.Code)
	}
	if body := b.get("/?new=1").Body.String(); !strings.Contains(body, "Monthly insight") || !strings.Contains(body, `value="live" checked`) {
		t.Fatalf("start page offers no plans:\n%s", body)
	}

	live := b.connectPlan("live")
	if live.Resolution != protocol.ResolutionRaw || len(live.Scope) != len(protocol.Kinds) {
		t.Fatalf("Live asks for %s %v", live.Resolution, live.Scope)
	}
	monthly := b.connectPlan("monthly")
	if monthly.Resolution != protocol.Resolution15m || strings.Join(monthly.Scope, ",") != "electricity,gas" {
		t.Fatalf("Monthly insight asks for %s %v", monthly.Resolution, monthly.Scope)
	}
	if rec := b.post("/connect", url.Values{"_csrf": {b.csrf()}, "myhome": {"http://myhome.test/"}, "plan": {"everything"}}); rec.Code != http.StatusBadRequest {
		t.Errorf("unknown plan: %d", rec.Code)
	}

	// Live is granted, with an end; its keys arrive.
	ends := time.Now().Add(12*24*time.Hour + time.Hour).UTC().Truncate(time.Second)
	b.get("/connect/return?state=" + url.QueryEscape(live.State) + "&result=granted&policy=p1&expires=" + ends.Format(time.RFC3339))
	key := protocol.ChannelKey{Device: strings.Repeat("D", 81), Root: strings.Repeat("R", 81), SideKey: strings.Repeat("K", 81), State: live.State}
	conn, err := s.svc.Connect(ctx, b.accountID(), key)
	if err != nil {
		t.Fatal(err)
	}
	body := b.get("/dashboard").Body.String()
	for _, want := range []string{`id="plan">Live`, "ends in 13 days", "Renew at My Home", `name="myhome" value="http://myhome.test"`} {
		if !strings.Contains(body, want) {
			t.Errorf("dashboard lacks %q", want)
		}
	}
	// The renewal (Monthly insight) is granted; the reader sends the same
	// key with the new state and the current root: the connection stays.
	b.get("/connect/return?state=" + url.QueryEscape(monthly.State) + "&result=granted&expires=" + ends.AddDate(1, 0, 0).Format(time.RFC3339))
	renewed := key
	renewed.State, renewed.Root = monthly.State, strings.Repeat("S", 81)
	again, err := s.svc.Connect(ctx, b.accountID(), renewed)
	if err != nil || again.ID != conn.ID {
		t.Fatalf("renewal keys: %+v %v", again, err)
	}
	if c, _ := s.st.Connection(ctx, conn.ID); c.Root != key.Root {
		t.Fatalf("renewal moved the connection to %s", c.Root)
	}
	if r, _ := s.st.ConsentRequest(ctx, b.accountID(), monthly.State); r.Status != wattt.RequestConnected {
		t.Fatalf("renewal request is %s", r.Status)
	}
	body = b.get("/dashboard").Body.String()
	if !strings.Contains(body, `id="plan">Monthly insight`) || !strings.Contains(body, "ends "+ends.AddDate(1, 0, 0).Format("2 Jan 2006")) {
		t.Errorf("dashboard after renewal:\n%s", body)
	}
}
