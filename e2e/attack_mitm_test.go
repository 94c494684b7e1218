package e2e

// Attacks by a malicious broker (e2e/attack/mitm): the victims are real rtchat processes, the
// broker is a separate Go program that rewrites the room's signaling and sits in the middle
// with its own pion PeerConnections. Each test asserts that the attack FAILS and logs what
// happened, so that a run against an older build (RTCHAT_E2E_BIN=...) shows what it allowed.

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// mitmPwned is what the attacker puts in place of the real answer.
const mitmPwned = "PWNED"

// mitmDeadline bounds each attack test (the victims' own timeout is 20 s, from world.env).
const mitmDeadline = 75 * time.Second

// The attacker binary is built once for all tests of this file that run at the same time,
// and removed when the last of them ends.
var (
	mitmBuildMu    sync.Mutex
	mitmBuildUsers int
	mitmBuildDir   string
	mitmBuildPath  string
)

func mitmAttackerBin(t *testing.T) string {
	t.Helper()
	if bin, ok := helperBins["./attack/mitm"]; ok {
		return bin
	}
	mitmBuildMu.Lock()
	defer mitmBuildMu.Unlock()
	if mitmBuildPath == "" {
		dir, err := os.MkdirTemp("", "rtchat-mitm-")
		if err != nil {
			t.Fatal(err)
		}
		bin := filepath.Join(dir, "mitm")
		build := exec.Command("go", "build", "-o", bin, "./attack/mitm")
		if out, err := build.CombinedOutput(); err != nil {
			os.RemoveAll(dir)
			t.Fatalf("building the attacker: %v\n%s", err, out)
		}
		mitmBuildDir, mitmBuildPath = dir, bin
	}
	mitmBuildUsers++
	bin := mitmBuildPath
	t.Cleanup(func() {
		mitmBuildMu.Lock()
		defer mitmBuildMu.Unlock()
		if mitmBuildUsers--; mitmBuildUsers == 0 {
			os.RemoveAll(mitmBuildDir)
			mitmBuildDir, mitmBuildPath = "", ""
		}
	})
	return bin
}

// mitmNewWorld is a world without a broker of its own: the attacker will be the broker.
func mitmNewWorld(t *testing.T) *world {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), mitmDeadline)
	t.Cleanup(cancel)
	return &world{t: t, ctx: ctx, dir: t.TempDir(), ids: map[string]string{}}
}

// mitmEvent is one NDJSON status line of the attacker.
type mitmEvent map[string]any

func (e mitmEvent) str(k string) string { s, _ := e[k].(string); return s }

// mitmAttacker is the running attacker process.
type mitmAttacker struct {
	t      *testing.T
	cmd    *exec.Cmd
	stderr *syncBuffer
	done   chan struct{}
	url    string

	mu     sync.Mutex
	cond   *sync.Cond
	events []mitmEvent
	ended  bool
}

// mitmStart runs the attacker and points the world's victims at it.
func mitmStart(t *testing.T, w *world, args ...string) *mitmAttacker {
	t.Helper()
	cmd := exec.Command(mitmAttackerBin(t), args...)
	a := &mitmAttacker{t: t, cmd: cmd, stderr: newSyncBuffer(), done: make(chan struct{})}
	a.cond = sync.NewCond(&a.mu)
	cmd.Stderr = a.stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start attacker: %v", err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 4<<20)
		for sc.Scan() {
			var ev mitmEvent
			if json.Unmarshal(sc.Bytes(), &ev) != nil {
				ev = mitmEvent{"event": "unparsed", "text": sc.Text()}
			}
			a.mu.Lock()
			a.events = append(a.events, ev)
			a.cond.Broadcast()
			a.mu.Unlock()
		}
		_ = cmd.Wait()
		a.mu.Lock()
		a.ended = true
		a.cond.Broadcast()
		a.mu.Unlock()
		close(a.done)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGKILL)
		<-a.done
		if t.Failed() && a.stderr.String() != "" {
			t.Logf("attacker stderr:\n%s", a.stderr.String())
		}
	})
	ready, err := a.waitEvent(w.ctx, "ready")
	if err != nil {
		t.Fatalf("attacker: %v\n%s", err, a.stderr.String())
	}
	a.url = ready.str("url")
	w.url = a.url
	return a
}

