// Package e2e runs the real rtchat binary as separate processes against a real MQTT broker
// (the embedded one in-process, or Debian's mosquitto) on 127.0.0.1 with --ice loopback.
package e2e

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rtchat/rtchat/internal/racecheck"
	"github.com/rtchat/rtchat/internal/testbroker"
	"github.com/rtchat/rtchat/rtc/broker"
)

var (
	rtchatBin string
	// binDir holds binaries the tests build (rtchat, test peers); removed after the tests.
	binDir string
	// races collects the race reports of rtchat processes (built with -race when the tests
	// run with it); every world fails its test on a new one.
	races *racecheck.Reports
)

// rtchatPath is a directory whose "rtchat" is the binary under test: PATH for scripts and
// terminals that type 'rtchat' as a person would.
var rtchatPath string

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		// The fast tier (go test -short ./...) leaves out the real-binary tests: building
		// rtchat and running its processes is most of the suite's time.
		fmt.Println("e2e: skipped under -short; the full suite (bash .ci/run) runs it")
		os.Exit(0)
	}
	dir, err := os.MkdirTemp("", "rtchat-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	if races, err = racecheck.New(filepath.Join(dir, "races")); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// For the processes whose environment is not w.env's (scripts, the netns helper).
	os.Setenv("GORACE", strings.TrimPrefix(races.Env(), "GORACE="))
	racecheck.SetEnv(races.BugEnv())
	rtchatBin = filepath.Join(dir, "rtchat")
	if bin := os.Getenv("RTCHAT_E2E_BIN"); bin != "" {
		// A prebuilt binary: e.g. an older build, to show what a test catches.
		rtchatBin = bin
		if abs, err := filepath.Abs(bin); err == nil {
			rtchatBin = abs
		}
	} else {
		build := exec.Command("go", append(append([]string{"build"}, racecheck.BuildFlags()...), "-o", rtchatBin, "../cmd/rtchat")...)
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "building rtchat:", err)
			os.Exit(1)
		}
	}
	if os.Getenv("RTCHAT_E2E_NETNS") == "" { // the netns re-run gets what it needs from its parent
		if err := buildHelpers(dir); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	rtchatPath = filepath.Join(dir, "bin")
	if err := os.MkdirAll(rtchatPath, 0o755); err == nil {
		err = os.Symlink(rtchatBin, filepath.Join(rtchatPath, "rtchat"))
		if err != nil {
			fmt.Fprintln(os.Stderr, "linking rtchat:", err)
			os.Exit(1)
		}
	}
	code := m.Run()
	// Reports of processes outside any world (or after its end) fail the run.
	for _, r := range races.Take() {
		fmt.Fprintf(os.Stderr, "a data race (or a bug report) in a process of the tests: %s\n", r)
		code = 1
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// checkRaces fails t, at its end, on the race reports written meanwhile by the processes
// it started (a process killed at the end has written its reports already).
func checkRaces(t testing.TB) {
	t.Cleanup(func() {
		for _, r := range races.Take() {
			t.Errorf("a data race (or a bug report: an illegal state transition) in an rtchat process: %s", r)
		}
	})
}

// rtchat is the binary w's processes run.
func (w *world) rtchat() string {
	if w.bin != "" {
		return w.bin
	}
	return rtchatBin
}

// helperBins are the programs the tests start besides the rtchat under test, by package
// (as buildOnce names it), built by TestMain.
var helperBins = map[string]string{}

// buildHelpers builds the attackers, the test peers and (under -race) a plain rtchat in one
// go build, before any test starts, so that no test spends its deadline building one: the
// first attack test of a run on a loaded machine did, and ran out of its 90 s.
func buildHelpers(dir string) error {
	pkgs := []string{"./attack/mitm", "./attack/pair", "./attack/room", "./attack/tlsimpostor", "./peers/barebones"}
	if len(racecheck.BuildFlags()) > 0 {
		pkgs = append(pkgs, "../cmd/rtchat")
	}
	out := filepath.Join(dir, "helpers")
	if err := os.Mkdir(out, 0o755); err != nil {
		return err
	}
	build := exec.Command("go", append([]string{"build", "-o", out + string(filepath.Separator)}, pkgs...)...)
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("building the tests' helper programs: %w", err)
	}
	for _, p := range pkgs {
		helperBins[p] = filepath.Join(out, filepath.Base(p))
	}
	return nil
}

// plainRTChat is rtchat built without the race detector, for the tests that bound a
// process's memory: the race runtime's shadow memory multiplies every heap growth. With
// RTCHAT_E2E_BIN it is that binary.
func plainRTChat(t *testing.T) string {
	t.Helper()
	if os.Getenv("RTCHAT_E2E_BIN") != "" || len(racecheck.BuildFlags()) == 0 {
		return rtchatBin
	}
	return buildOnce(t, "../cmd/rtchat")
}

// buildOnce builds the Go program in pkg (a path below e2e/) once per test binary into
// binDir and returns its path.
var (
	builtMu sync.Mutex
	built   = map[string]string{}
)

func buildOnce(t *testing.T, pkg string) string {
	t.Helper()
	builtMu.Lock()
	defer builtMu.Unlock()
	if bin, ok := built[pkg]; ok {
		return bin
	}
	if bin, ok := helperBins[pkg]; ok {
		return bin
	}
	bin := filepath.Join(binDir, strings.ReplaceAll(strings.TrimPrefix(pkg, "./"), "/", "-"))
	if out, err := exec.Command("go", "build", "-o", bin, pkg).CombinedOutput(); err != nil {
		t.Fatalf("building %s: %v\n%s", pkg, err, out)
	}
	built[pkg] = bin
	return bin
}

// testDeadline bounds every e2e test.
const testDeadline = 90 * time.Second

// world is one test's broker and identities.
type world struct {
	t        testing.TB
	ctx      context.Context
	url      string
	tcpAddr  string
	brk      *broker.Broker
	dir      string
	ids      map[string]string // name -> identity string
	mu       sync.Mutex
	extraEnv []string
	// bin, if set, is the rtchat binary of this world's processes instead of rtchatBin
	// (plainRTChat: memory bounds are stated for the release build).
	bin string
}

// newWorld starts an embedded broker on 127.0.0.1 for one test.
func newWorld(t *testing.T) *world {
	t.Helper()
	return newWorldDeadline(t, testDeadline)
}

// newWorldDeadline is newWorld with its own deadline (big transfers need longer).
func newWorldDeadline(t testing.TB, d time.Duration) *world {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	b, err := broker.Start(ctx, broker.Options{TCP: "127.0.0.1:0"})
	if err != nil {
		t.Fatalf("start broker: %v", err)
	}
	checkRaces(t) // first, so that it runs after the processes' cleanups
	w := &world{t: t, ctx: ctx, brk: b, tcpAddr: b.TCPAddr(), url: "mqtt://" + b.TCPAddr(), dir: t.TempDir(), ids: map[string]string{}}
	t.Cleanup(func() {
		if w.brk != nil {
			w.brk.Close()
		}
	})
	return w
}

// newMosquittoWorld runs the same tests against Debian's mosquitto. In CI its absence fails.
func newMosquittoWorld(t *testing.T) *world {
	t.Helper()
	if _, err := testbroker.MosquittoPath(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("mosquitto is required in CI: %v", err)
		}
		t.Skipf("mosquitto not installed (apt-get install mosquitto): %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), testDeadline)
	t.Cleanup(cancel)
	url, stop, err := testbroker.StartMosquitto(ctx, t.TempDir())
	if err != nil {
		t.Fatalf("start mosquitto: %v", err)
	}
	t.Cleanup(stop)
	checkRaces(t)
	return &world{t: t, ctx: ctx, url: url, dir: t.TempDir(), ids: map[string]string{}}
}

// restartBroker stops the embedded broker and starts a new one on the same port.
func (w *world) restartBroker(down func()) {
	w.t.Helper()
	w.brk.Close()
	w.brk = nil
	if down != nil {
		down()
	}
	b, err := broker.Start(w.ctx, broker.Options{TCP: w.tcpAddr})
	if err != nil {
		w.t.Fatalf("restart broker on %s: %v", w.tcpAddr, err)
	}
	w.brk = b
}

func (w *world) configDir(name string) string { return filepath.Join(w.dir, name) }

// env is the environment of one rtchat process acting as name.
func (w *world) env(name string) []string {
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + w.dir,
		"RTCHAT_CONFIG_DIR=" + w.configDir(name),
		"RTCHAT_BROKER=" + w.url,
		"RTCHAT_ICE=loopback",
		"RTCHAT_TIMEOUT=20s",
		races.Env(),
		races.BugEnv(), // an illegal state transition fails the test like a race
	}
	return append(env, w.extraEnv...)
}

// run runs rtchat as name to completion and returns stdout, stderr and the exit code.
func (w *world) run(name string, stdin io.Reader, args ...string) (string, string, int) {
	w.t.Helper()
	cmd := exec.CommandContext(w.ctx, w.rtchat(), args...)
	cmd.Env = w.env(name)
	cmd.Stdin = stdin
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			w.t.Fatalf("run rtchat %v: %v", args, err)
		}
		code = ee.ExitCode()
	}
	return out.String(), errb.String(), code
}

