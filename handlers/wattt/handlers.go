// Package wattt is the HTTP face of Wattt Insights: thin Echo handlers that
// read the request, call the domain (package iotahome/wattt) and render
// views/wattt. Sessions, CSRF and security headers come from websession.
package wattt

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"iotahome/handlers/websession"
	"iotahome/protocol/providermeta"
	"iotahome/session"
	"iotahome/views/layout"
	views "iotahome/views/wattt"
	"iotahome/wattt"
)

// Cookie names; they differ from My Home's because browsers share cookies
// between ports of one host.
const (
	SessionCookie = "wattt_session"
	CSRFCookie    = "wattt_csrf"
)

// handler holds what the handlers need.
type handler struct {
	svc      *wattt.Service
	sessions *websession.Manager
	log      *slog.Logger
	loc      *time.Location
}

// New returns the Wattt site as an Echo app. Sessions live in st.
func New(svc *wattt.Service, st session.Store, log *slog.Logger) *echo.Echo {
	h := &handler{
		svc:      svc,
		sessions: websession.New(st, websession.Config{CookieName: SessionCookie}),
		log:      log.With("site", "wattt"),
		loc:      svc.Config().Location,
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = h.errorPage
	e.IPExtractor = websession.TrustedProxyIP()
	e.Use(middleware.BodyLimit(websession.BodyLimit), websession.SecurityHeaders(""))
	e.GET("/static/*", echo.WrapHandler(http.StripPrefix("/static/", layout.Static())))
	e.GET("/assets/*", echo.WrapHandler(http.StripPrefix("/assets/", views.Assets())))
	e.GET(providermeta.WellKnownPath, h.providerDocument)
	g := e.Group("", h.sessions.Middleware(), websession.CSRF(CSRFCookie))
	g.GET("/", h.start)
	// A connect creates an account and a consent request without a
	// session: rate-limited per client.
	g.POST("/connect", h.connect, websession.CreationLimit())
	g.GET(wattt.ReturnPath, h.returned)
	g.GET(wattt.PrivacyPath, h.privacy)
	signedIn := g.Group("", websession.RequireAccount("/"))
	signedIn.GET("/connect/waiting", h.waiting)
	signedIn.GET("/dashboard", h.dashboard)
	signedIn.GET("/live.json", h.live)
	signedIn.POST("/tariff", h.tariff)
	signedIn.GET("/export.csv", h.export)
	return e
}

// account is the request's account id, if it has a session.
func account(c echo.Context) (int64, bool) {
	s, ok := websession.AccountID(c)
	if !ok {
		return 0, false
	}
	id, err := strconv.ParseInt(s, 10, 64)
	return id, err == nil
}

// chrome is what every page needs; it looks up whether the visitor has a
// meter (for the Dashboard link).
func (h *handler) chrome(c echo.Context, current string) views.Chrome {
	has := false
	if id, ok := account(c); ok {
		if ov, err := h.svc.Overview(c.Request().Context(), id); err == nil {
			has = len(ov.Connections) > 0
		}
	}
	return h.chromeWith(c, current, has)
}

// chromeWith is chrome when the caller already knows whether the visitor
// has a meter.
func (h *handler) chromeWith(c echo.Context, current string, hasMeter bool) views.Chrome {
	return views.Chrome{CSRF: websession.CSRFToken(c), Current: current, Location: h.loc, Dashboard: hasMeter}
}

func render(c echo.Context, status int, comp templ.Component) error {
	c.Response().Header().Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	c.Response().WriteHeader(status)
	return comp.Render(c.Request().Context(), c.Response())
}

// errorPage renders errors as pages; internal errors are logged, not shown.
func (h *handler) errorPage(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status, msg := http.StatusInternalServerError, "Something went wrong on our side. Please try again in a moment."
	var he *echo.HTTPError
	if errors.As(err, &he) {
		status = he.Code
		if m, ok := he.Message.(string); ok {
			msg = m
		} else {
			msg = http.StatusText(status)
		}
	}
	if status >= 500 {
		h.log.Error("request failed", "path", c.Request().URL.Path, "err", err)
	}
	title := layout.ErrorTitle(status)
	p := layout.Page{Site: views.Site, Title: title}
	if strings.HasSuffix(c.Request().URL.Path, ".json") {
		c.JSON(status, map[string]string{"error": msg})
		return
	}
	if rerr := render(c, status, layout.ErrorPage(p, status, title, msg)); rerr != nil {
		h.log.Error("render error page", "err", rerr)
	}
}

func badRequest(msg string) error { return echo.NewHTTPError(http.StatusBadRequest, msg) }

func notFound(msg string) error { return echo.NewHTTPError(http.StatusNotFound, msg) }

// userMessage returns the text of a domain UserError.
func userMessage(err error) (string, bool) {
	var ue *wattt.UserError
	if errors.As(err, &ue) {
		return ue.Msg, true
	}
	return "", false
}

// GET / — the start page, or the dashboard once connected.
func (h *handler) start(c echo.Context) error {
	if id, ok := account(c); ok {
		ov, err := h.svc.Overview(c.Request().Context(), id)
		if err != nil {
			return err
		}
		if len(ov.Connections) > 0 && c.QueryParam("new") == "" {
			return c.Redirect(http.StatusSeeOther, "/dashboard")
		}
	}
	return render(c, http.StatusOK, views.Start(h.chrome(c, "/"), h.svc.Config().MyHomeURL, wattt.DefaultPlan, ""))
}

// GET /.well-known/iotahome-provider.json — who Wattt is and the key its
// consent requests are signed with; My Home fetches it to verify them.
func (h *handler) providerDocument(c echo.Context) error {
	doc, err := h.svc.ProviderDocument()
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "public, max-age=300")
	return c.JSON(http.StatusOK, doc)
}

