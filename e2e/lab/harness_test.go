// Package lab_test runs real rtchat binaries on hosts in network namespaces behind real
// NATs (nftables), with Debian's coturn and the rtchat broker in an "internet" namespace
// (see package lab). It needs root, iproute2, nftables, conntrack and coturn; in CI
// (CI set) a lab that cannot be built FAILS the tests, elsewhere it skips them.
package lab_test

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"hash"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rtchat/rtchat/internal/racecheck"
	"github.com/rtchat/rtchat/lab"
)

var (
	rtchatBin string
	toolBin   string
	buildErr  error
	// races collects the race reports of rtchat processes (built with -race when the tests
	// run with it); every world fails its test on a new one.
	races *racecheck.Reports
)

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		fmt.Println("e2e/lab: skipped under -short; the full suite (bash .ci/run) runs it")
		os.Exit(0)
	}
	dir, err := os.MkdirTemp("", "rtchat-lab-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if races, err = racecheck.New(filepath.Join(dir, "races")); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Setenv("GORACE", strings.TrimPrefix(races.Env(), "GORACE="))
	racecheck.SetEnv(races.BugEnv()) // an illegal state transition fails a test like a race
	rtchatBin = filepath.Join(dir, "rtchat")
	toolBin = filepath.Join(dir, "labtool")
	if bin := os.Getenv("RTCHAT_E2E_BIN"); bin != "" {
		rtchatBin = bin
	} else {
		buildErr = gobuild(rtchatBin, "../../cmd/rtchat", racecheck.BuildFlags()...)
	}
	if buildErr == nil {
		buildErr = gobuild(toolBin, "../../lab/labtool")
	}
	code := m.Run()
	for _, r := range races.Take() {
		fmt.Fprintf(os.Stderr, "a data race (or a bug report) in a process of the tests: %s\n", r)
		code = 1
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

func gobuild(out, pkg string, flags ...string) error {
	cmd := exec.Command("go", append(append([]string{"build"}, flags...), "-o", out, pkg)...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	return cmd.Run()
}

// needLab fails (CI) or skips (elsewhere) a test when the lab cannot be built here.
func needLab(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if os.Getenv("CI") != "" || os.Getenv("RTCHAT_LAB") == "1" {
		t.Fatalf("the network lab is required here (CI): %v", err)
	}
	t.Skipf("network lab unavailable (needs root, iproute2, nftables, conntrack, coturn; RTCHAT_LAB=1 makes this fatal): %v", err)
}

// world is one test's lab: namespaces, broker, coturn and two identities.
type world struct {
	t    *testing.T
	ctx  context.Context
	lab  *lab.Lab
	turn *lab.TURN
	dir  string
	ids  map[string]string
	// extraEnv is added to every rtchat process's environment (benchmark variants).
	extraEnv []string
	// benchTURN: the benchmark's /turn profile (relayed rtchat, TCP through labtool tcprelay).
	benchTURN bool
}

// newWorld builds a lab with these homes, starts the broker and coturn, and makes the
// identities alice and bob, pinned to each other. Everything is removed at the end of the
// test, also when it fails.
func newWorld(t *testing.T, deadline time.Duration, homes ...lab.Home) *world {
	t.Helper()
	if buildErr != nil {
		t.Fatalf("building the binaries: %v", buildErr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	t.Cleanup(cancel)
	// First, so that it runs after the processes' cleanups (a killed process has written
	// its reports already).
	t.Cleanup(func() {
		for _, r := range races.Take() {
			t.Errorf("a data race (or a bug report: an illegal state transition) in an rtchat process: %s", r)
		}
	})
	dir := t.TempDir()
	l, err := lab.Start(ctx, lab.Config{Homes: homes, Tool: toolBin, Dir: dir, Logf: t.Logf})
	needLab(t, err)
	w := &world{t: t, ctx: ctx, lab: l, dir: dir, ids: map[string]string{}}
	// RTCHAT_LAB_ENV="K=V K=V" adds settings to every rtchat process (knobs, experiments).
	w.extraEnv = strings.Fields(os.Getenv("RTCHAT_LAB_ENV"))
	t.Cleanup(func() {
		if t.Failed() {
			for _, h := range homes {
				t.Logf("router %s counters: %s", h.Name, l.Counters(context.Background(), h.Name))
			}
			if w.turn != nil {
				if b, err := os.ReadFile(w.turn.Log); err == nil {
					_ = os.WriteFile(filepath.Join(os.TempDir(), "rtchat-lab-coturn-last.log"), b, 0o600)
					t.Logf("coturn log (tail; whole log in $TMPDIR/rtchat-lab-coturn-last.log):\n%s", tailLines(string(b), 40))
				}
			}
		}
		l.Close()
	})
	if _, err := l.StartBroker(ctx, rtchatBin); err != nil {
		t.Fatal(err)
	}
	// RTCHAT_LAB_TURN_RELAYBUF=BYTES: coturn's relay sockets get at least BYTES of buffer
	// (lab.TURNConfig; the benchmark's /turn profiles with a better-provisioned relay).
	var tc lab.TURNConfig
	if v := os.Getenv("RTCHAT_LAB_TURN_RELAYBUF"); v != "" {
		if tc.RelayBuffer, err = strconv.Atoi(v); err != nil {
			t.Fatalf("RTCHAT_LAB_TURN_RELAYBUF: %v", err)
		}
	}
	w.turn, err = l.StartTURNWith(ctx, tc)
	needLab(t, err)
	if dir := os.Getenv("RTCHAT_LAB_PCAP"); dir != "" {
		// Debugging: every packet in the internet namespace and on each home's LAN.
		if err := l.Capture(ctx, l.Inet(), "any", filepath.Join(dir, t.Name()+"-inet.pcap")); err != nil {
			t.Fatal(err)
		}
		for _, h := range homes {
			if err := l.Capture(ctx, l.Router(h.Name), "any", filepath.Join(dir, t.Name()+"-r"+h.Name+".pcap")); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, n := range []string{"alice", "bob"} {
		w.mustRun(n, "keys", "gen", "--name", n)
	}
	w.pin("alice", "bob")
	w.pin("bob", "alice")
	return w
}

func tailLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func (w *world) configDir(name string) string { return filepath.Join(w.dir, "cfg-"+name) }

// env is the environment of an rtchat process acting as name with this --ice value.
func (w *world) env(name, ice string) []string {
	return append([]string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + w.dir,
		"RTCHAT_CONFIG_DIR=" + w.configDir(name),
		"RTCHAT_BROKER=" + lab.BrokerURL,
		"RTCHAT_ICE=" + ice,
		"RTCHAT_ICE_CA=" + w.turn.CAFile,
		"RTCHAT_TIMEOUT=20s",
		races.Env(),
	}, w.extraEnv...)
}

// mustRun runs rtchat as name in the root namespace (keys only: no network).
func (w *world) mustRun(name string, args ...string) string {
	w.t.Helper()
	cmd := exec.CommandContext(w.ctx, rtchatBin, args...)
	cmd.Env = w.env(name, "none")
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		w.t.Fatalf("rtchat %v as %s: %v\n%s", args, name, err, stderr)
	}
	return string(out)
}

func (w *world) pin(a, b string) {
	w.t.Helper()
	id := strings.TrimSpace(w.mustRun(b, "keys", "show"))
	w.mustRun(a, "keys", "register", id)
}

// start runs rtchat as name on a host namespace.
func (w *world) start(ns, name, ice string, stdin io.Reader, stdout io.Writer, args ...string) *lab.Proc {
	w.t.Helper()
	p, err := w.lab.StartProcWith(w.ctx, ns, func(c *exec.Cmd) {
		c.Env = w.env(name, ice)
		c.Stdin = stdin
		if stdout != nil {
			c.Stdout = stdout
		}
	}, rtchatBin, args...)
	if err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(func() {
		p.Kill()
		if w.t.Failed() {
			// The whole log, for a failure that began long before its last lines.
			path := filepath.Join(os.TempDir(), "rtchat-lab-"+strings.ReplaceAll(w.t.Name(), "/", "_")+fmt.Sprintf("-%s-%d.log", name, p.Cmd.Process.Pid))
			_ = os.WriteFile(path, []byte(p.Stderr.String()), 0o600)
			w.t.Logf("rtchat %v as %s in %s, stderr (tail; whole log in %s):\n%s", args, name, ns, path, tailLines(p.Stderr.String(), 60))
		}
	})
	return p
}

// ---- data ----

// prng is a deterministic pseudo-random stream of n bytes that hashes what it gave.
type prng struct {
	src  *rand.ChaCha8
	left int64
	h    hash.Hash
}

func newPRNG(seed byte, n int64) *prng {
	return &prng{src: rand.NewChaCha8([32]byte{seed, 'l', 'a', 'b'}), left: n, h: sha256.New()}
}

func (r *prng) Read(p []byte) (int, error) {
	if r.left == 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > r.left {
		p = p[:r.left]
	}
	n, _ := r.src.Read(p)
	r.h.Write(p[:n])
	r.left -= int64(n)
	return n, nil
}

func expectedSum(seed byte, n int64) string {
	r := newPRNG(seed, n)
	_, _ = io.Copy(io.Discard, r)
	return hex.EncodeToString(r.h.Sum(nil))
}

// hashSink hashes and counts what a process writes; a test can wait for a byte count.
type hashSink struct {
	mu   sync.Mutex
	cond *sync.Cond
	h    hash.Hash
	n    int64
}

func newHashSink() *hashSink {
	s := &hashSink{h: sha256.New()}
	s.cond = sync.NewCond(&s.mu)
	return s
}

func (s *hashSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.h.Write(p)
	s.n += int64(len(p))
	s.cond.Broadcast()
	return len(p), nil
}

// waitBytes blocks until at least n bytes arrived, the process p ended, or ctx ended.
func (s *hashSink) waitBytes(ctx context.Context, n int64, p *lab.Proc) error {
	stop := context.AfterFunc(ctx, func() { s.mu.Lock(); s.cond.Broadcast(); s.mu.Unlock() })
	defer stop()
	go func() {
		select {
		case <-p.Done():
			s.mu.Lock()
			s.cond.Broadcast()
			s.mu.Unlock()
		case <-ctx.Done():
		}
	}()
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.n < n {
		select {
		case <-p.Done():
			return fmt.Errorf("the process ended after %d of %d bytes", s.n, n)
		default:
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%d of %d bytes: %w", s.n, n, ctx.Err())
		}
		s.cond.Wait()
	}
	return nil
}

func (s *hashSink) result() (string, int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return hex.EncodeToString(s.h.Sum(nil)), s.n
}

// ---- pipe ----

// pipeEnd is one side of a pipe run.
type pipeEnd struct {
	name, peer, ns, ice string
	seed                byte
	size                int64
	proc                *lab.Proc
	sink                *hashSink
}

// pipeResult is what a pipe run gave.
type pipeResult struct {
	codes   [2]int
	summary [2]map[string]any // the --json summary of each side (nil if none)
	stderr  [2]string
}

// startPipe starts `rtchat pipe` on both ends: alice sends sizeA bytes to bob, bob sends
// sizeB to alice, each hashing what it receives.
func (w *world) startPipe(a, b *pipeEnd, extra ...string) {
	for _, e := range []*pipeEnd{a, b} {
		e.sink = newHashSink()
		args := append([]string{"pipe", e.peer, "--json", "-v"}, extra...)
		e.proc = w.start(e.ns, e.name, e.ice, newPRNG(e.seed, e.size), e.sink, args...)
	}
}

// waitPipe waits for both ends and returns their exit codes and summaries.
func (w *world) waitPipe(a, b *pipeEnd) pipeResult {
	w.t.Helper()
	var r pipeResult
	for i, e := range []*pipeEnd{a, b} {
		code, err := e.proc.Wait(w.ctx)
		if err != nil {
			w.t.Fatalf("%s's pipe: %v\nstderr:\n%s", e.name, err, tailLines(e.proc.Stderr.String(), 40))
		}
		r.codes[i] = code
		r.stderr[i] = e.proc.Stderr.String()
		r.summary[i] = jsonObject(r.stderr[i], "summary")
	}
	return r
}

// checkPipe asserts both ends exited 0 and received exactly what the other sent.
func (w *world) checkPipe(a, b *pipeEnd, r pipeResult) {
	w.t.Helper()
	for i, e := range []*pipeEnd{a, b} {
		other := b
		if i == 1 {
			other = a
		}
		got, n := e.sink.result()
		want := expectedSum(other.seed, other.size)
		if r.codes[i] != 0 {
			w.t.Errorf("%s's pipe exited %d\n%s", e.name, r.codes[i], tailLines(r.stderr[i], 30))
		}
		if got != want || n != other.size {
			w.t.Errorf("%s received %d bytes sha256 %s, want %d bytes %s", e.name, n, got[:16], other.size, want[:16])
		}
	}
}

// jsonObject returns the last NDJSON object of a type in text (nil if none).
func jsonObject(text, typ string) map[string]any {
	var last map[string]any
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "{") {
			continue
		}
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil && m["type"] == typ {
			last = m
		}
	}
	return last
}
