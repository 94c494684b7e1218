package lab_test

import (
	"context"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
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
func TestLabPunchImpostor(t *testing.T) { punchImpostor(t, lab.STUN(false)) }

// TestLabPunchImpostorTURN: the same with a TURN server configured besides STUN, where ICE
// connects host ⇄ prflx and the punch is tried from that hint (TestLabConeTURNPunch): the
// route that hint opens is verified just the same.
func TestLabPunchImpostorTURN(t *testing.T) {
	punchImpostor(t, lab.STUN(false)+","+lab.TURNURL("udp"))
}

func punchImpostor(t *testing.T, ice string) {
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
	a := &pipeEnd{name: "alice", peer: "bob", ns: w.lab.Host("a", 0), ice: ice, seed: 1, size: 4 << 20}
	b := &pipeEnd{name: "bob", peer: "alice", ns: w.lab.Host("b", 0), ice: ice, seed: 2, size: 1<<20 + 3}
	w.startPipe(a, b)
	r := w.waitPipe(a, b)
	w.checkPipe(a, b, r)
	for i, e := range []*pipeEnd{a, b} {
		t.Logf("%s: path %v", e.name, jsonObject(r.stderr[i], "path"))
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

// TestLabConeTURNPunch: two cone NATs with both a STUN and a TURN server configured. ICE
// then tends to connect host ⇄ prflx (the checks from a host candidate reach the peer
// through its NAT before the server-reflexive candidates are paired), and the punch must
// still be tried and carry the pipe: a peer-reflexive remote candidate learned from the
// checks is the peer's NAT mapping just as its server-reflexive one is. Each side holds
// back the second half of what it sends until the direct path settled, so the summary
// must say direct.
func TestLabConeTURNPunch(t *testing.T) {
	w := newWorld(t, 2*time.Minute,
		lab.Home{Name: "a", NAT: lab.Cone}, lab.Home{Name: "b", NAT: lab.Cone})
	ice := lab.STUN(false) + "," + lab.TURNURL("udp")
	a := &pipeEnd{name: "alice", peer: "bob", ns: w.lab.Host("a", 0), ice: ice, seed: 1, size: 8 << 20}
	b := &pipeEnd{name: "bob", peer: "alice", ns: w.lab.Host("b", 0), ice: ice, seed: 2, size: 4<<20 + 3}
	w.startGatedPipe(a, b)
	r := w.waitPipe(a, b)
	w.checkPipe(a, b, r)
	for i, e := range []*pipeEnd{a, b} {
		path := jsonObject(r.stderr[i], "path")
		t.Logf("%s: path %v", e.name, path)
		if path == nil || path["relay"] != false {
			t.Errorf("%s: path %v, want a direct ICE pair (the test's premise)", e.name, path)
		}
		if s := r.summary[i]; s == nil || s["transport"] != "direct" {
			t.Errorf("%s's pipe went %v, want direct", e.name, s)
		}
		if !strings.Contains(r.stderr[i], "route=punch") {
			t.Errorf("%s did not try to punch", e.name)
		}
	}
}

// startGatedPipe is startPipe, but each side sends the first half of its bytes and the
// rest only once its direct path settled: it committed ("pipe on the direct path"), or
// either side gave up on it, or a process ended.
func (w *world) startGatedPipe(a, b *pipeEnd) {
	gates := [2]chan struct{}{make(chan struct{}), make(chan struct{})}
	for i, e := range []*pipeEnd{a, b} {
		e.sink = newHashSink()
		in := &gatedReader{ctx: w.ctx, r: newPRNG(e.seed, e.size), before: e.size / 2, gate: gates[i]}
		e.proc = w.start(e.ns, e.name, e.ice, in, e.sink, "pipe", e.peer, "--json", "-v")
	}
	settled := []string{"direct: no attempt", "carrying on over WebRTC", "the peer sent no offer"}
	for i, e := range []*pipeEnd{a, b} {
		ctx, cancel := context.WithCancel(w.ctx)
		w.t.Cleanup(cancel)
		var once sync.Once
		open := func() { once.Do(func() { close(gates[i]); cancel() }) }
		waitFor := func(p *lab.Proc, s string) {
			if p.Stderr.WaitFor(ctx, s) == nil {
				open()
			}
		}
		go waitFor(e.proc, "pipe on the direct path")
		for _, p := range []*lab.Proc{a.proc, b.proc} {
			for _, s := range settled {
				go waitFor(p, s)
			}
			go func() {
				select {
				case <-p.Done():
					open()
				case <-ctx.Done():
				}
			}()
		}
	}
}

// gatedReader reads the first before bytes of r, then the rest once gate is closed.
type gatedReader struct {
	ctx    context.Context
	r      io.Reader
	before int64
	gate   <-chan struct{}
}

func (g *gatedReader) Read(p []byte) (int, error) {
	if g.before > 0 {
		if int64(len(p)) > g.before {
			p = p[:g.before]
		}
		n, err := g.r.Read(p)
		g.before -= int64(n)
		return n, err
	}
	select {
	case <-g.gate:
	case <-g.ctx.Done():
		return 0, g.ctx.Err()
	}
	return g.r.Read(p)
}
