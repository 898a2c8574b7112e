// Package myhome renders My Home's pages (templ). Views get plain data and
// never query anything; every value from outside is escaped by templ.
package myhome

import (
	"fmt"
	"time"

	"iotahome/views/layout"
)

// Site is My Home's look.
var Site = layout.Site{Name: "My Home", Theme: "myhome", Tagline: "your meter, your data, your consent."}

// Chrome is what every page needs besides its own data.
type Chrome struct {
	CSRF     string
	SignedIn bool
	Current  string // "devices", "policies" or "audit"
	Pending  int    // events waiting for the Tangle
	Now      time.Time
}

func page(c Chrome, title string, refresh int) layout.Page {
	p := layout.Page{Site: Site, Title: title, Refresh: refresh, CSRF: c.CSRF}
	if c.SignedIn {
		p.Nav = []layout.NavItem{
			{Label: "Devices", Href: "/devices", Current: c.Current == "devices"},
			{Label: "Consents", Href: "/policies", Current: c.Current == "policies"},
			{Label: "Audit trail", Href: "/audit", Current: c.Current == "audit"},
		}
		p.SignOut = "/signout"
	}
	return p
}

// withCopy adds the script that puts a Copy button next to every
// element with a data-copy attribute (the page works without it).
func withCopy(p layout.Page) layout.Page {
	p.Scripts = append(p.Scripts, "/static/copy.js")
	return p
}

// when formats a time for people (UTC, so every page agrees).
func when(t time.Time) string { return t.UTC().Format("2 Jan 2006 15:04 UTC") }

func whenPtr(t *time.Time) string {
	if t == nil {
		return "—"
	}
	return when(*t)
}

// short abbreviates a long tryte string for tables; the full value is in
// the title attribute and on detail pages.
func short(s string) string {
	if len(s) <= 16 {
		return s
	}
	return s[:8] + "…" + s[len(s)-6:]
}

// human says a duration in days or hours.
func human(d time.Duration) string {
	switch {
	case d <= 0:
		return "until you revoke it"
	case d%(24*time.Hour) == 0:
		n := int(d / (24 * time.Hour))
		if n == 1 {
			return "1 day"
		}
		return fmt.Sprintf("%d days", n)
	case d%time.Hour == 0:
		n := int(d / time.Hour)
		if n == 1 {
			return "1 hour"
		}
		return fmt.Sprintf("%d hours", n)
	}
	return d.String()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// groups splits s into groups of n characters.
func groups(s string, n int) []string {
	var out []string
	for i := 0; i < len(s); i += n {
		out = append(out, s[i:min(i+n, len(s))])
	}
	return out
}

// nextQuery is the query string that carries a validated next path on.
func nextQuery(next string) string {
	if next == "" {
		return ""
	}
	return "?next=" + next
}
