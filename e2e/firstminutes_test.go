package e2e

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// startScript runs a shell script as name (rtchat first on PATH) in dir, with stdin.
func (w *world) startScript(name, dir string, stdin *os.File, script string, env ...string) *proc {
	w.t.Helper()
	cmd := exec.Command("bash", "-c", script)
	cmd.Dir = dir
	cmd.Env = append(append(w.env(name), "PATH="+rtchatPath+":"+os.Getenv("PATH")), env...)
	cmd.Stdin = stdin
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // the cleanup kills the whole pipeline
	p := &proc{cmd: cmd, stdout: newSyncBuffer(), stderr: newSyncBuffer(), done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.stdout, p.stderr
	if err := cmd.Start(); err != nil {
		w.t.Fatalf("start %q: %v", script, err)
	}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	w.t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
		if w.t.Failed() {
			w.t.Logf("script %q as %s stdout:\n%s\nstderr:\n%s", script, name, p.stdout.String(), p.stderr.String())
		}
	})
	return p
}

// TestPipeGunzipTar: 'rtchat pipe alice | gunzip | tar x' in a script extracts the archive
// as soon as alice's direction ends, even while bob's own stdin is still open (rtchat
// closes its stdout at the peer's EOF, so gunzip and tar see the end at once); bob's rtchat
// then exits 0 when its stdin ends.
func TestPipeGunzipTar(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.friends("alice", "bob")
	src, dst := t.TempDir(), t.TempDir()
	files := map[string]string{"a.txt": "alpha\n", "sub/b.txt": strings.Repeat("bravo ", 50000)}
	for name, content := range files {
		if err := os.MkdirAll(filepath.Join(src, filepath.Dir(name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(src, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// bob's stdin: a pipe this test holds open until the archive is out.
	r, wr, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); wr.Close() })
	bob := w.startScript("bob", dst, r, `rtchat pipe alice | { gunzip | tar x && echo extracted; }`)
	r.Close()
	alice := w.startScript("alice", src, nil, `tar cz a.txt sub | rtchat pipe bob`)
	if err := bob.waitFor(w.ctx, bob.stdout, "extracted\n"); err != nil {
		t.Fatalf("tar never finished while bob's stdin was open: %v", err)
	}
	for name, content := range files {
		got, err := os.ReadFile(filepath.Join(dst, name))
		if err != nil || string(got) != content {
			t.Errorf("%s: %d bytes, %v; want %d bytes", name, len(got), err, len(content))
		}
	}
	select {
	case <-bob.done:
		t.Fatal("bob's pipeline ended before its stdin did")
	default:
	}
	// Both rtchat processes end once bob's direction ends too.
	wr.Close()
	mustExit(t, w.ctx, bob, "bob's pipeline", 0)
	mustExit(t, w.ctx, alice, "alice", 0)
}

// exitedBefore runs rtchat as name and fails unless it exits with code want before its own
// --timeout (given in args) would have ended it; it returns stderr.
func exitedBefore(t *testing.T, w *world, limit time.Duration, want int, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(w.ctx, limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, rtchatBin, args...)
	cmd.Env = w.env(name)
	var errb strings.Builder
	cmd.Stderr = &errb
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("rtchat %v was still running at its own --timeout %v: it waited instead of failing at once\n%s", args, limit, errb.String())
	}
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	if code != want {
		t.Fatalf("rtchat %v: exit %d, want %d\n%s", args, code, want, errb.String())
	}
	return errb.String()
}

// TestFailFast: when the answer is known, rtchat says it at once instead of waiting out
// --timeout: a name that is not pinned (a typo) exits 3 with "did you mean", and a broker
// that refuses connections exits 1 naming the URL as given and 'rtchat doctor'.
func TestFailFast(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.friends("alice", "bob")
	const limit = 60 * time.Second
	timeout := "--timeout=" + limit.String()

	errs := exitedBefore(t, w, limit, 3, "alice", timeout, "send", "bbo", "hi")
	if !strings.Contains(errs, `"bbo" is not a pinned peer`) || !strings.Contains(errs, "rtchat: hint: did you mean bob?") {
		t.Errorf("typo: stderr %q", errs)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "mqtt://" + ln.Addr().String()
	ln.Close()
	for _, args := range [][]string{{"send", "bob", "hi"}, {"pipe", "bob"}, {"connect", "bob"}} {
		errs := exitedBefore(t, w, limit, 1, "alice", append([]string{timeout, "--broker", closed}, args...)...)
		if !strings.Contains(errs, "on the broker "+closed+": ") || !strings.Contains(errs, "refused") ||
			!strings.Contains(errs, "rtchat: hint: ") || !strings.Contains(errs, "rtchat doctor") {
			t.Errorf("%v with a refusing broker: stderr %q", args, errs)
		}
	}
}

// TestSendToConnectNamesWhatPeerRuns: bob runs connect, which does not take 'send': the
// timeout says what bob runs and what he should run instead.
func TestSendToConnectNamesWhatPeerRuns(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.friends("alice", "bob")
	r, wr, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); wr.Close() })
	bob := w.start("bob", r, "connect", "alice")
	// bob's waiting 'connect alice' is in the room once it has announced itself; alice's
	// send sees it there and times out naming it.
	_, errs, code := w.run("alice", nil, "--timeout", "3s", "send", "bob", "hi")
	if code != 4 || !strings.Contains(errs, "runs 'rtchat connect'") || !strings.Contains(errs, "rtchat listen") {
		t.Errorf("send to a connect: exit %d, stderr %q", code, errs)
	}
	_ = bob
}

