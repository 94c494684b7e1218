package direct

import (
	"crypto/tls"
	"fmt"
	"net"
	"time"

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

// fixSimultaneousOpenRTT undoes what a TCP simultaneous open does to BBR on Linux: when
// both SYNs cross, the peer's SYN-ACK (an answer to our SYN) arrives just after we sent our
// own SYN-ACK and is timed against it, so the kernel's minimum RTT starts at a few
// microseconds. BBR sizes its window as bandwidth × minimum RTT and keeps that minimum for
// 10 s: in the lab such a pipe moved 3 MB/s instead of 15–20 (the kernel's own minimum,
// which RACK also reads, lasts 5 minutes). When the minimum is below a quarter of the
// round trip ICE measured on the same path and the connection runs BBR, it is switched to
// CUBIC, whose growth does not depend on that minimum. It returns what it did ("": nothing).
func fixSimultaneousOpenRTT(c net.Conn, pathRTT time.Duration) (string, error) {
	if pathRTT <= 0 {
		return "", nil
	}
	if t, ok := c.(*tls.Conn); ok {
		c = t.NetConn()
	}
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return "", nil
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return "", err
	}
	var did string
	var serr error
	if err := rc.Control(func(fd uintptr) {
		info, err := unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO)
		if err != nil {
			serr = err
			return
		}
		minRTT := time.Duration(info.Min_rtt) * time.Microsecond
		if info.Min_rtt == 0 || minRTT >= pathRTT/4 {
			return
		}
		cc, err := unix.GetsockoptString(int(fd), unix.IPPROTO_TCP, unix.TCP_CONGESTION)
		if err != nil || cc != "bbr" {
			serr = err
			return
		}
		if serr = unix.SetsockoptString(int(fd), unix.IPPROTO_TCP, unix.TCP_CONGESTION, "cubic"); serr == nil {
			did = fmt.Sprintf("min RTT %v against ICE's %v: bbr → cubic", minRTT, pathRTT)
		}
	}); err != nil {
		return "", err
	}
	return did, serr
}
