// Package umask makes the files a binary creates owner-only. Every iotahome
// binary calls OwnerOnly first thing in main: state files hold seeds,
// pairing codes, side keys and sessions, and a file created by a library
// (SQLite's -wal and -shm, a temp file) must never be world-readable, even
// for a moment.
package umask

// OwnerOnly sets the process umask to 077 (files 0600, directories 0700),
// where the platform has one.
func OwnerOnly() { set(0o077) }
