//go:build !unix

package iceconf

import (
	"errors"
	"syscall"
)

// SocketBuffers is not available here: the buffer sizes are reported as unknown.
func SocketBuffers(c syscall.Conn) (rcv, snd int, err error) {
	return 0, 0, errors.New("socket buffer sizes are not readable on this system")
}
