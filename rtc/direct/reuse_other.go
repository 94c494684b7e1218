//go:build !linux && !darwin && !freebsd

package direct

import "syscall"

// reuseControl is never called where punchSupported is false: Windows' SO_REUSEADDR lets
// another process take over a bound port, and it has no SO_REUSEPORT, so hole punching is
// left to the platforms that have it (the peer then carries on over WebRTC).
func reuseControl(_, _ string, _ syscall.RawConn) error { return nil }

const punchSupported = false
