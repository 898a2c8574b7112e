package main

import (
	"bytes"
	"os"
	"os/exec"
	"runtime"
	"strings"
)

// avxAvailable says whether the AVX proof of work can be built and run
// here: it needs amd64, cgo with a C compiler, and a CPU with AVX. Without
// them devstack builds the pure-Go proof of work, so Go alone is enough.
func avxAvailable() bool {
	if runtime.GOARCH != "amd64" || os.Getenv("CGO_ENABLED") == "0" {
		return false
	}
	out, err := exec.Command("go", "env", "CC").Output()
	cc := strings.Fields(string(bytes.TrimSpace(out)))
	if err != nil || len(cc) == 0 {
		return false
	}
	if _, err := exec.LookPath(cc[0]); err != nil {
		return false
	}
	if runtime.GOOS != "linux" {
		return true // no cpuinfo to read; amd64 Macs and PCs of the last decade have AVX
	}
	info, err := os.ReadFile("/proc/cpuinfo")
	return err == nil && bytes.Contains(info, []byte(" avx"))
}