// waitEvent blocks until the attacker reported an event of this kind.
func (a *mitmAttacker) waitEvent(ctx context.Context, kind string) (mitmEvent, error) {
	stop := context.AfterFunc(ctx, func() { a.mu.Lock(); a.cond.Broadcast(); a.mu.Unlock() })
	defer stop()
	a.mu.Lock()
	defer a.mu.Unlock()
	for i := 0; ; {
		for ; i < len(a.events); i++ {
			if a.events[i].str("event") == kind {
				return a.events[i], nil
			}
		}
		if a.ended {
			return nil, fmt.Errorf("attacker exited before reporting %q", kind)
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("waiting for the attacker's %q: %w", kind, ctx.Err())
		}
		a.cond.Wait()
	}
}

// stop ends the attacker with SIGTERM and waits for its summary line: after it, every
// relayed message has been reported.
func (a *mitmAttacker) stop(ctx context.Context) mitmEvent {
	a.t.Helper()
	_ = a.cmd.Process.Signal(syscall.SIGTERM)
	sum, err := a.waitEvent(ctx, "summary")
	if err != nil {
		a.t.Fatalf("attacker summary: %v\n%s", err, a.stderr.String())
	}
	select {
	case <-a.done:
	case <-ctx.Done():
		a.t.Fatalf("attacker did not exit after SIGTERM: %v", ctx.Err())
	}
	return sum
}

func (a *mitmAttacker) all(kind string) []mitmEvent {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []mitmEvent
	for _, e := range a.events {
		if e.str("event") == kind {
			out = append(out, e)
		}
	}
	return out
}

// relayedBinary sums the binary payload the attacker relayed on a label (from the
// per-message lines, cross-checked with the summary by the caller's assertion messages).
func (a *mitmAttacker) relayedBinary(label string) (n int64) {
	for _, e := range a.all("relayed") {
		if e.str("label") == label && e["binary"] == true {
			b, _ := e["bytes"].(float64)
			n += int64(b)
		}
	}
	return n
}

// summaryBinary is the same total as the attacker's summary states it.
func mitmSummaryBinary(sum mitmEvent, label string) (n int64) {
	rs, _ := sum["relayed"].([]any)
	for _, r := range rs {
		m, _ := r.(map[string]any)
		if m["label"] == label {
			b, _ := m["binary_bytes"].(float64)
			n += int64(b)
		}
	}
	return n
}

// interceptedOffer reports whether the attacker took an offer between the two bare names.
func (a *mitmAttacker) interceptedOffer(from, to string) bool {
	for _, e := range append(a.all("intercepted"), a.all("dropped")...) {
		if e.str("subtopic") == "RTCOffer" && mitmBare(e.str("from")) == from && mitmBare(e.str("to")) == to {
			return true
		}
	}
	return false
}

// swappedKey: the attacker put its own sealing key into a presence of name (bare).
func (a *mitmAttacker) swappedKey(name string) bool {
	for _, e := range a.all("swapped-seal-key") {
		if mitmBare(e.str("from")) == name {
			return true
		}
	}
	return false
}

// mitmCheckSealed: between rtchat peers offers are sealed to the key in the target's
// presence, so the attacker swaps in its own. Then from must refuse to seal to it (the pin
// does not vouch for it) and publish no offer the attacker could open; otherwise the
// attacker must have seen the offer (the test proves something either way).
func mitmCheckSealed(t *testing.T, a *mitmAttacker, from, to string) (sawOffer bool) {
	t.Helper()
	sawOffer = a.interceptedOffer(from, to)
	switch {
	case a.swappedKey(to) && sawOffer:
		t.Errorf("ATTACK SUCCEEDED: %s sealed an offer to the attacker's key in %s's presence", from, to)
	case !a.swappedKey(to) && !sawOffer:
		t.Fatalf("the attacker never saw %s's offer to %s nor swapped %s's sealing key: the test proves nothing", from, to, to)
	}
	return sawOffer
}

