package main

import "testing"

func TestFlagsAndEnvironment(t *testing.T) {
	t.Setenv("TANGLE_LISTEN", "127.0.0.1:1")
	t.Setenv("TANGLE_DB", "")
	t.Setenv("TANGLE_MWM", "7")
	c, err := parseFlags(nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.listen != "127.0.0.1:1" || c.db != "data/tangle/tangle.db" || c.mwm != 7 {
		t.Fatalf("environment fallbacks: %+v", c)
	}
	c, err = parseFlags([]string{"--listen", ":2", "--db", "x.db", "--mwm", "3"})
	if err != nil {
		t.Fatal(err)
	}
	if c.listen != ":2" || c.db != "x.db" || c.mwm != 3 {
		t.Fatalf("flags: %+v", c)
	}
	t.Setenv("TANGLE_MWM", "nine")
	if _, err := parseFlags(nil); err == nil {
		t.Fatal("TANGLE_MWM=nine accepted")
	}
	t.Setenv("TANGLE_MWM", "9")
	if _, err := parseFlags([]string{"extra"}); err == nil {
		t.Fatal("stray argument accepted")
	}
}
