package providermeta

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"iotahome/tangle/ntru"
)

// TestParseURL includes issue 13's misleading hosts: a homograph shows as
// its ASCII (xn--) form, and ports that do not exist are refused.
func TestParseURL(t *testing.T) {
	for in, want := range map[string][2]string{
		"https://wattt.example/connect/return?x=1#frag": {"https://wattt.example/connect/return?x=1", "https://wattt.example"},
		"HTTPS://Wattt.Example:8443/x":                  {"https://wattt.example:8443/x", "https://wattt.example:8443"},
		"https://wattt.example:443/x":                   {"https://wattt.example/x", "https://wattt.example"},
		"http://127.0.0.1:8081/back":                    {"http://127.0.0.1:8081/back", "http://127.0.0.1:8081"},
		"http://[::1]:8081/":                            {"http://[::1]:8081/", "http://[::1]:8081"},
		// Cyrillic а (U+0430) in place of the Latin a.
		"https://w\u0430ttt.nl/connect": {"https://xn--wttt-53d.nl/connect", "https://xn--wttt-53d.nl"},
		"https://%D0%B0pple.com/":       {"https://xn--pple-43d.com/", "https://xn--pple-43d.com"},
		"https://bücher.example/ü":      {"https://xn--bcher-kva.example/%C3%BC", "https://xn--bcher-kva.example"},
	} {
		clean, origin, err := ParseURL(in)
		if err != nil || clean != want[0] || origin != want[1] {
			t.Errorf("ParseURL(%q) = %q, %q, %v; want %q, %q", in, clean, origin, err, want[0], want[1])
		}
	}
	for _, bad := range []string{
		"https://wattt.example:99999/", "https://wattt.example:0/", "https://wattt.example:/", "https://wattt.example:-1/",
		"javascript:alert(1)", "//evil.example/x", "/relative", "ftp://evil.example/", "http:///nohost",
		"https://user:pw@evil.example/", "data:text/html,hi", "http://evil.example/\x00", "https://:443/",
		"  javascript:alert(1)", "http:\\\\evil.example", "https://evil.example./", "https://ev_il.example/",
		"https://wattt.example/?q=\u202e", "https://[fe80::1%25eth0]/", "https://a..b/", "https://evil\u202e.example/",
		"https://xn--a.example/", // not valid punycode
	} {
		if c, o, err := ParseURL(bad); err == nil {
			t.Errorf("ParseURL(%q) accepted: %q %q", bad, c, o)
		}
	}
}

// TestParseDuration: issue 13 — 213505d used to overflow to 24h25m.
func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{"1h": time.Hour, "30d": 30 * 24 * time.Hour, "366d": MaxDuration, "90m": 90 * time.Minute} {
		if d, err := ParseDuration(in); err != nil || d != want {
			t.Errorf("ParseDuration(%q) = %v, %v", in, d, err)
		}
	}
	for _, bad := range []string{"213505d", "106752d", "9223372036854775807d", "367d", "-1d", "0d", "59m", "forever", "", "d", "1e3d", "10000000h"} {
		if d, err := ParseDuration(bad); err == nil {
			t.Errorf("ParseDuration(%q) accepted: %v", bad, d)
		}
	}
}

func TestDocumentRoundTrip(t *testing.T) {
	pub, _, _ := ed25519.GenerateKey(nil)
	d := Document{Version: 1, Origin: "https://wattt.example", Name: "Wattt Insights", Description: "Energy graphs.",
		PrivacyPolicy: "https://wattt.example/privacy", Keys: []Key{NewKey(pub)}}
	raw, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), `"kty":"OKP","crv":"Ed25519"`) || strings.Contains(string(raw), `"d"`) {
		t.Fatalf("document JSON %s", raw)
	}
	got, err := ParseDocument(raw, "https://wattt.example")
	if err != nil {
		t.Fatal(err)
	}
	if k, ok := got.Key(d.Keys[0].ID); !ok || !k.Equal(pub) {
		t.Fatalf("key lost: %+v", got.Keys)
	}
	if _, err := ParseDocument(raw, "https://wattt.example:8443"); err == nil {
		t.Fatal("document accepted from another origin")
	}
	for name, mutate := range map[string]func(map[string]any){
		"private key": func(m map[string]any) { m["keys"].([]any)[0].(map[string]any)["d"] = "AAAA" },
		"rsa key":     func(m map[string]any) { m["keys"].([]any)[0].(map[string]any)["kty"] = "RSA" },
		"short x":     func(m map[string]any) { m["keys"].([]any)[0].(map[string]any)["x"] = "AAAA" },
		"no keys":     func(m map[string]any) { m["keys"] = []any{} },
		"no kid":      func(m map[string]any) { m["keys"].([]any)[0].(map[string]any)["kid"] = "" },
		"version 2":   func(m map[string]any) { m["v"] = 2 },
		"empty name":  func(m map[string]any) { m["name"] = "\u200b\u200b" },
		"long name":   func(m map[string]any) { m["name"] = strings.Repeat("n", 61) },
		"no policy":   func(m map[string]any) { delete(m, "privacyPolicy") },
		"bad logo":    func(m map[string]any) { m["logo"] = "javascript:alert(1)" },
		"two keys same id": func(m map[string]any) {
			ks := m["keys"].([]any)
			m["keys"] = append(ks, ks[0])
		},
	} {
		var m map[string]any
		json.Unmarshal(raw, &m)
		mutate(m)
		b, _ := json.Marshal(m)
		if _, err := ParseDocument(b, "https://wattt.example"); err == nil {
			t.Errorf("%s: accepted %s", name, b)
		}
	}
}

