package serialport

import (
	"os"

	"golang.org/x/sys/unix"
)

// IsTerminal reports whether path is a terminal device (a serial port, a
// pseudo-terminal) rather than a file or pipe.
func IsTerminal(path string) bool {
	f, err := os.OpenFile(path, os.O_RDONLY|unix.O_NOCTTY|unix.O_NONBLOCK, 0)
	if err != nil {
		return false
	}
	defer f.Close()
	_, err = unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}
