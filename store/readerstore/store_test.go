package readerstore

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

func openTest(t *testing.T) *Store {
	t.Helper()
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "reader.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.LoadIdentity(ctx); !errors.Is(err, ErrNoIdentity) {
		t.Fatalf("fresh file: %v", err)
	}
	if err := s.CreateIdentity(ctx, Identity{Seed: "SEED", Code: "CODE", ChannelState: `{"s":0}`, FirstRoot: "ROOT"}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateIdentity(ctx, Identity{Seed: "OTHER", Code: "C", ChannelState: "{}", FirstRoot: "R"}); err == nil {
		t.Fatal("second identity accepted")
	}
	return s
}

func add(t *testing.T, s *Store, n, maxQueue int) int {
	t.Helper()
	rs := make([]NewReading, n)
	for i := range rs {
		rs[i] = NewReading{Body: []byte(fmt.Sprintf(`{"i":%d}`, i)), ReadAt: time.Now()}
	}
	var dropped int
	err := s.Update(context.Background(), func(tx *Tx) error {
		var err error
		dropped, err = tx.AddReadings(rs, maxQueue)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return dropped
}

// batch puts up to max waiting readings into a message and attaches it.
func batch(t *testing.T, s *Store, max int) (first, last uint64) {
	t.Helper()
	ctx := context.Background()
	var m ChannelMessage
	err := s.Update(ctx, func(tx *Tx) error {
		rs, err := tx.UnbatchedReadings(max)
		if err != nil || len(rs) == 0 {
			return err
		}
		m = ChannelMessage{Message: "{}", State: "{}", Kind: "DATA", FirstSeq: rs[0].Seq, LastSeq: rs[len(rs)-1].Seq}
		m.ID, err = tx.AppendChannelMessage(m, `{"next":true}`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if m.LastSeq > 0 {
		if err := s.MarkAttached(ctx, m, time.Now(), 2); err != nil {
			t.Fatal(err)
		}
	}
	return m.FirstSeq, m.LastSeq
}

func TestQueueFullDropsOldest(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	if d := add(t, s, 5, 10); d != 0 {
		t.Fatalf("dropped %d", d)
	}
	if d := add(t, s, 8, 10); d != 3 {
		t.Fatalf("dropped %d, want 3", d)
	}
	c, err := s.Counters(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if c.Read != 13 || c.Dropped != 3 || c.Waiting() != 10 {
		t.Fatalf("counters %+v", c)
	}
	// The oldest three are gone: the next message starts at seq 4.
	if first, last := batch(t, s, 4); first != 4 || last != 7 {
		t.Fatalf("batch %d..%d, want 4..7", first, last)
	}
	if _, n, _ := s.OldestUnbatched(ctx); n != 6 {
		t.Fatalf("%d waiting, want 6", n)
	}
}

func TestSeqNeverGoesBack(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	add(t, s, 3, 0)
	if first, last := batch(t, s, 10); first != 1 || last != 3 {
		t.Fatalf("batch %d..%d", first, last)
	}
	// Everything published and pruned but the recent window of 2.
	times, err := s.ReadTimes(ctx, 1, 3)
	if err != nil || len(times) != 2 {
		t.Fatalf("kept %d readings, %v", len(times), err)
	}
	add(t, s, 2, 0)
	if first, last := batch(t, s, 10); first != 4 || last != 5 {
		t.Fatalf("after pruning: batch %d..%d, want 4..5", first, last)
	}
	c, _ := s.Counters(ctx)
	if c.Published != 5 || c.Messages != 2 {
		t.Fatalf("counters %+v", c)
	}
	// A message must take the next readings, not skip or repeat any.
	add(t, s, 2, 0)
	err = s.Update(ctx, func(tx *Tx) error {
		_, err := tx.AppendChannelMessage(ChannelMessage{Message: "{}", State: "{}", Kind: "DATA", FirstSeq: 7, LastSeq: 7}, "{}")
		return err
	})
	if err == nil {
		t.Fatal("message skipping seq 6 accepted")
	}
}

func TestProcessedOnce(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	for i, want := range []bool{true, false} {
		err := s.Update(ctx, func(tx *Tx) error {
			fresh, err := tx.MarkProcessed("event:1")
			if fresh != want {
				t.Fatalf("round %d: fresh %v", i, fresh)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	// A rolled-back effect does not count as processed.
	boom := errors.New("boom")
	err := s.Update(ctx, func(tx *Tx) error {
		tx.MarkProcessed("event:2")
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if done, _ := s.Processed(ctx, "event:2"); done {
		t.Fatal("rolled-back event marked processed")
	}
}
