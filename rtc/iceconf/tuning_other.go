//go:build !unix

package iceconf

import "github.com/pion/transport/v5"

// batchUDP leaves the socket as it is: golang.org/x/net has no message calls (recvmsg,
// sendmmsg) here, so its batch reads would fail; pion reads and writes one datagram per
// call, as it does by default.
func batchUDP(c transport.UDPConn) transport.UDPConn { return c }
