package reader

import (
	"context"
	"testing"
	"time"

	"iotahome/tangle/tangletest"
)

// Readings in → a fetch from the first root sees every reading once, in order.
func TestPublishEndToEnd(t *testing.T) {
	for _, pack := range []bool{false, true} {
		t.Run(map[bool]string{false: "plain", true: "packed"}[pack], func(t *testing.T) { testPublish(t, pack) })
	}
}

func testPublish(t *testing.T, pack bool) {
	node := tangletest.StartNode(t, 9)
	cfg := testConfig(t, node, statePath(t))
	cfg.Pack = pack
	r := start(t, cfg)
	root, key := channelStart(t, r.Agent)

	r.telegrams <- []byte("garbage that is no telegram")
	const n = 13
	for i := 1; i <= n; i++ {
		r.telegrams <- testTelegram(i)
		if i%5 == 0 {
			time.Sleep(300 * time.Millisecond) // let some batches go out alone
		}
	}
	eventually(t, 30*time.Second, "all readings published", func() bool { return r.Status().Published == n })
	st := r.Status()
	if st.Read != n || st.Rejected != 1 || st.Queue != 0 || st.PendingMessages != 0 || st.LastPublishAt.IsZero() {
		t.Fatalf("status %+v", st)
	}
	if st.PairingCode == "" || st.Paired || len(st.DeviceAddress) != 81 {
		t.Fatalf("pairing status %+v", st)
	}

	cr := &channelReader{root: root, key: key, wantPacked: pack}
	cr.readAll(t, cfg.Client, nil)
	checkReadings(t, cr.readings, 1, n)
	if cr.messages < 4 || uint64(cr.messages) != st.Messages {
		t.Fatalf("%d messages on the channel, status says %d (max 4 readings each)", cr.messages, st.Messages)
	}
	if cr.readings[0].Time.IsZero() {
		t.Fatalf("reading without time: %+v", cr.readings[0])
	}
}

// Status works from a second connection while the agent runs.
func TestReadStatusWhileRunning(t *testing.T) {
	node := tangletest.StartNode(t, 9)
	cfg := testConfig(t, node, statePath(t))
	r := start(t, cfg)
	r.telegrams <- testTelegram(1)
	eventually(t, 10*time.Second, "reading stored", func() bool { return r.Status().Published == 1 })
	st, err := ReadStatus(context.Background(), cfg.StatePath)
	if err != nil {
		t.Fatal(err)
	}
	if st.DeviceAddress != string(r.DeviceAddress()) || st.Read != 1 || st.PairingCode != r.PairingCode() || st.PairingQR == "" {
		t.Fatalf("status %+v", st)
	}
}