// mustRun runs rtchat and fails the test unless it exits 0.
func (w *world) mustRun(name string, args ...string) string {
	w.t.Helper()
	out, errs, code := w.run(name, nil, args...)
	if code != 0 {
		w.t.Fatalf("rtchat %v as %s: exit %d\nstderr: %s", args, name, code, errs)
	}
	return out
}

// identity makes an identity for name and returns its identity string.
func (w *world) identity(name string) string {
	w.t.Helper()
	out := w.mustRun(name, "keys", "gen", "--name", name)
	id := strings.TrimSpace(out)
	w.mu.Lock()
	w.ids[name] = id
	w.mu.Unlock()
	return id
}

// pin makes a pin b's key.
func (w *world) pin(a, b string) {
	w.t.Helper()
	w.mustRun(a, "keys", "register", w.ids[b])
}

// friends makes identities for every name and pins them all to each other.
func (w *world) friends(names ...string) {
	w.t.Helper()
	for _, n := range names {
		w.identity(n)
	}
	for _, a := range names {
		for _, b := range names {
			if a != b {
				w.pin(a, b)
			}
		}
	}
}

// proc is a background rtchat process, killed at the end of the test.
type proc struct {
	cmd    *exec.Cmd
	stdout *syncBuffer
	stderr *syncBuffer
	done   chan struct{}
	err    error
}

