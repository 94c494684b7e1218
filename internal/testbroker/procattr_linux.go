package testbroker

import "syscall"

// dieWithParent makes a test's mosquitto die with the test process, even on SIGKILL.
func dieWithParent() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
