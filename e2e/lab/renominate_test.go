package lab_test

import (
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/rtchat/rtchat/lab"
)

// Between rtchat peers with a TURN server, ICE accepts a relayed pair without waiting and
// renominates a direct pair that succeeds later (rtc/iceconf/connect.go).

var pairLine = regexp.MustCompile(`msg="ice pair selected" local=(\w+) remote=(\w+)`)

// TestLabRenominateToDirect: two cone NATs, STUN and TURN configured. alice's router drops
// every packet between the two homes' public addresses until ICE has selected a pair, so
// that a relayed pair is nominated first and the direct pairs succeed only later, as a
// direct pair whose checks are lost at first would. Renomination must then move both sides
// to a direct pair while the pipe's data flows, every byte arriving. Without renomination
// (RTCHAT_ICE_RENOMINATE=0) the connection stays relayed and this fails.
func TestLabRenominateToDirect(t *testing.T) {
	w := newWorld(t, 2*time.Minute,
		lab.Home{Name: "a", NAT: lab.Cone}, lab.Home{Name: "b", NAT: lab.Cone})
	ra, pb := w.lab.Router("a"), w.lab.Public("b")
	for _, dir := range []string{"saddr", "daddr"} {
		if _, err := w.lab.Output(w.ctx, ra, "nft", "add", "rule", "inet", "laboutage", "fw", "ip", dir, pb, "counter", "drop"); err != nil {
			t.Fatal(err)
		}
	}
	ice := lab.STUN(false) + "," + lab.TURNURL("udp")
	a := &pipeEnd{name: "alice", peer: "bob", ns: w.lab.Host("a", 0), ice: ice, seed: 1, size: bigPipe}
	b := &pipeEnd{name: "bob", peer: "alice", ns: w.lab.Host("b", 0), ice: ice, seed: 2, size: 1 << 20}
	w.startPipe(a, b)
	if err := a.proc.Stderr.WaitFor(w.ctx, `msg="ice pair selected"`); err != nil {
		t.Fatalf("no pair selected: %v\n%s", err, tailLines(a.proc.Stderr.String(), 30))
	}
	if _, err := w.lab.Output(context.Background(), ra, "nft", "flush", "chain", "inet", "laboutage", "fw"); err != nil {
		t.Fatal(err)
	}
	t.Log("direct path open")
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
