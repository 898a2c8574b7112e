package wattt

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	views "iotahome/views/wattt"
	"iotahome/wattt"
)

// dashboardPage gathers the dashboard for the request's account.
func (h *handler) dashboardPage(c echo.Context, connID int64) (views.DashboardPage, bool, error) {
	ctx := c.Request().Context()
	id, _ := account(c)
	ov, err := h.svc.Overview(ctx, id)
	if err != nil {
		return views.DashboardPage{}, false, err
	}
	p := views.DashboardPage{Connections: ov.Connections}
	if ov.Latest != nil && (ov.Latest.Status == wattt.RequestGranted || (len(ov.Connections) == 0 && ov.Latest.Status == wattt.RequestPending)) {
		p.Waiting = ov.Latest
	}
	if len(ov.Connections) == 0 {
		if connID != 0 {
			return p, false, notFound("No such meter.")
		}
		return p, false, nil
	}
	d, err := h.svc.Dashboard(ctx, id, connID, time.Now())
	if errors.Is(err, wattt.ErrNoConnection) {
		return p, false, notFound("No such meter.")
	}
	if err != nil {
		return p, false, err
	}
	p.D = d
	today := d.Now.Format(time.DateOnly)
	p.ExportFrom, p.ExportTo = d.Now.AddDate(0, 0, -1).Format(time.DateOnly), today
	return p, true, nil
}

// GET /dashboard?c= — the dashboard of one connection (default: newest).
func (h *handler) dashboard(c echo.Context) error {
	connID, err := connParam(c)
	if err != nil {
		return err
	}
	p, ok, err := h.dashboardPage(c, connID)
	if err != nil {
		return err
	}
	if !ok {
		if p.Waiting != nil {
			return c.Redirect(http.StatusSeeOther, "/connect/waiting?state="+p.Waiting.State)
		}
		return c.Redirect(http.StatusSeeOther, "/")
	}
	if c.QueryParam("saved") != "" {
		p.Notice = "Tariff saved."
	}
	return render(c, http.StatusOK, views.Dashboard(h.chromeWith(c, "/dashboard", true), p))
}

// liveJSON is what the live panel's script reads.
type liveJSON struct {
	Status         string   `json:"status"`
	StatusText     string   `json:"statusText,omitempty"`
	PowerDelivered string   `json:"powerDelivered"`
	PowerReturned  string   `json:"powerReturned"`
	LastReading    string   `json:"lastReading"`
	At             string   `json:"at,omitempty"` // RFC 3339
	PD             *float64 `json:"pD,omitempty"` // kW
	PR             *float64 `json:"pR,omitempty"` // kW
}

// GET /live.json?c= — the newest reading, for the live panel.
func (h *handler) live(c echo.Context) error {
	connID, err := connParam(c)
	if err != nil {
		return err
	}
	id, _ := account(c)
	l, err := h.svc.Live(c.Request().Context(), id, connID)
	if errors.Is(err, wattt.ErrNoConnection) {
		return notFound("No such meter.")
	}
	if err != nil {
		return err
	}
	out := liveJSON{Status: string(l.Status), PowerDelivered: kw(l.PowerDel), PowerReturned: kw(l.PowerRet), LastReading: "none yet", PD: l.PowerDel, PR: l.PowerRet}
	if l.LastReadingAt != nil {
		out.LastReading = views.When(*l.LastReadingAt, h.loc)
	}
	if l.At != nil {
		out.At = l.At.Format(time.RFC3339)
	}
	if l.Status == wattt.ConnectionRevoked && l.RevokedAt != nil {
		out.StatusText = "Revoked on " + views.When(*l.RevokedAt, h.loc) + ". Wattt keeps the data received before and gets nothing new."
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, out)
}

func kw(p *float64) string {
	if p == nil {
		return "–"
	}
	return fmt.Sprintf("%.3f kW", *p)
}

// parsePrice reads a price field; a decimal comma is accepted.
func parsePrice(c echo.Context, name, label string) (float64, error) {
	s := strings.TrimSpace(strings.Replace(strings.TrimPrefix(strings.TrimSpace(c.FormValue(name)), "€"), ",", ".", 1))
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, &wattt.UserError{Msg: fmt.Sprintf("%s: enter a number of euro, for example 0.27.", label)}
	}
	return v, nil
}

// POST /tariff?c= — save the account's tariff.
func (h *handler) tariff(c echo.Context) error {
	connID, err := connParam(c)
	if err != nil {
		return err
	}
	var t wattt.Tariff
	for _, f := range []struct {
		name, label string
		dst         *float64
	}{
		{"per_kwh", "Electricity per kWh", &t.PerKWh},
		{"per_kwh_returned", "Paid back per kWh returned", &t.PerKWhReturned},
		{"per_m3", "Gas per m³", &t.PerM3},
		{"standing_per_day", "Standing charge per day", &t.StandingPerDay},
	} {
		if *f.dst, err = parsePrice(c, f.name, f.label); err != nil {
			break
		}
	}
	id, _ := account(c)
	if err == nil {
		err = h.svc.SetTariff(c.Request().Context(), id, t)
	}
	if msg, ok := userMessage(err); ok {
		p, _, perr := h.dashboardPage(c, connID)
		if perr != nil {
			return perr
		}
		p.Error = msg
		return render(c, http.StatusBadRequest, views.Dashboard(h.chromeWith(c, "/dashboard", true), p))
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/dashboard?saved=1&c="+strconv.FormatInt(connID, 10))
}

// GET /export.csv?c=&from=&to= — readings of whole local days as CSV.
func (h *handler) export(c echo.Context) error {
	connID, err := connParam(c)
	if err != nil {
		return err
	}
	from, err1 := time.ParseInLocation(time.DateOnly, c.QueryParam("from"), h.loc)
	to, err2 := time.ParseInLocation(time.DateOnly, c.QueryParam("to"), h.loc)
	if err1 != nil || err2 != nil {
		return badRequest("Choose a start and end date (yyyy-mm-dd).")
	}
	to = to.AddDate(0, 0, 1) // the end day is included
	id, _ := account(c)
	resp := c.Response()
	resp.Header().Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	resp.Header().Set(echo.HeaderContentDisposition, `attachment; filename="`+wattt.ExportFilename(from, to)+`"`)
	// Errors found before the first byte (bad range, foreign meter) still
	// become a proper error page: check the range and connection first.
	if _, err := h.svc.Live(c.Request().Context(), id, connID); errors.Is(err, wattt.ErrNoConnection) {
		resp.Header().Del(echo.HeaderContentDisposition)
		return notFound("No such meter.")
	}
	if !from.Before(to) || to.Sub(from) > wattt.MaxExportSpan {
		resp.Header().Del(echo.HeaderContentDisposition)
		return badRequest("Choose a start before the end, at most a year apart.")
	}
	return h.svc.ExportCSV(c.Request().Context(), id, connID, from, to, resp)
}
