package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// findChromium returns the browser to drive. Without one the test is
// skipped, unless CI=true: there it must run.
func findChromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("E2E_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "/usr/bin/chromium"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium not found, and CI=true requires the browser test to run (apt-get install chromium)")
	}
	t.Skip("chromium not found (apt-get install chromium); skipping the browser test")
	return ""
}

// browser is one Chromium with its own profile: its own cookies, so its
// own My Home and Wattt sessions.
type browser struct {
	t    *testing.T
	name string
	ctx  context.Context // the tab; no deadline (each step sets its own)
}

// Viewports of the design screenshots (E2E_SCREENSHOTS).
const (
	desktopW, desktopH = 1280, 900
	phoneW, phoneH     = 390, 844
)

func newBrowser(t *testing.T, name, chromium string) *browser {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(desktopW, desktopH),
	}
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	b := &browser{t: t, name: name, ctx: ctx}
	// Registered before the first failure can happen, so that a Fatalf
	// anywhere later still leaves a screenshot of this browser behind.
	t.Cleanup(func() {
		if t.Failed() {
			b.saveFailureScreenshot()
		}
		cancel()
		acancel()
	})
	if err := chromedp.Do(ctx); err != nil { // starts the browser, bound to ctx only
		t.Fatalf("%s: start chromium: %v", name, err)
	}
	return b
}

// step runs actions with a deadline of its own.
func (b *browser) step(limit time.Duration, actions ...chromedp.Action[chromedp.Void]) error {
	ctx, cancel := context.WithTimeout(b.ctx, limit)
	defer cancel()
	return chromedp.Do(ctx, actions...)
}

func (b *browser) fatalf(format string, args ...any) {
	b.t.Helper()
	b.t.Fatalf("%s (at %s): %s", b.name, b.location(), fmt.Sprintf(format, args...))
}

// open goes to url and waits for the page to load.
func (b *browser) open(url string) {
	b.t.Helper()
	if err := b.step(60*time.Second, chromedp.Navigate(url)); err != nil {
		b.fatalf("open %s: %v", url, err)
	}
}

// click clicks the first visible element matching the CSS selector, as a
// mouse would.
func (b *browser) click(sel string) {
	b.t.Helper()
	if err := b.step(30*time.Second, chromedp.Click(chromedp.CSS(sel))); err != nil {
		b.fatalf("click %s: %v", sel, err)
	}
}

// fill types text into the field matching the CSS selector.
func (b *browser) fill(sel, text string) {
	b.t.Helper()
	if err := b.step(30*time.Second, chromedp.SendKeys(chromedp.CSS(sel), text)); err != nil {
		b.fatalf("type into %s: %v", sel, err)
	}
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](b *browser, expr string) (T, error) {
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	return chromedp.Run(ctx, chromedp.Evaluate[T](expr))
}

// js quotes s as a JavaScript string literal.
func js(s string) string {
	q, _ := json.Marshal(s)
	return string(q)
}

// text is the visible text of the first element matching sel ("" if none).
func (b *browser) text(sel string) string {
	s, _ := eval[string](b, `(function(){var e=document.querySelector(`+js(sel)+`);return e?e.innerText:""})()`)
	return s
}

// count is the number of elements matching sel.
func (b *browser) count(sel string) int {
	n, _ := eval[int](b, `document.querySelectorAll(`+js(sel)+`).length`)
	return n
}

// attr is attribute name of the first element matching sel.
func (b *browser) attr(sel, name string) string {
	s, _ := eval[string](b, `(function(){var e=document.querySelector(`+js(sel)+`);return e?(e.getAttribute(`+js(name)+`)||""):""})()`)
	return s
}

func (b *browser) location() string {
	s, _ := eval[string](b, `location.href`)
	return s
}