// report logs what the attacker did and saw: forged signaling, what each reader of a forged
// SDP finds, rewrites, and the plaintext questions, answers and control frames it relayed.
func (a *mitmAttacker) report(t *testing.T) {
	t.Helper()
	a.mu.Lock()
	events := append([]mitmEvent(nil), a.events...)
	a.mu.Unlock()
	channels := 0
	var lines []string
	for _, e := range events {
		switch e.str("event") {
		case "channel":
			channels++
		case "relayed":
		case "captured":
			switch e.str("label") {
			case "question", "answer", "rtchat":
				lines = append(lines, fmt.Sprintf("captured %s %s -> %s: %.160s", e.str("label"), e.str("from"), e.str("to"), e.str("text")))
			}
		case "summary":
			b, _ := json.Marshal(e["relayed"])
			lines = append(lines, fmt.Sprintf("summary: %v sessions, relayed %.600s", e["sessions"], b))
		default:
			b, _ := json.Marshal(e)
			lines = append(lines, fmt.Sprintf("%.700s", b))
		}
	}
	t.Logf("attacker (%d data channels mirrored):\n  %s", channels, strings.Join(lines, "\n  "))
}

func mitmBare(full string) string {
	if i := strings.IndexByte(full, '('); i >= 0 {
		full = full[:i]
	}
	return strings.TrimSpace(full)
}

// mitmLogStderr logs the lines of a victim's stderr that tell the story (verification,
// refusals, errors), not the whole -v chatter.
func mitmLogStderr(t *testing.T, who, stderr string) {
	t.Helper()
	var keep []string
	for _, l := range strings.Split(stderr, "\n") {
		ll := strings.ToLower(l)
		if strings.Contains(ll, "pion=") {
			continue // pion's own debug chatter
		}
		if strings.Contains(ll, "verif") || strings.Contains(ll, "refus") || strings.Contains(ll, "proof") ||
			strings.Contains(ll, "error") || strings.Contains(ll, "downgrad") || strings.HasPrefix(ll, "rtchat:") {
			keep = append(keep, fmt.Sprintf("%.300s", l))
		}
	}
	if len(keep) > 25 {
		keep = keep[len(keep)-25:]
	}
	t.Logf("%s stderr (selected lines):\n  %s", who, strings.Join(keep, "\n  "))
}

// mitmVerifiedLines are the lines of a victim's stderr that report a peer as verified:
// "verified" as a word of its own, not after "not", "never", "be", "been", "was", "is"
// (failures and explanations), and not inside "unverified".
func mitmVerifiedLines(stderr string) []string {
	var out []string
	for _, l := range strings.Split(stderr, "\n") {
		if strings.Contains(strings.ToLower(l), "pion=") {
			continue
		}
		if mitmSaysVerified(l) {
			out = append(out, l)
		}
	}
	return out
}

func mitmSaysVerified(line string) bool {
	ll := strings.ToLower(line)
	for i := 0; ; {
		j := strings.Index(ll[i:], "verified")
		if j < 0 {
			return false
		}
		j += i
		i = j + len("verified")
		if j > 0 && (ll[j-1] >= 'a' && ll[j-1] <= 'z') {
			continue // unverified
		}
		words := strings.Fields(strings.Trim(ll[:j], `"=`))
		prev := ""
		if len(words) > 0 {
			prev = strings.Trim(words[len(words)-1], `"=:,(`)
		}
		switch prev {
		case "not", "never", "be", "been", "being", "was", "is", "were", "are":
			continue
		}
		return true
	}
}

