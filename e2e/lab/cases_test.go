package lab_test

import (
	"strings"
	"testing"
	"time"

	"github.com/rtchat/rtchat/lab"
)

const pipeSize = 16 << 20

// wantPath is what a case expects of the path both sides report.
type wantPath struct {
	relay    bool
	relayVia string // "": any; else the relay_protocol of the side whose local is relay
	check    func(local, remote string) bool
	what     string
	// transport is what must carry the pipe: "direct" (a verified TLS connection) or
	// "webrtc" (then tried not at all, unless fallback).
	transport string
	// route: how the direct connection must come up: "lan" (host addresses) or "punch"
	// (TCP hole punching through both NATs).
	route string
	// fallback: a punch is tried, fails, and the decider says so within its bound; the
	// pipe stays on WebRTC.
	fallback bool
}

// pipeCase runs a 16 MiB pipe both ways between alice on nsA and bob on nsB, checks exit
// codes and sha256, that an "ask" goes through too, and the path both sides report.
func pipeCase(t *testing.T, w *world, nsA, nsB, iceA, iceB string, want wantPath) {
	t.Helper()
	a := &pipeEnd{name: "alice", peer: "bob", ns: nsA, ice: iceA, seed: 1, size: pipeSize}
	b := &pipeEnd{name: "bob", peer: "alice", ns: nsB, ice: iceB, seed: 2, size: pipeSize}
	w.startPipe(a, b)
	r := w.waitPipe(a, b)
	w.checkPipe(a, b, r)
	relayVia := ""
	for i, e := range []*pipeEnd{a, b} {
		path := jsonObject(r.stderr[i], "path")
		sum := r.summary[i]
		if path == nil || sum == nil {
			t.Errorf("%s printed no path (%v) or no summary (%v)", e.name, path, sum)
			continue
		}
		t.Logf("%s: path %v", e.name, path)
		local, _ := path["local"].(string)
		remote, _ := path["remote"].(string)
		relay, _ := path["relay"].(bool)
		if sum["connection"] != local || sum["remote_connection"] != remote || sum["relay"] != relay || sum["protocol"] != path["protocol"] {
			t.Errorf("%s: the summary %v disagrees with the path %v", e.name, sum, path)
		}
		if relay != want.relay || (want.check != nil && !want.check(local, remote)) {
			t.Errorf("%s: path %s ⇄ %s relay=%v, want %s", e.name, local, remote, relay, want.what)
		}
		if local == "relay" {
			relayVia, _ = path["relay_protocol"].(string)
		}
		switch {
		case want.transport == "direct":
			// The pipe starts on WebRTC and moves when the direct path commits: the
			// commit must happen; the summary says direct once a direction moved, which a
			// pipe whose bytes all went before the commit honestly never did.
			if !strings.Contains(r.stderr[i], "pipe on the direct path") {
				t.Errorf("%s: the direct path never committed (summary: %v)", e.name, sum["transport"])
			} else if sum["transport"] != "direct" {
				t.Logf("%s: committed to the direct path after the last byte (summary %v)", e.name, sum["transport"])
			}
		case sum["transport"] != want.transport:
			t.Errorf("%s: the pipe went %v, want %s", e.name, sum["transport"], want.transport)
		}
		// Where no direct connection can come up (a relay, a symmetric NAT) it is not even
		// tried: it would hold the first byte for a second or more and then fail.
		if tried := !strings.Contains(r.stderr[i], "direct: no attempt"); want.transport == "webrtc" && !want.fallback && tried {
			t.Errorf("%s tried the direct path over %s ⇄ %s", e.name, local, remote)
		}
		if want.route != "" && !strings.Contains(r.stderr[i], "route="+want.route) {
			t.Errorf("%s: no direct attempt by route %s", e.name, want.route)
		}
	}
	if want.fallback && !strings.Contains(r.stderr[0]+r.stderr[1], "direct: no connection, carrying on over WebRTC") {
		t.Errorf("no side tried the direct path and fell back to WebRTC")
	}
	if want.relayVia != "" && relayVia != want.relayVia {
		t.Errorf("relayed over %q, want %q", relayVia, want.relayVia)
	}
	// A question and its answer over the same path.
	w.askCase(nsA, nsB, iceA, iceB)
}

// askCase: bob listens and answers with a command; alice asks.
func (w *world) askCase(nsA, nsB, iceA, iceB string) {
	w.t.Helper()
	l := w.start(nsB, "bob", iceB, nil, nil, "listen", "--exec", "echo pong")
	if err := l.WaitOutput(w.ctx, "listening in room"); err != nil {
		w.t.Fatalf("listener: %v", err)
	}
	q := w.start(nsA, "alice", iceA, nil, nil, "ask", "bob", "ping")
	code, err := q.Wait(w.ctx)
	if err != nil || code != 0 || !strings.Contains(q.Stdout.String(), "pong") {
		w.t.Errorf("ask: exit %d %v, answer %q\n%s", code, err, q.Stdout.String(), tailLines(q.Stderr.String(), 20))
	}
	l.Kill()
}

func notHostPair(local, remote string) bool { return !(local == "host" && remote == "host") }

// TestLabSameLAN: two hosts on one LAN talk over their host candidates, with the STUN
// server configured (as by default) but not needed.
func TestLabSameLAN(t *testing.T) {
	w := newWorld(t, 2*time.Minute, lab.Home{Name: "a", NAT: lab.Cone, Hosts: 2})
	ice := lab.STUN(false)
	pipeCase(t, w, w.lab.Host("a", 0), w.lab.Host("a", 1), ice, ice, wantPath{
		check: func(l, r string) bool { return l == "host" && r == "host" }, what: "host ⇄ host, no relay", transport: "direct", route: "lan"})
}

