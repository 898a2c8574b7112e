package wattt_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"iotahome/store/pgtest"
	"iotahome/store/watttpg"
	"iotahome/store/watttsqlite"
	"iotahome/tangle/tangletest"
	"iotahome/wattt"
)

// smallDisk mounts a tmpfs of size bytes for the test (root only) and
// returns its path.
func smallDisk(t *testing.T, size string) string {
	t.Helper()
	// Not under t.TempDir: PostgreSQL's user must be able to reach it.
	dir, err := os.MkdirTemp("", "wattt-disk-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size+",mode=0755", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a small tmpfs to fill (needs root): %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	return dir
}

// fill writes a file until the disk is full and returns its path.
func fill(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	block := make([]byte, 4096)
	for {
		if _, err := f.Write(block); err != nil {
			return path
		}
	}
}

// TestDiskFullIsReportedNotCorrupted lets the database's disk fill up while
// meters publish: the follower reports it (logged, StoreErrors) and stores
// nothing half; once there is room again it stores every message once,
// and the database is intact.
func TestDiskFullIsReportedNotCorrupted(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		disk := smallDisk(t, "4m")
		st, err := watttsqlite.Open(context.Background(), filepath.Join(disk, "wattt.db"))
		if err != nil {
			t.Fatal(err)
		}
		diskFull(t, st, disk)
		if err := st.IntegrityCheck(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("postgres", func(t *testing.T) {
		ctx := context.Background()
		cluster := pgtest.New(t, pgtest.Options{})
		disk := smallDisk(t, "16m")
		u, err := user.Lookup("postgres")
		if err == nil {
			uid, _ := strconv.Atoi(u.Uid)
			gid, _ := strconv.Atoi(u.Gid)
			err = os.Chown(disk, uid, gid)
		}
		if err != nil && os.Geteuid() == 0 {
			t.Fatal(err)
		}
		conn, err := pgx.Connect(ctx, cluster.DSN("postgres"))
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{`CREATE TABLESPACE small LOCATION '` + disk + `'`, `CREATE DATABASE wattt TABLESPACE small`} {
			if _, err := conn.Exec(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		conn.Close(ctx)
		st, err := watttpg.Open(ctx, cluster.DSN("wattt"))
		if err != nil {
			t.Fatal(err)
		}
		diskFull(t, st, disk)
	})
}

func diskFull(t *testing.T, st wattt.Store, disk string) {
	node := tangletest.StartNode(t, 9)
	c := newClient(t, node)
	cfg := fastFollow()
	cfg.Location = time.UTC
	svc := wattt.New(st, testKey(t), c, quietLog(t), cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); svc.Follow(ctx) }()
	t.Cleanup(func() { cancel(); <-done; st.Close() })
	chans := make([]*meterChannel, 3)
	for i := range chans {
		chans[i] = newMeterChannel(t)
	}
	ids := connectMeters(t, svc, chans)
	filler := fill(t, disk)
	// Publish until the store refuses: each message is a new reading and
	// aggregates, and sooner or later a new page.
	deadline := time.Now().Add(2 * time.Minute)
	for svc.Stats().StoreErrors == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the disk never filled up: %+v", svc.Stats())
		}
		for _, ch := range chans {
			if err := ch.publish(context.Background(), c); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	stuck := svc.Stats()
	time.Sleep(2 * time.Second)
	if now := svc.Stats(); now.Messages != stuck.Messages {
		t.Logf("stored %d more messages while full (room freed by the database itself)", now.Messages-stuck.Messages)
	}
	if err := os.Remove(filler); err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	waitStored(t, st, ids, chans, time.Minute)
	checkAllStoredOnce(t, st, ids, chans)
	t.Logf("disk full reported %d times; then all %d messages stored once; stats %+v", svc.Stats().StoreErrors, 3*chans[0].sent, svc.Stats())
}
