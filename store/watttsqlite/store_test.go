package watttsqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"iotahome/store/watttsqlite"
	"iotahome/store/watttstoretest"
	"iotahome/wattt"
)

// TestStore runs the suite every wattt.Store passes.
func TestStore(t *testing.T) {
	watttstoretest.Run(t, func(t *testing.T) wattt.Store {
		s, err := watttsqlite.Open(context.Background(), filepath.Join(t.TempDir(), "wattt.db"))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}
