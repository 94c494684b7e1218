//go:build unix

package iceconf

import (
	"bytes"
	"errors"
	"net"
	"net/netip"
	"runtime"
	"testing"
	"time"
)

func udpPair(t *testing.T) (a, b *net.UDPConn) {
	t.Helper()
	listen := func() *net.UDPConn {
		c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	return listen(), listen()
}

// payload is datagram i of a test: its number, then filler, sizes varying.
func payload(i int) []byte {
	p := bytes.Repeat([]byte{byte(i)}, 1+(i*37)%1400)
	p[0] = byte(i >> 8)
	return p
}

// TestBatchedWritesKeepOrder: datagrams queued by the batching wrapper leave in the order
// they were written, intact, however many share a sendmmsg.
func TestBatchedWritesKeepOrder(t *testing.T) {
	a, b := udpPair(t)
	w := batchUDP(a)
	defer w.Close()
	dst := b.LocalAddr().(*net.UDPAddr).AddrPort()
	buf := make([]byte, 4096)
	// In rounds of 100 (about 70 KB, under any default receive buffer), so that loopback
	// never drops and a missing datagram can only be the wrapper's fault.
	for round := 0; round < 20; round++ {
		for i := 0; i < 100; i++ {
			n := round*100 + i
			if _, err := w.(*batchConn).WriteToAddrPort(payload(n), dst); err != nil {
				t.Fatal(err)
			}
		}
		for i := 0; i < 100; i++ {
			n := round*100 + i
			_ = b.SetReadDeadline(time.Now().Add(10 * time.Second))
			k, _, err := b.ReadFrom(buf)
			if err != nil {
				t.Fatalf("datagram %d: %v", n, err)
			}
			if !bytes.Equal(buf[:k], payload(n)) {
				t.Fatalf("datagram %d arrived as %d bytes starting %v", n, k, buf[:min(k, 4)])
			}
		}
	}
}

// TestCloseSendsQueued: Close sends what is still queued before closing the socket (a
// closing PeerConnection's last packets say goodbye to the peer).
func TestCloseSendsQueued(t *testing.T) {
	a, b := udpPair(t)
	w := batchUDP(a)
	for i := 0; i < 50; i++ {
		if _, err := w.WriteTo(payload(i), b.LocalAddr()); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4096)
	for i := 0; i < 50; i++ {
		_ = b.SetReadDeadline(time.Now().Add(10 * time.Second))
		k, _, err := b.ReadFrom(buf)
		if err != nil || !bytes.Equal(buf[:k], payload(i)) {
			t.Fatalf("datagram %d after Close: %d bytes, %v", i, k, err)
		}
	}
	if _, err := w.WriteTo([]byte("late"), b.LocalAddr()); !errors.Is(err, errBatchClosed) {
		t.Fatalf("write after Close: %v", err)
	}
}

// TestBatchedReads: queued datagrams are read many per recvmmsg, each with its own
// sender; one larger than a slot is dropped, not truncated.
func TestBatchedReads(t *testing.T) {
	a, b := udpPair(t)
	c, _ := udpPair(t)
	r := batchUDP(b).(*batchConn)
	defer r.Close()
	type sent struct {
		from netip.AddrPort
		data []byte
	}
	var want []sent
	for i := 0; i < 60; i++ {
		src := a
		if i%3 == 0 {
			src = c
		}
		if i == 7 {
			if _, err := src.WriteTo(make([]byte, slotBytes+1), b.LocalAddr()); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := src.WriteTo(payload(i), b.LocalAddr()); err != nil {
			t.Fatal(err)
		}
		want = append(want, sent{src.LocalAddr().(*net.UDPAddr).AddrPort(), payload(i)})
	}
	buf := make([]byte, 8192)
	for i, w := range want {
		_ = r.SetReadDeadline(time.Now().Add(10 * time.Second))
		k, from, err := r.ReadFromAddrPort(buf)
		if err != nil || from != w.from || !bytes.Equal(buf[:k], w.data) {
			t.Fatalf("datagram %d: %d bytes from %v, %v; want %d bytes from %v", i, k, from, err, len(w.data), w.from)
		}
		if i == 0 && runtime.GOOS == "linux" && r.rn < 2 {
			t.Fatalf("the first read took %d datagram(s) off the socket; recvmmsg batches them", r.rn)
		}
	}
}

// TestBatchUDPLeavesOthers: only real UDP sockets are wrapped.
func TestBatchUDPLeavesOthers(t *testing.T) {
	if _, ok := batchUDP(nil).(*batchConn); ok {
		t.Fatal("wrapped a nil socket")
	}
}
