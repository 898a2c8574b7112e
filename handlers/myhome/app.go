// Package myhome is My Home's HTTP layer: it parses requests, calls the
// myhome domain and renders views/myhome. No logic or SQL lives here.
package myhome

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"sync"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"iotahome/handlers/websession"
	"iotahome/myhome"
	"iotahome/session"
	"iotahome/views/layout"
	views "iotahome/views/myhome"
)

// Cookie names; they differ from Wattt's because browsers share cookies
// between ports of one host.
const (
	SessionCookie = "myhome_session"
	CSRFCookie    = "myhome_csrf"
)

// handlers holds what every handler needs.
type handlers struct {
	svc  *myhome.Service
	sess *websession.Manager
	log  *slog.Logger
}

// New builds My Home's Echo app over svc, with sessions kept in sessions.
func New(svc *myhome.Service, sessions session.Store, log *slog.Logger) *echo.Echo {
	h := &handlers{svc: svc, sess: websession.New(sessions, websession.Config{CookieName: SessionCookie}), log: log}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = h.errorPage
	e.IPExtractor = websession.TrustedProxyIP()
	e.Use(middleware.Recover())
	e.Use(middleware.BodyLimit(websession.BodyLimit))
	e.Use(websession.SecurityHeaders(""))
	e.GET("/static/*", echo.WrapHandler(http.StripPrefix("/static/", layout.Static())))
	e.GET("/healthz", func(c echo.Context) error { return c.String(http.StatusOK, "ok") })

	app := e.Group("", h.sess.Middleware(), websession.CSRF(CSRFCookie))
	// What anyone can create without a session is rate-limited per client.
	limited := websession.CreationLimit()
	app.GET("/", h.start)
	app.POST("/start/new", h.createHome, limited)
	app.POST("/start/restore", h.restoreHome, limited)
	app.GET("/new-policy", h.newPolicy, limited)
	app.GET("/consent/:id", h.consent)

	home := app.Group("", websession.RequireAccount("/"))
	home.POST("/signout", h.signOut)
	home.GET("/seed", h.seed)
	home.GET("/restore", h.restoreProgress)
	home.GET("/devices", h.devices)
	home.POST("/devices/pair", h.pair)
	home.GET("/pairings/:id", h.pairing)
	home.GET("/devices/:address/unpair", h.confirmUnpair)
	home.POST("/devices/:address/unpair", h.unpair)
	home.POST("/consent/:id", h.decide)
	home.GET("/policies", h.policies)
	home.GET("/policies/:id/revoke", h.confirmRevoke)
	home.POST("/policies/:id/revoke", h.revoke)
	home.GET("/audit", h.audit)
	return e
}

// chrome is the per-request page frame data.
func (h *handlers) chrome(c echo.Context, current string) views.Chrome {
	_, signedIn := websession.AccountID(c)
	return views.Chrome{CSRF: websession.CSRFToken(c), SignedIn: signedIn, Current: current, Now: h.svc.Now()}
}

func account(c echo.Context) string {
	a, _ := websession.AccountID(c)
	return a
}

// render writes page as the response. It renders into a pooled buffer
// first and sends it in one write with a Content-Length: net/http would
// otherwise flush a large page in many 4 KB writes (one syscall each), and
// a template error would leave half a page behind.
func render(c echo.Context, status int, page templ.Component) error {
	buf := pagePool.Get().(*bytes.Buffer)
	buf.Reset()
	defer pagePool.Put(buf)
	if err := page.Render(c.Request().Context(), buf); err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	h.Set(echo.HeaderContentLength, strconv.Itoa(buf.Len()))
	c.Response().WriteHeader(status)
	_, err := c.Response().Write(buf.Bytes())
	return err
}

var pagePool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// errorPage renders every error as a page: user errors with their
// message, unknown things as 404, everything else as a logged 500.
func (h *handlers) errorPage(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status, title, msg := http.StatusInternalServerError, "Something went wrong", "The server could not handle this request. Try again in a moment."
	var ue *myhome.UserError
	var he *echo.HTTPError
	switch {
	case errors.As(err, &ue):
		status, title, msg = http.StatusBadRequest, "That did not work", ue.Msg
	case errors.Is(err, myhome.ErrNotFound):
		status, title, msg = http.StatusNotFound, "Not found", "There is nothing here for your home."
	case errors.As(err, &he):
		status = he.Code
		title = layout.ErrorTitle(he.Code)
		if m, ok := he.Message.(string); ok && he.Code < 500 {
			msg = m
		}
		if he.Code == http.StatusNotFound {
			title, msg = "Not found", "There is no such page."
		}
	}
	if status >= 500 {
		h.log.Error("request failed", "method", c.Request().Method, "path", c.Path(), "err", err)
	}
	if c.Request().Method == http.MethodHead {
		c.NoContent(status)
		return
	}
	if rerr := render(c, status, views.Error(h.chrome(c, ""), status, title, msg)); rerr != nil {
		h.log.Warn("render error page", "err", rerr)
	}
}
