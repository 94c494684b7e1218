//go:build aix || darwin || dragonfly || freebsd || linux || netbsd || openbsd || solaris || zos

package commands

import (
	"os"
	"os/signal"

	"golang.org/x/sys/unix"
)

// keepSignalsAndNewlines undoes two parts of term.MakeRaw on the terminal fd: ISIG, so that
// Ctrl-C and Ctrl-Z still send their signals (Ctrl-C exits 130 like everywhere else), and
// OPOST, so that a line written to stderr by anything else (-v diagnostics) still starts
// at the left margin.
func keepSignalsAndNewlines(fd int) error {
	t, err := unix.IoctlGetTermios(fd, ioctlGetTermios)
	if err != nil {
		return err
	}
	t.Lflag |= unix.ISIG
	t.Oflag |= unix.OPOST
	return unix.IoctlSetTermios(fd, ioctlSetTermios, t)
}

// notifyResize sends on ch when the terminal's size changes.
func notifyResize(ch chan<- os.Signal) { signal.Notify(ch, unix.SIGWINCH) }
