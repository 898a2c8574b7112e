package direct

import (
	"context"
	"testing"
	"time"

	"iotahome/protocol"
)

// BenchmarkPollFlooded measures one poll of an address that has a message
// and junk transactions (issue 13): the Reader's steady-state poll (nothing
// new; what the reader pays every 2 s) and its first poll (delivers the
// message), next to the read that direct.List used to do (findTransactions
// by address, then getTrytes of everything there: client.Bundles) as the
// baseline, in the same run. "junk" is sent under random tags; "bucket" is
// sent under the address's tag of the day (a targeted flood). Custom
// metrics: KB received from the node and transactions fetched per poll.
//
//	go test -run '^$' -bench PollFlooded -benchtime 5x -timeout 60m ./tangle/direct/
func BenchmarkPollFlooded(b *testing.B) {
	for _, tc := range []struct {
		name  string
		n     int
		inTag bool
	}{{"junk=0", 0, false}, {"junk=10k", 10_000, false}, {"junk=100k", 100_000, false}, {"bucket=10k", 10_000, true}, {"bucket=100k", 100_000, true}} {
		b.Run(tc.name, func(b *testing.B) {
			n, c, m, addr := floodSetup(b)
			tag := ""
			if tc.inTag {
				tag = string(Tag(addr, time.Now()))
			}
			if err := n.Inject(addr, tag, tc.n); err != nil {
				b.Fatal(err)
			}
			if _, err := Send(context.Background(), c, addr, protocol.ClaimResult, protocol.ClaimResultBody{ClaimID: "x"}); err != nil {
				b.Fatal(err)
			}
			report := func(b *testing.B) {
				_, fetched, bytes := m.reset()
				b.ReportMetric(float64(bytes)/1024/float64(b.N), "KB/poll")
				b.ReportMetric(float64(fetched)/float64(b.N), "fetched/poll")
			}
			b.Run("reader-first", func(b *testing.B) {
				m.reset()
				for b.Loop() {
					if msgs, _ := collect(b, NewReader(c, Limits{}), addr, ""); len(msgs) != 1 && !tc.inTag {
						b.Fatalf("delivered %d messages", len(msgs))
					}
				}
				report(b)
			})
			r := NewReader(c, Limits{})
			_, cur := collect(b, r, addr, "")
			b.Run("reader-steady", func(b *testing.B) {
				m.reset()
				for b.Loop() {
					_, cur = collect(b, r, addr, cur)
				}
				report(b)
			})
			b.Run("before", func(b *testing.B) {
				m.reset()
				for b.Loop() {
					if _, err := c.Bundles(context.Background(), addr); err != nil {
						b.Skipf("the address is dead: %v", err)
					}
				}
				report(b)
			})
		})
	}
}
