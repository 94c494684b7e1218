package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// tmuxSession runs one command in a detached tmux pane and reads its screen, so a test sees
// what a person at a terminal would see.
type tmuxSession struct {
	t      *testing.T
	socket string
	name   string
	status string // file the pane's shell writes the command's exit status to
}

func newTmux(t *testing.T, w *world, who string, args ...string) *tmuxSession {
	t.Helper()
	line := shellQuote(rtchatBin)
	for _, a := range args {
		line += " " + shellQuote(a)
	}
	return newTmuxShell(t, w, who, line)
}

// newTmuxShell runs a shell command line (redirections, pipelines) in the pane, with the
// world's environment for who and the rtchat binary first on PATH.
func newTmuxShell(t *testing.T, w *world, who, line string) *tmuxSession {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("tmux is required in CI (apt-get install tmux): %v", err)
		}
		t.Skipf("tmux not installed: %v", err)
	}
	dir := t.TempDir()
	s := &tmuxSession{t: t, socket: filepath.Join(dir, "tmux.sock"), name: "rtchat", status: filepath.Join(dir, "status")}
	// The pane runs the line with the world's environment for who; remain-on-exit keeps
	// the pane so the test can read its screen after the end. The shell writes the exit
	// status to a file: tmux does not always record the status of a pane's process.
	line += "; echo $? > " + shellQuote(s.status)
	cmdline := "exec env -i"
	for _, kv := range append(w.env(who), "TERM=xterm", "PATH="+rtchatPath+":"+os.Getenv("PATH")) {
		cmdline += " " + shellQuote(kv)
	}
	cmdline += " bash -c " + shellQuote(line)
	s.tmux("new-session", "-d", "-s", s.name, "-x", "120", "-y", "30", "sh", "-c", cmdline)
	s.tmux("set-option", "-t", s.name, "remain-on-exit", "on")
	t.Cleanup(func() { _ = exec.Command("tmux", "-S", s.socket, "kill-server").Run() })
	return s
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func (s *tmuxSession) tmux(args ...string) string {
	s.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-S", s.socket}, args...)...).CombinedOutput()
	if err != nil {
		s.t.Fatalf("tmux %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func (s *tmuxSession) screen() string {
	// With the scrollback: a dead pane shows its last screen scrolled.
	return s.tmux("capture-pane", "-p", "-S", "-", "-t", s.name)
}

// waitScreen polls the pane until it shows want (tmux offers no push notification of
// screen content); the test's deadline bounds it.
func (s *tmuxSession) waitScreen(ctx context.Context, want string) string {
	s.t.Helper()
	return s.waitScreenFunc(ctx, fmt.Sprintf("%q", want), func(scr string) bool { return strings.Contains(scr, want) })
}

// waitScreenFunc polls the pane until ok accepts it: for a screen that must show several
// things at once (a capture can fall between two writes of one redraw).
func (s *tmuxSession) waitScreenFunc(ctx context.Context, what string, ok func(string) bool) string {
	s.t.Helper()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		scr := s.screen()
		if ok(scr) {
			return scr
		}
		select {
		case <-ctx.Done():
			s.t.Fatalf("the terminal never showed %s; screen:\n%s", what, scr)
		case <-tick.C:
		}
	}
}

// exitStatus waits for the pane's command to end and returns its exit status.
func (s *tmuxSession) exitStatus(ctx context.Context) int {
	s.t.Helper()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		// The shell writes the file once the command has ended.
		if b, err := os.ReadFile(s.status); err == nil && strings.HasSuffix(string(b), "\n") {
			n, err := strconv.Atoi(strings.TrimSpace(string(b)))
			if err != nil {
				s.t.Fatalf("exit status %q: %v", b, err)
			}
			return n
		}
		select {
		case <-ctx.Done():
			s.t.Fatalf("rtchat did not exit; screen:\n%s", s.screen())
		case <-tick.C:
		}
	}
}

