//go:build !linux

package direct

import "net"

// setCongestion: only Linux lets a socket pick its congestion control by name.
func setCongestion(net.Conn, string) error { return nil }
