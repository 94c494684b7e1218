package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// pastBudget lowers both budgets of connections not yet verified in every process of a
// world (RTCHAT_TEST_PENDING_BUDGET), so that a handful of processes exceeds them as a room
// of dozens exceeds the real ones (32 strangers, 128 vouched).
const pastBudget = 3

// TestRoomPastBudget: a room of 9 processes, all pinned to each other, that start at once
// while each may hold only 3 connections not yet verified: each has 8 to make. Every one
// joins every other exactly once and no connection ends: what a budget refused or evicted
// is tried again until it succeeds. Before retries (and separate budgets for pinned peers),
// each process joined only the peers that fit in its first waves and the room never
// reached a full mesh.
func TestRoomPastBudget(t *testing.T) {
	t.Parallel()
	w := newWorldDeadline(t, 3*time.Minute)
	w.extraEnv = append(w.extraEnv, fmt.Sprintf("RTCHAT_TEST_PENDING_BUDGET=%d", pastBudget))
	const n = 9
	names := roomNames(n)
	roomIdentities(t, w, names)
	procs := startRooms(t, w, names)
	for _, p := range procs {
		objs := p.waitJoined(t, w.ctx, n-1)
		if j := joinedPeers(objs); len(j) != n-1 {
			t.Fatalf("%s joined %d peers: %v", p.who, len(j), j)
		}
	}
	procs[0].say(t, "hello past the budget")
	for _, p := range procs[1:] {
		p.waitMessage(t, w.ctx, names[0], "chat", "hello past the budget")
	}
	meshSteady(t, procs)
	stopRooms(t, w, procs)
}

// TestAskAllPastBudget: ask --all to 8 listeners while the asker may hold only 3
// connections not yet verified: every listener answers, each once.
func TestAskAllPastBudget(t *testing.T) {
	t.Parallel()
	w := newWorldDeadline(t, 3*time.Minute)
	w.extraEnv = append(w.extraEnv, fmt.Sprintf("RTCHAT_TEST_PENDING_BUDGET=%d", pastBudget))
	const n = 8
	w.identity("alice")
	var want strings.Builder
	for i := range n {
		name := fmt.Sprintf("l%d", i)
		w.identity(name)
		w.pin("alice", name)
		w.pin(name, "alice")
		fmt.Fprintf(&want, "%s: answer of %s\n", name, name)
	}
	for i := range n {
		name := fmt.Sprintf("l%d", i)
		w.listening(name, "--exec", "echo answer of "+name)
	}
	out, errs, code := w.run("alice", nil, "ask", "--all", "--settle", "3s", "x")
	if code != 0 || out != want.String() {
		t.Errorf("ask --all to %d listeners past the budget: exit %d, stdout:\n%s\nwant:\n%s\nstderr:\n%s", n, code, out, want.String(), errs)
	}
}

// TestAskAllProgressTerminal: on a terminal, ask --all shows a progress line on stderr while
// the peers are verified and answer (redrawn in place), and removes it before the answers
// are printed; with stderr not a terminal nothing of it is written (TestSendAskAll).
func TestAskAllProgressTerminal(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.identity("alice")
	for _, name := range []string{"l1", "l2"} {
		w.identity(name)
		w.pin("alice", name)
		w.pin(name, "alice")
		w.listening(name, "--exec", "echo answer of "+name)
	}
	// The pane waits for a line before it runs ask, so that its output is captured from the
	// start (tmux pipe-pane).
	term := newTmuxShell(t, w, "alice", "read _; rtchat ask --all --settle 1s x")
	raw := filepath.Join(t.TempDir(), "raw")
	term.tmux("pipe-pane", "-t", term.name, "-o", "cat >> "+shellQuote(raw))
	term.tmux("send-keys", "-t", term.name, "Enter")
	if code := term.exitStatus(w.ctx); code != 0 {
		t.Fatalf("ask --all on a terminal: exit %d; screen:\n%s", code, term.screen())
	}
	scr := term.waitScreen(w.ctx, "l2: answer of l2")
	b, err := os.ReadFile(raw)
	if err != nil {
		t.Fatal(err)
	}
	out := string(b)
	// The first frame says "looking for peers in room" only when it is drawn before the
	// listeners' replies arrive, which they may well do first: not asked for.
	for _, want := range []string{`\r\x1b\[Krtchat: 2 found, [0-2] verified \(`, `\r\x1b\[Krtchat: [0-2] of 2 answered \(`} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("the terminal output lacks %q:\n%q", want, out)
		}
	}
	if strings.Contains(scr, "answered (") || strings.Contains(scr, "verified (") {
		t.Errorf("the progress line stayed on the screen:\n%s", scr)
	}
}