func TestRequestCheck(t *testing.T) {
	good := Request{Address: strings.Repeat("A", 81), PublicKey: testPublicKey(t), Goal: "Graphs", URL: "https://wattt.example/back",
		State: "abcdefgh", Scope: []string{"electricity"}, Resolution: "15m", IssuedAt: 1}
	if _, err := good.Check(); err != nil {
		t.Fatal(err)
	}
	for name, mutate := range map[string]func(*Request){
		"short address":   func(r *Request) { r.Address = "ABC" },
		"lower address":   func(r *Request) { r.Address = strings.Repeat("a", 81) },
		"bad key":         func(r *Request) { r.PublicKey = "NOTAKEY" },
		"empty goal":      func(r *Request) { r.Goal = " " },
		"zero-width goal": func(r *Request) { r.Goal = strings.Repeat("\u200b", 300) }, // issue 13
		"bidi goal":       func(r *Request) { r.Goal = "Graphs \u202etxet" },           // issue 13
		"long goal":       func(r *Request) { r.Goal = strings.Repeat("g", 301) },
		"control goal":    func(r *Request) { r.Goal = "a\x07b" },
		"bad state":       func(r *Request) { r.State = "a b" },
		"short state":     func(r *Request) { r.State = "abc" },
		"no scope":        func(r *Request) { r.Scope = nil },
		"unknown kind":    func(r *Request) { r.Scope = []string{"electricity", "location"} },
		"repeated kind":   func(r *Request) { r.Scope = []string{"gas", "gas"} },
		"no resolution":   func(r *Request) { r.Resolution = "" },
		"odd resolution":  func(r *Request) { r.Resolution = "5m" },
		"overflow":        func(r *Request) { r.Duration = "213505d" }, // issue 13
		"too long":        func(r *Request) { r.Duration = "400d" },
		"too short":       func(r *Request) { r.Duration = "1m" },
		"bad port":        func(r *Request) { r.URL = "https://wattt.example:99999/back" }, // issue 13
		"no iat":          func(r *Request) { r.IssuedAt = 0 },
	} {
		r := good
		r.Scope = append([]string(nil), good.Scope...)
		mutate(&r)
		_, err := r.Check()
		var pe *Error
		if !errors.As(err, &pe) || !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// FuzzParseURL: no input crashes the parser; what it accepts is ASCII,
// http(s), and parses again to itself on the origin it returned.
func FuzzParseURL(f *testing.F) {
	for _, s := range []string{"https://wattt.example/x?y=1", "https://w\u0430ttt.nl/", "http://[::1]:99/", "http://a:99999/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		clean, origin, err := ParseURL(raw)
		if err != nil {
			return
		}
		for _, r := range clean {
			if r >= 0x80 || r <= ' ' {
				t.Fatalf("ParseURL(%q) = %q: not printable ASCII", raw, clean)
			}
		}
		u, err := url.Parse(clean)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Scheme+"://"+u.Host != origin || u.User != nil {
			t.Fatalf("ParseURL(%q) = %q, %q", raw, clean, origin)
		}
		if again, o2, err := ParseURL(clean); err != nil || again != clean || o2 != origin {
			t.Fatalf("ParseURL not idempotent: %q -> %q (%q, %v)", clean, again, o2, err)
		}
	})
}

// FuzzVerifyOffline: no token crashes the parser, and a token that parses
// verifies only against the key that signed it.
func FuzzVerifyOffline(f *testing.F) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	good := Request{Address: strings.Repeat("A", 81), PublicKey: testPublicKey(f), Goal: "Graphs", URL: "https://wattt.example/back",
		State: "abcdefgh", Scope: []string{"electricity"}, Resolution: "raw", IssuedAt: 1}
	tok, err := Sign(good, priv)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(tok)
	f.Add("a.b.c")
	f.Add("")
	doc := Document{Origin: "https://wattt.example", Keys: []Key{NewKey(pub)}}
	f.Fuzz(func(t *testing.T, token string) {
		s, err := parseSigned(token)
		if err != nil {
			return
		}
		c, err := s.verify(doc)
		if err == nil && token != tok && (c.Address != good.Address || c.State != good.State || c.URL != good.URL) {
			t.Fatalf("a changed token verified: %q -> %+v", token, c)
		}
	})
}

func testPublicKey(t testing.TB) string {
	t.Helper()
	pub, _, err := ntru.DeriveKeyPair(strings.Repeat("A", 81))
	if err != nil {
		t.Fatal(err)
	}
	return string(pub.Trytes())
}
