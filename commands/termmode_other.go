//go:build !(aix || darwin || dragonfly || freebsd || linux || netbsd || openbsd || solaris || zos)

package commands

import "os"

// keepSignalsAndNewlines: elsewhere (Windows) raw mode delivers Ctrl-C as a byte, which the
// editor's reader turns into an interrupt.
func keepSignalsAndNewlines(int) error { return nil }

// notifyResize: no resize signal here; the width read at the start is kept.
func notifyResize(chan<- os.Signal) {}
