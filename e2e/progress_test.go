package e2e

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestPipeProgressPercent: with the size known (--size here; a regular file on stdin is
// covered by commands' TestInputSize) the progress line shows a percentage and an ETA,
// like pv (issue 22).
func TestPipeProgressPercent(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.friends("alice", "bob")
	fifo := filepath.Join(t.TempDir(), "in")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	out := newSink()
	bob := w.startPipe("bob", "alice", emptyReader{}, out)
	term := newTmuxShell(t, w, "alice", "rtchat pipe --size 2000 bob < "+shellQuote(fifo))
	f, err := os.OpenFile(fifo, os.O_WRONLY, 0) // waits for the pane's shell to open it
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(bytes.Repeat([]byte("a"), 1000)); err != nil {
		t.Fatal(err)
	}
	scr := term.waitScreen(w.ctx, "1000 B of 2.0 KiB (50%")
	if !strings.Contains(scr, "ETA ") {
		t.Errorf("the progress line has no ETA:\n%s", scr)
	}
	if _, err := f.Write(bytes.Repeat([]byte("b"), 1000)); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if code := term.exitStatus(w.ctx); code != 0 {
		t.Fatalf("pipe: exit %d; screen:\n%s", code, term.screen())
	}
	mustExit(t, w.ctx, bob, "bob", 0)
	if n := out.count(); n != 2000 {
		t.Fatalf("bob received %d bytes, want 2000", n)
	}
}
