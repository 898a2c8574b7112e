package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/iotaledger/iota.go/trinary"

	"iotahome/protocol"
	"iotahome/tangle/client"
	"iotahome/tangle/mamch"
	"iotahome/tangle/tangletest"
)

// TestCachedChannelsRead: the cached transactions, stored on a node later,
// are channels a follower reads like any other.
func TestCachedChannelsRead(t *testing.T) {
	dir := t.TempDir()
	if err := buildChunk(filepath.Join(dir, "c.gz"), 2, 3); err != nil {
		t.Fatal(err)
	}
	meters, err := loadChunk(filepath.Join(dir, "c.gz"), 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	node := tangletest.StartNode(t, cacheMWM)
	c, err := client.New(client.Config{NodeURL: node.URL, MWM: cacheMWM, PoW: client.PoWLocal})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, m := range meters {
		for _, txs := range m.Messages {
			ts := make([]trinary.Trytes, len(txs))
			for i, tx := range txs {
				ts[i] = trinary.Trytes(tx)
			}
			if _, err := c.API().StoreTransactions(ts...); err != nil {
				t.Fatal(err)
			}
		}
		msgs, _, err := mamch.Fetch(ctx, c, m.Root, mamch.Restricted, m.SideKey, 0)
		if err != nil || len(msgs) != 3 {
			t.Fatalf("read %d messages (%v)", len(msgs), err)
		}
		for k, msg := range msgs {
			var cm protocol.ChannelMessage
			if err := json.Unmarshal([]byte(msg.Text), &cm); err != nil || cm.Data == nil || cm.Data.Seq != uint64(k) || len(cm.Data.Readings) != 1 {
				t.Fatalf("message %d: %s (%v)", k, msg.Text, err)
			}
		}
	}
}
