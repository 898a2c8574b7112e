// Package myhome renders My Home's pages (templ). Views get plain data and
// never query anything; every value from outside is escaped by templ.
package myhome

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"iotahome/myhome"
	"iotahome/protocol"
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

// kindWords says what each kind of data holds, for the owner.
var kindWords = map[string]string{
	protocol.KindElectricity: "electricity use and return (kWh per tariff, power now)",
	protocol.KindPhases:      "voltage, current and power per phase",
	protocol.KindGas:         "gas use (m³)",
	protocol.KindWater:       "water use (m³)",
	protocol.KindHeat:        "heat use (GJ)",
}

// kindList is the kinds of a grant in plain words, in the standard order;
// an empty scope (events from before requests named kinds) is all of them.
func kindList(scope []string) []string {
	var out []string
	for _, k := range protocol.Kinds {
		if len(scope) == 0 || slices.Contains(scope, k) {
			out = append(out, kindWords[k])
		}
	}
	return out
}

// kindsShort names the kinds for a table cell: "electricity, gas".
func kindsShort(scope []string) string {
	if len(scope) == 0 || len(scope) == len(protocol.Kinds) {
		return "all readings"
	}
	var out []string
	for _, k := range protocol.Kinds {
		if slices.Contains(scope, k) {
			out = append(out, k)
		}
	}
	return strings.Join(out, ", ")
}

// resolutionWords says how finely the provider may see the readings.
func resolutionWords(r protocol.Resolution) string {
	switch r.OrRaw() {
	case protocol.Resolution1m:
		return "one value per minute"
	case protocol.Resolution15m:
		return "one value per 15 minutes"
	case protocol.Resolution1h:
		return "one value per hour"
	case protocol.Resolution1d:
		return "one value per day"
	}
	return "every reading, as often as the meter sends one (every 1 to 10 seconds)"
}

// resolutionShort is resolutionWords for a table cell.
func resolutionShort(r protocol.Resolution) string {
	switch r.OrRaw() {
	case protocol.Resolution1m:
		return "per minute"
	case protocol.Resolution15m:
		return "per 15 minutes"
	case protocol.Resolution1h:
		return "per hour"
	case protocol.Resolution1d:
		return "per day"
	}
	return "every reading"
}

// providerName is how pages name a provider: its verified name, or its
// origin for a consent from before providers were verified.
func providerName(name, origin string) string {
	if name != "" {
		return name
	}
	return origin
}

// change is one row of a renewal's "what changes" table.
type change struct {
	What, Before, After string
}

// changes compares a policy with the request that would replace it.
func changes(p myhome.Policy, r myhome.ConsentRequest, now time.Time) []change {
	newEnd := myhome.ConsentEnd(now, r.Duration)
	return []change{
		{"Why", p.Goal, r.Goal},
		{"What data", kindsShort(p.Scope), kindsShort(r.Scope)},
		{"How finely", resolutionShort(p.Resolution), resolutionShort(r.Resolution)},
		{"Ends", layout.Ends(p.ExpiresAt, now), layout.Ends(&newEnd, now)},
	}
}
