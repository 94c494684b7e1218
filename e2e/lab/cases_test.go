package lab_test

import (
	"testing"
	"time"

	"github.com/rtchat/rtchat/lab"
)

const pipeSize = 16 << 20

// pipeCase runs a 16 MiB pipe both ways between alice on host a1 and bob on host b1 (or a2
// on the same LAN) and checks the exit codes, the sha256 and the path in the summary.
func pipeCase(t *testing.T, w *world, nsA, nsB, iceA, iceB string, wantLocal string) pipeResult {
	t.Helper()
	a := &pipeEnd{name: "alice", peer: "bob", ns: nsA, ice: iceA, seed: 1, size: pipeSize}
	b := &pipeEnd{name: "bob", peer: "alice", ns: nsB, ice: iceB, seed: 2, size: pipeSize}
	w.startPipe(a, b)
	r := w.waitPipe(a, b)
	w.checkPipe(a, b, r)
	for i, s := range r.summary {
		if s == nil {
			t.Errorf("side %d printed no summary", i)
			continue
		}
		t.Logf("summary %d: %v", i, s)
		if wantLocal != "" && s["connection"] != wantLocal {
			t.Errorf("side %d: connection %v, want %s", i, s["connection"], wantLocal)
		}
	}
	return r
}

func TestLabConeSTUN(t *testing.T) {
	w := newWorld(t, 2*time.Minute,
		lab.Home{Name: "a", NAT: lab.Cone}, lab.Home{Name: "b", NAT: lab.Cone})
	ice := lab.STUN(false)
	pipeCase(t, w, w.lab.Host("a", 0), w.lab.Host("b", 0), ice, ice, "srflx")
}

func TestLabSymmetricTURN(t *testing.T) {
	w := newWorld(t, 2*time.Minute,
		lab.Home{Name: "a", NAT: lab.Symmetric}, lab.Home{Name: "b", NAT: lab.Symmetric})
	ice := lab.STUN(false) + "," + lab.TURNURL("udp")
	pipeCase(t, w, w.lab.Host("a", 0), w.lab.Host("b", 0), ice, ice, "relay")
}
