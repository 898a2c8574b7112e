package main

import "syscall"

// stopWithParent asks Linux to send SIGTERM to a child when devstack dies:
// should devstack itself be killed (SIGKILL leaves it no chance to stop
// them), the children stop too instead of lingering on the ports.
func stopWithParent(attr *syscall.SysProcAttr) {
	attr.Pdeathsig = syscall.SIGTERM
}
