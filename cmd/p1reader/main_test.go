package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"iotahome/pi/reader"
	"iotahome/tangle/client"
)

func runArgs(args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestCommands(t *testing.T) {
	if code, _, errOut := runArgs("frobnicate"); code != 2 || !strings.Contains(errOut, "unknown command") {
		t.Fatalf("unknown command: %d %q", code, errOut)
	}
	for _, cmd := range []string{"run", "status", "bench-sustained"} {
		if code, _, errOut := runArgs(cmd, "--help"); code != 0 || !strings.Contains(errOut, "Usage: p1reader") {
			t.Fatalf("%s --help: %d %q", cmd, code, errOut)
		}
	}
	if code, _, errOut := runArgs("--dsmr", "7"); code != 2 || !strings.Contains(errOut, "want auto, 5, 4, 3 or 2.2") {
		t.Fatalf("bad --dsmr: %d %q", code, errOut)
	}
	// status of a file no reader has used yet says so.
	path := filepath.Join(t.TempDir(), "reader.db")
	if code, _, errOut := runArgs("status", "--state", path); code != 1 || !strings.Contains(errOut, "no reader identity") {
		t.Fatalf("status of an empty file: %d %q", code, errOut)
	}
}

func TestStatusOfNewReader(t *testing.T) {
	path := filepath.Join(t.TempDir(), "reader.db")
	c, err := client.New(client.Config{NodeURL: "http://127.0.0.1:1", MWM: 9, PoW: client.PoWLocal})
	if err != nil {
		t.Fatal(err)
	}
	a, err := reader.Open(context.Background(), reader.Config{StatePath: path, Client: c})
	if err != nil {
		t.Fatal(err)
	}
	addr, code := string(a.DeviceAddress()), a.PairingCode()
	a.Close()
	exit, out, errOut := runArgs("status", "--state", path)
	if exit != 0 {
		t.Fatalf("status: %d %s", exit, errOut)
	}
	for _, want := range []string{addr, "unpaired", code, "iotahome:pair?address=" + addr + "&code=" + code, "▀"} {
		if !strings.Contains(out, want) {
			t.Errorf("status output lacks %q:\n%s", want, out)
		}
	}
}
