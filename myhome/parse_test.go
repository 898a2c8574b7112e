package myhome

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/iotaledger/iota.go/address"

	"iotahome/tangle/seed"
)

func TestReturnURL(t *testing.T) {
	decided := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	r := ConsentRequest{ReturnURL: "https://wattt.example/back?a=1", State: "abcdefgh", Result: "granted", PolicyID: "P1",
		DecidedAt: &decided, Duration: 30 * 24 * time.Hour}
	back, _ := url.Parse(ReturnURL(r))
	if back.Query().Get("a") != "1" || back.Query().Get("result") != "granted" || back.Query().Get("policy") != "P1" ||
		back.Query().Get("state") != "abcdefgh" || back.Host != "wattt.example" ||
		back.Query().Get("expires") != "2026-12-30T10:00:00Z" {
		t.Fatalf("return URL %s", back)
	}
	// Without a duration the consent ends after one year.
	r.Duration = 0
	if back, _ := url.Parse(ReturnURL(r)); back.Query().Get("expires") != "2027-11-30T10:00:00Z" {
		t.Fatalf("default end: %s", back)
	}
	// A provider cannot smuggle its own result or state into the outcome.
	r.ReturnURL = "https://wattt.example/back?result=granted&state=zzz&expires=never"
	r.Result, r.PolicyID = "denied", ""
	back, _ = url.Parse(ReturnURL(r))
	if back.Query()["result"][0] != "denied" || len(back.Query()["result"]) != 1 || back.Query().Get("state") != "abcdefgh" ||
		back.Query().Has("expires") {
		t.Fatalf("outcome overridable: %s", back)
	}
}

func TestConsentEnd(t *testing.T) {
	now := time.Date(2026, 11, 30, 10, 0, 0, 500, time.UTC)
	for asked, want := range map[time.Duration]time.Time{
		0:                    time.Date(2027, 11, 30, 10, 0, 0, 0, time.UTC),
		12 * time.Hour:       time.Date(2026, 11, 30, 22, 0, 0, 0, time.UTC),
		366 * 24 * time.Hour: time.Date(2027, 11, 30, 10, 0, 0, 0, time.UTC), // capped at one year
	} {
		if got := ConsentEnd(now, asked); !got.Equal(want) {
			t.Errorf("ConsentEnd(%v) = %v, want %v", asked, got, want)
		}
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
		// Issue 13: names that do not read as what they are.
		{Address: string(addr), Code: "ABCDEFGHIJKLMNOP", Name: "Meter\u202epuorg"},
		{Address: string(addr), Code: "ABCDEFGHIJKLMNOP", Name: strings.Repeat("\u200b", 10)},
		{Address: string(addr), Code: "ABCDEFGHIJKLMNOP", Name: "Kitchen\u2067meter"},
	} {
		if _, err := in.parse(); err == nil {
			t.Fatalf("accepted %+v", in)
		} else if ue := (*UserError)(nil); !errors.As(err, &ue) {
			t.Fatalf("%+v: not a UserError: %v", in, err)
		}
	}
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
