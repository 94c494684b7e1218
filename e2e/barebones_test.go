package e2e

import (
	"encoding/json"
	"os/exec"
	"strings"
	"syscall"
	"testing"
)

// startBarebones runs the web client's barebones client (no identity keys) as name.
func startBarebones(t *testing.T, w *world, name string) (*proc, func(line string)) {
	t.Helper()
	cmd := exec.Command(buildOnce(t, "./peers/barebones"), "--broker", w.url, "--room", "chat", "--name", name)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, stdout: newSyncBuffer(), stderr: newSyncBuffer(), done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.stdout, p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGKILL)
		<-p.done
	})
	return p, func(line string) { _, _ = stdin.Write([]byte(line + "\n")) }
}

// TestBarebonesClient: a client without identity keys is refused at once with exit 3 and the
// reason (never a timeout); under --trust unverified send and listen work with it, what it
// says is marked unverified, and pipe still refuses it.
func TestBarebonesClient(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.identity("alice")
	zed, say := startBarebones(t, w, "zed")

	_, errs, code := w.run("alice", nil, "--trust", "tofu", "send", "zed", "hi")
	if code != 3 || !strings.Contains(errs, "without identity keys") || !strings.Contains(errs, "--trust unverified") {
		t.Fatalf("send to a keyless client: exit %d, stderr %s; want 3 with the reason", code, errs)
	}
	if strings.Contains(errs, "timed out") {
		t.Fatalf("refused by a timeout: %s", errs)
	}

	if _, errs, code := w.run("alice", nil, "--trust", "unverified", "send", "zed", "hello zed"); code != 0 {
		t.Fatalf("send --trust unverified: exit %d, stderr %s", code, errs)
	}
	if err := zed.waitFor(w.ctx, zed.stdout, "chat alice("); err != nil || !strings.Contains(zed.stdout.String(), "hello zed") {
		t.Fatalf("zed never got the message: %v\n%s", err, zed.stdout.String())
	}

	l := w.start("alice", nil, "--trust", "unverified", "--json", "listen")
	if err := l.waitFor(w.ctx, l.stdout, `"type":"verified"`); err != nil {
		t.Fatalf("listener never connected to zed: %v\n%s", err, l.stderr.String())
	}
	say("from a client without keys")
	if err := l.waitFor(w.ctx, l.stdout, "from a client without keys"); err != nil {
		t.Fatalf("listener never printed zed's line: %v", err)
	}
	for _, line := range strings.Split(l.stdout.String(), "\n") {
		var o map[string]any
		if json.Unmarshal([]byte(line), &o) != nil || o["type"] != "message" {
			continue
		}
		if o["verified"] != false || o["name"] != "zed" {
			t.Fatalf("message object %v: want verified false", o)
		}
	}

	if _, errs, code := w.run("alice", nil, "--trust", "unverified", "--timeout", "3s", "pipe", "zed"); code == 0 {
		t.Fatalf("pipe to a keyless client exited 0: %s", errs)
	}
}
