//go:build unix

package commands

import (
	"os/exec"
	"syscall"
)

// ownProcessGroup makes c the leader of a new process group, so that killProcessGroup
// reaches everything it starts (pipelines, background jobs), not the shell alone.
func ownProcessGroup(c *exec.Cmd) {
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// killProcessGroup kills c's whole process group.
func killProcessGroup(c *exec.Cmd) {
	_ = syscall.Kill(-c.Process.Pid, syscall.SIGKILL)
}
