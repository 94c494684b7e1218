//go:build linux

package commands

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// These tests run the --exec runner with a real sh and real processes, and look at /proc
// to see what is left of them.

// testRunner is an exec runner for cmd with a bare environment plus env.
func testRunner(cmd string, maxRunning int, timeout time.Duration, env ...string) *execRunner {
	return newExecRunner(cmd, maxRunning, 0, timeout, append([]string{"PATH=" + os.Getenv("PATH")}, env...), nil)
}

func question(text string) execQuestion {
	return execQuestion{Peer: "alice", PeerFull: "alice-x1y2", Topic: "question", Content: json.RawMessage(strconv.Quote(text))}
}

// groupMembers lists the live (not zombie) processes of process group pgid.
func groupMembers(t *testing.T, pgid int) []string {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var live []string
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue // gone meanwhile
		}
		// pid (comm) state ppid pgrp ...: comm may hold spaces, so split after its ')'.
		s := string(stat)
		rest := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(rest) < 3 {
			continue
		}
		if g, _ := strconv.Atoi(rest[2]); g == pgid && rest[0] != "Z" && rest[0] != "X" {
			live = append(live, e.Name()+" "+s[:strings.LastIndexByte(s, ')')+1])
		}
	}
	return live
}

// groupGone waits, up to 10 s, until process group pgid has no live member and none of
// pids is alive, and returns what is still running then (nil: all gone). A SIGKILL sent to
// a group is delivered to each member on its own: after the runner has reaped the shell,
// the others may still be dying, so the process table is never read just once.
func groupGone(t *testing.T, pgid int, pids ...int) []string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		left := groupMembers(t, pgid)
		for _, pid := range pids {
			if processAlive(pid) {
				left = append(left, fmt.Sprintf("%d (alive)", pid))
			}
		}
		if len(left) == 0 || time.Now().After(deadline) {
			return left
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// processAlive reports whether pid is a live (not zombie) process.
func processAlive(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(stat)
	rest := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	return len(rest) > 0 && rest[0] != "Z" && rest[0] != "X"
}

// fifo makes a named pipe and opens it read-write, so that reading it never sees EOF
// between writers; reads give up at the test's deadline.
func fifo(t *testing.T) (string, *bufio.Reader) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	if d, ok := t.Deadline(); ok {
		_ = f.SetReadDeadline(d.Add(-5 * time.Second))
	}
	return path, bufio.NewReader(f)
}

func readLine(t *testing.T, r *bufio.Reader) string {
	t.Helper()
	line, err := r.ReadString('\n')
	if err != nil {
		t.Fatalf("reading the fifo: %v", err)
	}
	return strings.TrimSpace(line)
}

func TestExecAnswer(t *testing.T) {
	t.Parallel()
	r := testRunner(`printf '%s|%s|%s|' "$RTCHAT_PEER" "$RTCHAT_PEER_FULL" "$RTCHAT_TOPIC"; cat; echo`, 1, 10*time.Second)
	q := question("how are you?")
	q.Topic = "uptime"
	ans, err := r.answer(t.Context(), q)
	if err != nil || ans != "alice|alice-x1y2|uptime|how are you?" {
		t.Errorf("answer %q, %v", ans, err)
	}
	// A question that is not a JSON string reaches the command as JSON.
	q.Content = json.RawMessage(`{"n":1}`)
	if ans, err := r.answer(t.Context(), q); err != nil || ans != `alice|alice-x1y2|uptime|{"n":1}` {
		t.Errorf("JSON question: answer %q, %v", ans, err)
	}
	// A failing command: its exit status and the last line of its stderr.
	r = testRunner(`echo first >&2; echo "no such thing" >&2; exit 3`, 1, 10*time.Second)
	if _, err := r.answer(t.Context(), question("x")); err == nil || err.Error() != "exit status 3: no such thing" {
		t.Errorf("failing command: %v", err)
	}
	// An answer of exactly the limit passes, with its trailing newline dropped.
	r = testRunner(fmt.Sprintf(`head -c %d /dev/zero | tr '\0' a; echo`, maxAnswer), 1, 10*time.Second)
	if ans, err := r.answer(t.Context(), question("x")); err != nil || len(ans) != maxAnswer {
		t.Errorf("answer of %d bytes: %d bytes, %v", maxAnswer, len(ans), err)
	}
	r = testRunner(fmt.Sprintf(`head -c %d /dev/zero | tr '\0' a`, maxAnswer+1), 1, 10*time.Second)
	if _, err := r.answer(t.Context(), question("x")); !errors.Is(err, errAnswerTooBig) {
		t.Errorf("answer of %d bytes: %v, want the limit error", maxAnswer+1, err)
	}
}