func TestConnectInteractiveTerminal(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.friends("alice", "bob")
	r, wr, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); wr.Close() })
	bob := w.start("bob", r, "connect", "alice")
	term := newTmux(t, w, "alice", "connect", "bob")

	// What a person sees: the verified indicator with the fingerprint, then a prompt.
	scr := term.waitScreen(w.ctx, "key verified")
	if !strings.Contains(scr, "connected to bob(") {
		t.Errorf("no connected line naming bob:\n%s", scr)
	}
	term.waitScreen(w.ctx, "\n>") // tmux trims the prompt's trailing space

	term.tmux("send-keys", "-t", term.name, "hello bob", "Enter")
	if err := bob.waitFor(w.ctx, bob.stdout, "alice: hello bob\n"); err != nil {
		t.Fatalf("bob never got the typed line: %v", err)
	}
	fmt.Fprintln(wr, "hi alice")
	scr = term.waitScreen(w.ctx, "bob: hi alice")
	// The peer's line starts a line of its own (not glued to the prompt).
	for _, line := range strings.Split(scr, "\n") {
		if strings.Contains(line, "bob: hi alice") && !strings.HasPrefix(line, "bob: hi alice") {
			t.Errorf("peer line not at the start of a line: %q", line)
		}
	}
	term.tmux("send-keys", "-t", term.name, "C-d")
	if code := term.exitStatus(w.ctx); code != 0 {
		t.Fatalf("Ctrl-D: exit %d; screen:\n%s", code, term.screen())
	}
}

// lastLine is the last non-empty line of a screen.
func lastLine(scr string) string {
	lines := strings.Split(strings.TrimRight(scr, "\n "), "\n")
	return lines[len(lines)-1]
}

// TestPipeReceiveOnlyTerminal: 'rtchat pipe alice > file' typed at a terminal does not read
// the terminal: it receives, ends by itself with exit 0 once alice's bytes are all there,
// and leaves a one-line summary with the bytes each way and what carried them (on one
// machine, the verified direct TLS path).
func TestPipeReceiveOnlyTerminal(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.friends("alice", "bob")
	file := filepath.Join(t.TempDir(), "received.bin")
	term := newTmuxShell(t, w, "bob", "rtchat pipe alice > "+shellQuote(file))
	term.waitScreen(w.ctx, "on alice's machine run 'rtchat pipe bob'") // the waiting line

	const n = 3 << 20
	alice := w.startPipe("alice", "bob", newPRNG(7, n), newSink())
	mustExit(t, w.ctx, alice, "alice", 0)
	if code := term.exitStatus(w.ctx); code != 0 {
		t.Fatalf("receive-only pipe: exit %d; screen:\n%s", code, term.screen())
	}
	scr := term.screen()
	for _, want := range []string{"receiving only", "rtchat: sent 0 B, received 3.0 MiB in ", "/s); direct TLS connection to alice"} {
		if !strings.Contains(scr, want) {
			t.Errorf("screen lacks %q:\n%s", want, scr)
		}
	}
	if strings.Contains(scr, "waiting for alice") {
		t.Errorf("the waiting line was left on the screen:\n%s", scr)
	}
	got, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n || hex.EncodeToString(sha256Sum(got)) != expectedSum(7, n) {
		t.Errorf("received %d bytes, want %d with the sender's checksum", len(got), n)
	}
}

func sha256Sum(b []byte) []byte { s := sha256.Sum256(b); return s[:] }

