// Package wattt renders the pages of Wattt Insights with templ, on the
// shared layout (views/layout) with Wattt's own name and theme, plus a small
// stylesheet and live-update script of its own (Assets).
package wattt

import (
	"embed"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"time"

	"iotahome/views/layout"
)

// Site is Wattt's branding on the shared layout.
var Site = layout.Site{Name: "Wattt Insights", Theme: "wattt", Tagline: "your energy use, with your consent — an example service provider"}

// Chrome is what every page needs from the request.
type Chrome struct {
	CSRF      string
	Dashboard bool // the account has a connection: show the dashboard link
	Current   string
	Location  *time.Location
}

func page(c Chrome, title string, refresh int) layout.Page {
	p := layout.Page{Site: Site, Title: title, Refresh: refresh, CSRF: c.CSRF, Styles: []string{"/assets/wattt.css"}}
	// "/?new=1" shows the connect form even to a visitor who has a meter
	// already ("/" would send them to the dashboard).
	p.Nav = []layout.NavItem{{Label: "Connect a meter", Href: "/?new=1", Current: c.Current == "/"}}
	if c.Dashboard {
		p.Nav = append(p.Nav, layout.NavItem{Label: "Dashboard", Href: "/dashboard", Current: c.Current == "/dashboard"})
	}
	return p
}

// livePage adds the live-update script (the dashboard's "Power now").
func livePage(p layout.Page) layout.Page {
	p.Scripts = append(p.Scripts, "/assets/wattt.js")
	return p
}

//go:embed assets
var assets embed.FS

// Assets serves Wattt's own stylesheet and script; mount at /assets/.
func Assets() http.Handler {
	sub, err := fs.Sub(assets, "assets")
	if err != nil {
		panic(err) // the embedded folder is always there
	}
	files := http.FileServer(http.FS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		files.ServeHTTP(w, r)
	})
}

func (c Chrome) when(t time.Time) string { return When(t, c.Location) }

// When formats a moment for people, in Wattt's time zone (nil: the
// machine's) and naming it ("Wed 25 Nov 2026, 16:51:40 CET"), so that it can
// be compared with My Home's times, which may be in another zone. The live
// panel's script shows the same format (handlers/wattt live.json).
func When(t time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.Local
	}
	return t.In(loc).Format("Mon 2 Jan 2006, 15:04:05 MST")
}

func kw(p *float64) string {
	if p == nil {
		return "–"
	}
	return fmt.Sprintf("%.3f kW", *p)
}

func f2(v float64) string { return fmt.Sprintf("%.2f", v) }

func f3(v float64) string { return fmt.Sprintf("%.3f", v) }

// energy formats a kWh total: three decimals (the meter's Wh resolution)
// below 100 kWh, so a first hour of 0.004 kWh does not read "0.00" next to
// a visible bar; two above, where the third is noise to a person.
func energy(v float64) string {
	if v < 100 {
		return f3(v)
	}
	return f2(v)
}

func euro(v float64) string {
	if v < 0 {
		return fmt.Sprintf("−€%.2f", -v)
	}
	return fmt.Sprintf("€%.2f", v)
}

func opt(p *float64, unit string, prec int) string {
	if p == nil {
		return "–"
	}
	return fmt.Sprintf("%.*f %s", prec, *p, unit)
}

func price(v float64) string { return fmt.Sprintf("%.4f", v) }

// origin is the scheme and host of a URL, what a person recognises a site
// by ("http://127.0.0.1:8080"); the URL itself if it does not parse.
func origin(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return raw
	}
	return u.Scheme + "://" + u.Host
}

func short(addr string) string {
	if len(addr) <= 16 {
		return addr
	}
	return addr[:8] + "…" + addr[len(addr)-6:]
}
