package lab_test

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rtchat/rtchat/lab"
)

// TestLabPunchImpostor: a man in the middle at both home routers (or anywhere on the
// path) takes over the hole-punched direct path: every TCP connection a host opens toward
// the other home's public address is redirected to an impostor on its own router, which
// presents its own certificate in whichever TLS role the victim leaves it (e2e/attack/
// tlsimpostor -punch). Both victims must refuse every such handshake, the impostors read
// nothing, and the pipe falls back to WebRTC with every byte intact. (As a TLS 1.3 client
// the impostor finishes its handshake before the victim, the server, checks its
// certificate: the victim's refusal then shows as 0 bytes read.)
func TestLabPunchImpostor(t *testing.T) {
	w := newWorld(t, 2*time.Minute,
		lab.Home{Name: "a", NAT: lab.Cone}, lab.Home{Name: "b", NAT: lab.Cone})
	bin := filepath.Join(t.TempDir(), "tlsimpostor")
	if err := gobuild(bin, "../attack/tlsimpostor"); err != nil {
		t.Fatal(err)
	}
	const port = 7443
	router := lab.LANPrefix + "1"
	var imps []*lab.Proc
	for home, other := range map[string]string{"a": "b", "b": "a"} {
		p, err := w.lab.StartProc(w.ctx, w.lab.Router(home), bin, "-punch", "-listen", router+":"+strconv.Itoa(port))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(p.Kill)
		if err := p.WaitOutput(w.ctx, `"ready"`); err != nil {
			t.Fatal(err)
		}
		if out, err := w.lab.Output(w.ctx, w.lab.Router(home), "nft", "add", "rule", "ip", "labnat", "pre", "iifname", "br0",
			"ip", "daddr", w.lab.Public(other), "tcp", "dport", "1024-65535", "dnat", "to", router+":"+strconv.Itoa(port)); err != nil {
			t.Fatalf("redirect at router %s: %v %s", home, err, out)
		}
		imps = append(imps, p)
	}
	ice := lab.STUN(false)
	a := &pipeEnd{name: "alice", peer: "bob", ns: w.lab.Host("a", 0), ice: ice, seed: 1, size: 4 << 20}
	b := &pipeEnd{name: "bob", peer: "alice", ns: w.lab.Host("b", 0), ice: ice, seed: 2, size: 1<<20 + 3}
	w.startPipe(a, b)
	r := w.waitPipe(a, b)
	w.checkPipe(a, b, r)
	for i, e := range []*pipeEnd{a, b} {
		if s := r.summary[i]; s == nil || s["transport"] != "webrtc" {
			t.Errorf("%s's pipe went %v, want webrtc", e.name, s)
		}
		if !strings.Contains(r.stderr[i], "route=punch") {
			t.Errorf("%s did not try to punch: the test proves nothing", e.name)
		}
		if !strings.Contains(r.stderr[i], "direct: handshake failed") {
			t.Errorf("%s refused no handshake", e.name)
		}
	}
	for i, p := range imps {
		out := p.Stdout.String()
		if !strings.Contains(out, `"accepted"`) {
			t.Errorf("impostor %d was never reached: the test proves nothing\n%s", i, out)
		}
		for _, line := range strings.Split(out, "\n") {
			if strings.Contains(line, `"read"`) && !strings.Contains(line, `"bytes":0,`) {
				t.Errorf("impostor %d read from a victim: %s", i, line)
			}
		}
		t.Logf("impostor %d:\n%s", i, out)
	}
}
