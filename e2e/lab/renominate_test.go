package lab_test

import (
	"regexp"
	"testing"
	"time"

	"github.com/rtchat/rtchat/lab"
)

// Between rtchat peers with a TURN server, ICE accepts a relayed pair without waiting and
// renominates a direct pair that succeeds later (rtc/iceconf/connect.go).

// TestLabConeTURN: two cone NATs with STUN and TURN configured: the direct pair, which
// succeeds before any relayed one, carries the connection, and the pipe moves to the
// direct path by hole punching as without TURN.
func TestLabConeTURN(t *testing.T) {
	w := newWorld(t, 2*time.Minute,
		lab.Home{Name: "a", NAT: lab.Cone}, lab.Home{Name: "b", NAT: lab.Cone})
	ice := lab.STUN(false) + "," + lab.TURNURL("udp")
	pipeCase(t, w, w.lab.Host("a", 0), w.lab.Host("b", 0), ice, ice, wantPath{
		check: notHostPair, what: "a NAT-mapped pair (srflx/prflx), no relay", transport: "direct", route: "punch"})
}

var pairLine = regexp.MustCompile(`msg="ice pair selected" local=(\w+) remote=(\w+)`)

// TestLabRenominateToDirect: the same homes, but the direct pairs are held back (their
// nomination wait raised to 2 s by RTCHAT_ICE_WAIT) so that the relayed pair is nominated
// first; renomination must then move both sides to a direct pair while the pipe's data
// flows, every byte arriving. Without renomination (RTCHAT_ICE_RENOMINATE=0) the
// connection stays relayed and this fails.
func TestLabRenominateToDirect(t *testing.T) {
	w := newWorld(t, 2*time.Minute,
		lab.Home{Name: "a", NAT: lab.Cone}, lab.Home{Name: "b", NAT: lab.Cone})
	w.extraEnv = append(w.extraEnv, "RTCHAT_ICE_WAIT=2s,2s,0s")
	ice := lab.STUN(false) + "," + lab.TURNURL("udp")
	a := &pipeEnd{name: "alice", peer: "bob", ns: w.lab.Host("a", 0), ice: ice, seed: 1, size: pipeSize}
	b := &pipeEnd{name: "bob", peer: "alice", ns: w.lab.Host("b", 0), ice: ice, seed: 2, size: pipeSize}
	w.startPipe(a, b)
	r := w.waitPipe(a, b)
	w.checkPipe(a, b, r)
	for i, e := range []*pipeEnd{a, b} {
		pairs := pairLine.FindAllStringSubmatch(r.stderr[i], -1)
		var seq []string
		for _, p := range pairs {
			seq = append(seq, p[1]+"⇄"+p[2])
		}
		t.Logf("%s: pairs selected %v", e.name, seq)
		if len(pairs) < 2 {
			t.Errorf("%s: selected %v, want a relayed pair and then a direct one", e.name, seq)
			continue
		}
		first, last := pairs[0], pairs[len(pairs)-1]
		if first[1] != "relay" && first[2] != "relay" {
			t.Errorf("%s: the first pair %s⇄%s is not relayed (the test's premise)", e.name, first[1], first[2])
		}
		if last[1] == "relay" || last[2] == "relay" || (last[1] == "host" && last[2] == "host") {
			t.Errorf("%s: ended on %s⇄%s, want a NAT-mapped direct pair", e.name, last[1], last[2])
		}
	}
}
