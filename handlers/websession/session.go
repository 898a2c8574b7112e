// Package websession gives an Echo site browser sessions, CSRF protection on
// every form and the security headers both iotahome sites send. It keeps no
// state itself: sessions live in the site's own database behind
// session.Store, so they survive restarts and each site (My Home, Wattt)
// keeps its own.
package websession

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"iotahome/session"
)

// Config names the cookies of one site. Both sites may run on the same host
// with different ports, and browsers do not separate cookies by port, so the
// names must differ per site.
type Config struct {
	// CookieName of the session cookie, e.g. "myhome_session". Over HTTPS
	// the cookie is "__Host-" + CookieName: Secure, host-only, path /, so
	// that no sibling subdomain or insecure origin can set it.
	CookieName string
	// MaxAge of a session; 0 means 30 days.
	MaxAge time.Duration
}

// Manager issues and resolves sessions for one site.
type Manager struct {
	store  session.Store
	cookie string
	maxAge time.Duration
	now    func() time.Time
	cache  sessionCache
}

// New returns a Manager for a site whose sessions live in store.
func New(store session.Store, cfg Config) *Manager {
	if cfg.MaxAge == 0 {
		cfg.MaxAge = 30 * 24 * time.Hour
	}
	if cfg.CookieName == "" {
		cfg.CookieName = "session"
	}
	return &Manager{store: store, cookie: cfg.CookieName, maxAge: cfg.MaxAge, now: time.Now}
}

// context keys under which Middleware leaves what it found.
const (
	accountKey = "websession.account"
	sessionKey = "websession.id"
)

// Middleware resolves the session cookie (if any) to an account, which
// handlers read with AccountID. A request without a valid session simply has
// no account; use RequireAccount on routes that need one.
func (m *Manager) Middleware() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			ck, err := c.Cookie(cookieNameFor(c, m.cookie))
			if err != nil || ck.Value == "" || len(ck.Value) > 64 {
				return next(c)
			}
			acct, err := m.lookup(c.Request().Context(), ck.Value)
			switch {
			case errors.Is(err, session.ErrNoSession):
				m.clearCookie(c)
			case err != nil:
				return fmt.Errorf("websession: look up session: %w", err)
			default:
				c.Set(accountKey, acct)
				c.Set(sessionKey, ck.Value)
			}
			return next(c)
		}
	}
}

// RequireAccount sends requests without a session to redirectTo (303).
func RequireAccount(redirectTo string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if _, ok := AccountID(c); !ok {
				return c.Redirect(http.StatusSeeOther, redirectTo)
			}
			return next(c)
		}
	}
}

// AccountID is the account of the request's session, if it has one.
func AccountID(c echo.Context) (string, bool) {
	a, ok := c.Get(accountKey).(string)
	return a, ok && a != ""
}

// SessionID is the id of the request's session, or "" without one. Sites use
// it to key per-session server-side state (e.g. a pending consent request).
func SessionID(c echo.Context) string {
	s, _ := c.Get(sessionKey).(string)
	return s
}

// Login starts a new session for accountID, replacing (and deleting) any
// session the request carried, so a session id never survives a change of
// account (no session fixation).
func (m *Manager) Login(c echo.Context, accountID string) error {
	ctx := c.Request().Context()
	if old := SessionID(c); old != "" {
		m.cache.forget(old)
		if err := m.store.DeleteSession(ctx, old); err != nil {
			return fmt.Errorf("websession: drop old session: %w", err)
		}
	}
	id, err := session.NewID()
	if err != nil {
		return err
	}
	expires := m.now().Add(m.maxAge)
	if err := m.store.CreateSession(ctx, id, accountID, expires); err != nil {
		return fmt.Errorf("websession: create session: %w", err)
	}
	c.SetCookie(&http.Cookie{
		Name:     cookieNameFor(c, m.cookie),
		Value:    id,
		Path:     "/",
		Expires:  expires,
		MaxAge:   int(m.maxAge / time.Second),
		HttpOnly: true,
		Secure:   isHTTPS(c),
		SameSite: http.SameSiteLaxMode,
	})
	c.Set(accountKey, accountID)
	c.Set(sessionKey, id)
	return nil
}

// Logout ends the request's session.
func (m *Manager) Logout(c echo.Context) error {
	if id := SessionID(c); id != "" {
		m.cache.forget(id)
		if err := m.store.DeleteSession(c.Request().Context(), id); err != nil {
			return fmt.Errorf("websession: delete session: %w", err)
		}
	}
	m.clearCookie(c)
	c.Set(accountKey, "")
	c.Set(sessionKey, "")
	return nil
}

func (m *Manager) clearCookie(c echo.Context) {
	c.SetCookie(&http.Cookie{Name: cookieNameFor(c, m.cookie), Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: isHTTPS(c), SameSite: http.SameSiteLaxMode})
}

// isHTTPS reports whether the request reached the site over TLS (directly
// or, per X-Forwarded-Proto, through a proxy), so cookies get Secure.
func isHTTPS(c echo.Context) bool { return c.Scheme() == "https" }

// lookup resolves a session id, from the cache when it was seen recently.
func (m *Manager) lookup(ctx context.Context, id string) (string, error) {
	now := m.now()
	if acct, ok := m.cache.get(id, now); ok {
		return acct, nil
	}
	acct, err := m.store.SessionAccount(ctx, id, now)
	if err == nil {
		m.cache.put(id, acct, now)
	}
	return acct, err
}

// sessionCache remembers live sessions for a short while so that a page
// view does not cost a database query. Login and Logout of this process
// drop entries at once; a session that expires in the database is still
// honoured for at most sessionCacheTTL.
type sessionCache struct {
	mu      sync.Mutex
	entries map[string]cachedSession
}

type cachedSession struct {
	account string
	until   time.Time
}

const (
	sessionCacheTTL  = time.Minute
	sessionCacheSize = 10_000
)

func (c *sessionCache) get(id string, now time.Time) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[id]
	if !ok || now.After(e.until) {
		return "", false
	}
	return e.account, true
}

func (c *sessionCache) put(id, account string, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || len(c.entries) >= sessionCacheSize {
		c.entries = make(map[string]cachedSession) // crude but bounded: start over
	}
	c.entries[id] = cachedSession{account: account, until: now.Add(sessionCacheTTL)}
}

func (c *sessionCache) forget(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.entries, id)
}
