package e2e

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
)

func TestAskAnsweredByListenExec(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	testAsk(t, w)
}

func TestAskAgainstMosquitto(t *testing.T) {
	t.Parallel()
	w := newMosquittoWorld(t)
	testAsk(t, w)
	w.friends("carol")
	w.pin("carol", "alice")
	w.pin("alice", "carol")
	testSend(t, w, "carol", w.listening("carol"))
}

func testAsk(t *testing.T, w *world) {
	w.friends("alice", "bob")
	w.listening("bob", "--exec", `printf 'from %s on %s: ' "$RTCHAT_PEER" "$RTCHAT_TOPIC"; cat`)
	out, errs, code := w.run("alice", nil, "ask", "bob", "how", "are", "you?")
	if code != 0 {
		t.Fatalf("ask: exit %d, stderr: %s", code, errs)
	}
	if want := "from alice on question: how are you?\n"; out != want {
		t.Fatalf("ask printed %q, want %q", out, want)
	}
	out, errs, code = w.run("alice", nil, "ask", "--topic", "uptime", "--json", "bob", "x")
	if code != 0 || !strings.Contains(out, `"answer":"from alice on uptime: x"`) || !strings.Contains(out, `"type":"answer"`) {
		t.Fatalf("ask --json: exit %d, out %q, stderr %s", code, out, errs)
	}
}

func TestAskErrorAnswers(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.friends("alice", "bob", "carol")
	w.listening("bob", "--exec", `echo "no such thing" >&2; exit 3`)
	_, errs, code := w.run("alice", nil, "ask", "bob", "x")
	if code != 1 || !strings.Contains(errs, "exit status 3: no such thing") {
		t.Fatalf("failing --exec: exit %d, stderr %q; want 1 with the command's error", code, errs)
	}
	// A listener without --exec answers with an error, never silence.
	w.listening("carol")
	_, errs, code = w.run("alice", nil, "ask", "carol", "x")
	if code != 1 || !strings.Contains(errs, "answers no questions") {
		t.Fatalf("listener without --exec: exit %d, stderr %q", code, errs)
	}
}

func TestSendArrivesOnListenerStdout(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.friends("alice", "bob")
	testSend(t, w, "bob", w.listening("bob"))
}

func testSend(t *testing.T, w *world, to string, l *proc) {
	t.Helper()
	if _, errs, code := w.run("alice", nil, "send", to, "hello", "bob"); code != 0 {
		t.Fatalf("send: exit %d: %s", code, errs)
	}
	// send exits 0 only once the listener printed it: no waiting needed.
	if !strings.Contains(l.stdout.String(), "alice: hello bob\n") {
		t.Fatalf("listener stdout %q lacks the message", l.stdout.String())
	}
	if _, errs, code := w.run("alice", strings.NewReader("from stdin\n"), "send", to); code != 0 {
		t.Fatalf("send from stdin: exit %d: %s", code, errs)
	}
	if !strings.Contains(l.stdout.String(), "alice: from stdin\n") {
		t.Fatalf("listener stdout %q lacks the stdin message", l.stdout.String())
	}
}

func TestKeyMismatchRefused(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.friends("alice", "bob")
	w.identity("mallory")
	w.listening("bob", "--exec", "echo secret")
	// alice's pin for bob is mallory's key: bob cannot prove it.
	_, mkey, _ := strings.Cut(w.ids["mallory"], "|")
	w.mustRun("alice", "keys", "register", "--replace", "bob", mkey)
	out, errs, code := w.run("alice", nil, "ask", "bob", "x")
	if code != 3 || out != "" {
		t.Fatalf("ask to a peer whose key differs from its pin: exit %d, out %q, stderr %s; want exit 3 and nothing on stdout", code, out, errs)
	}
	if !strings.Contains(errs, "did not prove the key pinned") {
		t.Fatalf("stderr does not explain the mismatch: %s", errs)
	}
}

func TestTrustPolicies(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.friends("alice", "bob")
	w.identity("dave")
	w.pin("dave", "bob") // dave knows bob, bob does not know dave
	w.listening("bob", "--exec", "echo hi")
	out, errs, code := w.run("dave", nil, "ask", "bob", "x")
	if code != 3 || out != "" || !strings.Contains(errs, "has not pinned our key") {
		t.Fatalf("unknown peer under 'known': exit %d, out %q, stderr %s; want exit 3 explaining the refusal", code, out, errs)
	}
	// Under tofu a never-seen name is pinned on its first verified connection.
	w.identity("erin")
	w.listening("alice", "--trust", "tofu", "--exec", "echo welcome")
	out, errs, code = w.run("erin", nil, "ask", "--trust", "tofu", "alice", "x")
	if code != 0 || out != "welcome\n" {
		t.Fatalf("tofu ask: exit %d, out %q, stderr %s", code, out, errs)
	}
	list := w.mustRun("alice", "keys", "list")
	if !strings.Contains(list, "erin") {
		t.Fatalf("alice did not pin erin on first use: %s", list)
	}
	list = w.mustRun("erin", "keys", "list")
	if !strings.Contains(list, "alice") {
		t.Fatalf("erin did not pin alice on first use: %s", list)
	}
}

