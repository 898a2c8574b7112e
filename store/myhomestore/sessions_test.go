package myhomestore

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"iotahome/session"
)

// Session ids are kept only as hashes: the database alone cannot be
// replayed as a cookie, and the id still resolves.
func TestSessionIDNotStoredInClear(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, filepath.Join(t.TempDir(), "myhome.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.CreateAccount(ctx, Account{ID: "A", HomeAddress: "ADDR", HomePublicKey: "K", FirstRoot: "R",
		SealedSeed: []byte{0}, SealedChannel: []byte{0}, CreatedAt: time.Now(), RestoreState: "none"}); err != nil {
		t.Fatal(err)
	}
	id, err := session.NewID()
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CreateSession(ctx, id, "A", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := st.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sessions WHERE id = ?`, id).Scan(&n); err != nil || n != 0 {
		t.Fatalf("session id stored in clear (%d rows, %v)", n, err)
	}
	if acct, err := st.SessionAccount(ctx, id, time.Now()); err != nil || acct != "A" {
		t.Fatalf("SessionAccount = %q, %v", acct, err)
	}
	if err := st.DeleteSession(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := st.SessionAccount(ctx, id, time.Now()); !errors.Is(err, session.ErrNoSession) {
		t.Fatalf("deleted session resolves: %v", err)
	}
}