type syncBuffer struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	cond *sync.Cond
}

func newSyncBuffer() *syncBuffer {
	b := &syncBuffer{}
	b.cond = sync.NewCond(&b.mu)
	return b
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n, err := b.buf.Write(p)
	b.cond.Broadcast()
	return n, err
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitFor blocks until the buffer contains s, or the process ends, or ctx expires.
func (p *proc) waitFor(ctx context.Context, b *syncBuffer, s string) error {
	stop := context.AfterFunc(ctx, func() { b.mu.Lock(); b.cond.Broadcast(); b.mu.Unlock() })
	defer stop()
	go func() {
		select {
		case <-p.done:
			b.mu.Lock()
			b.cond.Broadcast()
			b.mu.Unlock()
		case <-ctx.Done():
		}
	}()
	b.mu.Lock()
	defer b.mu.Unlock()
	for !strings.Contains(b.buf.String(), s) {
		if ctx.Err() != nil {
			return fmt.Errorf("waiting for %q: %w", s, ctx.Err())
		}
		select {
		case <-p.done:
			if strings.Contains(b.buf.String(), s) {
				return nil
			}
			return fmt.Errorf("process ended before printing %q", s)
		default:
		}
		b.cond.Wait()
	}
	return nil
}

// start runs rtchat as name in the background.
func (w *world) start(name string, stdin io.Reader, args ...string) *proc {
	w.t.Helper()
	return w.startTo(name, stdin, nil, args...)
}

// startTo is start with the process's stdout going to stdout (nil: a buffer in the proc;
// an *os.File is handed to the process as is).
func (w *world) startTo(name string, stdin io.Reader, stdout io.Writer, args ...string) *proc {
	w.t.Helper()
	cmd := exec.Command(w.rtchat(), args...)
	cmd.Env = w.env(name)
	cmd.Stdin = stdin
	p := &proc{cmd: cmd, stdout: newSyncBuffer(), stderr: newSyncBuffer(), done: make(chan struct{})}
	if stdout == nil {
		stdout = p.stdout
	}
	cmd.Stdout, cmd.Stderr = stdout, p.stderr
	if err := cmd.Start(); err != nil {
		w.t.Fatalf("start rtchat %v: %v", args, err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	w.t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGKILL)
		<-p.done
		if w.t.Failed() {
			w.t.Logf("rtchat %v as %s stderr:\n%s", args, name, p.stderr.String())
		}
	})
	return p
}

// wait waits for the process to exit and returns its exit code.
func (p *proc) wait(ctx context.Context) (int, error) {
	select {
	case <-p.done:
	case <-ctx.Done():
		return -1, fmt.Errorf("process still running: %w", ctx.Err())
	}
	if p.err == nil {
		return 0, nil
	}
	var ee *exec.ExitError
	if errors.As(p.err, &ee) {
		return ee.ExitCode(), nil
	}
	return -1, p.err
}

// listening starts `rtchat listen` as name and waits until it is in the room.
func (w *world) listening(name string, args ...string) *proc {
	w.t.Helper()
	p := w.start(name, nil, append([]string{"listen"}, args...)...)
	if err := p.waitFor(w.ctx, p.stderr, "listening in room"); err != nil {
		w.t.Fatalf("listener %s: %v\n%s", name, err, p.stderr.String())
	}
	return p
}