// TestChatLineSurvivesAndPeerTextEscaped: bob's messages arrive while alice is in the middle
// of a line: they print above her prompt, her half-typed line stays and is sent whole; an
// escape sequence from bob is shown as text, not obeyed; an empty line is not sent; when bob
// quits, alice says he left and exits 0.
func TestChatLineSurvivesAndPeerTextEscaped(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.friends("alice", "bob")
	r, wr, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); wr.Close() })
	bob := w.start("bob", r, "connect", "alice")
	term := newTmux(t, w, "alice", "connect", "bob")
	term.waitScreen(w.ctx, "key verified")
	term.waitScreen(w.ctx, "\n>")

	term.tmux("send-keys", "-t", term.name, "-l", "half typ")
	term.waitScreen(w.ctx, "> half typ")
	fmt.Fprint(wr, "hi alice\n\x1b[2J\x1b[31mred\n")
	// The message and the redrawn prompt are two writes: wait for the screen after both
	// (the deadline fails the test if the half-typed line never comes back).
	scr := term.waitScreenFunc(w.ctx, "bob's escaped line with alice's half-typed line below it", func(scr string) bool {
		return strings.Contains(scr, `bob: \x1b[2J\x1b[31mred`) && lastLine(scr) == "> half typ"
	})
	if !strings.Contains(scr, "bob: hi alice\n") {
		t.Errorf("bob's first line missing:\n%s", scr)
	}
	term.tmux("send-keys", "-t", term.name, "-l", "ed line")
	term.tmux("send-keys", "-t", term.name, "Enter")
	term.tmux("send-keys", "-t", term.name, "Enter") // an empty line: nothing is sent
	term.tmux("send-keys", "-t", term.name, "-l", "after")
	term.tmux("send-keys", "-t", term.name, "Enter")
	if err := bob.waitFor(w.ctx, bob.stdout, "alice: after\n"); err != nil {
		t.Fatalf("bob never got alice's lines: %v", err)
	}
	if got := bob.stdout.String(); got != "alice: half typed line\nalice: after\n" {
		t.Errorf("bob's stdout %q: want the whole typed line, no empty message, then the next", got)
	}

	wr.Close() // bob's stdin ends: bob quits
	mustExit(t, w.ctx, bob, "bob", 0)
	if code := term.exitStatus(w.ctx); code != 0 {
		t.Fatalf("alice after bob left: exit %d; screen:\n%s", code, term.screen())
	}
	if scr := term.screen(); !strings.Contains(scr, "rtchat: bob(") || !strings.Contains(scr, ") left") || strings.Contains(scr, "connection lost") {
		t.Errorf("alice's screen does not say bob left:\n%s", scr)
	}
}

// TestWaitingLineAndCtrlC: a command that waits for its peer says, on the terminal, whom it
// waits for, what the peer must run and for how long it has waited; Ctrl-C then exits 130
// (not "timed out", 4). On a terminal, connect and pipe wait without limit unless a
// timeout is set (a person walks to the other machine); one set in the environment holds.
func TestWaitingLineAndCtrlC(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.friends("alice", "bob")
	for _, c := range []struct {
		args    []string
		unset   bool   // no RTCHAT_TIMEOUT: the default
		waitFor string // what the waiting line says about the limit
	}{
		{[]string{"connect", "bob"}, true, "no time limit: Ctrl-C ends"},
		{[]string{"pipe", "bob"}, true, "no time limit: Ctrl-C ends"},
		{[]string{"connect", "bob"}, false, " of 20s"},
		{[]string{"--timeout", "0", "pipe", "bob"}, false, "no time limit"},
	} {
		t.Run(strings.Join(c.args, "_"), func(t *testing.T) {
			line := shellQuote(rtchatBin)
			for _, a := range c.args {
				line += " " + shellQuote(a)
			}
			if c.unset {
				line = "unset RTCHAT_TIMEOUT; " + line
			}
			term := newTmuxShell(t, w, "alice", line)
			want := "on bob's machine run 'rtchat " + c.args[len(c.args)-2] + " alice'"
			scr := term.waitScreen(w.ctx, want)
			if !strings.Contains(scr, "rtchat: waiting for bob (") {
				t.Errorf("no waiting line:\n%s", scr)
			}
			if !strings.Contains(scr, c.waitFor) {
				t.Errorf("the waiting line does not say %q:\n%s", c.waitFor, scr)
			}
			term.tmux("send-keys", "-t", term.name, "C-c")
			if code := term.exitStatus(w.ctx); code != 130 {
				t.Fatalf("Ctrl-C while waiting: exit %d, want 130; screen:\n%s", code, term.screen())
			}
			if scr := term.screen(); strings.Contains(scr, "timed out") || !strings.Contains(scr, "rtchat: interrupted") {
				t.Errorf("after Ctrl-C:\n%s", scr)
			}
		})
	}
}