// TestExecBusy: at most --exec-max commands run; a question beyond that is answered "busy"
// at once, and a finished command frees its place.
func TestExecBusy(t *testing.T) {
	t.Parallel()
	ready, rd := fifo(t)
	r := testRunner(`if [ "$RTCHAT_TOPIC" = block ]; then echo started > "$READY"; exec sleep 1000; fi; echo quick`,
		2, time.Minute, "READY="+ready)
	block := question("x")
	block.Topic = "block"
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = r.answer(ctx, block)
		}()
	}
	// Both commands are running once both said so.
	readLine(t, rd)
	readLine(t, rd)
	if _, err := r.answer(t.Context(), question("x")); err == nil || err.Error() != "busy: 2 questions running and 0 waiting, try again" {
		t.Errorf("third question: %v, want busy", err)
	}
	cancel()
	wg.Wait()
	for i, err := range errs {
		if err == nil || !strings.Contains(err.Error(), "cancelled") {
			t.Errorf("blocked question %d: %v, want cancelled", i, err)
		}
	}
	if ans, err := r.answer(t.Context(), question("x")); err != nil || ans != "quick" {
		t.Errorf("after the others ended: %q, %v", ans, err)
	}
}

// TestExecQueue: with every slot taken, a question waits in the queue and is answered once
// a slot frees; one more than the queue holds is answered "busy".
func TestExecQueue(t *testing.T) {
	t.Parallel()
	ready, rd := fifo(t)
	r := newExecRunner(`if [ "$RTCHAT_TOPIC" = block ]; then echo started > "$READY"; exec sleep 1000; fi; echo quick`,
		1, 1, time.Minute, []string{"PATH=" + os.Getenv("PATH"), "READY=" + ready}, nil)
	block := question("x")
	block.Topic = "block"
	ctx, cancel := context.WithCancel(t.Context())
	blocked := make(chan error, 1)
	go func() { _, err := r.answer(ctx, block); blocked <- err }()
	readLine(t, rd)
	waited := make(chan string, 1)
	go func() { ans, _ := r.answer(t.Context(), question("x")); waited <- ans }()
	// The queue holds one: wait until the second question sits in it, then a third is busy.
	deadline := time.Now().Add(10 * time.Second)
	for len(r.queue) == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if _, err := r.answer(t.Context(), question("x")); err == nil || !strings.Contains(err.Error(), "busy") {
		t.Errorf("question beyond the queue: %v, want busy", err)
	}
	cancel()
	<-blocked
	select {
	case ans := <-waited:
		if ans != "quick" {
			t.Errorf("queued question answered %q", ans)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the queued question was never answered")
	}
}

// TestExecKillsProcessGroup: cancelling a question kills the command and what it started
// in the background, not the shell alone.
func TestExecKillsProcessGroup(t *testing.T) {
	t.Parallel()
	ready, rd := fifo(t)
	r := testRunner(`sleep 1000 & echo $! > "$READY"; sleep 1000`, 1, time.Minute, "READY="+ready)
	var pgid int
	r.started = func(pid int) { pgid = pid }
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		_, err := r.answer(ctx, question("x"))
		done <- err
	}()
	bg, err := strconv.Atoi(readLine(t, rd))
	if err != nil {
		t.Fatal(err)
	}
	if !processAlive(bg) {
		t.Fatalf("the background sleep %d is not running", bg)
	}
	cancel()
	if err := <-done; err == nil {
		t.Fatal("a cancelled question was answered")
	}
	if left := groupGone(t, pgid, bg); len(left) > 0 {
		t.Errorf("left running in process group %d (background sleep %d): %v", pgid, bg, left)
	}
}

