//go:build unix

package main

import (
	"net"
	"syscall"
)

// socketBuffers reads SO_RCVBUF and SO_SNDBUF back from the kernel (Linux reports twice
// the granted request); 0 when unknown.
func socketBuffers(c *net.UDPConn) (rcv, snd int) {
	raw, err := c.SyscallConn()
	if err != nil {
		return 0, 0
	}
	_ = raw.Control(func(fd uintptr) {
		rcv, _ = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF)
		snd, _ = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_SNDBUF)
	})
	return rcv, snd
}