// checkTrick fails the test unless the attacker's forged offer really hid its own
// fingerprint: a line scan finds the victim's, pion's parser the attacker's.
func (a *mitmAttacker) checkTrick(t *testing.T) {
	t.Helper()
	for _, e := range a.all("forged") {
		if e.str("subtopic") == "RTCOffer" && e.str("victim_fp") != "" && e.str("naive_fp") == e.str("victim_fp") &&
			e.str("pion_fp") == e.str("attacker_fp") && e.str("pion_fp") != e.str("naive_fp") {
			return
		}
	}
	t.Fatalf("the attacker forged no offer whose SDP shows the victim's fingerprint to a line scan and its own to pion: the test proves nothing")
}

// mitmAsk runs alice's `ask bob hello` through the attacker.
func mitmAsk(t *testing.T, w *world) (out, errs string, code int) {
	t.Helper()
	start := time.Now()
	out, errs, code = w.run("alice", nil, "-v", "ask", "bob", "hello")
	t.Logf("alice's ask through the attacker: exit %d after %.1fs, stdout %q", code, time.Since(start).Seconds(), out)
	return out, errs, code
}

// mitmCheckAskFailed asserts the ask did not produce the attacker's (or any) answer.
func mitmCheckAskFailed(t *testing.T, out string, code int, codes ...int) {
	t.Helper()
	if code == 0 || strings.Contains(out, mitmPwned) {
		t.Errorf("ATTACK SUCCEEDED: alice's ask exited %d with stdout %q (the attacker's answer is %q)", code, out, mitmPwned)
		return
	}
	for _, c := range codes {
		if code == c && out == "" {
			return
		}
	}
	t.Errorf("alice's ask exited %d with stdout %q; want exit %v and nothing on stdout", code, out, codes)
}

// TestAttackMITMHiddenFingerprintAsk: a full man in the middle whose forwarded SDPs show the
// victims' fingerprints to a line scan while DTLS runs with the attacker's certificates; it
// rewrites bob's answer. alice must refuse bob (exit 3) and print nothing.
func TestAttackMITMHiddenFingerprintAsk(t *testing.T) {
	t.Parallel()
	w := mitmNewWorld(t)
	atk := mitmStart(t, w, "--mode", "hidden-fingerprint", "--rewrite-answer", mitmPwned)
	w.friends("alice", "bob")
	bob := w.listening("bob", "--exec", "tr a-z A-Z")
	out, errs, code := mitmAsk(t, w)
	atk.stop(w.ctx)
	atk.report(t)
	mitmLogStderr(t, "alice", errs)
	mitmLogStderr(t, "bob", bob.stderr.String())
	if mitmCheckSealed(t, atk, "alice", "bob") {
		atk.checkTrick(t)
	}
	mitmCheckAskFailed(t, out, code, 3)
}

