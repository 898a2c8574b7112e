package e2e

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestConsentStory walks through the product as its users do, in a real
// Chromium against the real stack (devstack: dev node, My Home, Wattt, the
// simulated meter on a pseudo-terminal and the P1 reader as its own
// process), and checks what they see:
//
//  1. Wattt → "Connect via My Home" → create a home → pair the reader with
//     the address and code it printed → back to the request, which names
//     the provider by its verified name and origin and says when the
//     consent ends → grant → back at Wattt, live readings arrive and the
//     charts have data points; My Home lists the consent with its end;
//  2. Wattt asks to renew (switching to "Monthly insight"): the consent
//     page says "renew" and what changes; granting keeps one consent, and
//     Wattt keeps reading;
//  3. a second Wattt account (a second browser: its own Wattt session; the
//     owner's My Home session copied in, as the same person) is granted too;
//  4. the owner revokes the first in My Home: the first shows "Revoked" and
//     gets nothing new while the second keeps updating;
//  5. the owner unpairs the reader: the second stops too;
//  6. an unsigned consent request and a forged answer give error pages
//     that say so.
func TestConsentStory(t *testing.T) {
	chromium := findChromium(t)
	start := time.Now()
	st := startStack(t)
	t.Logf("stack started in %s", time.Since(start).Round(time.Second))
	owner := newBrowser(t, "owner", chromium)
	second := newBrowser(t, "second", chromium)

	// 1. Wattt sends the owner to My Home.
	owner.open(st.Wattt + "/")
	owner.waitText("h1", "See your energy use", 10*time.Second)
	owner.shot("wattt-connect")
	if got := owner.attr("#myhome", "value"); got != st.MyHome {
		t.Errorf("Wattt's My Home address field = %q, want the local My Home %q", got, st.MyHome)
	}
	owner.click(`form[action="/connect"] button[type=submit]`)
	owner.waitPage(st.MyHome+"/consent/", "Wattt Insights asks for your meter data", 30*time.Second)
	owner.shot("myhome-consent-signin")

	// A new home: the seed is shown once, then back to the request.
	owner.click(`a.button[href^="/?next=/consent/"]`)
	owner.waitPage(st.MyHome+"/", "Create a new home", 30*time.Second)
	owner.shot("myhome-start")
	owner.click(`form[action="/start/new"] button[type=submit]`)
	owner.waitPage(st.MyHome+"/seed", "seed", 30*time.Second)
	if seed := strings.Join(strings.Fields(owner.text("#seed-value")), ""); len(seed) != 81 {
		t.Errorf("seed page shows %q, want 81 characters", seed)
	}
	owner.shot("myhome-seed")
	owner.click(`.actions a.button`)
	owner.waitPage(st.MyHome+"/consent/", "Wattt Insights asks", 30*time.Second)
	consentURL := owner.location()
	if owner.count(`button[name=decision][value=grant]`) != 0 {
		t.Errorf("the consent page offers Grant before any reader is paired")
	}
	owner.shot("myhome-consent-no-device")

	// Pair the reader with what it printed (the consent page points there).
	owner.click(`main a[href*="#pair"]`)
	owner.waitPage(st.MyHome+"/devices", "Pair a reader", 30*time.Second)
	owner.fill("#address", st.Address)
	owner.fill("#code", st.Code)
	owner.fill("#name", "Meter cupboard")
	owner.click(`form[action^="/devices/pair"] button[type=submit]`)
	owner.waitPage(st.MyHome+"/pairings/", "Pairing", 30*time.Second)
	owner.shot("myhome-pairing")
	owner.waitUntil("every pairing step done", 3*time.Minute, func() (bool, string) {
		steps, open := owner.count("ol.steps li"), owner.count("ol.steps li:not(.done)")
		return steps > 0 && open == 0, abbreviate(owner.text("main"))
	})
	owner.waitText("main", "paired", 10*time.Second)
	owner.shot("myhome-paired")

	// Back to the request, which now offers the reader; grant.
	owner.click(`main a[href^="/consent/"]`)
	owner.waitPage(consentURL, "Meter cupboard", 30*time.Second)
	// Who asks is the name Wattt's signed document gives, with its origin;
	// the consent ends a year from now (the Live plan asks for no less).
	if got := owner.text("#provider-name"); got != "Wattt Insights" {
		t.Errorf("consent page names the provider %q, want Wattt Insights (verified)", got)
	}
	if got := owner.text("#provider-origin"); got != st.Wattt {
		t.Errorf("consent page shows origin %q, want %s", got, st.Wattt)
	}
	if got, want := owner.text("#ends"), "ends "+oneYearOn(); !strings.Contains(got, want) {
		t.Errorf("consent page says %q about the end, want %q", got, want)
	}
	if got := owner.text("#resolution"); !strings.Contains(got, "every reading") {
		t.Errorf("consent page resolution %q", got)
	}
	owner.shot("myhome-consent")
	owner.click(`button[name=decision][value=grant]`)
	owner.waitPage(st.Wattt+"/", "", 30*time.Second)
	if strings.Contains(owner.location(), "/connect/waiting") {
		owner.shot("wattt-waiting")
	}
	t.Logf("granted after %s", time.Since(start).Round(time.Second))

	// Back at Wattt: the keys arrive and readings with them.
	waitLive(t, owner, st)
	t.Logf("first provider live after %s", time.Since(start).Round(time.Second))
	owner.shot("wattt-dashboard-live")

	owner.open(st.MyHome + "/policies")
	owner.waitText("table", "active", 10*time.Second)
	if got := owner.text("table"); !strings.Contains(got, "Wattt Insights") || !strings.Contains(got, "ends "+oneYearOn()) {
		t.Errorf("consents list lacks the verified name or the end date: %s", abbreviate(got))
	}
	if owner.count(`a[href$="/revoke"]`) != 1 {
		t.Fatalf("policies page should have exactly one Revoke link, has %d", owner.count(`a[href$="/revoke"]`))
	}
	owner.shot("myhome-policies")

	// 2. Renew from Wattt's dashboard, switching to Monthly insight.
	owner.open(st.Wattt + "/dashboard")
	owner.waitText("#consent-ends", "ends "+oneYearOn(), 10*time.Second)
	owner.click(`details.renew summary`)
	owner.click(`details.renew input[name=plan][value=monthly]`)
	owner.click(`details.renew button[type=submit]`)
	owner.waitPage(st.MyHome+"/consent/", "Wattt Insights asks to renew", 30*time.Second)
	if got := owner.text(".renewal"); !strings.Contains(got, "per 15 minutes") || !strings.Contains(got, "electricity, gas") {
		t.Errorf("renewal page does not show what changes: %s", abbreviate(got))
	}
	owner.shot("myhome-consent-renew")
	owner.click(`button[name=decision][value=grant]`)
	owner.waitUntil("the dashboard on the Monthly insight plan", 3*time.Minute, func() (bool, string) {
		if !strings.HasPrefix(owner.location(), st.Wattt+"/dashboard") {
			return false, owner.location() + ": " + abbreviate(owner.text("main"))
		}
		return strings.Contains(owner.text("#plan"), "Monthly insight"), owner.text("#plan")
	})
	waitNewReading(t, owner, 60*time.Second)
	if got := owner.text("#conn-state"); !strings.Contains(got, "Live") {
		t.Errorf("after renewing, the connection is %q, want Live", got)
	}
	owner.open(st.MyHome + "/policies")
	owner.waitText("table", "renewed", 10*time.Second)
	revokeFirst := owner.attr(`a[href$="/revoke"]`, "href")
	if revokeFirst == "" || owner.count(`a[href$="/revoke"]`) != 1 || owner.count(".badge-active") != 1 {
		t.Fatalf("after renewing, the policies page should show exactly one active consent, has %d Revoke links", owner.count(`a[href$="/revoke"]`))
	}
	t.Logf("renewed after %s", time.Since(start).Round(time.Second))
	owner.open(st.MyHome + "/devices")
	owner.waitText("table", "Meter cupboard", 10*time.Second)
	if got := owner.text("table"); !strings.Contains(got, "paired") {
		t.Errorf("devices page does not show the reader as paired: %s", abbreviate(got))
	}
	owner.shot("myhome-devices")

	// 3. A second provider account, granted by the same owner.
	second.copyCookies(owner, st.MyHome, "myhome_")
	second.open(st.Wattt + "/")
	second.click(`form[action="/connect"] button[type=submit]`)
	second.waitPage(st.MyHome+"/consent/", "Grant access", 30*time.Second)
	second.click(`button[name=decision][value=grant]`)
	second.waitPage(st.Wattt+"/", "", 30*time.Second)
	waitLive(t, second, st)
	t.Logf("second provider live after %s", time.Since(start).Round(time.Second))

	// 4. Revoke the first.
	owner.open(st.MyHome + revokeFirst)
	owner.waitText("h1", "Revoke access for", 10*time.Second)
	owner.shot("myhome-confirm-revoke")
	owner.click(`form[action$="/revoke"] button.danger`)
	owner.waitPage(st.MyHome+"/policies", "revoked", 30*time.Second)
	if n := owner.count(`a[href$="/revoke"]`); n != 1 {
		t.Errorf("after revoking one of two consents, %d Revoke links remain, want 1", n)
	}
	waitRevoked(t, owner, st)
	t.Logf("first provider revoked after %s", time.Since(start).Round(time.Second))
	owner.shot("wattt-revoked")
	frozen := owner.text(`[data-live="at"]`)

	// The second keeps receiving while the first gets nothing new.
	second.open(st.Wattt + "/dashboard")
	waitNewReading(t, second, 90*time.Second)
	waitNewReading(t, second, 90*time.Second)
	if got := second.text("#conn-state"); !strings.Contains(got, "Live") {
		t.Errorf("second provider after the first was revoked: connection %q, want Live", got)
	}
	owner.open(st.Wattt + "/dashboard")
	if got := owner.text(`[data-live="at"]`); got != frozen {
		t.Errorf("revoked provider got a new reading: last reading %q, was %q when revoked", got, frozen)
	}

	owner.open(st.MyHome + "/audit")
	owner.waitText("table", "AUTHORIZATION_REVOKED", 30*time.Second)
	for _, ev := range []string{"DEVICE_ADDED", "AUTHORIZED"} {
		if !strings.Contains(owner.text("table"), ev) {
			t.Errorf("audit trail lacks %s", ev)
		}
	}
	owner.shot("myhome-audit")

	// 5. Unpair: the second stops too.
	owner.open(st.MyHome + "/devices")
	owner.click(`a[href$="/unpair"]`)
	owner.waitText("h1", "Unpair Meter cupboard?", 10*time.Second)
	owner.shot("myhome-confirm-unpair")
	owner.click(`form[action$="/unpair"] button.danger`)
	owner.waitPage(st.MyHome+"/devices", "unpaired", 30*time.Second)
	owner.shot("myhome-devices-unpaired")
	waitRevoked(t, second, st)
	t.Logf("second provider cut off after %s", time.Since(start).Round(time.Second))
	second.shot("wattt-revoked-after-unpair")
	frozen2 := second.text(`[data-live="at"]`)
	time.Sleep(15 * time.Second) // three batch windows of the reader
	second.open(st.Wattt + "/dashboard")
	if got := second.text(`[data-live="at"]`); got != frozen2 {
		t.Errorf("second provider got a reading after unpairing: last reading %q, was %q", got, frozen2)
	}
	owner.open(st.MyHome + "/policies")
	if got := owner.text("table"); strings.Count(got, "revoked") < 2 || !strings.Contains(got, "device unpaired") {
		t.Errorf("policies page after unpairing should show both consents revoked (device unpaired): %s", abbreviate(got))
	}
	owner.shot("myhome-policies-final")

	// Errors a person can run into are pages that say what happened.
	owner.open(st.MyHome + "/new-policy?goal=x")
	owner.waitText("h1", "This consent request was refused", 10*time.Second)
	owner.shot("myhome-error")
	owner.open(st.Wattt + "/connect/return?state=forged&result=granted")
	owner.waitText("main", "does not match a consent request", 10*time.Second)
	owner.shot("wattt-error")
	t.Logf("story done after %s", time.Since(start).Round(time.Second))
}

