package lab_test

import (
	"strings"
	"testing"
	"time"

	"github.com/rtchat/rtchat/lab"
)

// TestLabLateJoiner: the second pipe process joins the room just after the first one
// announced itself (it starts as soon as the first printed "joined room", so it misses
// that announcement), in both orders. The first offer must be answered: no connection may
// be left to go stale and be replaced (the "offer waited 12.5 s"), and both ends
// finish. The hosts' fresh interfaces (tentative IPv6, see lab.Start) are part of the
// case: before iceconf skipped unbindable addresses, the answerer failed to build its
// connection here and the offer was never answered.
func TestLabLateJoiner(t *testing.T) {
	w := newWorld(t, 2*time.Minute,
		lab.Home{Name: "a", NAT: lab.Cone, Link: lab.Link{Delay: 10 * time.Millisecond}},
		lab.Home{Name: "b", NAT: lab.Cone, Link: lab.Link{Delay: 10 * time.Millisecond}})
	ice := lab.STUN(false)
	for _, first := range []string{"alice", "bob"} {
		a := &pipeEnd{name: "alice", peer: "bob", ns: w.lab.Host("a", 0), ice: ice, seed: 1, size: 1 << 20}
		b := &pipeEnd{name: "bob", peer: "alice", ns: w.lab.Host("b", 0), ice: ice, seed: 2, size: 1 << 20}
		early, late := a, b
		if first == "bob" {
			early, late = b, a
		}
		early.sink, late.sink = newHashSink(), newHashSink()
		early.proc = w.start(early.ns, early.name, ice, newPRNG(early.seed, early.size), early.sink, "pipe", early.peer, "--json", "-v")
		if err := early.proc.WaitOutput(w.ctx, "joined room"); err != nil {
			t.Fatal(err)
		}
		late.proc = w.start(late.ns, late.name, ice, newPRNG(late.seed, late.size), late.sink, "pipe", late.peer, "--json", "-v")
		r := w.waitPipe(a, b)
		w.checkPipe(a, b, r)
		offers := 0
		for i, e := range []*pipeEnd{a, b} {
			offers += strings.Count(r.stderr[i], `msg="offer sent"`)
			if strings.Contains(r.stderr[i], "replacing a stale connection") {
				t.Errorf("%s first: %s had to replace a connection that never came up", first, e.name)
			}
		}
		t.Logf("%s first: %d offer(s) sent", first, offers)
	}
}
