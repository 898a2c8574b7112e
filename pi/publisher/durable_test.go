package publisher

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"iotahome/store/readerstore"
)

// TestDurableAddWritesBeforeReturning: with Durable, a reading is in the
// state file as soon as Add returns, so a crash right after loses nothing;
// without it, the reading waits in memory for its message.
func TestDurableAddWritesBeforeReturning(t *testing.T) {
	ctx := context.Background()
	for _, durable := range []bool{true, false} {
		st, err := readerstore.Open(ctx, filepath.Join(t.TempDir(), "reader.db"))
		if err != nil {
			t.Fatal(err)
		}
		p := New(Config{Store: st, Durable: durable, BatchWindow: time.Hour, MaxReadings: 20})
		p.Add([]byte(`{"t":"2026-11-25T12:00:00+01:00"}`), time.Now())
		_, stored, err := st.OldestUnbatched(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := 0
		if durable {
			want = 1
		}
		if stored != want || p.Buffered() != 1-want {
			t.Errorf("durable=%v: %d readings in the state file, %d in memory; want %d and %d", durable, stored, p.Buffered(), want, 1-want)
		}
		st.Close()
	}
}
