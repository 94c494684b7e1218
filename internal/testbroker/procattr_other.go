//go:build !linux

package testbroker

import "syscall"

// dieWithParent has no portable equivalent outside Linux; stop() still ends mosquitto.
func dieWithParent() *syscall.SysProcAttr { return nil }
