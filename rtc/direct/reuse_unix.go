//go:build linux || darwin || freebsd

package direct

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// reuseControl lets the punch listener and every dial from it share one local port:
// SO_REUSEADDR for the dials that follow a failed one, SO_REUSEPORT so that a socket may
// bind the port a listener holds (Linux, macOS and FreeBSD all require it on every socket).
func reuseControl(_, _ string, c syscall.RawConn) error {
	var serr error
	err := c.Control(func(fd uintptr) {
		if serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); serr != nil {
			return
		}
		serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1)
	})
	if err != nil {
		return err
	}
	return serr
}

// punchSupported: this platform can listen and dial from one TCP port.
const punchSupported = true
