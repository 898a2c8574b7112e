package mamch_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"iotahome/tangle/client"
	"iotahome/tangle/mamch"
	"iotahome/tangle/tangletest"
)

// benchMessage is a typical DATA message: one reading.
const benchMessage = `{"type":"DATA","v":1,"data":{"readings":[{"t":"2026-11-25T15:00:00Z","tariffMeaning":"NL","dT1":1234.567,"dT2":2345.678,"rT1":12.3,"rT2":4.5,"tariff":2,"pD":0.432,"pR":0,"phases":[{"l":1,"v":230.1,"i":2,"pD":0.432}]}]}}`

// BenchmarkPublish measures one restricted-mode message, Prepare+Attach,
// with local PoW (pure Go, or AVX with -tags pow_avx) against the dev
// node at MWM 9 and 14.
func BenchmarkPublish(b *testing.B) {
	for _, mwm := range []uint64{9, 14} {
		b.Run(fmt.Sprintf("mwm%d", mwm), func(b *testing.B) {
			n := tangletest.StartNode(b, mwm)
			c, err := client.New(client.Config{NodeURL: n.URL, MWM: mwm, PoW: client.PoWLocal})
			if err != nil {
				b.Fatal(err)
			}
			b.Logf("pow %s", c.PoW())
			s := newState(b, mamch.Restricted, sideKey(b))
			ctx := context.Background()
			var prepare time.Duration
			for b.Loop() {
				t0 := time.Now()
				p, err := mamch.Prepare(s, benchMessage)
				if err != nil {
					b.Fatal(err)
				}
				prepare += time.Since(t0)
				if _, err := mamch.Attach(ctx, c, p); err != nil {
					b.Fatal(err)
				}
				s = p.Next
			}
			b.ReportMetric(float64(prepare.Milliseconds())/float64(b.N), "prepare-ms/op")
		})
	}
}

// BenchmarkFetch measures reading a restricted channel from the local
// node, in messages per second.
func BenchmarkFetch(b *testing.B) {
	const messages = 50
	n := tangletest.StartNode(b, 9)
	c, err := client.New(client.Config{NodeURL: n.URL, MWM: 9, PoW: client.PoWLocal})
	if err != nil {
		b.Fatal(err)
	}
	key := sideKey(b)
	s := newState(b, mamch.Restricted, key)
	root := s.NextRoot()
	msgs := make([]string, messages)
	for i := range msgs {
		msgs[i] = benchMessage
	}
	publish(b, c, s, msgs...)
	ctx := context.Background()
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		got, _, err := mamch.Fetch(ctx, c, root, mamch.Restricted, key, 0)
		if err != nil || len(got) != messages {
			b.Fatalf("fetched %d (%v)", len(got), err)
		}
	}
	b.ReportMetric(float64(messages*b.N)/time.Since(start).Seconds(), "msgs/s")
}
