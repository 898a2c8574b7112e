package jsinterop

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// TestExamplePinsMatchSuite: examples/js-provider/package.json (what a
// developer installs on their own) pins the same versions and overrides as
// the suite's package.json, whose lockfile the tests install and run the
// example with.
func TestExamplePinsMatchSuite(t *testing.T) {
	type pkg struct {
		Dependencies, Overrides map[string]string
	}
	read := func(path string) pkg {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var p pkg
		if err := json.Unmarshal(raw, &p); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		return p
	}
	suite, example := read("package.json"), read("../../examples/js-provider/package.json")
	for name, v := range example.Dependencies {
		if suite.Dependencies[name] != v {
			t.Errorf("example depends on %s %s, the suite installs %q", name, v, suite.Dependencies[name])
		}
	}
	if len(example.Overrides) != len(suite.Overrides) {
		t.Errorf("example has %d overrides, the suite %d", len(example.Overrides), len(suite.Overrides))
	}
	for name, v := range suite.Overrides {
		if example.Overrides[name] != v {
			t.Errorf("override %s: example %q, suite %s", name, example.Overrides[name], v)
		}
	}
	if suite.Dependencies["@iota/core"] != "1.0.0-beta.30" || suite.Dependencies["@iota/mam.js"] != "1.0.0-beta.10" || suite.Overrides["@iota/curl"] != "1.0.0-beta.19" {
		t.Errorf("pins changed: %v %v; update docs/tangle.md's list of clients known to work", suite.Dependencies, suite.Overrides)
	}
}

// TestLockfileNamesNoRegistry: .npmrc's omit-lockfile-registry-resolved
// keeps registry URLs out of the committed lockfile.
func TestLockfileNamesNoRegistry(t *testing.T) {
	raw, err := os.ReadFile("package-lock.json")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), `"resolved"`) {
		t.Fatal(`package-lock.json has "resolved" URLs: regenerate it with this folder's .npmrc`)
	}
}
