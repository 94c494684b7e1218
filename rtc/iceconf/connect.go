package iceconf

import (
	"os"
	"strings"
	"time"

	"github.com/pion/webrtc/v4"
)

// ICE nominates a working candidate pair only after a minimum wait that depends on its
// type, so that a better pair that answers a little later can still win. pion waits
// 500 ms for server-reflexive pairs, 1 s for peer-reflexive ones and 2 s for relayed
// ones: on a 100 ms path that is 5 to 20 round trips of the first byte's 17–20
// (docs/network.md, "Round trips before the first byte"). rtchat waits less: a host pair
// (same LAN) still wins because it answers first, a direct pair still beats a relayed one
// that answers within the relay wait.
const (
	SrflxWait = 50 * time.Millisecond
	PrflxWait = 50 * time.Millisecond
	RelayWait = 300 * time.Millisecond
)

// Developer knobs (scripts/bench-net.sh, not for users):
//
//	RTCHAT_ICE_WAIT=SRFLX,PRFLX,RELAY  the nomination waits ("pion" for pion's 500ms,1s,2s)
//	RTCHAT_DTLS_HELLOVERIFY=1           keep DTLS's HelloVerifyRequest cookie round trip
//	RTCHAT_SCTP_SNAP=1                  SCTP association set up from the SDPs (sctp-init), no
//	                                    INIT/COOKIE round trips (only when both sides offer it)
//	RTCHAT_ICE_CHECK, RTCHAT_ICE_SPARE  the check interval and the spare connection
//	                                    (checks.go, spare.go)
const (
	envICEWait     = "RTCHAT_ICE_WAIT"
	envHelloVerify = "RTCHAT_DTLS_HELLOVERIFY"
	envSNAP        = "RTCHAT_SCTP_SNAP"
)

// fastConnect shortens the connection set-up (loopback keeps pion's defaults: host pairs
// have no wait anyway).
func fastConnect(se *webrtc.SettingEngine, mode string, snap bool) {
	if mode == ModeLoopback {
		return
	}
	waits := []time.Duration{SrflxWait, PrflxWait, RelayWait}
	if v := os.Getenv(envICEWait); v == "pion" {
		waits = nil
	} else if v != "" {
		for i, part := range strings.Split(v, ",") {
			if d, err := time.ParseDuration(part); err == nil && i < len(waits) {
				waits[i] = d
			}
		}
	}
	if waits != nil {
		se.SetSrflxAcceptanceMinWait(waits[0])
		se.SetPrflxAcceptanceMinWait(waits[1])
		se.SetRelayAcceptanceMinWait(waits[2])
	}
	// The HelloVerifyRequest cookie protects a DTLS server from spoofed ClientHellos; ICE
	// has already verified the peer's address (connectivity checks with the SDP's
	// credentials) before DTLS starts, so it only costs a round trip.
	if os.Getenv(envHelloVerify) != "1" {
		se.SetDTLSInsecureSkipHelloVerify(true)
	}
	if snap || os.Getenv(envSNAP) == "1" {
		se.EnableSctpSnap(true)
	}
}
