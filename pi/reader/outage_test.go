package reader

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"iotahome/tangle/mamch"
	"iotahome/tangle/tangletest"
)

// The node goes away while telegrams keep coming: readings queue up and all
// arrive, in order, exactly once, after the node is back.
func TestNodeOutage(t *testing.T) {
	node := tangletest.StartNode(t, 9)
	cfg := testConfig(t, node, statePath(t))
	r := start(t, cfg)
	root, key := channelStart(t, r.Agent)

	for i := 1; i <= 5; i++ {
		r.telegrams <- testTelegram(i)
	}
	eventually(t, 20*time.Second, "first readings published", func() bool { return r.Status().Published == 5 })

	node.Stop()
	for i := 6; i <= 20; i++ {
		r.telegrams <- testTelegram(i)
		time.Sleep(40 * time.Millisecond)
	}
	eventually(t, 10*time.Second, "readings stored during the outage", func() bool { return r.Status().Read == 20 })
	time.Sleep(time.Second) // several failed attempts
	if st := r.Status(); st.Published != 5 || st.Queue != 15 {
		t.Fatalf("during the outage: %+v", st)
	}
	node.Restart(t)
	for i := 21; i <= 23; i++ {
		r.telegrams <- testTelegram(i)
	}
	eventually(t, 30*time.Second, "backlog published", func() bool { return r.Status().Published == 23 })

	cr := &channelReader{root: root, key: key}
	cr.readAll(t, cfg.Client, nil)
	checkReadings(t, cr.readings, 1, 23)
}

// The reader stops between telegrams and mid-publish (a message prepared
// and stored but not attached; and one attached but not marked done): after
// a restart the channel continues without a reused index, and a receiver
// that dedupes by seq sees every reading once.
func TestRestart(t *testing.T) {
	node := tangletest.StartNode(t, 9)
	path := statePath(t)
	cfg := testConfig(t, node, path)

	// Run 1: publish 1..4, stop between telegrams.
	r := start(t, cfg)
	root, key := channelStart(t, r.Agent)
	address := r.DeviceAddress()
	code := r.PairingCode()
	for i := 1; i <= 4; i++ {
		r.telegrams <- testTelegram(i)
	}
	eventually(t, 20*time.Second, "run 1 published", func() bool { return r.Status().Published == 4 })
	r.stop(t)

	// Run 2: the node is down; 5..9 are stored and prepared, never attached.
	node.Stop()
	r = start(t, cfg)
	if r.DeviceAddress() != address || r.PairingCode() != code {
		t.Fatalf("identity changed across a restart")
	}
	for i := 5; i <= 9; i++ {
		r.telegrams <- testTelegram(i)
	}
	eventually(t, 10*time.Second, "messages prepared during the outage", func() bool {
		st := r.Status()
		return st.Read == 9 && st.PendingMessages > 0
	})
	r.stop(t)
	node.Restart(t)

	// Crash after Attach, before it was recorded: attach the first stored
	// message by hand, as the dead process had just done.
	st, err := readerstoreOpen(t, path).PendingChannelMessages(context.Background())
	if err != nil || len(st) == 0 {
		t.Fatalf("pending messages %v, %v", st, err)
	}
	var state mamch.State
	if err := json.Unmarshal([]byte(st[0].State), &state); err != nil {
		t.Fatal(err)
	}
	p, err := mamch.Prepare(state, st[0].Message)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mamch.Attach(context.Background(), cfg.Client, p); err != nil {
		t.Fatal(err)
	}

	// Run 3: pending messages go first, then new readings.
	r = start(t, cfg)
	for i := 10; i <= 12; i++ {
		r.telegrams <- testTelegram(i)
	}
	eventually(t, 30*time.Second, "run 3 published", func() bool { return r.Status().Published == 12 })

	cr := &channelReader{root: root, key: key}
	cr.readAll(t, cfg.Client, nil)
	checkReadings(t, cr.readings, 1, 12)
	if got := r.Status().Messages; uint64(cr.messages) != got {
		t.Fatalf("channel has %d messages, reader attached %d", cr.messages, got)
	}
}
