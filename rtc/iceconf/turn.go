package iceconf

import "os"

// Developer knob for measurements (scripts/bench-net.sh), not for users:
//
//	RTCHAT_TURN_PERMISSION_WAIT=1  a relayed write waits for its CreatePermission response
//	                               (pion/turn's behaviour)
//
// A TURN client must ask the server for a permission before the relay forwards its data to
// a new peer address. pion/turn did that inside the write, waiting a round trip to the
// server for the response, and pion/ice writes its connectivity checks from its one agent
// loop: each new peer address of a relay candidate stopped the agent (checks, responses,
// nomination, the end of gathering that the offer and answer wait for) for that round trip,
// 0.5–2.4 round trips of a 50 ms path per address in the lab (docs/benchmarks.md, "Through
// TURN: the permission round trips"). rtchat's patched pion/turn (third_party/pion-turn)
// sends the request and then the data at once; the request goes first on the same socket,
// so the server installs the permission before the data arrives. Nothing is verified by
// the TURN server: ICE checks, DTLS and the signed signaling are unchanged.
const envTURNPermissionWait = "RTCHAT_TURN_PERMISSION_WAIT"

// turnPermissionsWithoutWait reports whether relayed writes send their CreatePermission
// without waiting: unless RTCHAT_TURN_PERMISSION_WAIT=1.
func turnPermissionsWithoutWait() bool { return os.Getenv(envTURNPermissionWait) != "1" }
