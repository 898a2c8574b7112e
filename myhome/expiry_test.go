package myhome

import (
	"context"
	"encoding/json"
	"net/url"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/iotaledger/iota.go/trinary"

	"iotahome/protocol"
	"iotahome/protocol/providermeta"
	"iotahome/tangle/mamch"
	"iotahome/tangle/tangletest"
)

// TestConsentEndsAndRenewsEndToEnd runs a finite consent through the real
// dev node, a real reader agent reading a simulated meter, My Home and a
// provider that follows the reader's channel:
//
//  1. a consent that ends about 25 s after the grant: the provider gets
//     the key and reads DATA;
//  2. renewed before its end (the same provider account asks again): one
//     event replaces the policy, My Home shows one active consent, and the
//     reader sends the same side key for the new state, without rotating;
//  3. the first consent's end passes: no KEY_ROTATION, the provider keeps
//     reading new DATA with the key it has (no gap);
//  4. the renewal's end passes: the reader rotates the key with nothing
//     sealed for the provider, which reads nothing after that.
//
// My Home's clock runs behind, so that the shortest consent a request may
// ask for (one hour) ends seconds from now on the reader's real clock.
func TestConsentEndsAndRenewsEndToEnd(t *testing.T) {
	ctx := context.Background()
	node := tangletest.StartNode(t, testMWM)
	var behind atomic.Int64
	h := startHomeWith(t, node, testConfig, filepath.Join(t.TempDir(), "myhome.db"),
		func() time.Time { return time.Now().Add(-time.Duration(behind.Load())) })
	acct, err := h.CreateHome(ctx)
	if err != nil {
		t.Fatal(err)
	}
	d := openDevice(t, node)
	d.runMeter(t, 1) // at 1 Hz the meter's clock keeps pace with the wall clock
	if p := pair(t, h, acct, d, d.PairingCode()); !p.Done() || p.Reason != "" {
		t.Fatalf("pairing: %+v", p)
	}
	eventually(t, 60*time.Second, "reader following the home", func() bool { return d.Status().Following })
	device := string(d.DeviceAddress())
	prov := newProvider(t, node)

	// grant asks for a one-hour consent with My Home's clock set so that
	// it ends endsIn from now, grants it and returns the policy and end.
	grant := func(state string, endsIn time.Duration) (string, time.Time) {
		t.Helper()
		behind.Store(int64(time.Hour - endsIn))
		q := prov.signed(t, state, func(r *providermeta.Request) { r.Duration = "1h"; r.IssuedAt = h.now().Unix() })
		rid, err := h.NewConsentRequest(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		back, err := h.Grant(ctx, acct, rid, device)
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(back)
		end, err := time.Parse(time.RFC3339, u.Query().Get("expires"))
		if err != nil {
			t.Fatalf("grant redirect %s: %v", back, err)
		}
		// My Home's clock is behind, but the end it sets is endsIn from now
		// on the real clock, where the reader expires it.
		return u.Query().Get("policy"), end
	}
	keyFor := func(state string) protocol.ChannelKey {
		t.Helper()
		var got protocol.ChannelKey
		eventually(t, 60*time.Second, "MAM_DATA for "+state, func() bool {
			for _, k := range prov.keys(t) {
				if k.State == state {
					got = k
					return true
				}
			}
			return false
		})
		return got
	}

	// 1. Granted; the provider follows the channel.
	pol1, end1 := grant("state-first-1", 25*time.Second)
	key1 := keyFor("state-first-1")
	ch := &follower{t: t, h: h, root: trinary.Trytes(key1.Root), side: trinary.Trytes(key1.SideKey)}
	ch.waitData("DATA under the first consent", time.Time{})

	// 2. Renewed before the end.
	pol2, end2 := grant("state-renewal-2", 55*time.Second)
	if !end2.After(end1) {
		t.Fatalf("renewal ends %s, not after %s", end2, end1)
	}
	key2 := keyFor("state-renewal-2")
	if key2.SideKey != key1.SideKey || key2.Device != device {
		t.Fatalf("renewal rotated the key: %+v vs %+v", key2, key1)
	}
	ps, err := h.Policies(ctx, acct)
	if err != nil {
		t.Fatal(err)
	}
	var active []string
	for _, p := range ps {
		if p.Status(time.Now()) == "active" {
			active = append(active, p.ID)
		}
		if p.ID == pol1 && (p.ReplacedBy != pol2 || p.Status(time.Now()) != "replaced") {
			t.Fatalf("first policy after renewal: %+v", p)
		}
	}
	if len(active) != 1 || active[0] != pol2 {
		t.Fatalf("active policies %v, want just the renewal %s", active, pol2)
	}

	// 3. The first consent's end passes: data goes on under the same key.
	ch.waitData("DATA after the first consent's end", end1.Add(3*time.Second))
	if ch.rotations > 0 {
		t.Fatal("the reader rotated its key when the replaced consent's end passed")
	}

	// 4. The renewal's end passes: the key rotates without the provider.
	rot := ch.waitRotation(time.Until(end2) + 60*time.Second)
	for _, k := range rot.Keys {
		if k.ProviderAddress == string(prov.address) {
			t.Fatal("KEY_ROTATION after the consent ended still carries a key for the provider")
		}
	}
	if time.Now().Before(end2) {
		t.Fatalf("key rotated %s before the consent ended", time.Until(end2))
	}
	published := d.Status().Published
	eventually(t, 60*time.Second, "more readings published after the rotation", func() bool { return d.Status().Published > published+4 })
	if msgs, _, err := mamch.Fetch(ctx, h.tangle, ch.root, mamch.Restricted, ch.side, 0); err != nil || len(msgs) != 0 {
		t.Fatalf("the provider still reads %d messages after its consent ended (%v)", len(msgs), err)
	}
	t.Logf("first end %s, renewal end %s, rotation seen %s after it", end1.Format(time.TimeOnly), end2.Format(time.TimeOnly), ch.rotatedAt.Sub(end2).Round(time.Millisecond))
}

// follower reads the reader's channel as a provider does, from a root with
// a side key.
type follower struct {
	t          *testing.T
	h          *home
	root, side trinary.Trytes
	rotations  int
	rotatedAt  time.Time
	lastRot    *protocol.KeyRotationBody
}

// poll reads what is new; it reports the newest reading time seen.
func (f *follower) poll() (newest time.Time) {
	msgs, next, err := mamch.Fetch(context.Background(), f.h.tangle, f.root, mamch.Restricted, f.side, 0)
	if err != nil {
		f.t.Fatal(err)
	}
	f.root = next
	for _, m := range msgs {
		var cm protocol.ChannelMessage
		if err := json.Unmarshal([]byte(m.Text), &cm); err != nil {
			f.t.Fatalf("channel message: %v", err)
		}
		switch {
		case cm.Data != nil:
			rs, err := cm.Data.AllReadings()
			if err != nil {
				f.t.Fatal(err)
			}
			for _, r := range rs {
				if r.Time.After(newest) {
					newest = r.Time
				}
			}
		case cm.KeyRotation != nil:
			f.rotations++
			f.rotatedAt = time.Now()
			f.lastRot = cm.KeyRotation
		}
	}
	return newest
}

// waitData waits until after has passed and a DATA reading taken after it
// was read.
func (f *follower) waitData(what string, after time.Time) {
	f.t.Helper()
	time.Sleep(time.Until(after))
	eventually(f.t, 90*time.Second, what, func() bool { return f.poll().After(after) })
}

// waitRotation waits for a KEY_ROTATION and returns it.
func (f *follower) waitRotation(limit time.Duration) protocol.KeyRotationBody {
	f.t.Helper()
	eventually(f.t, limit, "KEY_ROTATION on the reader's channel", func() bool {
		f.poll()
		return f.lastRot != nil
	})
	return *f.lastRot
}
