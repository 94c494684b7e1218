package rtc

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/pion/webrtc/v4"
)

// Path is the network path a connection uses: the ICE candidate pair ICE selected.
type Path struct {
	// Local and Remote are the candidate types of the two ends: host (a local address),
	// srflx (the public address a NAT gave, learnt through STUN), prflx (an address learnt
	// from the peer's checks) or relay (an address on a TURN server).
	Local, Remote string
	// Protocol is how the two candidates talk: udp or tcp.
	Protocol string
	// Relay: the bytes pass through a TURN server (either end is a relay candidate).
	Relay bool
	// RelayProtocol is how we reach our own TURN server when Local is relay: udp, tcp or
	// tls ("" otherwise).
	RelayProtocol string
	// LocalAddr and RemoteAddr are the candidates' addresses (IP:port).
	LocalAddr, RemoteAddr string
	// RTT is the last round trip ICE measured on the pair (0: not measured yet).
	RTT time.Duration
}

// String is a one-line description: "srflx 203.0.113.6:4242 ⇄ srflx 203.0.113.10:3131
// (udp, direct, rtt 52 ms)".
func (p Path) String() string {
	if p.Local == "" {
		return "unknown"
	}
	how := "direct"
	if p.Relay {
		how = "relayed by TURN"
		if p.RelayProtocol != "" && p.Local == "relay" {
			how += " over " + p.RelayProtocol
		}
	}
	parts := []string{p.Protocol, how}
	if p.RTT > 0 {
		parts = append(parts, fmt.Sprintf("rtt %.1f ms", float64(p.RTT)/float64(time.Millisecond)))
	}
	return fmt.Sprintf("%s %s ⇄ %s %s (%s)", p.Local, p.LocalAddr, p.Remote, p.RemoteAddr, strings.Join(parts, ", "))
}

// Path reports the candidate pair in use; ok is false before ICE selected one (or after
// the connection closed).
func (pr *Peer) Path() (path Path, ok bool) {
	pc := pr.p.pc
	if pc == nil || pc.SCTP() == nil || pc.SCTP().Transport() == nil {
		return Path{}, false
	}
	pair, err := pc.SCTP().Transport().ICETransport().GetSelectedCandidatePair()
	if err != nil || pair == nil || pair.Local == nil || pair.Remote == nil {
		return Path{}, false
	}
	path = Path{
		Local: pair.Local.Typ.String(), Remote: pair.Remote.Typ.String(),
		Protocol:   pair.Local.Protocol.String(),
		LocalAddr:  hostPort(pair.Local.Address, pair.Local.Port),
		RemoteAddr: hostPort(pair.Remote.Address, pair.Remote.Port),
	}
	path.Relay = pair.Local.Typ == webrtc.ICECandidateTypeRelay || pair.Remote.Typ == webrtc.ICECandidateTypeRelay
	// The relay protocol and the round trip are only in the statistics.
	var localID, remoteID string
	report := pc.GetStats()
	for _, s := range report {
		c, isCand := s.(webrtc.ICECandidateStats)
		if !isCand {
			continue
		}
		switch {
		case c.Type == webrtc.StatsTypeLocalCandidate && sameCandidate(c, pair.Local):
			localID = c.ID
			if pair.Local.Typ == webrtc.ICECandidateTypeRelay {
				path.RelayProtocol = c.RelayProtocol
			}
		case c.Type == webrtc.StatsTypeRemoteCandidate && sameCandidate(c, pair.Remote):
			remoteID = c.ID
		}
	}
	for _, s := range report {
		if cp, isPair := s.(webrtc.ICECandidatePairStats); isPair && cp.LocalCandidateID == localID && cp.RemoteCandidateID == remoteID {
			path.RTT = time.Duration(cp.CurrentRoundTripTime * float64(time.Second))
		}
	}
	return path, true
}

func sameCandidate(s webrtc.ICECandidateStats, c *webrtc.ICECandidate) bool {
	return s.IP == c.Address && s.Port == int32(c.Port) && s.CandidateType == c.Typ
}

func hostPort(addr string, port uint16) string {
	if strings.Contains(addr, ":") {
		return "[" + addr + "]:" + strconv.Itoa(int(port))
	}
	return addr + ":" + strconv.Itoa(int(port))
}
