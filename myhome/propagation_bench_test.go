package myhome

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"iotahome/pi/reader"
	"iotahome/protocol"
	"iotahome/store/myhomestore"
	"iotahome/tangle/tangletest"
)

// BenchmarkConsentPropagation measures, against the real dev node (MWM 9)
// and a real reader agent, how long a decision takes to take effect:
// Grant until MAM_DATA is readable at the provider's address, and Revoke
// until KEY_ROTATION is readable on the reader's channel. My Home attaches
// at once (its publisher is woken by the decision); the reader polls My
// Home's channel every 100 ms (fast) or at its production default of 2 s;
// the measuring provider polls every 50 ms.
//
//	go test ./myhome -run XXX -bench ConsentPropagation -benchtime 10x
func BenchmarkConsentPropagation(b *testing.B) {
	b.Run("reader-poll=100ms", func(b *testing.B) { benchPropagation(b, 100*time.Millisecond) })
	b.Run("reader-poll=2s", func(b *testing.B) { benchPropagation(b, reader.DefaultPollInterval) })
}

func benchPropagation(b *testing.B, poll time.Duration) {
	ctx := context.Background()
	node := tangletest.StartNode(b, testMWM)
	h := startHome(b, node, testConfig)
	acct, err := h.CreateHome(ctx)
	if err != nil {
		b.Fatal(err)
	}
	d := openDeviceWithPoll(b, node, poll)
	d.run(b)
	if p := pair(b, h, acct, d, d.PairingCode()); p.Step != myhomestore.StepPaired {
		b.Fatalf("pairing: %s %s", p.Step, p.Reason)
	}
	var grants, revokes []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := newProvider(b, node)
		state := fmt.Sprintf("bench-state-%d", i)
		rid, err := h.NewConsentRequest(ctx, p.request(b, state))
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		if _, err := h.Grant(ctx, acct, rid, string(d.DeviceAddress())); err != nil {
			b.Fatal(err)
		}
		var key protocol.ChannelKey
		eventually(b, 60*time.Second, "MAM_DATA", func() bool {
			for _, k := range p.keys(b) {
				if k.State == state {
					key = k
					return true
				}
			}
			return false
		})
		grants = append(grants, time.Since(start))

		policies, _ := h.Policies(ctx, acct)
		start = time.Now()
		if err := h.Revoke(ctx, acct, policies[0].ID); err != nil {
			b.Fatal(err)
		}
		awaitRotation(b, h, key)
		revokes = append(revokes, time.Since(start))
	}
	b.StopTimer()
	report := func(name string, ds []time.Duration) {
		slices.Sort(ds)
		b.ReportMetric(float64(ds[len(ds)/2].Milliseconds()), name+"-p50-ms")
		b.ReportMetric(float64(ds[len(ds)-1].Milliseconds()), name+"-max-ms")
	}
	report("grant-to-mamdata", grants)
	report("revoke-to-rotation", revokes)
}
