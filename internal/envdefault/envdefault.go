// Package envdefault reads the environment fallbacks of command-line flags:
// every flag of every binary defaults to an environment variable, and to a
// built-in value when that variable is unset, empty or malformed. Malformed
// values fall back rather than fail so that a stray variable never keeps a
// service from starting; the flag's own parsing still rejects a bad
// command line.
package envdefault

import (
	"os"
	"strconv"
	"strings"
	"time"
)

func lookup(key string) string { return strings.TrimSpace(os.Getenv(key)) }

// String is $key, or def when it is unset or empty.
func String(key, def string) string {
	if v := lookup(key); v != "" {
		return v
	}
	return def
}

// Int is $key as an integer, or def.
func Int(key string, def int) int {
	if n, err := strconv.Atoi(lookup(key)); err == nil {
		return n
	}
	return def
}

// Bool is $key as a boolean (1, true, 0, false, …), or def.
func Bool(key string, def bool) bool {
	if v, err := strconv.ParseBool(lookup(key)); err == nil {
		return v
	}
	return def
}

// Float is $key as a number, or def.
func Float(key string, def float64) float64 {
	if v, err := strconv.ParseFloat(lookup(key), 64); err == nil {
		return v
	}
	return def
}

// Duration is $key as a Go duration ("5s", "2m"), or def.
func Duration(key string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(lookup(key)); err == nil {
		return d
	}
	return def
}