// GET /privacy — the privacy policy the provider document points to.
func (h *handler) privacy(c echo.Context) error {
	return render(c, http.StatusOK, views.Privacy(h.chrome(c, "")))
}

// POST /connect — create the visitor's account if needed and send them to
// My Home with a fresh consent request.
func (h *handler) connect(c echo.Context) error {
	ctx := c.Request().Context()
	myHome, plan := c.FormValue("myhome"), c.FormValue("plan")
	if _, err := wattt.CheckMyHomeURL(myHome); err != nil {
		msg, _ := userMessage(err)
		return render(c, http.StatusBadRequest, views.Start(h.chrome(c, "/"), myHome, plan, msg))
	}
	id, ok := account(c)
	if !ok {
		var err error
		if id, err = h.svc.CreateAccount(ctx); err != nil {
			return err
		}
		if err := h.sessions.Login(c, strconv.FormatInt(id, 10)); err != nil {
			return err
		}
	}
	to, err := h.svc.StartConsent(ctx, id, myHome, plan)
	if msg, ok := userMessage(err); ok {
		return render(c, http.StatusBadRequest, views.Start(h.chrome(c, "/"), myHome, plan, msg))
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, to)
}

// GET /connect/return?state=&result= — the owner's answer from My Home. The
// state must be a request made in this browser's session.
func (h *handler) returned(c echo.Context) error {
	id, ok := account(c)
	if !ok {
		return badRequest("This answer from My Home does not belong to a request made in this browser. Start again from the Wattt start page.")
	}
	state, result := c.QueryParam("state"), c.QueryParam("result")
	if result != "granted" && result != "denied" {
		return badRequest("My Home's answer is incomplete. Start again from the Wattt start page.")
	}
	r, err := h.svc.FinishConsent(c.Request().Context(), id, state, result == "granted", c.QueryParam("expires"))
	if errors.Is(err, wattt.ErrUnknownRequest) {
		return badRequest("This answer does not match a consent request of yours. Start again from the Wattt start page.")
	}
	if err != nil {
		return err
	}
	if r.Status == wattt.RequestDenied {
		return render(c, http.StatusOK, views.Denied(h.chrome(c, "")))
	}
	return c.Redirect(http.StatusSeeOther, "/connect/waiting?state="+r.State)
}

// GET /connect/waiting?state= — progress until the keys arrive.
func (h *handler) waiting(c echo.Context) error {
	id, _ := account(c)
	r, err := h.svc.ConsentRequest(c.Request().Context(), id, c.QueryParam("state"))
	if errors.Is(err, wattt.ErrUnknownRequest) {
		return notFound("No such consent request.")
	}
	if err != nil {
		return err
	}
	switch r.Status {
	case wattt.RequestConnected:
		return c.Redirect(http.StatusSeeOther, "/dashboard?c="+strconv.FormatInt(*r.ConnectionID, 10))
	case wattt.RequestDenied:
		return render(c, http.StatusOK, views.Denied(h.chrome(c, "")))
	}
	return render(c, http.StatusOK, views.Waiting(h.chrome(c, ""), r, time.Now()))
}

// connParam reads the optional ?c= connection id (0: the newest).
func connParam(c echo.Context) (int64, error) {
	s := c.QueryParam("c")
	if s == "" {
		return 0, nil
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, notFound("No such meter.")
	}
	return id, nil
}
