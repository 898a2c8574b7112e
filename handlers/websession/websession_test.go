package websession

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"iotahome/session"
)

// memStore is the smallest session.Store: a map. Real sites keep sessions in SQLite.
type memStore struct {
	mu sync.Mutex
	m  map[string]string
}

func (s *memStore) CreateSession(_ context.Context, id, acct string, _ time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[id] = acct
	return nil
}

func (s *memStore) SessionAccount(_ context.Context, id string, _ time.Time) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.m[id]
	if !ok {
		return "", session.ErrNoSession
	}
	return a, nil
}

func (s *memStore) DeleteSession(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, id)
	return nil
}

func newSite(t *testing.T) (*echo.Echo, *memStore) {
	st := &memStore{m: map[string]string{}}
	m := New(st, Config{CookieName: "t_session"})
	e := echo.New()
	e.Use(SecurityHeaders(""), m.Middleware(), CSRF("t_csrf"))
	e.GET("/form", func(c echo.Context) error { return c.String(200, CSRFToken(c)) })
	e.POST("/login", func(c echo.Context) error { return m.Login(c, c.FormValue("acct")) })
	e.GET("/me", func(c echo.Context) error {
		a, _ := AccountID(c)
		return c.String(200, a)
	}, RequireAccount("/start"))
	e.POST("/logout", func(c echo.Context) error { return m.Logout(c) })
	return e, st
}

func do(e *echo.Echo, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	return rec
}

