package lab_test

import (
	"context"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rtchat/rtchat/lab"
)

// The core's reconnecting state (--reconnect): a pipe survives a link outage, a NAT that
// forgot its mappings, and a peer stopped for 15 s.

const bigPipe = 64 << 20

func needReconnect(t *testing.T) {
	t.Helper()
	if buildErr != nil {
		t.Fatalf("building the binaries: %v", buildErr)
	}
}

// troubleCase pipes 64 MiB alice→bob (and 1 MiB back), lets trouble happen once bob has
// 8 MiB, and wants exit 0 and equal sha256 on both sides.
func troubleCase(t *testing.T, w *world, ice string, trouble func(a *pipeEnd)) {
	t.Helper()
	a := &pipeEnd{name: "alice", peer: "bob", ns: w.lab.Host("a", 0), ice: ice, seed: 1, size: bigPipe}
	b := &pipeEnd{name: "bob", peer: "alice", ns: w.lab.Host("b", 0), ice: ice, seed: 2, size: 1 << 20}
	w.startPipe(a, b, "--timeout", "60s")
	if err := b.sink.waitBytes(w.ctx, 8<<20, b.proc); err != nil {
		t.Fatalf("before the trouble: %v\n%s", err, tailLines(b.proc.Stderr.String(), 30))
	}
	trouble(a)
	r := w.waitPipe(a, b)
	w.checkPipe(a, b, r)
	for i, s := range r.summary {
		t.Logf("summary %d: %v", i, s)
	}
}

// TestLabReconnectOutage: alice's home loses its link for 4 s in the middle of the pipe
// (every packet through her router dropped; the NAT keeps its mappings).
func TestLabReconnectOutage(t *testing.T) {
	needReconnect(t)
	w := newWorld(t, 3*time.Minute,
		lab.Home{Name: "a", NAT: lab.Cone, Link: lab.Link{Rate: "100mbit"}}, lab.Home{Name: "b", NAT: lab.Cone})
	troubleCase(t, w, lab.STUN(false), func(*pipeEnd) {
		if err := w.lab.Outage(w.ctx, "a", true); err != nil {
			t.Fatal(err)
		}
		t.Log("outage at alice's home")
		time.Sleep(4 * time.Second) // the outage lasts 4 s: a duration under test, not a wait for an event
		t.Logf("router a after the outage: %s", w.lab.Counters(w.ctx, "a"))
		if err := w.lab.Outage(context.Background(), "a", false); err != nil {
			t.Fatal(err)
		}
		t.Log("link back")
	})
}

// TestLabReconnectNATFlush: both homes behind symmetric NATs, relayed by TURN; alice's
// router forgets every mapping mid-pipe (conntrack -F), so her packets to the TURN server
// leave from a new port: her allocation is unreachable, and only an ICE restart (a new
// allocation, new candidates signed through MQTT) brings the pipe back.
func TestLabReconnectNATFlush(t *testing.T) {
	needReconnect(t)
	w := newWorld(t, 3*time.Minute,
		lab.Home{Name: "a", NAT: lab.Symmetric, Link: lab.Link{Rate: "100mbit"}}, lab.Home{Name: "b", NAT: lab.Symmetric})
	troubleCase(t, w, lab.STUN(false)+","+lab.TURNURL("udp"), func(*pipeEnd) {
		if err := w.lab.FlushNAT(w.ctx, "a"); err != nil {
			t.Fatal(err)
		}
		t.Log("alice's NAT flushed its mappings")
	})
}

// TestLabReconnectStopped: alice's rtchat is stopped (SIGSTOP) for 15 s mid-pipe, then
// continued.
func TestLabReconnectStopped(t *testing.T) {
	needReconnect(t)
	w := newWorld(t, 3*time.Minute,
		lab.Home{Name: "a", NAT: lab.Cone, Link: lab.Link{Rate: "100mbit"}}, lab.Home{Name: "b", NAT: lab.Cone})
	troubleCase(t, w, lab.STUN(false), func(a *pipeEnd) {
		if err := a.proc.Signal(syscall.SIGSTOP); err != nil {
			t.Fatal(err)
		}
		t.Log("alice stopped")
		time.Sleep(15 * time.Second) // the stop lasts 15 s: a duration under test
		if err := a.proc.Signal(syscall.SIGCONT); err != nil {
			t.Fatal(err)
		}
		t.Log("alice continued")
	})
}

// TestLabReconnectAddressChange: alice's host gets a new LAN address mid-pipe and loses the
// old one (a laptop's new DHCP lease). Everything bound to the old address goes silent
// without an error, her broker connection too: ICE consent fails, rtchat checks the broker
// connection and makes it again (signal.Conn.Check; paho's keepalive would notice after the
// reconnect window), and an ICE restart with a server-reflexive candidate gathered from the
// new address brings the pipe back. The pipe stays on WebRTC here (no hole punching): the
// direct path's TCP connection is bound to the old address and cannot follow it
// (docs/rtchat-protocol.md, "The direct path"), so across these cone NATs the pipe would
// otherwise move to it and be lost.
func TestLabReconnectAddressChange(t *testing.T) {
	needReconnect(t)
	w := newWorld(t, 3*time.Minute,
		lab.Home{Name: "a", NAT: lab.Cone, Link: lab.Link{Rate: "100mbit"}}, lab.Home{Name: "b", NAT: lab.Cone})
	w.extraEnv = append(w.extraEnv, "RTCHAT_DIRECT_PUNCH=off")
	troubleCase(t, w, lab.STUN(false), func(a *pipeEnd) {
		ip, err := w.lab.ChangeHostAddress(w.ctx, "a", 0)
		if err != nil {
			t.Fatal(err)
		}
		addrs, _ := w.lab.Output(w.ctx, a.ns, "ip", "-4", "-o", "addr", "show", "dev", "eth0")
		routes, _ := w.lab.Output(w.ctx, a.ns, "ip", "-4", "route")
		if strings.Contains(addrs, lab.HostIP(0)+"/") || !strings.Contains(addrs, ip+"/") {
			t.Fatalf("alice's addresses after the change to %s:\n%s", ip, addrs)
		}
		t.Logf("alice moved to %s:\n%s%s", ip, addrs, routes)
	})
}
