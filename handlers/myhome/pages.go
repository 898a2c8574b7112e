package myhome

import (
	"errors"
	"net/http"
	"regexp"
	"strings"

	"github.com/labstack/echo/v4"

	"iotahome/myhome"
	views "iotahome/views/myhome"
)

// nextPattern is the only place the start pages send a browser on to:
// back to a consent request. Anything else is dropped (no open redirect).
var nextPattern = regexp.MustCompile(`^/consent/[0-9a-f]{32}$`)

func safeNext(s string) string {
	if nextPattern.MatchString(s) {
		return s
	}
	return ""
}

func (h *handlers) start(c echo.Context) error {
	return render(c, http.StatusOK, views.Start(h.chrome(c, ""), "", "", safeNext(c.QueryParam("next"))))
}

func (h *handlers) createHome(c echo.Context) error {
	id, err := h.svc.CreateHome(c.Request().Context())
	if err != nil {
		return err
	}
	if err := h.sess.Login(c, id); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/seed"+nextQuery(safeNext(c.FormValue("next"))))
}

func nextQuery(next string) string {
	if next == "" {
		return ""
	}
	return "?next=" + next
}

func (h *handlers) restoreHome(c echo.Context) error {
	next := safeNext(c.FormValue("next"))
	id, restoring, err := h.svc.RestoreHome(c.Request().Context(), c.FormValue("seed"))
	var ue *myhome.UserError
	if errors.As(err, &ue) {
		// Never echo the seed back into the page: it may be almost right.
		return render(c, http.StatusUnprocessableEntity, views.Start(h.chrome(c, ""), ue.Msg, "", next))
	}
	if err != nil {
		return err
	}
	if err := h.sess.Login(c, id); err != nil {
		return err
	}
	if restoring {
		return c.Redirect(http.StatusSeeOther, "/restore"+nextQuery(next))
	}
	if next != "" {
		return c.Redirect(http.StatusSeeOther, next)
	}
	return c.Redirect(http.StatusSeeOther, "/devices")
}

func (h *handlers) signOut(c echo.Context) error {
	if err := h.sess.Logout(c); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/")
}

func (h *handlers) seed(c echo.Context) error {
	seed, shown, err := h.svc.RevealSeed(c.Request().Context(), account(c))
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return render(c, http.StatusOK, views.Seed(h.chrome(c, ""), seed, shown, safeNext(c.QueryParam("next"))))
}

func (h *handlers) restoreProgress(c echo.Context) error {
	home, err := h.svc.Home(c.Request().Context(), account(c))
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.Restoring(h.chrome(c, ""), home.RestoreRead, home.RestoreError, !home.Restoring,
		safeNext(c.QueryParam("next"))))
}

func (h *handlers) devices(c echo.Context) error {
	return h.renderDevices(c, http.StatusOK, views.PairForm{Next: safeNext(c.QueryParam("next"))})
}

func (h *handlers) renderDevices(c echo.Context, status int, form views.PairForm) error {
	ctx, acct := c.Request().Context(), account(c)
	home, err := h.svc.Home(ctx, acct)
	if err != nil {
		return err
	}
	if home.Restoring {
		return c.Redirect(http.StatusSeeOther, "/restore")
	}
	devices, err := h.svc.Devices(ctx, acct)
	if err != nil {
		return err
	}
	pairings, err := h.svc.Pairings(ctx, acct)
	if err != nil {
		return err
	}
	ch := h.chrome(c, "devices")
	ch.Pending = home.Pending
	return render(c, status, views.Devices(ch, home, devices, pairings, form))
}

