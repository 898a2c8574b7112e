package myhome

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"iotahome/handlers/websession"
	"iotahome/myhome"
	views "iotahome/views/myhome"
)

// newPolicy is where a provider sends the browser. The request is
// validated and stored; the consent page then shows the stored copy, and
// the decision redirects only to the URL stored here.
func (h *handlers) newPolicy(c echo.Context) error {
	id, err := h.svc.NewConsentRequest(c.Request().Context(), c.QueryParams())
	var ue *myhome.UserError
	if errors.As(err, &ue) {
		return render(c, http.StatusBadRequest, views.Error(h.chrome(c, ""), http.StatusBadRequest,
			"This consent request was refused", ue.Msg+" Nothing was shared or stored. Go back to the app that sent you here and try again, or tell its makers."))
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/consent/"+id)
}

func (h *handlers) consent(c echo.Context) error {
	acct, signedIn := websession.AccountID(c)
	r, err := h.svc.ConsentRequest(c.Request().Context(), acct, c.Param("id"))
	if err != nil {
		return err
	}
	if !signedIn {
		return render(c, http.StatusOK, views.ConsentSignIn(h.chrome(c, ""), r))
	}
	return h.renderConsent(c, http.StatusOK, r, "")
}

func (h *handlers) renderConsent(c echo.Context, status int, r myhome.ConsentRequest, errMsg string) error {
	ctx, acct := c.Request().Context(), account(c)
	if r.DecidedAt != nil {
		return render(c, http.StatusOK, views.ConsentDone(h.chrome(c, "policies"), r, myhome.ReturnURL(r)))
	}
	if h.svc.ConsentExpired(r) {
		return &myhome.UserError{Msg: "This consent request has expired. Go back to the app and start again."}
	}
	devices, err := h.svc.Devices(ctx, acct)
	if err != nil {
		return err
	}
	renews, err := h.svc.Renewals(ctx, acct, r)
	if err != nil {
		return err
	}
	return render(c, status, views.Consent(h.chrome(c, "policies"), r, devices, renews, errMsg))
}

// decide handles Grant and Deny. The redirect target comes from the stored
// request (what the page showed), never from the form.
func (h *handlers) decide(c echo.Context) error {
	ctx, acct, id := c.Request().Context(), account(c), c.Param("id")
	var back string
	var err error
	switch c.FormValue("decision") {
	case "grant":
		back, err = h.svc.Grant(ctx, acct, id, c.FormValue("device"))
	case "deny":
		back, err = h.svc.Deny(ctx, acct, id)
	default:
		err = &myhome.UserError{Msg: "Choose Grant access or Deny."}
	}
	var ue *myhome.UserError
	if errors.As(err, &ue) {
		r, rerr := h.svc.ConsentRequest(ctx, acct, id)
		if rerr != nil {
			return rerr
		}
		return h.renderConsent(c, http.StatusUnprocessableEntity, r, ue.Msg)
	}
	if err != nil {
		return err
	}
	if back == "" {
		return myhome.ErrNotFound
	}
	return c.Redirect(http.StatusSeeOther, back)
}
