package e2e

import (
	"syscall"
	"testing"

	"github.com/rtchat/rtchat/rtc/signal"
)

// TestSIGTERMLeavesCleanly: a listener stopped by SIGTERM publishes unload and exits 0.
func TestSIGTERMLeavesCleanly(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.friends("bob")
	topic, err := signal.Topic("chat")
	if err != nil {
		t.Fatal(err)
	}
	watch, err := signal.Dial(w.ctx, signal.Config{BrokerURL: w.url, Topic: topic})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = watch.Close(w.ctx) })
	l := w.listening("bob")
	if err := l.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code, err := l.wait(w.ctx); err != nil || code != 0 {
		t.Fatalf("listener after SIGTERM: exit %d, %v; stderr:\n%s", code, err, l.stderr.String())
	}
	for {
		select {
		case payload, ok := <-watch.Messages():
			if !ok {
				t.Fatal("watcher closed before the unload arrived")
			}
			env, err := signal.Decode(payload)
			if err != nil {
				t.Fatalf("listener published a bad payload: %v", err)
			}
			if env.Subtopic == signal.SubUnload {
				if len(payload)%2 != 1 || string(env.Data) != `"disconnecting"` {
					t.Fatalf("unload %q: want odd length and data \"disconnecting\"", payload)
				}
				return
			}
		case <-w.ctx.Done():
			t.Fatal("no unload published before exit")
		}
	}
}
