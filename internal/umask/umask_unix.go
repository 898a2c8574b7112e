//go:build unix

package umask

import "golang.org/x/sys/unix"

func set(mask int) { unix.Umask(mask) }