// TestLabConeSTUN: two homes behind endpoint-independent NATs (the same private range in
// both) meet through STUN: server-reflexive candidates, no relay; the pipe then moves to
// a direct TLS connection by TCP hole punching (the NATs keep TCP source ports too).
func TestLabConeSTUN(t *testing.T) {
	w := newWorld(t, 2*time.Minute,
		lab.Home{Name: "a", NAT: lab.Cone}, lab.Home{Name: "b", NAT: lab.Cone})
	ice := lab.STUN(false)
	pipeCase(t, w, w.lab.Host("a", 0), w.lab.Host("b", 0), ice, ice, wantPath{
		check: notHostPair, what: "a NAT-mapped pair (srflx/prflx), no relay", transport: "direct", route: "punch"})
}

// TestLabConeTCPRandomFallback: ICE gets through two cone NATs over UDP, but bob's router
// maps every TCP connection to a random port (symmetric for TCP), so the punch is tried
// and no TCP connection forms: the decider gives up within its bound, says so, and the
// pipe moves every byte over WebRTC.
func TestLabConeTCPRandomFallback(t *testing.T) {
	w := newWorld(t, 2*time.Minute,
		lab.Home{Name: "a", NAT: lab.Cone}, lab.Home{Name: "b", NAT: lab.Cone, TCPRandom: true})
	ice := lab.STUN(false)
	pipeCase(t, w, w.lab.Host("a", 0), w.lab.Host("b", 0), ice, ice, wantPath{
		check: notHostPair, what: "a NAT-mapped pair (srflx/prflx), no relay", transport: "webrtc", route: "punch", fallback: true})
}

// TestLabSymmetricTURN: both homes behind symmetric NATs (a new random port per
// destination): only a TURN relay gets through.
func TestLabSymmetricTURN(t *testing.T) {
	w := newWorld(t, 2*time.Minute,
		lab.Home{Name: "a", NAT: lab.Symmetric}, lab.Home{Name: "b", NAT: lab.Symmetric})
	ice := lab.STUN(false) + "," + lab.TURNURL("udp")
	pipeCase(t, w, w.lab.Host("a", 0), w.lab.Host("b", 0), ice, ice, wantPath{
		relay: true, relayVia: "udp", what: "relayed", transport: "webrtc"})
}

// TestLabUDPBlockedTURNTCP: alice's home lets no UDP out; she reaches TURN over TCP, bob
// (a cone NAT) uses STUN and UDP.
func TestLabUDPBlockedTURNTCP(t *testing.T) {
	w := newWorld(t, 2*time.Minute,
		lab.Home{Name: "a", NAT: lab.Cone, BlockUDP: true}, lab.Home{Name: "b", NAT: lab.Cone})
	pipeCase(t, w, w.lab.Host("a", 0), w.lab.Host("b", 0), lab.TURNURL("tcp"), lab.STUN(false)+","+lab.TURNURL("udp"), wantPath{
		relay: true, relayVia: "tcp", what: "relayed, alice over TCP", transport: "webrtc"})
}

// TestLabUDPBlockedTURNS: the same over TLS (turns:), with coturn's certificate signed by
// a test CA that rtchat trusts through RTCHAT_ICE_CA.
func TestLabUDPBlockedTURNS(t *testing.T) {
	w := newWorld(t, 2*time.Minute,
		lab.Home{Name: "a", NAT: lab.Cone, BlockUDP: true}, lab.Home{Name: "b", NAT: lab.Cone})
	pipeCase(t, w, w.lab.Host("a", 0), w.lab.Host("b", 0), lab.TURNURL("tls"), lab.STUN(false)+","+lab.TURNURL("udp"), wantPath{
		relay: true, relayVia: "tls", what: "relayed, alice over TLS", transport: "webrtc"})
}

// TestLabSymmetricSTUNOnly: two symmetric NATs and no TURN server cannot connect; both
// sides fail within --timeout with exit 4 and an error whose hint names TURN and
// 'rtchat doctor'.
func TestLabSymmetricSTUNOnly(t *testing.T) {
	w := newWorld(t, 2*time.Minute,
		lab.Home{Name: "a", NAT: lab.Symmetric}, lab.Home{Name: "b", NAT: lab.Symmetric})
	ice := lab.STUN(false)
	a := &pipeEnd{name: "alice", peer: "bob", ns: w.lab.Host("a", 0), ice: ice, seed: 1, size: 1 << 20}
	b := &pipeEnd{name: "bob", peer: "alice", ns: w.lab.Host("b", 0), ice: ice, seed: 2, size: 1 << 20}
	start := time.Now()
	w.startPipe(a, b, "--timeout", "12s")
	r := w.waitPipe(a, b)
	took := time.Since(start)
	for i, e := range []*pipeEnd{a, b} {
		errObj := jsonObject(r.stderr[i], "error")
		if r.codes[i] != 4 || errObj == nil {
			t.Errorf("%s: exit %d, error %v; want exit 4 (timed out)", e.name, r.codes[i], errObj)
			continue
		}
		text, _ := errObj["error"].(string)
		hint, _ := errObj["hint"].(string)
		if !strings.Contains(text, "appeared") || !strings.Contains(hint, "TURN") || !strings.Contains(hint, "rtchat doctor") {
			t.Errorf("%s: error %q hint %q: want the peer named as seen, and a hint naming TURN and 'rtchat doctor'", e.name, text, hint)
		}
	}
	t.Logf("both gave up after %v (--timeout 12s)", took.Round(100*time.Millisecond))
}
