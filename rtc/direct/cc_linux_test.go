package direct

import (
	"net"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestFixSimultaneousOpenRTT: a connection whose kernel minimum RTT is far below the
// path's (here loopback's microseconds against a claimed hour) leaves BBR for CUBIC; one
// that already runs CUBIC, or whose path RTT is unknown, is left alone.
func TestFixSimultaneousOpenRTT(t *testing.T) {
	ln, _ := countingListener(t, func(c net.Conn) { defer c.Close(); b := make([]byte, 1); _, _ = c.Read(b) })
	dial := func() net.Conn {
		c, err := net.Dial("tcp4", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	ccOf := func(c net.Conn) string {
		rc, err := c.(*net.TCPConn).SyscallConn()
		if err != nil {
			t.Fatal(err)
		}
		var cc string
		_ = rc.Control(func(fd uintptr) { cc, _ = unix.GetsockoptString(int(fd), unix.IPPROTO_TCP, unix.TCP_CONGESTION) })
		return cc
	}
	c := dial()
	if err := setCongestion(c, "cubic"); err != nil {
		t.Fatal(err)
	}
	if did, err := fixSimultaneousOpenRTT(c, time.Hour); did != "" || err != nil || ccOf(c) != "cubic" {
		t.Fatalf("cubic connection: did %q, err %v, cc %s", did, err, ccOf(c))
	}
	c = dial()
	if err := setCongestion(c, "bbr"); err != nil {
		// Not every kernel has BBR; then only the cases above are checked here.
		t.Logf("no bbr here (%v): the switch itself is not exercised", err)
		return
	}
	if did, err := fixSimultaneousOpenRTT(c, 0); did != "" || err != nil || ccOf(c) != "bbr" {
		t.Fatalf("unknown path RTT: did %q, err %v, cc %s", did, err, ccOf(c))
	}
	if did, err := fixSimultaneousOpenRTT(c, time.Hour); did == "" || err != nil || ccOf(c) != "cubic" {
		t.Fatalf("bbr with a bogus minimum: did %q, err %v, cc %s", did, err, ccOf(c))
	}
}