// oneYearOn is the date a consent granted now ends by default, as pages
// show it.
func oneYearOn() string { return time.Now().UTC().AddDate(1, 0, 0).Format("2 Jan 2006") }

// waitLive waits on Wattt until the keys arrived and the dashboard shows
// live readings: the connection is Live, the live panel updates by itself,
// and the charts have data points.
func waitLive(t *testing.T, b *browser, st *stack) {
	t.Helper()
	start := time.Now()
	b.waitUntil("the dashboard with a first reading", 3*time.Minute, func() (bool, string) {
		if !strings.HasPrefix(b.location(), st.Wattt+"/dashboard") {
			// The waiting page reloads itself and moves on to the dashboard.
			return false, b.location() + ": " + abbreviate(b.text("main"))
		}
		at := b.text(`[data-live="at"]`)
		return at != "" && at != "none yet", "last reading: " + at
	})
	t.Logf("%s: first reading on the dashboard after %s", b.name, time.Since(start).Round(time.Second))
	if got := b.text("#conn-state"); !strings.Contains(got, "Live") {
		t.Errorf("%s: connection state %q, want Live", b.name, got)
	}
	waitNewReading(t, b, 60*time.Second) // without a reload: the live panel updates itself
	t.Logf("%s: live panel updated by itself after %s", b.name, time.Since(start).Round(time.Second))
	// The charts are drawn on the server: reload until the power curve has
	// a point and the hourly chart a visible bar (the meter's kWh counters
	// have three decimals, so the first bar takes a few seconds). Bars are
	// judged by their drawn height, what a person sees: data-value is
	// rounded to two decimals (see /work/team/requests-e2e.md).
	b.waitUntil("charts with data points", 3*time.Minute, func() (bool, string) {
		b.open(st.Wattt + "/dashboard")
		points := b.count(`#chart-power .marker`)
		bars, _ := eval[int](b, `Array.from(document.querySelectorAll('#chart-hourly g.series rect')).filter(r => parseFloat(r.getAttribute('height')) > 0).length`)
		return points > 0 && bars > 0, "points in #chart-power: " + strconv.Itoa(points) + ", visible bars in #chart-hourly: " + strconv.Itoa(bars)
	})
	t.Logf("%s: charts with data after %s", b.name, time.Since(start).Round(time.Second))
	if pd := b.text(`[data-live="pD"]`); !strings.HasSuffix(pd, "kW") {
		t.Errorf("%s: power now shows %q, want a value in kW", b.name, pd)
	}
}

// waitNewReading waits until the live panel's "last reading" changes.
func waitNewReading(t *testing.T, b *browser, limit time.Duration) {
	t.Helper()
	before := b.text(`[data-live="at"]`)
	b.waitUntil("a newer reading than "+before, limit, func() (bool, string) {
		now := b.text(`[data-live="at"]`)
		return now != before && now != "", now
	})
}

// waitRevoked reloads the dashboard until it shows the connection revoked.
func waitRevoked(t *testing.T, b *browser, st *stack) {
	t.Helper()
	b.waitUntil("the dashboard to show the connection revoked", 3*time.Minute, func() (bool, string) {
		b.open(st.Wattt + "/dashboard")
		got := b.text("#conn-state")
		return strings.Contains(got, "Revoked"), got
	})
}
