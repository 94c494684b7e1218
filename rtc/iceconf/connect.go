package iceconf

import (
	"log/slog"
	"net"
	"os"
	"strconv"
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

// Between rtchat peers a relayed pair is accepted after RelayWaitRenominating instead of
// RelayWait, and ICE renomination (draft-thatcher-ice-renomination, pion's automatic
// renomination) moves the connection to a direct pair that succeeds later: a relay is then
// hardly waited for, and a direct path still wins. RelayWait costs a relayed connection 6
// round trips of a 50 ms path before its first byte (docs/benchmarks.md, "Through TURN"),
// and where a direct pair works it normally succeeds first anyway: the answerer's checks
// have opened its NAT by the time the offerer checks, while a relayed check first needs a
// TURN permission (a round trip to the server) and then crosses the relay.
//
// RelayWaitRenominating is the direct pairs' own wait (SrflxWait, PrflxWait), not 0: a
// relayed check on a short path (the TURN server near both) can succeed before a direct
// pair may be nominated at all, and with no wait the relay won although the direct pair
// had succeeded too (the lab's TestLabConeTURNPunch and TestLabPunchImpostorTURN, in a soak under load).
// Renomination moves such a connection later, but a pipe that started relayed never tries
// its direct TLS path, so it must start on the direct pair. A relayed check needs a round
// trip through the relay, so on a path of 50 ms or more this wait costs nothing.
//
// Only with TURN servers configured (without them no relayed pair exists, so there is
// nothing to renominate away from) and only with rtchat peers (Config.SNAP): a browser
// does not renominate, so a web page's connection keeps RelayWait. Once connected, pion
// evaluates renomination on its keepalive tick (2 s): it checks every pair not failed
// again, and switches to a succeeded pair whose score (candidate types, round trip) is 15 %
// higher or whose round trip is at least 10 ms less (pion's rule: so it may also move
// between two direct or two relayed pairs), no sooner than RenominateInterval after the checks started or after the last
// switch. DTLS and SCTP run over the ICE connection whatever pair carries it.
const (
	RelayWaitRenominating = SrflxWait
	RenominateInterval    = time.Second
)

// Developer knobs (scripts/bench-net.sh, not for users):
//
//	RTCHAT_ICE_WAIT=SRFLX,PRFLX,RELAY[,HOST]  the nomination waits ("pion" for pion's
//	                                    500ms,1s,2s; HOST, 0 unless given: lab tests hold
//	                                    the direct pairs back with it)
//	RTCHAT_DTLS_HELLOVERIFY=1           keep DTLS's HelloVerifyRequest cookie round trip
//	RTCHAT_SCTP_SNAP=1                  SCTP association set up from the SDPs (sctp-init), no
//	                                    INIT/COOKIE round trips (only when both sides offer it)
//	RTCHAT_ICE_CHECK, RTCHAT_ICE_SPARE  the check interval and the spare connection
//	                                    (checks.go, spare.go)
//	RTCHAT_ICE_RENOMINATE=0             no renomination: a relayed pair waits RelayWait
//	                                    between rtchat peers too
const (
	envICEWait       = "RTCHAT_ICE_WAIT"
	envICERenominate = "RTCHAT_ICE_RENOMINATE"
	envHelloVerify   = "RTCHAT_DTLS_HELLOVERIFY"
	envSNAP          = "RTCHAT_SCTP_SNAP"
)

// fastConnect shortens the connection set-up (loopback keeps pion's defaults: host pairs
// have no wait anyway).
func fastConnect(se *webrtc.SettingEngine, c Config, log *slog.Logger) {
	if c.Mode == ModeLoopback {
		return
	}
	waits := []time.Duration{SrflxWait, PrflxWait, RelayWait, -1}
	if c.renominates() {
		if err := se.SetICERenomination(webrtc.WithRenominationInterval(RenominateInterval)); err != nil {
			log.Debug("ice renomination", "err", err)
		} else {
			waits[2] = RelayWaitRenominating
		}
	}
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
		if waits[3] >= 0 {
			se.SetHostAcceptanceMinWait(waits[3])
		}
	}
	// The HelloVerifyRequest cookie protects a DTLS server from spoofed ClientHellos; ICE
	// has already verified the peer's address (connectivity checks with the SDP's
	// credentials) before DTLS starts, so it only costs a round trip.
	if os.Getenv(envHelloVerify) != "1" {
		se.SetDTLSInsecureSkipHelloVerify(true)
	}
	if c.SNAP || os.Getenv(envSNAP) == "1" {
		se.EnableSctpSnap(true)
	}
}

// renominates says whether this connection nominates a relayed pair at once and renominates
// a better one later: with an rtchat peer and a TURN server (see RelayWaitRenominating).
func (c Config) renominates() bool {
	if !c.SNAP || c.Mode == ModeLoopback || os.Getenv(envICERenominate) == "0" {
		return false
	}
	for _, s := range c.Servers {
		for _, u := range s.URLs {
			if l := strings.ToLower(u); strings.HasPrefix(l, "turn:") || strings.HasPrefix(l, "turns:") {
				return true
			}
		}
	}
	return false
}

// logPairs logs (at -v) every candidate pair ICE selects: a renomination shows as a second
// line, the pair that carries the connection from then on.
func logPairs(pc *webrtc.PeerConnection, log *slog.Logger) {
	pc.SCTP().Transport().ICETransport().OnSelectedCandidatePairChange(func(p *webrtc.ICECandidatePair) {
		if p == nil || p.Local == nil || p.Remote == nil {
			return
		}
		log.Debug("ice pair selected", "local", p.Local.Typ.String(), "remote", p.Remote.Typ.String(),
			"local_addr", net.JoinHostPort(p.Local.Address, strconv.Itoa(int(p.Local.Port))),
			"remote_addr", net.JoinHostPort(p.Remote.Address, strconv.Itoa(int(p.Remote.Port))))
	})
}
