// Package rtc is rtchat's core: it meets peers on an MQTT topic, connects to them over
// WebRTC, verifies who they are, and carries chat, questions and byte streams.
package rtc

import "errors"

// Typed errors the commands map to exit codes.
var (
	// ErrNotVerified: the peer's key is unknown, differs from its pin, or its proof failed.
	ErrNotVerified = errors.New("peer not verified")
	// ErrTimeout: the peer did not appear, connect or answer in time.
	ErrTimeout = errors.New("timed out")
	// ErrConnectionLost: the connection ended before the work was done.
	ErrConnectionLost = errors.New("connection lost")
)
