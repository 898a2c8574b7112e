//go:build !linux

package main

import "syscall"

// stopWithParent has no equivalent outside Linux: there, stop the children
// by hand if devstack is killed with SIGKILL.
func stopWithParent(*syscall.SysProcAttr) {}