// waitUntil polls cond (every half second, through page reloads and
// navigations) until it reports true or limit passes; then the test fails
// with what cond last said.
func (b *browser) waitUntil(what string, limit time.Duration, cond func() (bool, string)) {
	b.t.Helper()
	start := time.Now()
	deadline := start.Add(limit)
	nextNote := start.Add(30 * time.Second)
	for {
		ok, seen := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			b.fatalf("waited %s for %s; last seen: %s", limit, what, seen)
		}
		if time.Now().After(nextNote) { // long waits say what they see, for diagnosing slow runs
			b.t.Logf("%s: still waiting for %s after %s; seen: %s", b.name, what, time.Since(start).Round(time.Second), seen)
			nextNote = nextNote.Add(30 * time.Second)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// waitText waits until the element matching sel shows want.
func (b *browser) waitText(sel, want string, limit time.Duration) {
	b.t.Helper()
	b.waitUntil(fmt.Sprintf("%q in %s", want, sel), limit, func() (bool, string) {
		got := b.text(sel)
		return strings.Contains(got, want), abbreviate(got)
	})
}

// waitPage waits until the page's URL starts with prefix and its body shows want.
func (b *browser) waitPage(prefix, want string, limit time.Duration) {
	b.t.Helper()
	b.waitUntil(fmt.Sprintf("a page under %s showing %q", prefix, want), limit, func() (bool, string) {
		loc := b.location()
		body := b.text("body")
		return strings.HasPrefix(loc, prefix) && strings.Contains(body, want), loc + ": " + abbreviate(body)
	})
}

func abbreviate(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}

// copyCookies gives b the cookies of from whose names start with prefix,
// for url: the same person's session in a second browser.
func (b *browser) copyCookies(from *browser, url, prefix string) {
	b.t.Helper()
	var cookies []*network.Cookie
	err := from.step(10*time.Second, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		res, err := cdp.Call(ctx, t, network.GetCookies, network.GetCookiesParams{URLs: []string{url}})
		cookies = res.Cookies
		return err
	}))
	if err != nil {
		b.fatalf("read cookies of %s: %v", from.name, err)
	}
	var params []*network.CookieParam
	for _, c := range cookies {
		if strings.HasPrefix(c.Name, prefix) {
			params = append(params, &network.CookieParam{
				Name: c.Name, Value: c.Value, URL: url, Path: c.Path,
				HTTPOnly: c.HTTPOnly, SameSite: c.SameSite,
			})
		}
	}
	if len(params) == 0 {
		b.fatalf("%s has no %s* cookies for %s", from.name, prefix, url)
	}
	err = b.step(10*time.Second, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, network.SetCookies, network.SetCookiesParams{Cookies: params})
		return err
	}))
	if err != nil {
		b.fatalf("set cookies: %v", err)
	}
}

// shot saves the current page at desktop and phone width into
// $E2E_SCREENSHOTS (the design review of issue 6 §4); without that
// variable it does nothing.
func (b *browser) shot(name string) {
	b.t.Helper()
	dir := os.Getenv("E2E_SCREENSHOTS")
	if dir == "" {
		return
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.t.Fatalf("screenshot directory: %v", err)
	}
	for _, v := range []struct {
		suffix string
		w, h   int64
		opts   []chromedp.EmulateViewportOption
	}{
		{"desktop", desktopW, desktopH, nil},
		{"phone", phoneW, phoneH, []chromedp.EmulateViewportOption{chromedp.EmulateMobile, chromedp.EmulateTouch}},
	} {
		path := filepath.Join(dir, name+"-"+v.suffix+".png")
		if err := b.screenshot(path, chromedp.EmulateViewport(v.w, v.h, v.opts...)); err != nil {
			b.t.Logf("%s: screenshot %s: %v", b.name, path, err)
		}
	}
	if err := b.step(10*time.Second, chromedp.EmulateViewport(desktopW, desktopH)); err != nil {
		b.t.Logf("%s: reset viewport: %v", b.name, err)
	}
}

// screenshot writes a PNG of the whole page after running setup.
func (b *browser) screenshot(path string, setup ...chromedp.Action[chromedp.Void]) error {
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, setup...); err != nil {
		return err
	}
	time.Sleep(300 * time.Millisecond) // let the layout settle at the new width
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		return err
	}
	return os.WriteFile(path, png, 0o644)
}

func (b *browser) saveFailureScreenshot() {
	dir := artifactsDir(b.t)
	if dir == "" {
		return
	}
	path := filepath.Join(dir, "failure-"+b.name+".png")
	if err := b.screenshot(path); err != nil && !errors.Is(err, context.Canceled) {
		b.t.Logf("%s: failure screenshot: %v", b.name, err)
		return
	}
	b.t.Logf("%s: screenshot of the last page (%s): %s", b.name, b.location(), path)
}
