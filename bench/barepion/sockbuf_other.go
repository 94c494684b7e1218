//go:build !unix

package main

import "net"

// socketBuffers is not available here: the sizes are reported as unknown (0).
func socketBuffers(*net.UDPConn) (rcv, snd int) { return 0, 0 }
