package myhome

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"iotahome/protocol"
	"iotahome/tangle/mamch"
	"iotahome/tangle/tangletest"
)

// TestEventsQueueWhileTheNodeIsDown: with the node gone, decisions are
// queued durably and shown as pending; they survive a restart of My Home
// and reach the channel, in order, once the node is back.
func TestEventsQueueWhileTheNodeIsDown(t *testing.T) {
	ctx := context.Background()
	node := tangletest.StartNode(t, testMWM)
	db := filepath.Join(t.TempDir(), "myhome.db")
	h1 := startHomeAt(t, node, testConfig, db)
	acct, err := h1.CreateHome(ctx)
	if err != nil {
		t.Fatal(err)
	}
	node.Stop()
	for _, name := range []string{"first", "second"} {
		ev := protocol.Event{Type: protocol.DeviceAdded, Device: string(newProvider(t, node).address),
			DeviceAdded: &protocol.DeviceAddedBody{Name: name, PublicKey: "X"}}
		if err := h1.publish(ctx, acct, ev); err != nil {
			t.Fatalf("queue while the node is down: %v", err)
		}
	}
	eventually(t, 10*time.Second, "a failed attempt to be recorded", func() bool {
		evs, _ := h1.Events(ctx, acct, 10)
		return len(evs) == 2 && evs[1].Attempts > 0 && evs[1].LastError != ""
	})
	if hm, _ := h1.Home(ctx, acct); hm.Pending != 2 {
		t.Fatalf("pending = %d, want 2", hm.Pending)
	}
	if devs, _ := h1.Devices(ctx, acct); len(devs) != 2 {
		t.Fatalf("queued devices not shown: %d", len(devs))
	}

	h1.stop()
	node.Restart(t)
	h2 := startHomeAt(t, node, testConfig, db)
	attached(t, h2, acct)
	if hm, _ := h2.Home(ctx, acct); hm.Pending != 0 {
		t.Fatalf("pending after recovery = %d", hm.Pending)
	}
	a, _ := h2.st.Account(ctx, acct)
	msgs, _, err := mamch.Fetch(ctx, h2.tangle, a.FirstRoot, mamch.Private, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range msgs {
		var ev protocol.Event
		json.Unmarshal([]byte(m.Text), &ev)
		names = append(names, ev.DeviceAdded.Name)
	}
	if len(names) != 2 || names[0] != "first" || names[1] != "second" {
		t.Fatalf("channel holds %v, want [first second]", names)
	}
}
