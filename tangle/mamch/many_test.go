package mamch

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/iotaledger/iota.go/bundle"
	"github.com/iotaledger/iota.go/trinary"

	"iotahome/tangle/client"
	"iotahome/tangle/seed"
	"iotahome/tangle/tangletest"
)

// TestReadFoundManyChannels polls four channels in one request, the way a
// provider does: a channel with a message, one with nothing yet, one whose
// root holds a forgery and garbage before the genuine message, and one read
// with the wrong side key. Each gets what FetchOne gives it.
func TestReadFoundManyChannels(t *testing.T) {
	ctx := context.Background()
	n := tangletest.StartNode(t, 9)
	c, err := client.New(client.Config{NodeURL: n.URL, MWM: 9, PoW: client.PoWLocal})
	if err != nil {
		t.Fatal(err)
	}
	type channel struct {
		first, second Prepared
		readKey       trinary.Trytes
	}
	var chans []channel
	for i := range 4 {
		s, err := seed.New()
		if err != nil {
			t.Fatal(err)
		}
		st, err := NewState(s, Restricted, keyA)
		if err != nil {
			t.Fatal(err)
		}
		p0, err := Prepare(st, fmt.Sprintf("channel %d message 0", i))
		if err != nil {
			t.Fatal(err)
		}
		p1, err := Prepare(p0.Next, fmt.Sprintf("channel %d message 1", i))
		if err != nil {
			t.Fatal(err)
		}
		chans = append(chans, channel{first: p0, second: p1, readKey: keyA})
	}
	chans[3].readKey = keyB
	if _, err := c.Send(ctx, chans[2].first.Address, forge(t, "forged", keyA, chans[2].first.Root, chans[2].second.Root)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Send(ctx, chans[2].first.Address, "GARBAGE"); err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{0, 2, 3} {
		if _, err := Attach(ctx, c, chans[i].first); err != nil {
			t.Fatal(err)
		}
	}

	var found []Found
	var addrs []trinary.Hash
	for _, ch := range chans {
		a, err := Address(ch.first.Root, Restricted, ch.readKey)
		if err != nil {
			t.Fatal(err)
		}
		addrs = append(addrs, a)
	}
	if addrs[0] != chans[0].first.Address {
		t.Fatalf("Address = %s, Prepare attached at %s", addrs[0], chans[0].first.Address)
	}
	at, err := c.BundlesAt(ctx, addrs, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i, ch := range chans {
		found = append(found, Found{Root: ch.first.Root, Mode: Restricted, SideKey: ch.readKey, Bundles: at[addrs[i]]})
	}
	found = append(found, Found{Root: "BAD", Mode: Restricted, SideKey: keyA})
	reads := ReadFound(found)
	for i, ch := range chans {
		one, next, err := FetchOne(ctx, c, ch.first.Root, Restricted, ch.readKey)
		if err != nil {
			t.Fatal(err)
		}
		r := reads[i]
		if r.Err != nil || r.Next != next || (one == nil) != (r.Msg == nil) || (one != nil && (one.Text != r.Msg.Text || one.Bundle != r.Msg.Bundle)) {
			t.Fatalf("channel %d: ReadFound = %+v, FetchOne = %+v next %s", i, r, one, next)
		}
	}
	if reads[0].Msg == nil || reads[0].Next != chans[0].second.Root || reads[1].Msg != nil || reads[1].Next != chans[1].first.Root ||
		reads[2].Msg == nil || reads[2].Msg.Text != "channel 2 message 0" || reads[3].Msg != nil {
		t.Fatalf("reads %+v", reads)
	}
	if reads[4].Err == nil || reads[4].Next != "BAD" {
		t.Fatalf("a malformed root: %+v", reads[4])
	}
}

// BenchmarkReadFound measures the CPU cost of reading one new message on
// each of 1,000 channels from bundles already fetched (decrypt, parse,
// verify the signature): what a provider spends per message beyond talking
// to the node. Reported in CPU time per message and messages per CPU second
// (one core). Linux (getrusage).
//
//	go test -run '^$' -bench ReadFound -cpu 1 ./tangle/mamch
func BenchmarkReadFound(b *testing.B) {
	const channels = 1000
	text := `{"type":"DATA","v":1,"data":{"schema":"iotahome.reading/1","seq":120,"r":[{"t":"2026-11-25T15:00:00Z","m":"NL","dT1":1234.567,"dT2":2345.678,"tariff":2,"pD":0.432,"pR":0}]}}`
	found := make([]Found, channels)
	for i := range found {
		s, err := seed.New()
		if err != nil {
			b.Fatal(err)
		}
		st, err := NewState(s, Restricted, keyA)
		if err != nil {
			b.Fatal(err)
		}
		p, err := Prepare(st, text)
		if err != nil {
			b.Fatal(err)
		}
		found[i] = Found{Root: p.Root, Mode: Restricted, SideKey: keyA, Bundles: []bundle.Bundle{asBundle(p.Payload)}}
	}
	cpu0 := cpuTime()
	for b.Loop() {
		for _, r := range ReadFound(found) {
			if r.Msg == nil {
				b.Fatal("a message did not read")
			}
		}
	}
	// CPU time, not wall time: on a shared machine the wall clock says
	// more about the neighbours than about the work.
	perMsg := (cpuTime() - cpu0).Seconds() / float64(b.N*channels)
	b.ReportMetric(perMsg*1e6, "cpu-µs/msg")
	b.ReportMetric(1/perMsg, "msgs/cpu-s")
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
