//go:build !unix

package umask

func set(int) {}
