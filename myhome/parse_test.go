package myhome

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/iotaledger/iota.go/address"

	"iotahome/tangle/ntru"
	"iotahome/tangle/seed"
)

func validQuery(t testing.TB) url.Values {
	t.Helper()
	sd := strings.Repeat("A", 81)
	addr, err := seed.Address(sd, 0)
	if err != nil {
		t.Fatal(err)
	}
	pub, _, err := ntru.DeriveKeyPair(sd)
	if err != nil {
		t.Fatal(err)
	}
	return url.Values{"address": {string(addr)}, "publicKey": {string(pub.Trytes())}, "goal": {"Graphs"},
		"url": {"https://wattt.example/back?a=1#frag"}, "state": {"abcdefgh"}}
}

func TestParseConsentRequest(t *testing.T) {
	q := validQuery(t)
	q.Set("scope", "Gas, electricity,gas")
	q.Set("duration", "30d")
	r, err := ParseConsentRequest(q)
	if err != nil {
		t.Fatal(err)
	}
	if r.Origin != "https://wattt.example" || r.ReturnURL != "https://wattt.example/back?a=1" {
		t.Fatalf("origin %q url %q", r.Origin, r.ReturnURL)
	}
	if strings.Join(r.Scope, ",") != "gas,electricity" || r.Duration != 30*24*time.Hour {
		t.Fatalf("scope %v duration %v", r.Scope, r.Duration)
	}
	r.Result, r.PolicyID = "granted", "P1"
	back, _ := url.Parse(ReturnURL(r))
	if back.Query().Get("a") != "1" || back.Query().Get("result") != "granted" || back.Query().Get("policy") != "P1" ||
		back.Query().Get("state") != "abcdefgh" || back.Host != "wattt.example" {
		t.Fatalf("return URL %s", back)
	}
	// A provider cannot smuggle its own result or state into the outcome.
	q.Set("url", "https://wattt.example/back?result=granted&state=zzz")
	r, _ = ParseConsentRequest(q)
	r.Result = "denied"
	back, _ = url.Parse(ReturnURL(r))
	if back.Query()["result"][0] != "denied" || len(back.Query()["result"]) != 1 || back.Query().Get("state") != "abcdefgh" {
		t.Fatalf("outcome overridable: %s", back)
	}
	// Hosts are compared case-insensitively in the origin.
	q.Set("url", "HTTPS://Wattt.Example:8443/x")
	if r, err := ParseConsentRequest(q); err != nil || r.Origin != "https://wattt.example:8443" {
		t.Fatalf("origin %q %v", r.Origin, err)
	}
}

func TestParsePairInput(t *testing.T) {
	addr, _ := seed.Address(strings.Repeat("B", 81), 0)
	cs, err := address.Checksum(addr)
	if err != nil {
		t.Fatal(err)
	}
	withChecksum := addr + cs
	for _, in := range []PairInput{
		{Address: string(addr), Code: "abcd-efgh-ijkl-mnop"},
		{Address: " " + strings.ToLower(string(addr)) + " ", Code: "ABCDEFGHIJKLMNOP"},
		{QR: "iotahome:pair?address=" + string(addr) + "&code=ABCD-EFGH-IJKL-MNOP"},
		{Address: string(withChecksum), Code: "ABCD EFGH IJKL MNOP"},
	} {
		tg, err := in.parse()
		if err != nil {
			t.Fatalf("%+v: %v", in, err)
		}
		if tg.address != string(addr) || tg.code != "ABCDEFGHIJKLMNOP" {
			t.Fatalf("%+v -> %+v", in, tg)
		}
	}
	for _, in := range []PairInput{
		{},
		{Address: string(addr)},
		{Address: string(addr), Code: "ABCD-EFGH-IJKL-MNO1"}, // 1 is not base32
		{Address: string(addr), Code: "ABCD-EFGH-IJKL"},      // too short
		{Address: string(addr)[:80] + "a1", Code: "ABCDEFGHIJKLMNOP"},
		{Address: string(withChecksum[:89]) + "X", Code: "ABCDEFGHIJKLMNOP"}, // bad checksum
		{QR: "https://evil.example/?address=x&code=y"},
		{Address: string(addr), Code: "ABCDEFGHIJKLMNOP", Name: "a\x00b"},
	} {
		if _, err := in.parse(); err == nil {
			t.Fatalf("accepted %+v", in)
		} else if ue := (*UserError)(nil); !errors.As(err, &ue) {
			t.Fatalf("%+v: not a UserError: %v", in, err)
		}
	}
}

// FuzzParseConsentRequest: no query crashes the parser, and whatever it
// accepts redirects only to an absolute http(s) URL on the origin it shows.
func FuzzParseConsentRequest(f *testing.F) {
	q := validQuery(f)
	f.Add(q.Encode())
	f.Add("url=javascript:alert(1)&state=abcdefgh")
	f.Add(strings.Replace(q.Encode(), "https", "http", 1) + "&scope=gas&duration=2h")
	f.Fuzz(func(t *testing.T, raw string) {
		vals, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		r, err := ParseConsentRequest(vals)
		if err != nil {
			if ue := (*UserError)(nil); !errors.As(err, &ue) {
				t.Fatalf("not a UserError: %v", err)
			}
			return
		}
		r.Result = "denied"
		back, err := url.Parse(ReturnURL(r))
		if err != nil || (back.Scheme != "http" && back.Scheme != "https") || back.Host == "" ||
			back.Scheme+"://"+strings.ToLower(back.Host) != r.Origin || back.User != nil {
			t.Fatalf("accepted %q, redirects to %q (origin %q)", raw, ReturnURL(r), r.Origin)
		}
	})
}

// FuzzPairInput: no input crashes the parser; accepted input is a
// well-formed address and code.
func FuzzPairInput(f *testing.F) {
	addr, _ := seed.Address(strings.Repeat("C", 81), 0)
	f.Add(string(addr), "abcd-efgh-ijkl-mnop", "")
	f.Add("", "", "iotahome:pair?address="+string(addr)+"&code=ABCD-EFGH-IJKL-MNOP")
	f.Fuzz(func(t *testing.T, address, code, qr string) {
		tg, err := PairInput{Address: address, Code: code, QR: qr}.parse()
		if err != nil {
			return
		}
		if len(tg.address) != 81 || len(tg.code) != 16 {
			t.Fatalf("accepted %q %q %q -> %+v", address, code, qr, tg)
		}
	})
}

func BenchmarkParseConsentRequest(b *testing.B) {
	q := validQuery(b)
	for b.Loop() {
		if _, err := ParseConsentRequest(q); err != nil {
			b.Fatal(err)
		}
	}
}