// TestAttackMITMHiddenFingerprintPipe: the same man in the middle on a 1 MiB pipe from alice
// to bob. Neither side may succeed, and no pipe payload may pass through the attacker.
func TestAttackMITMHiddenFingerprintPipe(t *testing.T) {
	t.Parallel()
	w := mitmNewWorld(t)
	atk := mitmStart(t, w, "--mode", "hidden-fingerprint")
	w.friends("alice", "bob")
	const n = 1 << 20
	inA, inB := newPRNG(1, n), newPRNG(2, 0)
	outA, outB := newSink(), newSink()
	start := time.Now()
	pb := w.startPipe("bob", "alice", inB, outB)
	pa := w.startPipe("alice", "bob", inA, outA)
	codeA, errA := pa.wait(w.ctx)
	codeB, errB := pb.wait(w.ctx)
	took := time.Since(start)
	sum := atk.stop(w.ctx)
	atk.report(t)
	mitmLogStderr(t, "alice", pa.stderr.String())
	mitmLogStderr(t, "bob", pb.stderr.String())
	if errA != nil || errB != nil {
		t.Fatalf("pipes did not end: alice %v, bob %v", errA, errB)
	}
	relayed, summed := atk.relayedBinary("rtchat-pipe"), mitmSummaryBinary(sum, "rtchat-pipe")
	intact := outB.count() == n && outB.sum() == inA.sum()
	t.Logf("pipe through the attacker: alice exit %d, bob exit %d after %.1fs; bob received %d of %d bytes (sha256 matches: %v); attacker relayed %d bytes of pipe payload (summary: %d)",
		codeA, codeB, took.Seconds(), outB.count(), n, intact, relayed, summed)
	if mitmCheckSealed(t, atk, "alice", "bob") || mitmCheckSealed(t, atk, "bob", "alice") {
		atk.checkTrick(t)
	}
	if codeA == 0 || codeB == 0 {
		t.Errorf("ATTACK SUCCEEDED: a pipe through the attacker exited 0 (alice %d, bob %d)", codeA, codeB)
	}
	if relayed != 0 || summed != 0 {
		t.Errorf("ATTACK SUCCEEDED: the attacker relayed (and read) %d bytes of pipe payload (summary %d); want 0", relayed, summed)
	}
}

// TestAttackMITMDowngrade: the man in the middle also deletes every `rtchat` member from the
// signaling, so that each side takes the other for a web page, whose proof is not bound to
// the connection. Both are pinned as rtchat peers: alice must fail (3 or 4) and print
// nothing, and neither victim may report the other as verified.
func TestAttackMITMDowngrade(t *testing.T) {
	t.Parallel()
	w := mitmNewWorld(t)
	atk := mitmStart(t, w, "--mode", "downgrade", "--rewrite-answer", mitmPwned)
	w.friends("alice", "bob")
	bob := w.listening("bob", "-v", "--exec", "tr a-z A-Z")
	out, errs, code := mitmAsk(t, w)
	atk.stop(w.ctx)
	atk.report(t)
	mitmLogStderr(t, "alice", errs)
	mitmLogStderr(t, "bob", bob.stderr.String())
	if len(atk.all("stripped")) == 0 {
		t.Fatalf("the attacker stripped nothing: the test proves nothing")
	}
	t.Logf("the attacker intercepted alice's offer to bob: %v", atk.interceptedOffer("alice", "bob"))
	mitmCheckAskFailed(t, out, code, 3, 4)
	for who, stderr := range map[string]string{"alice": errs, "bob": bob.stderr.String()} {
		if v := mitmVerifiedLines(stderr); len(v) > 0 {
			t.Errorf("ATTACK SUCCEEDED: %s reports a peer verified through the downgrading attacker:\n  %s", who, strings.Join(v, "\n  "))
		}
	}
}

// TestAttackMITMRelaySessions: mallory, pinned by both alice and bob, answers alice's offer to
// bob as bob (an honest SDP of its own), connects honestly to bob as mallory, and relays
// alice's identity challenge to bob and bob's proof back. alice must not accept bob's proof
// made on another DTLS session: exit 3, nothing printed.
func TestAttackMITMRelaySessions(t *testing.T) {
	t.Parallel()
	w := mitmNewWorld(t)
	w.friends("alice", "bob")
	w.identity("mallory")
	w.pin("alice", "mallory")
	w.pin("bob", "mallory")
	atk := mitmStart(t, w, "--mode", "relay-sessions", "--identity-dir", w.configDir("mallory"), "--rewrite-answer", mitmPwned)
	bob := w.listening("bob", "--exec", "tr a-z A-Z")
	out, errs, code := mitmAsk(t, w)
	atk.stop(w.ctx)
	atk.report(t)
	mitmLogStderr(t, "alice", errs)
	mitmLogStderr(t, "bob", bob.stderr.String())
	mitmCheckSealed(t, atk, "alice", "bob")
	mitmCheckAskFailed(t, out, code, 3)
}
