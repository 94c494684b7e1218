//go:build !linux

package broker

import "syscall"

// dieWithParent has no portable equivalent outside Linux; stop() still ends mosquitto.
func dieWithParent() *syscall.SysProcAttr { return nil }
