//go:build unix

package umask

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

func TestOwnerOnly(t *testing.T) {
	old := unix.Umask(0o022)
	defer unix.Umask(old)
	OwnerOnly()
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, nil, 0o666); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Fatalf("file created with mode %o after OwnerOnly, want 600", perm)
	}
}