func TestMissingPeerTimesOut(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.friends("alice", "nobody")
	out, errs, code := w.run("alice", nil, "ask", "--timeout", "2s", "nobody", "x")
	if code != 4 || out != "" || !strings.Contains(errs, "no peer named") {
		t.Fatalf("missing peer: exit %d, out %q, stderr %s; want exit 4", code, out, errs)
	}
}

func TestListenerSurvivesKilledPeer(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.friends("alice", "bob")
	l := w.listening("bob", "--exec", "echo still here")
	// A connect session that gets killed hard, mid-connection.
	r, wr, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); wr.Close() })
	c := w.start("alice", r, "connect", "bob")
	if err := c.waitFor(w.ctx, c.stderr, "key verified"); err != nil {
		t.Fatalf("connect: %v\n%s", err, c.stderr.String())
	}
	fmt.Fprintln(wr, "one line before dying")
	if err := l.waitFor(w.ctx, l.stdout, "alice: one line before dying"); err != nil {
		t.Fatalf("listener never printed the chat line: %v", err)
	}
	_ = c.cmd.Process.Signal(syscall.SIGKILL)
	if _, err := c.wait(w.ctx); err != nil {
		t.Fatal(err)
	}
	out, errs, code := w.run("alice", nil, "ask", "bob", "x")
	if code != 0 || out != "still here\n" {
		t.Fatalf("ask after a killed peer: exit %d, out %q, stderr %s", code, out, errs)
	}
}

func TestConnectBothWays(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.friends("alice", "bob")
	// Two interactive sessions addressing each other: both offer at once (crossing
	// offers), the tie-break decides, and lines flow both ways.
	ra, wa, _ := os.Pipe()
	rb, wb, _ := os.Pipe()
	t.Cleanup(func() { ra.Close(); wa.Close(); rb.Close(); wb.Close() })
	a := w.start("alice", ra, "connect", "bob")
	b := w.start("bob", rb, "connect", "alice")
	for _, p := range []*proc{a, b} {
		if err := p.waitFor(w.ctx, p.stderr, "key verified"); err != nil {
			t.Fatalf("connect: %v\n%s", err, p.stderr.String())
		}
	}
	fmt.Fprintln(wa, "hi bob")
	fmt.Fprintln(wb, "hi alice")
	if err := b.waitFor(w.ctx, b.stdout, "alice: hi bob"); err != nil {
		t.Fatal(err)
	}
	if err := a.waitFor(w.ctx, a.stdout, "bob: hi alice"); err != nil {
		t.Fatal(err)
	}
	wa.Close()
	if code, err := a.wait(w.ctx); err != nil || code != 0 {
		t.Fatalf("connect after EOF: exit %d, %v", code, err)
	}
}

func TestManyAsksAtOnce(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.friends("alice", "bob")
	w.listening("bob", "--exec", `echo "answer $(cat)"`)
	const n = 20
	var wg sync.WaitGroup
	errs := make(chan string, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			out, stderr, code := w.run("alice", nil, "ask", "--timeout", "60s", "bob", fmt.Sprint(i))
			if want := fmt.Sprintf("answer %d\n", i); code != 0 || out != want {
				errs <- fmt.Sprintf("ask %d: exit %d, out %q, stderr %s", i, code, out, stderr)
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func TestListenerReachableAfterBrokerRestart(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.friends("alice", "bob")
	l := w.listening("bob", "--exec", "echo back", "-v")
	if out, errs, code := w.run("alice", nil, "ask", "bob", "x"); code != 0 || out != "back\n" {
		t.Fatalf("ask before restart: exit %d, %q, %s", code, out, errs)
	}
	w.restartBroker(nil)
	if err := l.waitFor(w.ctx, l.stderr, "mqtt: reconnected and subscribed"); err != nil {
		t.Fatalf("listener did not reconnect: %v", err)
	}
	out, errs, code := w.run("alice", nil, "ask", "bob", "x")
	if code != 0 || out != "back\n" {
		t.Fatalf("ask after the broker came back: exit %d, out %q, stderr %s", code, out, errs)
	}
}

func TestNoIdentityIsAClearError(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	_, errs, code := w.run("ghost", nil, "ask", "bob", "x")
	if code != 1 || !strings.Contains(errs, "keys gen") {
		t.Fatalf("no identity: exit %d, stderr %q", code, errs)
	}
}