func (h *handlers) pair(c echo.Context) error {
	form := views.PairForm{Address: c.FormValue("address"), Code: c.FormValue("code"), QR: c.FormValue("qr"), Name: c.FormValue("name"),
		Next: safeNext(c.FormValue("next"))}
	id, err := h.svc.StartPairing(c.Request().Context(), account(c),
		myhome.PairInput{Address: form.Address, Code: form.Code, QR: form.QR, Name: form.Name})
	var ue *myhome.UserError
	if errors.As(err, &ue) {
		form.Error = ue.Msg
		return h.renderDevices(c, http.StatusUnprocessableEntity, form)
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/pairings/"+id+nextQuery(form.Next))
}

func (h *handlers) pairing(c echo.Context) error {
	ctx, acct := c.Request().Context(), account(c)
	p, err := h.svc.Pairing(ctx, acct, c.Param("id"))
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.PairingProgress(h.chrome(c, "devices"), p, h.continuation(c, safeNext(c.QueryParam("next")))))
}

// continuation names the consent request a pairing returns to. A request
// this home cannot see (another home decided it, or it was cleaned up)
// is dropped rather than linked to.
func (h *handlers) continuation(c echo.Context, next string) views.Continuation {
	if next == "" {
		return views.Continuation{}
	}
	r, err := h.svc.ConsentRequest(c.Request().Context(), account(c), strings.TrimPrefix(next, "/consent/"))
	if err != nil {
		if !errors.Is(err, myhome.ErrNotFound) {
			h.log.Warn("look up consent request to continue with", "err", err)
		}
		return views.Continuation{}
	}
	return views.Continuation{Next: next, Origin: r.Origin}
}

// confirmUnpair is the confirmation step: the devices page links here.
func (h *handlers) confirmUnpair(c echo.Context) error {
	addr := strings.ToUpper(c.Param("address"))
	devices, err := h.svc.Devices(c.Request().Context(), account(c))
	if err != nil {
		return err
	}
	for _, d := range devices {
		if d.Address == addr && d.Active() {
			return render(c, http.StatusOK, views.ConfirmUnpair(h.chrome(c, "devices"), d))
		}
	}
	return myhome.ErrNotFound
}

func (h *handlers) unpair(c echo.Context) error {
	if err := h.svc.Unpair(c.Request().Context(), account(c), strings.ToUpper(c.Param("address"))); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/devices")
}

func (h *handlers) policies(c echo.Context) error {
	ctx, acct := c.Request().Context(), account(c)
	home, err := h.svc.Home(ctx, acct)
	if err != nil {
		return err
	}
	ps, err := h.svc.Policies(ctx, acct)
	if err != nil {
		return err
	}
	devices, err := h.svc.Devices(ctx, acct)
	if err != nil {
		return err
	}
	names := make(map[string]string, len(devices))
	for _, d := range devices {
		names[d.Address] = views.DeviceName(d)
	}
	ch := h.chrome(c, "policies")
	ch.Pending = home.Pending
	return render(c, http.StatusOK, views.Policies(ch, home, ps, names, h.svc.Now()))
}

// confirmRevoke is the confirmation step: the consents page links here.
func (h *handlers) confirmRevoke(c echo.Context) error {
	p, err := h.svc.Policy(c.Request().Context(), account(c), c.Param("id"))
	if err != nil {
		return err
	}
	if p.RevokedAt != nil {
		return c.Redirect(http.StatusSeeOther, "/policies")
	}
	return render(c, http.StatusOK, views.ConfirmRevoke(h.chrome(c, "policies"), p))
}

func (h *handlers) revoke(c echo.Context) error {
	if err := h.svc.Revoke(c.Request().Context(), account(c), c.Param("id")); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/policies")
}

func (h *handlers) audit(c echo.Context) error {
	ctx, acct := c.Request().Context(), account(c)
	home, err := h.svc.Home(ctx, acct)
	if err != nil {
		return err
	}
	events, err := h.svc.Events(ctx, acct, 500)
	if err != nil {
		return err
	}
	ps, err := h.svc.Policies(ctx, acct)
	if err != nil {
		return err
	}
	apps := make(map[string]string, len(ps))
	for _, p := range ps {
		apps[p.ID] = p.ProviderOrigin
	}
	ch := h.chrome(c, "audit")
	ch.Pending = home.Pending
	return render(c, http.StatusOK, views.Audit(ch, home, events, apps))
}
