package pairing

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/iotaledger/iota.go/trinary"

	"iotahome/protocol"
	"iotahome/tangle/direct"
	"iotahome/tangle/ntru"
)

const fuzzSeed = trinary.Trytes("FUZZSEED9FUZZSEED9FUZZSEED9FUZZSEED9FUZZSEED9FUZZSEED9FUZZSEED9FUZZSEED9FUZZSEED9")

// Whatever arrives at the device address, handling it never panics, never
// fails for anything but the state file, and never pairs the device (no
// input here can carry a valid proof of the code).
func FuzzHandle(f *testing.F) {
	h, st, _ := offline(f, Config{ClaimsPerMinute: 1 << 30, ClaimsPerHome: 1 << 30})
	addr, pub := h.cfg.Device.Address, h.cfg.Device.PublicKey

	claim, _ := json.Marshal(protocol.ClaimDeviceBody{ClaimID: "claim-0001", HomeAddress: string(addr), HomePublicKey: string(pub.Trytes())})
	sealed, _ := ntru.SealString(pub, []byte(`{"claimId":"claim-0001","homeProof":"00","homeRoot":"`+string(addr)+`"}`))
	answer, _ := json.Marshal(protocol.AnswerChallengeBody{ClaimID: "claim-0001", Sealed: sealed})
	f.Add(uint8(0), claim)
	f.Add(uint8(1), answer)
	f.Add(uint8(1), []byte(`{"claimId":"claim-0001","sealed":"AAAA"}`))
	f.Add(uint8(2), []byte(`null`))
	n := 0
	f.Fuzz(func(t *testing.T, kind uint8, body []byte) {
		n++
		types := []protocol.Type{protocol.ClaimDevice, protocol.AnswerChallenge, protocol.MAMData}
		m := direct.Message{
			Envelope: direct.Envelope{Type: types[int(kind)%len(types)], Version: protocol.Version, Body: body},
			Bundle:   trinary.Hash(fmt.Sprintf("B%d", n)),
		}
		if err := h.handle(context.Background(), m); err != nil && !errors.Is(err, direct.ErrLater) {
			t.Fatalf("handle: %v", err)
		}
		p, err := st.Pairing(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if p.Paired {
			t.Fatalf("paired by %s %q", m.Envelope.Type, body)
		}
	})
}