func cookie(rec *httptest.ResponseRecorder, name string) *http.Cookie {
	for _, c := range rec.Result().Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func post(path string, form url.Values, cookies ...*http.Cookie) *http.Request {
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for _, c := range cookies {
		req.AddCookie(c)
	}
	return req
}

func TestSessionCSRFAndHeaders(t *testing.T) {
	e, st := newSite(t)

	rec := do(e, httptest.NewRequest(http.MethodGet, "/form", nil))
	for _, h := range []string{"Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy"} {
		if rec.Header().Get(h) == "" {
			t.Errorf("missing header %s", h)
		}
	}
	if strings.Contains(rec.Header().Get("Content-Security-Policy"), "unsafe-inline") {
		t.Error("CSP allows inline code")
	}
	csrf := cookie(rec, "t_csrf")
	if csrf == nil || !csrf.HttpOnly {
		t.Fatalf("CSRF cookie missing or not HttpOnly: %+v", csrf)
	}
	token := rec.Body.String()

	// Without token, with a wrong token, and with a cross-site Sec-Fetch-Site: rejected.
	if rec := do(e, post("/login", url.Values{"acct": {"A"}}, csrf)); rec.Code != http.StatusForbidden && rec.Code != http.StatusBadRequest {
		t.Fatalf("POST without token: %d", rec.Code)
	}
	if rec := do(e, post("/login", url.Values{"acct": {"A"}, CSRFField: {"nope"}}, csrf)); rec.Code != http.StatusForbidden {
		t.Fatalf("POST with wrong token: %d", rec.Code)
	}
	cross := post("/login", url.Values{"acct": {"A"}})
	cross.Header.Set("Sec-Fetch-Site", "cross-site")
	if rec := do(e, cross); rec.Code != http.StatusForbidden && rec.Code != http.StatusBadRequest {
		t.Fatalf("cross-site POST: %d", rec.Code)
	}
	if len(st.m) != 0 {
		t.Fatal("a rejected POST created a session")
	}

	rec = do(e, post("/login", url.Values{"acct": {"A"}, CSRFField: {token}}, csrf))
	if rec.Code != http.StatusOK {
		t.Fatalf("login: %d %s", rec.Code, rec.Body)
	}
	sess := cookie(rec, "t_session")
	if sess == nil || !sess.HttpOnly || sess.SameSite != http.SameSiteLaxMode || len(sess.Value) != 43 {
		t.Fatalf("session cookie: %+v", sess)
	}

	req := httptest.NewRequest(http.MethodGet, "/me", nil)
	req.AddCookie(sess)
	if rec := do(e, req); rec.Body.String() != "A" {
		t.Fatalf("/me = %q", rec.Body)
	}
	if rec := do(e, httptest.NewRequest(http.MethodGet, "/me", nil)); rec.Code != http.StatusSeeOther {
		t.Fatalf("/me without session: %d", rec.Code)
	}
	forged := httptest.NewRequest(http.MethodGet, "/me", nil)
	forged.AddCookie(&http.Cookie{Name: "t_session", Value: "guess"})
	if rec := do(e, forged); rec.Code != http.StatusSeeOther {
		t.Fatalf("/me with a guessed session: %d", rec.Code)
	}

	// With a session, the form token is bound to it: the pre-session token
	// no longer works.
	if rec := do(e, post("/login", url.Values{"acct": {"B"}, CSRFField: {token}}, csrf, sess)); rec.Code != http.StatusForbidden {
		t.Fatalf("pre-session token accepted with a session: %d", rec.Code)
	}
	formReq := httptest.NewRequest(http.MethodGet, "/form", nil)
	formReq.AddCookie(csrf)
	formReq.AddCookie(sess)
	token = do(e, formReq).Body.String()
	// Logging in again replaces the session id.
	rec = do(e, post("/login", url.Values{"acct": {"B"}, CSRFField: {token}}, csrf, sess))
	sess2 := cookie(rec, "t_session")
	if sess2 == nil || sess2.Value == sess.Value {
		t.Fatal("session id not rotated on login")
	}
	if _, err := st.SessionAccount(context.Background(), sess.Value, time.Now()); err != session.ErrNoSession {
		t.Fatal("old session survived a new login")
	}

	formReq = httptest.NewRequest(http.MethodGet, "/form", nil)
	formReq.AddCookie(csrf)
	formReq.AddCookie(sess2)
	token = do(e, formReq).Body.String()
	do(e, post("/logout", url.Values{CSRFField: {token}}, csrf, sess2))
	if len(st.m) != 0 {
		t.Fatal("logout kept the session")
	}
}

// Over HTTPS both cookies are __Host- cookies (Secure, host-only, path
// /), which no sibling subdomain or plain-HTTP origin can set.
func TestSecureCookiesOverHTTPS(t *testing.T) {
	e, _ := newSite(t)
	https := func(req *http.Request) *http.Request {
		req.Header.Set("X-Forwarded-Proto", "https")
		req.RemoteAddr = "127.0.0.1:40000" // Echo trusts the header only from a loopback/private proxy
		return req
	}
	rec := do(e, https(httptest.NewRequest(http.MethodGet, "/form", nil)))
	csrf := cookie(rec, "__Host-t_csrf")
	if csrf == nil || !csrf.Secure || csrf.Path != "/" || csrf.Domain != "" || cookie(rec, "t_csrf") != nil {
		t.Fatalf("CSRF cookie over https: %+v", csrf)
	}
	if rec.Header().Get("Strict-Transport-Security") == "" {
		t.Fatal("no HSTS over https")
	}
	rec = do(e, https(post("/login", url.Values{"acct": {"A"}, CSRFField: {rec.Body.String()}}, csrf)))
	sess := cookie(rec, "__Host-t_session")
	if sess == nil || !sess.Secure || sess.Path != "/" || sess.Domain != "" || !sess.HttpOnly {
		t.Fatalf("session cookie over https: %+v (%d)", sess, rec.Code)
	}
	me := https(httptest.NewRequest(http.MethodGet, "/me", nil))
	me.AddCookie(sess)
	if rec := do(e, me); rec.Body.String() != "A" {
		t.Fatalf("/me over https = %q", rec.Body)
	}
}

// Regression (issue 13, CSRF): a same-site request (a sibling origin: another
// port, a sibling subdomain) is refused even with a valid token, which a
// sibling could have planted by tossing a cookie; and a token is bound to
// its session.
func TestCSRFSameSiteAndSessionBinding(t *testing.T) {
	e, _ := newSite(t)
	rec := do(e, httptest.NewRequest(http.MethodGet, "/form", nil))
	csrf, token := cookie(rec, "t_csrf"), rec.Body.String()
	sameSite := post("/login", url.Values{"acct": {"A"}, CSRFField: {token}}, csrf)
	sameSite.Header.Set("Sec-Fetch-Site", "same-site")
	if rec := do(e, sameSite); rec.Code != http.StatusForbidden {
		t.Fatalf("same-site POST with a valid token: %d", rec.Code)
	}
	sameOrigin := post("/login", url.Values{"acct": {"A"}}, csrf)
	sameOrigin.Header.Set("Sec-Fetch-Site", "same-origin")
	if rec := do(e, sameOrigin); rec.Code != http.StatusOK {
		t.Fatalf("same-origin POST: %d", rec.Code)
	}
	// Two sessions: the token of one does not work for the other.
	login := func(acct string) *http.Cookie {
		rec := do(e, post("/login", url.Values{"acct": {acct}, CSRFField: {token}}, csrf))
		return cookie(rec, "t_session")
	}
	a, b := login("A"), login("B")
	formReq := httptest.NewRequest(http.MethodGet, "/form", nil)
	formReq.AddCookie(a)
	tokenA := do(e, formReq).Body.String()
	if rec := do(e, post("/logout", url.Values{CSRFField: {tokenA}}, b)); rec.Code != http.StatusForbidden {
		t.Fatalf("session A's token accepted for session B: %d", rec.Code)
	}
	if rec := do(e, post("/logout", url.Values{CSRFField: {tokenA}}, a)); rec.Code != http.StatusOK {
		t.Fatalf("session A's own token: %d", rec.Code)
	}
}
