//go:build linux

package e2e

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// execFifo makes a named pipe in a fresh directory and opens it read-write (so reading never
// sees EOF between writers); reads give up when the world's deadline passes.
func execFifo(t *testing.T, w *world) (string, *bufio.Reader) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ready")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	if d, ok := w.ctx.Deadline(); ok {
		_ = f.SetReadDeadline(d)
	}
	return path, bufio.NewReader(f)
}

// execLeftovers lists the live processes running argv whose environment holds marker.
func execLeftovers(t *testing.T, marker string, argv ...string) []int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	want := []byte(strings.Join(argv, "\x00") + "\x00")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || !bytes.Equal(cmdline, want) { // a zombie's cmdline is empty
			continue
		}
		environ, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err == nil && bytes.Contains(environ, []byte(marker+"\x00")) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// TestExecBudgets runs 'rtchat listen --exec' with a command that never ends, one at a time
// and 15s each: a second question is answered "busy" at once, the first gets an error
// answer at 15s (exit 1, not the asker's own timeout, exit 4), and the command's processes
// are gone. The budget is long because the second ask must arrive while the first command
// runs: a new process that starts, connects and verifies took over 2s under load (the
// budget was 2s, and the second question then found the listener idle).
func TestExecBudgets(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.friends("alice", "bob")
	ready, rd := execFifo(t, w)
	w.listening("bob", "--exec", `echo "$RTCHAT_PEER $RTCHAT_TOPIC" > '`+ready+`'; sleep 100`,
		"--exec-max", "1", "--exec-queue", "0", "--exec-timeout", "15s")

	first := w.start("alice", nil, "ask", "--timeout", "60s", "--topic", "slow", "bob", "x")
	line, err := rd.ReadString('\n')
	if err != nil {
		t.Fatalf("the --exec command did not start: %v\nasker: %s", err, first.stderr.String())
	}
	if line != "alice slow\n" {
		t.Errorf("the command's environment said %q, want RTCHAT_PEER alice and RTCHAT_TOPIC slow", line)
	}

	_, errs, code := w.run("alice", nil, "ask", "bob", "y")
	if code != 1 || !strings.Contains(errs, "busy: 1 question running and 0 waiting, try again") {
		t.Errorf("second question while one runs: exit %d, stderr %q; want 1, busy", code, errs)
	}

	code, err = first.wait(w.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if errs := first.stderr.String(); code != 1 || !strings.Contains(errs, "the answering command timed out after 15s") {
		t.Errorf("never-ending command: ask exit %d, stderr %q; want 1 with the timeout answer", code, errs)
	}
	// The listener answered after its command's process group was dead and reaped.
	if left := execLeftovers(t, "RTCHAT_CONFIG_DIR="+w.configDir("bob"), "sleep", "100"); len(left) > 0 {
		t.Errorf("the --exec command's sleep is still running: pids %v", left)
	}
}
