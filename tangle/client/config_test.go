package client

import (
	"flag"
	"strings"
	"testing"
)

func TestDefaultConfigFromEnv(t *testing.T) {
	t.Setenv("IOTA_NODE", "http://node.example:14265")
	t.Setenv("IOTA_MWM", "14")
	t.Setenv("IOTA_POW", "remote")
	c := DefaultConfig()
	if c.NodeURL != "http://node.example:14265" || c.MWM != 14 || c.PoW != PoWRemote {
		t.Fatalf("DefaultConfig = %+v", c)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestDefaultConfigDefaults(t *testing.T) {
	t.Setenv("IOTA_NODE", "")
	t.Setenv("IOTA_MWM", "")
	t.Setenv("IOTA_POW", "")
	c := DefaultConfig()
	if c.NodeURL != "http://127.0.0.1:14265" || c.MWM != 9 || c.PoW != PoWLocal {
		t.Fatalf("DefaultConfig = %+v", c)
	}
}

func TestFlagsOverrideEnv(t *testing.T) {
	t.Setenv("IOTA_MWM", "lots")
	c := DefaultConfig()
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), `IOTA_MWM="lots"`) {
		t.Fatalf("bad IOTA_MWM: err = %v, want it named", err)
	}
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	c.RegisterFlags(fs)
	if err := fs.Parse([]string{"--node", "https://n:1", "--mwm", "10", "--pow", "remote"}); err != nil {
		t.Fatal(err)
	}
	if c.NodeURL != "https://n:1" || c.MWM != 10 || c.PoW != PoWRemote {
		t.Fatalf("after flags: %+v", c)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("valid flags rejected: %v", err)
	}
}

func TestValidateRejects(t *testing.T) {
	ok := Config{NodeURL: "http://127.0.0.1:14265", MWM: 9, PoW: PoWLocal}
	for name, mutate := range map[string]func(*Config){
		"empty url":   func(c *Config) { c.NodeURL = "" },
		"bad scheme":  func(c *Config) { c.NodeURL = "ftp://x" },
		"no host":     func(c *Config) { c.NodeURL = "http://" },
		"unparsable":  func(c *Config) { c.NodeURL = "http://[::1" },
		"mwm 0":       func(c *Config) { c.MWM = 0 },
		"mwm 28":      func(c *Config) { c.MWM = 28 },
		"unknown pow": func(c *Config) { c.PoW = "gpu" },
	} {
		c := ok
		mutate(&c)
		if err := c.Validate(); err == nil {
			t.Errorf("%s: Validate accepted %+v", name, c)
		}
		if _, err := New(c); err == nil {
			t.Errorf("%s: New accepted %+v", name, c)
		}
	}
	if err := ok.Validate(); err != nil {
		t.Fatalf("good config rejected: %v", err)
	}
}
