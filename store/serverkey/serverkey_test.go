package serverkey

import (
	"bytes"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadCreatesFileOnceWithMode0600(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "server.key")
	k1, err := Load(path, "")
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, want 0600", st.Mode().Perm())
	}
	sealed, err := k1.Seal([]byte("SEED"), "acct-1")
	if err != nil {
		t.Fatal(err)
	}
	k2, err := Load(path, "")
	if err != nil {
		t.Fatal(err)
	}
	got, err := k2.Open(sealed, "acct-1")
	if err != nil || string(got) != "SEED" {
		t.Fatalf("reloaded key: got %q, %v", got, err)
	}
}

func TestAccountIsBoundAndTamperingDetected(t *testing.T) {
	k, err := FromBytes(bytes.Repeat([]byte{7}, Size))
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := k.Seal([]byte("SEED"), "a")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("SEED")) {
		t.Fatal("plaintext visible in sealed value")
	}
	if _, err := k.Open(sealed, "b"); !errors.Is(err, ErrOpen) {
		t.Fatalf("open with other account: %v, want ErrOpen", err)
	}
	bad := append([]byte(nil), sealed...)
	bad[len(bad)-1] ^= 1
	if _, err := k.Open(bad, "a"); !errors.Is(err, ErrOpen) {
		t.Fatalf("open tampered: %v, want ErrOpen", err)
	}
	if _, err := k.Open(sealed[:5], "a"); !errors.Is(err, ErrOpen) {
		t.Fatalf("open short: %v, want ErrOpen", err)
	}
	other, _ := FromBytes(bytes.Repeat([]byte{8}, Size))
	if _, err := other.Open(sealed, "a"); !errors.Is(err, ErrOpen) {
		t.Fatalf("open with other key: %v, want ErrOpen", err)
	}
}

func TestLoadFromEnvAndBadInput(t *testing.T) {
	hexKey := strings.Repeat("ab", Size)
	k, err := Load(filepath.Join(t.TempDir(), "unused"), hexKey)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := hex.DecodeString(hexKey)
	same, _ := FromBytes(raw)
	s, _ := k.Seal([]byte("x"), "a")
	if got, err := same.Open(s, "a"); err != nil || string(got) != "x" {
		t.Fatalf("env key differs from its bytes: %q %v", got, err)
	}
	if _, err := Load("", "zz"); err == nil {
		t.Fatal("accepted a non-hex env key")
	}
	path := filepath.Join(t.TempDir(), "short.key")
	os.WriteFile(path, []byte("abcd\n"), 0o600)
	if _, err := Load(path, ""); err == nil {
		t.Fatal("accepted a short key file")
	}
}

func TestDerive(t *testing.T) {
	k1, _ := FromBytes(bytes.Repeat([]byte{1}, Size))
	k1again, _ := FromBytes(bytes.Repeat([]byte{1}, Size))
	k2, _ := FromBytes(bytes.Repeat([]byte{2}, Size))
	a, err := k1.Derive("purpose a", 32)
	if err != nil {
		t.Fatal(err)
	}
	same, _ := k1again.Derive("purpose a", 32)
	other, _ := k1.Derive("purpose b", 32)
	otherKey, _ := k2.Derive("purpose a", 32)
	if !bytes.Equal(a, same) || bytes.Equal(a, other) || bytes.Equal(a, otherKey) || bytes.Equal(a, bytes.Repeat([]byte{1}, Size)) {
		t.Fatal("Derive is not a deterministic, purpose- and key-bound function")
	}
}
