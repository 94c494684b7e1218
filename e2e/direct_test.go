package e2e

// The pipe's direct path (docs/rtchat-protocol.md, "The direct path") with real rtchat
// processes: taken when the peers reach each other, given up for WebRTC when a firewall
// drops it, and refused when a man in the middle answers with another certificate. The last
// two change firewall rules, so they run in a network namespace of their own (unshare -n,
// as root, with iptables): the machine's own rules are never touched.

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// pipeSummaryPath reads the path of a pipe's --json summary.
func pipeSummaryPath(t *testing.T, p *proc) string {
	t.Helper()
	return findBenchSummary(t, p.stderr.String()).Path
}

// TestPipeDirectBothWays: two pipe processes on one machine start on WebRTC at once, move
// to the verified direct path mid-transfer when it commits, say so in their summaries, and
// deliver every byte both ways; with --direct=false the same pipe stays on the WebRTC data
// channel.
func TestPipeDirectBothWays(t *testing.T) {
	t.Parallel()
	t.Run("direct", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		w.friends("alice", "bob")
		const na, nb = 3<<20 + 17, 1 << 20
		inA, inB := newGated(newPRNG(1, na), 1<<20), newGated(newPRNG(2, nb), 300_000)
		t.Cleanup(inA.open)
		t.Cleanup(inB.open)
		outA, outB := newSink(), newSink()
		pa := w.startPipe("alice", "bob", inA, outA, "-v", "--json")
		pb := w.startPipe("bob", "alice", inB, outB, "-v", "--json")
		// The first bytes arrive (over WebRTC, or the direct path if it was that quick);
		// then both sides commit, and the rest moves on the direct path.
		if err := outB.waitCount(w.ctx, pb, 1<<20); err != nil {
			t.Fatal(err)
		}
		if err := outA.waitCount(w.ctx, pa, 300_000); err != nil {
			t.Fatal(err)
		}
		for _, p := range []*proc{pa, pb} {
			if err := p.waitFor(w.ctx, p.stderr, "pipe on the direct path"); err != nil {
				t.Fatal(err)
			}
		}
		inA.open()
		inB.open()
		mustExit(t, w.ctx, pa, "alice", 0)
		mustExit(t, w.ctx, pb, "bob", 0)
		if outB.count() != na || outA.count() != nb || outB.sum() != inA.r.sum() || outA.sum() != inB.r.sum() {
			t.Fatalf("bytes differ: alice sent %d %s, bob got %d %s; bob sent %d %s, alice got %d %s",
				na, inA.r.sum(), outB.count(), outB.sum(), nb, inB.r.sum(), outA.count(), outA.sum())
		}
		if pa, pb := pipeSummaryPath(t, pa), pipeSummaryPath(t, pb); pa != "direct" || pb != "direct" {
			t.Fatalf("summaries say alice %q, bob %q; want direct", pa, pb)
		}
	})
	t.Run("webrtc", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		w.friends("alice", "bob")
		pa, pb := pipeBoth(t, w, "alice", "bob", 3<<20+17, 1<<20, false, "--json", "--direct=false")
		if pa, pb := pipeSummaryPath(t, pa), pipeSummaryPath(t, pb); pa != "webrtc" || pb != "webrtc" {
			t.Fatalf("summaries say alice %q, bob %q; want webrtc", pa, pb)
		}
	})
}

// gated is a stdin that stops after its first at bytes until the test opens it.
type gated struct {
	r        *prngReader
	at       int64
	gate     chan struct{}
	openOnce sync.Once
}

func newGated(r *prngReader, at int64) *gated {
	return &gated{r: r, at: at, gate: make(chan struct{})}
}

func (g *gated) open() { g.openOnce.Do(func() { close(g.gate) }) }

func (g *gated) Read(p []byte) (int, error) {
	if n := g.r.n.Load(); n >= g.at {
		<-g.gate
	} else if int64(len(p)) > g.at-n {
		p = p[:g.at-n]
	}
	return g.r.Read(p)
}

// inOwnNetns re-runs the calling test in a new network namespace (unshare -n) and reports
// false in the parent, which only checks that the child passed; in the child (true) the
// loopback interface is up and the test may change firewall rules. It skips where
// namespaces or iptables are not available (not root, an unprivileged container).
func inOwnNetns(t *testing.T) bool {
	t.Helper()
	if os.Getenv("RTCHAT_E2E_NETNS") == "1" {
		if out, err := exec.Command("ip", "link", "set", "lo", "up").CombinedOutput(); err != nil {
			t.Fatalf("ip link set lo up: %v\n%s", err, out)
		}
		return true
	}
	for _, tool := range []string{"unshare", "ip", "iptables"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("needs %s (.ci/run installs iptables): %v", tool, err)
		}
	}
	if out, err := exec.Command("unshare", "-n", "iptables", "-L", "-n").CombinedOutput(); err != nil {
		t.Skipf("cannot make a network namespace with iptables here (root needed): %v\n%s", err, out)
	}
	cmd := exec.Command("unshare", "-n", os.Args[0], "-test.run", "^"+t.Name()+"$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), "RTCHAT_E2E_NETNS=1", "RTCHAT_E2E_BIN="+rtchatBin, "RTCHAT_E2E_IMPOSTOR="+impostorBin(t),
		"RTCHAT_E2E_TURNMITM="+turnMITMBin(t))
	out, err := cmd.CombinedOutput()
	t.Logf("in a network namespace of its own:\n%s", out)
	if err != nil {
		t.Fatalf("the test failed in its network namespace: %v", err)
	}
	if !strings.Contains(string(out), "--- PASS: "+t.Name()) {
		t.Fatal("the test did not pass in its network namespace (skipped?)")
	}
	return false
}

