package commands

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rtchat/rtchat/rtc/broker"
)

// The network commands run in-process here, as gh tests its commands: Run with buffers for
// the streams, the embedded broker on 127.0.0.1 and real pion peer connections over
// loopback. The e2e tests run the same commands as the real binary.

// netWorld is a broker and the config dirs of peers who pinned each other.
type netWorld struct {
	t    *testing.T
	ctx  context.Context
	url  string
	dirs map[string]string
}

// netDeadline bounds every in-process network test.
const netDeadline = 60 * time.Second

func newNetWorld(t *testing.T, names ...string) *netWorld {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), netDeadline)
	t.Cleanup(cancel)
	b, err := broker.Start(ctx, broker.Options{TCP: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	w := &netWorld{t: t, ctx: ctx, url: "mqtt://" + b.TCPAddr(), dirs: map[string]string{}}
	ids := map[string]string{}
	for _, n := range names {
		w.dirs[n] = t.TempDir()
		w.mustRun(n, "keys", "gen", "--name", n)
		ids[n] = strings.TrimSpace(w.mustRun(n, "keys", "show"))
	}
	for _, a := range names {
		for _, b := range names {
			if a != b {
				w.mustRun(a, "keys", "register", ids[b])
			}
		}
	}
	return w
}

func (w *netWorld) env(name string) func(string) (string, bool) {
	env := map[string]string{
		"RTCHAT_CONFIG_DIR": w.dirs[name], "RTCHAT_BROKER": w.url,
		"RTCHAT_ICE": "loopback", "RTCHAT_TIMEOUT": "20s",
	}
	return func(k string) (string, bool) { v, ok := env[k]; return v, ok }
}

// run runs rtchat ARGS as name to its end: exit code, stdout, stderr.
func (w *netWorld) run(name string, stdin io.Reader, args ...string) (int, string, string) {
	w.t.Helper()
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	out, errb := &waitBuffer{}, &waitBuffer{}
	code := Run(w.ctx, &IO{In: stdin, Out: out, Err: errb, InFd: -1}, args, w.env(name))
	return code, out.String(), errb.String()
}

func (w *netWorld) mustRun(name string, args ...string) string {
	w.t.Helper()
	code, out, errs := w.run(name, nil, args...)
	if code != 0 {
		w.t.Fatalf("%s: rtchat %q: exit %d\n%s", name, args, code, errs)
	}
	return out
}

// bg is a command running in the background until it ends or the test does.
type bg struct {
	out, err *waitBuffer
	done     chan struct{} // closed when Run returned
	code     int           // its exit code, once done
}

// exited waits for the command's end and returns its exit code.
func (b *bg) exited(ctx context.Context) (int, error) {
	select {
	case <-b.done:
		return b.code, nil
	case <-ctx.Done():
		return -1, fmt.Errorf("still running: %w", ctx.Err())
	}
}

// start runs rtchat ARGS as name in the background; stdin stays open (and empty) until
// the test ends.
func (w *netWorld) start(name string, args ...string) *bg {
	w.t.Helper()
	ctx, cancel := context.WithCancel(w.ctx)
	inR, inW := io.Pipe()
	b := &bg{out: &waitBuffer{}, err: &waitBuffer{}, done: make(chan struct{})}
	ios := &IO{In: inR, Out: b.out, Err: b.err, InFd: -1}
	go func() {
		defer close(b.done)
		b.code = Run(ctx, ios, args, w.env(name))
	}()
	w.t.Cleanup(func() {
		cancel()
		inW.Close()
		select {
		case <-b.done:
		case <-time.After(30 * time.Second):
			w.t.Errorf("%s: rtchat %q did not end 30s after it was stopped", name, args)
		}
		if w.t.Failed() {
			w.t.Logf("%s: rtchat %q stderr:\n%s", name, args, b.err.String())
		}
	})
	return b
}

// waitBuffer is a buffer a test can wait on for some text, within the test's deadline.
type waitBuffer struct {
	mu      sync.Mutex
	b       bytes.Buffer
	changed chan struct{}
}

func (b *waitBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.changed != nil {
		close(b.changed)
		b.changed = nil
	}
	return b.b.Write(p)
}

func (b *waitBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// wait returns once the buffer holds s, or an error when ctx ends first.
func (b *waitBuffer) wait(ctx context.Context, s string) error {
	for {
		b.mu.Lock()
		if strings.Contains(b.b.String(), s) {
			b.mu.Unlock()
			return nil
		}
		if b.changed == nil {
			b.changed = make(chan struct{})
		}
		ch := b.changed
		b.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("never saw %q in %q: %w", s, b.String(), ctx.Err())
		}
	}
}

// listening starts 'rtchat listen ARGS' as name and waits until it is in the room.
func (w *netWorld) listening(name string, args ...string) *bg {
	w.t.Helper()
	l := w.start(name, append([]string{"listen"}, args...)...)
	if err := l.err.wait(w.ctx, "listening in room"); err != nil {
		w.t.Fatal(err)
	}
	return l
}

// TestNetAskListen: ask gets the answer of an in-process listen's --exec command, which
// reads the question on stdin and knows who asked; --json gives the answer object.
func TestNetAskListen(t *testing.T) {
	w := newNetWorld(t, "alice", "bob")
	w.listening("bob", "--exec", `printf 'got %s from %s' "$(cat)" "$RTCHAT_PEER"`)
	code, out, errs := w.run("alice", nil, "ask", "bob", "what", "time?")
	if code != 0 || out != "got what time? from alice\n" {
		t.Errorf("ask bob: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	code, out, errs = w.run("alice", nil, "--json", "ask", "--topic", "t1", "bob", "q")
	var ans answerJSON
	last := out[strings.LastIndex(strings.TrimSuffix(out, "\n"), "\n")+1:]
	if code != 0 || json.Unmarshal([]byte(last), &ans) != nil || ans.Type != "answer" || ans.Topic != "t1" ||
		string(ans.Answer) != `"got q from alice"` || ans.Name != "bob" || !ans.Verified {
		t.Errorf("ask --json: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	// Several at once: the same answer, named.
	code, out, errs = w.run("alice", nil, "ask", "--to", "bob", "again")
	if code != 0 || out != "bob: got again from alice\n" {
		t.Errorf("ask --to bob: exit %d, stdout %q, stderr %q", code, out, errs)
	}
}

// TestNetSendDelivers: send exits 0 once bob's listen printed the message, which is then on
// bob's stdout; the same through --to, with the summary on stderr.
func TestNetSendDelivers(t *testing.T) {
	w := newNetWorld(t, "alice", "bob")
	bob := w.listening("bob")
	if code, _, errs := w.run("alice", strings.NewReader("from stdin\n"), "send", "bob"); code != 0 {
		t.Fatalf("send bob: exit %d: %s", code, errs)
	}
	// The confirmation is sent when the core queued the message for printing (rtc's
	// event queue), so the line may come a moment after send exited.
	if err := bob.out.wait(w.ctx, "alice: from stdin\n"); err != nil {
		t.Fatal(err)
	}
	code, _, errs := w.run("alice", nil, "send", "--to", "bob", "two", "words")
	if code != 0 || !strings.Contains(errs, "rtchat: delivered to 1 of 1 peer: bob") {
		t.Errorf("send --to bob: exit %d, stderr %q", code, errs)
	}
	if err := bob.out.wait(w.ctx, "alice: two words\n"); err != nil {
		t.Fatal(err)
	}
	if got := bob.out.String(); got != "alice: from stdin\nalice: two words\n" {
		t.Errorf("bob printed %q", got)
	}
}

// TestNetPipe: a megabyte of random bytes goes from alice's stdin to bob's stdout
// unchanged, and both sides exit 0.
func TestNetPipe(t *testing.T) {
	w := newNetWorld(t, "alice", "bob")
	data := make([]byte, 1<<20)
	if _, err := rand.Read(data); err != nil {
		t.Fatal(err)
	}
	type result struct {
		code      int
		out, errs string
	}
	bobDone := make(chan result, 1)
	go func() {
		code, out, errs := w.run("bob", nil, "pipe", "alice")
		bobDone <- result{code, out, errs}
	}()
	code, out, errs := w.run("alice", bytes.NewReader(data), "pipe", "bob")
	if code != 0 || out != "" {
		t.Errorf("alice's pipe: exit %d, stdout %d bytes, stderr %q", code, len(out), errs)
	}
	select {
	case r := <-bobDone:
		if r.code != 0 || !bytes.Equal([]byte(r.out), data) {
			t.Errorf("bob's pipe: exit %d, %d bytes out (equal: %v), stderr %q", r.code, len(r.out), bytes.Equal([]byte(r.out), data), r.errs)
		}
	case <-w.ctx.Done():
		t.Fatal("bob's pipe never ended")
	}
}

// TestNetConnect: a line piped into 'connect bob' comes out of bob's 'connect alice', and
// one sent to bob's room comes out there; alice exits 0 at the end of her stdin.
func TestNetConnect(t *testing.T) {
	w := newNetWorld(t, "alice", "bob")
	bob := w.start("bob", "connect", "alice")
	if code, _, errs := w.run("alice", strings.NewReader("hello bob\n"), "connect", "bob"); code != 0 {
		t.Fatalf("connect bob: exit %d: %s", code, errs)
	}
	if err := bob.out.wait(w.ctx, "alice: hello bob\n"); err != nil {
		t.Fatal(err)
	}
	if err := bob.err.wait(w.ctx, "left"); err != nil {
		t.Errorf("bob's connect did not say alice left: %v", err)
	}
	if code, err := bob.exited(w.ctx); code != 0 {
		t.Errorf("bob's connect after alice left: exit %d (%v); want 0", code, err)
	}

	room := w.start("bob", "connect")
	if err := room.err.wait(w.ctx, "in room"); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := w.run("alice", nil, "send", "bob", "to the room"); code != 0 {
		t.Fatalf("send to bob's room: exit %d: %s", code, errs)
	}
	if err := room.out.wait(w.ctx, "alice (dm): to the room\n"); err != nil {
		t.Error(err)
	}
}

// TestNetExitCodes: a bad flag or peer name is a usage error (2) before anything is
// reached, a name that is not pinned is refused (3) and a pinned peer that is not there
// times out (4), each with what to do.
func TestNetExitCodes(t *testing.T) {
	w := newNetWorld(t, "alice", "bob")
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"send", "--bogus", "bob", "hi"}, 2, "unknown flag: --bogus"},
		{[]string{"send", "bob(1a2b)", "hi"}, 2, `peer name "bob(1a2b)"`},
		{[]string{"ask", "bob"}, 2, "missing QUESTION"},
		{[]string{"send", "--to", "bob", "--all", "hi"}, 2, "--to and --all do not go together"},
		{[]string{"connect", "--settle", "1s", "bob"}, 2, "--settle is for the room"},
		{[]string{"pipe", "bob", "carol"}, 2, "too many arguments"},
		{[]string{"send", "bbo", "hi"}, 3, "did you mean bob?"},
		{[]string{"--timeout", "1", "ask", "bob", "q"}, 4, "rtchat: hint: "},
	} {
		code, out, errs := w.run("alice", nil, c.args...)
		if code != c.code || out != "" || !strings.Contains(errs, c.want) {
			t.Errorf("rtchat %q: exit %d, stdout %q, stderr %q; want exit %d saying %q", c.args, code, out, errs, c.code, c.want)
		}
	}
}
