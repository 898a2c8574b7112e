package direct

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/iotaledger/iota.go/bundle"
	"github.com/iotaledger/iota.go/consts"
	"github.com/iotaledger/iota.go/trinary"

	"iotahome/protocol"
	"iotahome/tangle/client"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// fakeBundle builds a one-transaction bundle carrying an envelope, with
// the given attachment time and a bundle hash derived from id. pick only
// looks at these fields; real bundles are exercised against the node in
// direct_test.go.
func fakeBundle(t *testing.T, id string, at time.Time) bundle.Bundle {
	t.Helper()
	tr, err := EncodeEnvelope(Envelope{Type: protocol.ClaimDevice, Version: 1, Body: []byte(`{"claimId":"` + id + `"}`)})
	if err != nil {
		t.Fatal(err)
	}
	idTrytes, err := client.ASCIIToTrytes(id)
	if err != nil {
		t.Fatal(err)
	}
	h := trinary.MustPad(idTrytes, consts.HashTrytesSize)
	return bundle.Bundle{{
		SignatureMessageFragment: trinary.MustPad(tr, consts.SignatureMessageFragmentSizeInTrytes),
		Bundle:                   h,
		Hash:                     h,
		AttachmentTimestamp:      at.UnixMilli(),
	}}
}

func ids(msgs []Message) string {
	var s []string
	for _, m := range msgs {
		s = append(s, strings.TrimPrefix(strings.TrimSuffix(string(m.Envelope.Body), `"}`), `{"claimId":"`))
	}
	return strings.Join(s, ",")
}

// list runs pick the way List does, round-tripping the cursor as a string.
func list(t *testing.T, c Cursor, now time.Time, bs ...bundle.Bundle) ([]Message, Cursor) {
	t.Helper()
	cur, err := parseCursor(c)
	if err != nil {
		t.Fatal(err)
	}
	return pick(cur, now, bs, quiet)
}

func TestCursorOrderAndResume(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	a, b, c := fakeBundle(t, "a", t0), fakeBundle(t, "b", t0.Add(time.Second)), fakeBundle(t, "c", t0.Add(2*time.Second))
	msgs, cur := list(t, "", t0.Add(time.Minute), c, a, b)
	if got := ids(msgs); got != "a,b,c" {
		t.Fatalf("first list = %s, want a,b,c in timestamp order", got)
	}
	msgs, cur = list(t, cur, t0.Add(2*time.Minute), a, b, c)
	if len(msgs) != 0 {
		t.Fatalf("second list redelivered %s", ids(msgs))
	}
	d := fakeBundle(t, "d", t0.Add(3*time.Minute))
	msgs, _ = list(t, cur, t0.Add(4*time.Minute), a, b, c, d)
	if got := ids(msgs); got != "d" {
		t.Fatalf("third list = %s, want d", got)
	}
}

// A message with the same timestamp as one already read, or a slightly
// earlier one, that reaches the node later is still delivered.
func TestCursorLateArrivalSameTimestamp(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	z := fakeBundle(t, "z", t0) // sorts after "a" at the same time
	_, cur := list(t, "", t0.Add(time.Second), z)
	a := fakeBundle(t, "a", t0)
	early := fakeBundle(t, "e", t0.Add(-10*time.Minute))
	msgs, cur := list(t, cur, t0.Add(2*time.Second), z, a, early)
	if got := ids(msgs); got != "e,a" {
		t.Fatalf("late arrivals = %q, want e,a", got)
	}
	if msgs, _ := list(t, cur, t0.Add(3*time.Second), z, a, early); len(msgs) != 0 {
		t.Fatalf("redelivered %s", ids(msgs))
	}
}

// A message dated in the future must not make the cursor skip messages
// that arrive after it with honest timestamps.
func TestCursorFutureTimestamp(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	future := fakeBundle(t, "f", now.Add(365*24*time.Hour))
	msgs, cur := list(t, "", now, future)
	if ids(msgs) != "f" {
		t.Fatalf("got %s", ids(msgs))
	}
	honest := fakeBundle(t, "h", now.Add(time.Minute))
	msgs, cur = list(t, cur, now.Add(2*time.Minute), future, honest)
	if got := ids(msgs); got != "h" {
		t.Fatalf("after a future-dated message got %q, want h", got)
	}
	// Much later the future message is still not redelivered.
	if msgs, _ := list(t, cur, now.Add(48*time.Hour), future, honest); len(msgs) != 0 {
		t.Fatalf("redelivered %s", ids(msgs))
	}
}

func TestCursorStaysBounded(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	var bs []bundle.Bundle
	for i := range MaxSeen + 200 {
		bs = append(bs, fakeBundle(t, fmt.Sprintf("m%d", i), t0.Add(time.Duration(i)*time.Millisecond)))
	}
	msgs, cur := list(t, "", t0.Add(time.Minute), bs...)
	if len(msgs) != len(bs) {
		t.Fatalf("delivered %d of %d", len(msgs), len(bs))
	}
	parsed, err := parseCursor(cur)
	if err != nil {
		t.Fatal(err)
	}
	if len(parsed.seen) > MaxSeen {
		t.Fatalf("cursor remembers %d bundles, cap is %d", len(parsed.seen), MaxSeen)
	}
	if msgs, _ := list(t, cur, t0.Add(2*time.Minute), bs...); len(msgs) != 0 {
		t.Fatalf("after the cap, %d messages redelivered", len(msgs))
	}
	// After Window everything old is forgotten: the cursor is tiny.
	_, cur = list(t, cur, t0.Add(2*Window), bs...)
	if len(cur) > 40 {
		t.Fatalf("cursor after Window is %d bytes: %s", len(cur), cur)
	}
}

func TestParseCursorAcceptsOwn(t *testing.T) {
	c := Cursor("d1.1." + strings.Repeat("0a", 16) + "," + strings.Repeat("f", 32))
	cur, err := parseCursor(c)
	if err != nil || cur.low != 1 || len(cur.seen) != 2 {
		t.Fatalf("parseCursor(%q) = %+v, %v", c, cur, err)
	}
}

func TestParseCursorRejectsGarbage(t *testing.T) {
	for _, c := range []Cursor{"x", "d1.", "d1.abc.", "d2.1.", "d1.1.SHORT", "d1.1." + Cursor(strings.Repeat("A", 32)), "d1.1." + Cursor(strings.Repeat("g", 32))} {
		if _, err := parseCursor(c); err == nil {
			t.Errorf("parseCursor(%q) accepted", c)
		}
	}
}