// impostorBin builds the direct path's man in the middle (e2e/attack/tlsimpostor).
func impostorBin(t *testing.T) string {
	t.Helper()
	if bin := os.Getenv("RTCHAT_E2E_IMPOSTOR"); bin != "" {
		return bin
	}
	if bin, ok := helperBins["./attack/tlsimpostor"]; ok {
		return bin
	}
	bin := filepath.Join(t.TempDir(), "tlsimpostor")
	if out, err := exec.Command("go", "build", "-o", bin, "./attack/tlsimpostor").CombinedOutput(); err != nil {
		t.Fatalf("building the impostor: %v\n%s", err, out)
	}
	return bin
}

// iptables adds one rule in the test's own network namespace.
func iptables(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command("iptables", args...).CombinedOutput(); err != nil {
		t.Fatalf("iptables %v: %v\n%s", args, err, out)
	}
}

// brokerPort is the embedded broker's port: the one TCP port the firewall rules leave alone.
func (w *world) brokerPort(t *testing.T) string {
	t.Helper()
	i := strings.LastIndex(w.tcpAddr, ":")
	if i < 0 {
		t.Fatalf("broker address %q", w.tcpAddr)
	}
	return w.tcpAddr[i+1:]
}

// TestPipeDirectBlockedFallsBack: a firewall drops every new TCP connection except the
// broker's, so the direct path never comes up; both processes carry on over WebRTC, say so,
// and deliver every byte both ways.
func TestPipeDirectBlockedFallsBack(t *testing.T) {
	if !inOwnNetns(t) {
		return
	}
	w := newWorld(t)
	w.friends("alice", "bob")
	iptables(t, "-A", "OUTPUT", "-o", "lo", "-p", "tcp", "--syn", "!", "--dport", w.brokerPort(t), "-j", "DROP")
	pa, pb := pipeBoth(t, w, "alice", "bob", 2<<20, 1<<20+3, false, "--json")
	if pa, pb := pipeSummaryPath(t, pa), pipeSummaryPath(t, pb); pa != "webrtc" || pb != "webrtc" {
		t.Fatalf("summaries say alice %q, bob %q; want webrtc", pa, pb)
	}
	// The rule did drop the attempts (the test would prove nothing otherwise).
	out, err := exec.Command("iptables", "-L", "OUTPUT", "-v", "-n", "-x").CombinedOutput()
	if err != nil {
		t.Fatal(err)
	}
	if dropped := droppedPackets(string(out)); dropped == 0 {
		t.Fatalf("the firewall dropped nothing:\n%s", out)
	}
}

// droppedPackets sums the packet counters of the DROP rules in `iptables -L -v -n -x`.
func droppedPackets(listing string) int64 {
	var n int64
	for _, line := range strings.Split(listing, "\n") {
		f := strings.Fields(line)
		if len(f) > 2 && f[2] == "DROP" {
			v, _ := strconv.ParseInt(f[0], 10, 64)
			n += v
		}
	}
	return n
}

// TestPipeDirectImpostorRefused: a man in the middle takes over every direct connection
// (the firewall redirects them to it, as ARP or DNS spoofing on a LAN would) and answers
// with a certificate of its own. Neither process accepts it: it completes no handshake and
// reads nothing, and the pipe carries on over WebRTC with every byte intact.
func TestPipeDirectImpostorRefused(t *testing.T) {
	if !inOwnNetns(t) {
		return
	}
	w := newWorld(t)
	w.friends("alice", "bob")
	im := exec.Command(impostorBin(t), "-listen", "127.0.0.1:0")
	stdout, err := im.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	im.Stderr = os.Stderr
	if err := im.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { _ = im.Process.Kill(); <-done })
	events := make(chan map[string]any, 64)
	go func() {
		defer close(done)
		defer close(events)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			var ev map[string]any
			if json.Unmarshal(sc.Bytes(), &ev) == nil {
				events <- ev
			}
		}
	}()
	ready := <-events
	addr, _ := ready["addr"].(string)
	port := addr[strings.LastIndex(addr, ":")+1:]
	if ready["event"] != "ready" || port == "" {
		t.Fatalf("impostor: %v", ready)
	}
	iptables(t, "-t", "nat", "-A", "OUTPUT", "-o", "lo", "-p", "tcp", "!", "--dport", w.brokerPort(t), "-j", "REDIRECT", "--to-ports", port)

	pa, pb := pipeBoth(t, w, "alice", "bob", 2<<20, 1<<20+3, false, "--json")
	if pa, pb := pipeSummaryPath(t, pa), pipeSummaryPath(t, pb); pa != "webrtc" || pb != "webrtc" {
		t.Fatalf("summaries say alice %q, bob %q; want webrtc", pa, pb)
	}
	if err := im.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	var summary map[string]any
	var log []string
	for ev := range events {
		log = append(log, fmt.Sprint(ev))
		if ev["event"] == "summary" {
			summary = ev
		}
	}
	if summary == nil {
		t.Fatalf("no summary from the impostor:\n%s", strings.Join(log, "\n"))
	}
	if summary["accepted"].(float64) == 0 {
		t.Fatalf("no direct connection reached the impostor (the attack did not happen):\n%s", strings.Join(log, "\n"))
	}
	if summary["handshake_ok"].(float64) != 0 || summary["read_bytes"].(float64) != 0 {
		t.Fatalf("the impostor got a handshake or bytes:\n%s", strings.Join(log, "\n"))
	}
	t.Logf("impostor: %v", summary)
}
