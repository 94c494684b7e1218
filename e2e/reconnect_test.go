package e2e

import (
	"io"
	"syscall"
	"testing"
	"time"
)

// TestPipeSurvivesPausedPeer: the receiving side is stopped (SIGSTOP) for 15 s in the middle
// of a pipe, long past ICE's 5 s "disconnected"; once it continues, the pipe resumes and
// both ends exit 0 with every byte delivered once, in order.
func TestPipeSurvivesPausedPeer(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.friends("alice", "bob")
	const total = 24 << 20
	fa := newFeeder(t)
	in := newPRNG(11, total)
	out := newSink()
	pa := w.startPipe("alice", "bob", fa.r, nil, "--timeout", "20s", "-v")
	pb := w.startPipe("bob", "alice", emptyReader{}, out, "--timeout", "20s", "-v")
	fed := make(chan error, 1)
	go func() {
		_, err := io.Copy(fa.w, in)
		fa.w.Close()
		fed <- err
	}()
	if err := out.waitCount(w.ctx, pb, 4<<20); err != nil {
		t.Fatal(err)
	}
	if err := pb.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	// The fault under test: bob stays stopped this long (not a synchronisation).
	select {
	case <-time.After(15 * time.Second):
	case <-w.ctx.Done():
		t.Fatal(w.ctx.Err())
	}
	if err := pb.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	mustExit(t, w.ctx, pa, "alice", 0)
	mustExit(t, w.ctx, pb, "bob", 0)
	if err := <-fed; err != nil {
		t.Fatal(err)
	}
	if out.count() != total || out.sum() != in.sum() {
		t.Fatalf("bob got %d bytes (sha256 %s), alice sent %d (%s)", out.count(), out.sum(), total, in.sum())
	}
	t.Logf("alice: %s", pa.stderr.String())
}

// emptyReader is a stdin at EOF.
type emptyReader struct{}

func (emptyReader) Read([]byte) (int, error) { return 0, io.EOF }
