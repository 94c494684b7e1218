package direct

import (
	"crypto/tls"
	"net"

	"golang.org/x/sys/unix"
)

// setCongestion sets the TCP congestion control of c's connection ("" leaves the kernel's
// default). A name the kernel does not know is an error the caller only logs.
func setCongestion(c net.Conn, name string) error {
	if name == "" {
		return nil
	}
	if t, ok := c.(*tls.Conn); ok {
		c = t.NetConn()
	}
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return nil
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		serr = unix.SetsockoptString(int(fd), unix.IPPROTO_TCP, unix.TCP_CONGESTION, name)
	}); err != nil {
		return err
	}
	return serr
}
