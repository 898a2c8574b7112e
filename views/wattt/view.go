// Package wattt renders the pages of Wattt Insights with templ, on the
// shared layout (views/layout) with Wattt's own name and theme, plus a small
// stylesheet and live-update script of its own (Assets).
package wattt

import (
	"embed"
	"fmt"
	"io/fs"
	"net/http"
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
	p := layout.Page{Site: Site, Title: title, Refresh: refresh, CSRF: c.CSRF}
	// "/?new=1" shows the connect form even to a visitor who has a meter
	// already ("/" would send them to the dashboard).
	p.Nav = []layout.NavItem{{Label: "Connect a meter", Href: "/?new=1", Current: c.Current == "/"}}
	if c.Dashboard {
		p.Nav = append(p.Nav, layout.NavItem{Label: "Dashboard", Href: "/dashboard", Current: c.Current == "/dashboard"})
	}
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

func (c Chrome) when(t time.Time) string {
	loc := c.Location
	if loc == nil {
		loc = time.Local
	}
	return t.In(loc).Format("Mon 2 Jan 2006, 15:04:05")
}

func kw(p *float64) string {
	if p == nil {
		return "–"
	}
	return fmt.Sprintf("%.3f kW", *p)
}

func f2(v float64) string { return fmt.Sprintf("%.2f", v) }

func f3(v float64) string { return fmt.Sprintf("%.3f", v) }

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

func short(addr string) string {
	if len(addr) <= 16 {
		return addr
	}
	return addr[:8] + "…" + addr[len(addr)-6:]
}