// TestExecTimeout: a command that never ends is killed, group and all, at --exec-timeout,
// and the asker gets an error answer saying so.
func TestExecTimeout(t *testing.T) {
	t.Parallel()
	r := testRunner(`sleep 1000 & sleep 1000`, 1, 200*time.Millisecond)
	var pgid int
	r.started = func(pid int) { pgid = pid }
	_, err := r.answer(t.Context(), question("x"))
	if err == nil || err.Error() != "the answering command timed out after 200ms" {
		t.Fatalf("never-ending command: %v", err)
	}
	if left := groupGone(t, pgid); len(left) > 0 {
		t.Errorf("left running in process group %d: %v", pgid, left)
	}
	// Done commands leave nothing behind either: the group goes with the shell.
	ready, rd := fifo(t)
	r = testRunner(`sleep 1000 & echo $! > "$READY"; echo done`, 1, time.Minute, "READY="+ready)
	r.started = func(pid int) { pgid = pid }
	if ans, err := r.answer(t.Context(), question("x")); err != nil || ans != "done" {
		t.Fatalf("answer %q, %v", ans, err)
	}
	bg, _ := strconv.Atoi(readLine(t, rd))
	if left := groupGone(t, pgid, bg); len(left) > 0 {
		t.Errorf("left running after the answer: %v (background sleep %d)", left, bg)
	}
}

// TestExecOutputCap: unbounded output is cut off at the answer limit as it streams: the
// group is killed, the asker gets an error answer, and our memory stays small.
//
// Not parallel: it measures this process's allocations.
func TestExecOutputCap(t *testing.T) {
	r := testRunner(`yes`, 1, time.Minute)
	var pgid int
	r.started = func(pid int) { pgid = pid }
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := r.answer(t.Context(), question("x"))
	runtime.ReadMemStats(&after)
	if !errors.Is(err, errAnswerTooBig) {
		t.Fatalf("yes: %v, want the limit error", err)
	}
	// The old runner read everything first: 100 MB of output cost 283 MB.
	const bound = 4 << 20
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("answering 'yes' allocated %d bytes", alloc)
	if alloc > bound {
		t.Errorf("answering 'yes' allocated %d bytes, want under %d", alloc, bound)
	}
	if left := groupGone(t, pgid); len(left) > 0 {
		t.Errorf("left running: %v", left)
	}
	// A flood on stderr is not kept whole: only its tail, for the last line.
	r = testRunner(`head -c 50000000 /dev/zero >&2; echo >&2; echo "the end" >&2; exit 1`, 1, time.Minute)
	runtime.ReadMemStats(&before)
	_, err = r.answer(t.Context(), question("x"))
	runtime.ReadMemStats(&after)
	if err == nil || err.Error() != "exit status 1: the end" {
		t.Errorf("stderr flood: %v", err)
	}
	alloc = after.TotalAlloc - before.TotalAlloc
	t.Logf("50 MB of stderr allocated %d bytes", alloc)
	if alloc > bound {
		t.Errorf("50 MB of stderr allocated %d bytes, want under %d", alloc, bound)
	}
}

func TestTailBuffer(t *testing.T) {
	var b tailBuffer
	for i := range 10000 {
		fmt.Fprintf(&b, "line %d\n", i)
		if cap(b.b) > 4*execStderrTail {
			t.Fatalf("tail buffer grew to %d bytes", cap(b.b))
		}
	}
	if s := b.String(); len(s) != execStderrTail || !strings.HasSuffix(s, "line 9999\n") {
		t.Errorf("tail: %d bytes ending %q", len(s), s[len(s)-12:])
	}
	b.Write(make([]byte, 3*execStderrTail)) // one write bigger than the tail
	if len(b.String()) != execStderrTail {
		t.Errorf("after a big write: %d bytes", len(b.String()))
	}
}

// TestExecCrash: a command killed by a signal says so in its error answer.
func TestExecCrash(t *testing.T) {
	t.Parallel()
	r := testRunner(`echo dying >&2; kill -SEGV $$`, 1, time.Minute)
	if _, err := r.answer(t.Context(), question("x")); err == nil || err.Error() != "signal: segmentation fault: dying" {
		t.Errorf("crashing command: %v", err)
	}
}
