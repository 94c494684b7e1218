package e2e

// A relay with two DTLS sessions (e2e/attack/turnmitm): the only attack that the DTLS
// fingerprint check, and nothing else, stops once rtchat peers prove themselves by their
// signed signaling instead of rtchat.prove (docs/rtchat-protocol.md, "The signal proof").

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// turnMITMBin is the malicious TURN server (built by TestMain, or handed to a netns re-run).
func turnMITMBin(t *testing.T) string {
	t.Helper()
	if bin := os.Getenv("RTCHAT_E2E_TURNMITM"); bin != "" {
		return bin
	}
	if bin, ok := helperBins["./attack/turnmitm"]; ok {
		return bin
	}
	bin := filepath.Join(t.TempDir(), "turnmitm")
	if out, err := exec.Command("go", "build", "-o", bin, "./attack/turnmitm").CombinedOutput(); err != nil {
		t.Fatalf("building the TURN attacker: %v\n%s", err, out)
	}
	return bin
}

// turnAttacker is the running attacker: the room's broker and its only TURN server.
type turnAttacker struct {
	cmd    *exec.Cmd
	stderr *syncBuffer
	mu     sync.Mutex
	events []mitmEvent
	done   chan struct{}
}

func startTurnAttacker(t *testing.T, w *world, watch string) (a *turnAttacker, mqttURL, turnAddr string) {
	t.Helper()
	a = &turnAttacker{cmd: exec.Command(turnMITMBin(t), "--watch", watch), stderr: newSyncBuffer(), done: make(chan struct{})}
	a.cmd.Stderr = a.stderr
	stdout, err := a.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := a.cmd.Start(); err != nil {
		t.Fatalf("start the attacker: %v", err)
	}
	ready := make(chan mitmEvent, 1)
	go func() {
		defer close(a.done)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			var ev mitmEvent
			if json.Unmarshal(sc.Bytes(), &ev) != nil {
				continue
			}
			a.mu.Lock()
			a.events = append(a.events, ev)
			a.mu.Unlock()
			if ev.str("event") == "ready" {
				ready <- ev
			}
		}
	}()
	t.Cleanup(func() {
		_ = a.cmd.Process.Kill()
		_ = a.cmd.Wait()
	})
	select {
	case ev := <-ready:
		return a, ev.str("mqtt"), ev.str("turn")
	case <-a.done:
		t.Fatalf("the attacker ended before it was ready:\n%s", a.stderr.String())
	case <-w.ctx.Done():
		t.Fatalf("the attacker was not ready in time:\n%s", a.stderr.String())
	}
	return nil, "", ""
}

// stop ends the attacker and returns its summary.
func (a *turnAttacker) stop(t *testing.T, w *world) mitmEvent {
	t.Helper()
	_ = a.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-a.done:
	case <-w.ctx.Done():
		t.Fatal("the attacker did not stop")
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	var lines []string
	for _, ev := range a.events {
		b, _ := json.Marshal(ev)
		lines = append(lines, string(b))
	}
	t.Logf("attacker:\n  %s", strings.Join(lines, "\n  "))
	for i := len(a.events) - 1; i >= 0; i-- {
		if a.events[i].str("event") == "summary" {
			return a.events[i]
		}
	}
	t.Fatal("the attacker wrote no summary")
	return nil
}

// TestAttackTURNRelayTwoDTLSSessions: alice and bob, pinned to each other, can reach each
// other only through the room's TURN server (a network namespace with nothing but loopback,
// the server's STUN answers naming an unreachable address), and that server is the attacker.
// It relays ICE untouched and terminates DTLS with each of them under its own certificate,
// re-encrypting what one sends for the other. alice's signed offer and bob's signed answer
// verify; only the certificate check against the signed SDP's fingerprint can refuse this.
// alice's ask must fail, print nothing, and the attacker must never read the question.
// (With pion's fingerprint check and rtchat's own both removed, the ask succeeds through it
// and it reads "hello": the signal proof rests on that check.)
func TestAttackTURNRelayTwoDTLSSessions(t *testing.T) {
	if !inOwnNetns(t) {
		return
	}
	w := mitmNewWorld(t)
	const secret = "tell-nobody"
	atk, url, turnAddr := startTurnAttacker(t, w, secret)
	w.url = url
	w.extraEnv = append(w.extraEnv, "RTCHAT_ICE=turn:u:p@"+turnAddr)
	w.friends("alice", "bob")
	bob := w.listening("bob", "-v", "--exec", "tr a-z A-Z")
	out, errs, code := w.run("alice", nil, "-v", "ask", "bob", secret)
	sum := atk.stop(t, w)
	mitmLogStderr(t, "alice", errs)
	mitmLogStderr(t, "bob", bob.stderr.String())
	if n, _ := sum["client_hellos"].(float64); n == 0 {
		t.Fatalf("no DTLS handshake passed through the attacker: it was not on the path, the test proves nothing")
	}
	if seen, _ := sum["watched_seen"].(bool); seen {
		t.Errorf("ATTACK SUCCEEDED: the relay decrypted alice's question (%v bytes of plaintext relayed)", sum["relayed"])
	}
	if code == 0 || strings.Contains(out, strings.ToUpper(secret)) {
		t.Errorf("ATTACK SUCCEEDED: alice's ask through the relay exited %d with stdout %q", code, out)
	} else if out != "" || (code != 3 && code != 4) {
		t.Errorf("alice's ask exited %d with stdout %q; want 3 or 4 and nothing on stdout", code, out)
	}
	for who, stderr := range map[string]string{"alice": errs, "bob": bob.stderr.String()} {
		if v := mitmVerifiedLines(stderr); len(v) > 0 {
			t.Errorf("ATTACK SUCCEEDED: %s reports a peer verified through the relay:\n  %s", who, strings.Join(v, "\n  "))
		}
	}
}
