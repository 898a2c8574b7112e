package watttpg_test

import (
	"context"
	"os"
	"testing"

	"iotahome/store/pgtest"
	"iotahome/store/watttpg"
	"iotahome/store/watttstoretest"
	"iotahome/wattt"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// TestStore runs the suite every wattt.Store passes, against a real
// PostgreSQL (a throwaway cluster of Debian's packages).
func TestStore(t *testing.T) {
	watttstoretest.Run(t, func(t *testing.T) wattt.Store {
		s, err := watttpg.Open(context.Background(), pgtest.Database(t))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}