// TestListenShowsPeerTextSafely: a multi-line message is prefixed on every line (no line
// can pass for another peer's) and escape sequences are shown, not obeyed, in listen's plain
// output; --json carries the raw text.
func TestListenShowsPeerTextSafely(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.friends("alice", "bob")
	msg := "hi\nbob: forged line\x1b[2J\r\x07 tail"
	send := func() {
		t.Helper()
		if _, errs, code := w.run("alice", strings.NewReader(msg), "send", "bob"); code != 0 {
			t.Fatalf("send: exit %d: %s", code, errs)
		}
	}
	plain := w.listening("bob")
	send()
	want := "alice: hi\nalice: bob: forged line\\x1b[2J\\r\\x07 tail\n"
	if got := plain.stdout.String(); got != want {
		t.Errorf("listen's stdout %q, want %q", got, want)
	}
	if err := plain.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	mustExit(t, w.ctx, plain, "listen after SIGTERM", 0)

	js := w.start("bob", nil, "--json", "listen")
	if err := js.waitFor(w.ctx, js.stdout, `"type":"listening"`); err != nil {
		t.Fatal(err)
	}
	send()
	if err := js.waitFor(w.ctx, js.stdout, `"text":"hi\nbob: forged line\u001b[2J\r\u0007 tail"`); err != nil {
		t.Errorf("listen --json did not carry the raw text: %v\n%s", err, js.stdout.String())
	}
}

// TestConnectPipedLines: piped into connect, lines go out as they are (a 60,000-byte line,
// the limit, arrives whole; an empty line is not sent) and nothing is printed for a person
// ("Ctrl-D"); a 70,000-byte line is a clear error and nothing of it is sent.
func TestConnectPipedLines(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.friends("alice", "bob")
	bob := w.listening("bob")
	r, wr, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); wr.Close() })
	alice := w.start("alice", r, "connect", "bob")
	r.Close()
	max := strings.Repeat("m", 60000)
	if _, err := wr.WriteString("first\n\n" + max + "\n"); err != nil {
		t.Fatal(err)
	}
	if err := bob.waitFor(w.ctx, bob.stdout, "alice: "+max+"\n"); err != nil {
		t.Fatalf("the 60,000-byte line did not arrive: %.100v; bob printed %d bytes", err, len(bob.stdout.String()))
	}
	if _, err := wr.WriteString(strings.Repeat("x", 70000) + "\nnever\n"); err != nil {
		t.Fatal(err)
	}
	wr.Close()
	mustExit(t, w.ctx, alice, "alice", 1)
	errs := alice.stderr.String()
	if !strings.Contains(errs, "line 4 is 70000 bytes, over the 60000-byte limit of a message; nothing of it was sent") {
		t.Errorf("connect with a too-long line: stderr %q", errs)
	}
	if strings.Contains(errs, "Ctrl-D") || strings.Contains(errs, "token too long") {
		t.Errorf("stderr speaks to a terminal or of scanner tokens: %q", errs)
	}
	if got := bob.stdout.String(); got != "alice: first\nalice: "+max+"\n" {
		t.Errorf("bob printed %d bytes: %.80q…, want the first line and the long one only", len(got), got)
	}
}
