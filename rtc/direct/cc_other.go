//go:build !linux

package direct

import (
	"net"
	"time"
)

// setCongestion: only Linux lets a socket pick its congestion control by name.
func setCongestion(net.Conn, string) error { return nil }

// fixSimultaneousOpenRTT: the BBR repair is Linux's (see cc_linux.go).
func fixSimultaneousOpenRTT(net.Conn, time.Duration) (string, error) { return "", nil }
