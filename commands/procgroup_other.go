//go:build !unix

package commands

import "os/exec"

// ownProcessGroup: no process groups here; killProcessGroup kills the shell only.
func ownProcessGroup(*exec.Cmd) {}

// killProcessGroup kills c's process.
func killProcessGroup(c *exec.Cmd) {
	_ = c.Process.Kill()
}
