package e2e

import (
	"context"
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
	t          *testing.T
	socket     string
	name       string
	statusFile string // the shell in the pane writes rtchat's exit status here
}

func newTmux(t *testing.T, w *world, who string, args ...string) *tmuxSession {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("tmux is required in CI (apt-get install tmux): %v", err)
		}
		t.Skipf("tmux not installed: %v", err)
	}
	dir := t.TempDir()
	s := &tmuxSession{t: t, socket: filepath.Join(dir, "tmux.sock"), name: "rtchat", statusFile: filepath.Join(dir, "status")}
	// The pane runs rtchat with the world's environment for who; the shell writes its exit
	// status to a file (tmux does not always record a pane's exit status), and
	// remain-on-exit keeps the pane for reading the screen afterwards.
	cmdline := "env -i"
	for _, kv := range append(w.env(who), "TERM=xterm") {
		cmdline += " " + shellQuote(kv)
	}
	cmdline += " " + shellQuote(rtchatBin)
	for _, a := range args {
		cmdline += " " + shellQuote(a)
	}
	cmdline += "; echo $? > " + shellQuote(s.statusFile+".tmp") + " && mv " + shellQuote(s.statusFile+".tmp") + " " + shellQuote(s.statusFile)
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
	return s.tmux("capture-pane", "-p", "-t", s.name)
}

// waitScreen polls the pane until it shows want (tmux offers no push notification of
// screen content); the test's deadline bounds it.
func (s *tmuxSession) waitScreen(ctx context.Context, want string) string {
	s.t.Helper()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		scr := s.screen()
		if strings.Contains(scr, want) {
			return scr
		}
		select {
		case <-ctx.Done():
			s.t.Fatalf("the terminal never showed %q; screen:\n%s", want, scr)
		case <-tick.C:
		}
	}
}

// exitStatus waits for rtchat in the pane to end and returns its exit status.
func (s *tmuxSession) exitStatus(ctx context.Context) int {
	s.t.Helper()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if b, err := os.ReadFile(s.statusFile); err == nil {
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
