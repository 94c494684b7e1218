package e2e

// Attacks by anyone who can publish on the room topic of an honest broker (rtchat-wire.md
// §8): a real attacker process (e2e/attack/room, written against the wire format) against
// real rtchat processes on the embedded broker and on Debian's mosquitto. Each test asserts
// that the attack FAILS and the honest session still works; numbers that describe the
// attack (CPU seconds, RSS, datagrams) are logged, never compared with a time.

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// roomAskTimeout is the --timeout of every honest ask: generous, so that a fixed core
// succeeds on a loaded machine; the attacks make an unfixed one fail outright.
const roomAskTimeout = "20s"

// roomAttackerBin builds the attacker once per test binary. The binary is opened and its
// temporary directory removed at once; processes start it through /proc/self/fd, so
// nothing is left behind whatever way the test binary ends.
var (
	roomAttackerOnce sync.Once
	roomAttackerPath string
	roomAttackerFile *os.File
	roomAttackerErr  error
)

func roomAttackerBin(t *testing.T) string {
	t.Helper()
	if bin, ok := helperBins["./attack/room"]; ok {
		return bin
	}
	roomAttackerOnce.Do(func() {
		dir, err := os.MkdirTemp("", "rtchat-attack-room-")
		if err != nil {
			roomAttackerErr = err
			return
		}
		defer os.RemoveAll(dir)
		bin := filepath.Join(dir, "room")
		build := exec.Command("go", "build", "-o", bin, "./attack/room")
		if out, err := build.CombinedOutput(); err != nil {
			roomAttackerErr = fmt.Errorf("building the attacker: %v\n%s", err, out)
			return
		}
		f, err := os.Open(bin)
		if err != nil {
			roomAttackerErr = err
			return
		}
		roomAttackerFile = f
		roomAttackerPath = fmt.Sprintf("/proc/self/fd/%d", f.Fd())
	})
	if roomAttackerErr != nil {
		t.Fatal(roomAttackerErr)
	}
	return roomAttackerPath
}

// roomAttack is one running attacker process and the NDJSON events it printed.
type roomAttack struct {
	t      *testing.T
	mode   string
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stderr *syncBuffer
	done   chan struct{}

	mu     sync.Mutex
	cond   *sync.Cond
	events []map[string]any
}

// roomStartAttack runs the attacker in mode against w's broker; it is killed at cleanup.
func roomStartAttack(t *testing.T, w *world, mode string, args ...string) *roomAttack {
	t.Helper()
	bin := roomAttackerBin(t)
	cmd := exec.Command(bin, append([]string{mode, "-broker", w.url}, args...)...)
	a := &roomAttack{t: t, mode: mode, cmd: cmd, stderr: newSyncBuffer(), done: make(chan struct{})}
	a.cond = sync.NewCond(&a.mu)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	a.stdin = stdin
	cmd.Stderr = a.stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start attacker %s: %v", mode, err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			var ev map[string]any
			if json.Unmarshal(sc.Bytes(), &ev) != nil {
				continue
			}
			a.mu.Lock()
			a.events = append(a.events, ev)
			a.cond.Broadcast()
			a.mu.Unlock()
		}
		_ = cmd.Wait()
		a.mu.Lock()
		close(a.done)
		a.cond.Broadcast()
		a.mu.Unlock()
	}()
	t.Cleanup(func() {
		_ = stdin.Close()
		_ = cmd.Process.Signal(syscall.SIGKILL)
		<-a.done
		if strings.Contains(a.stderr.String(), "DATA RACE") { // an attacker built with -race
			t.Errorf("attacker %s: data race:\n%s", mode, a.stderr.String())
		}
		if t.Failed() {
			t.Logf("attacker %s events:\n%s\nstderr:\n%s", mode, a.dump(), a.stderr.String())
		}
	})
	return a
}

func (a *roomAttack) dump() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var b strings.Builder
	for _, ev := range a.events {
		j, _ := json.Marshal(ev)
		b.Write(j)
		b.WriteByte('\n')
	}
	return b.String()
}

// wait returns the first event named name, waiting until it is printed, the attacker
// ends, or ctx expires. An "error" event from the attacker fails the test.
func (a *roomAttack) wait(ctx context.Context, name string) map[string]any {
	a.t.Helper()
	stop := context.AfterFunc(ctx, func() { a.mu.Lock(); a.cond.Broadcast(); a.mu.Unlock() })
	defer stop()
	a.mu.Lock()
	defer a.mu.Unlock()
	for {
		for _, ev := range a.events {
			switch ev["event"] {
			case name:
				return ev
			case "error":
				a.t.Fatalf("attacker %s failed: %v\nstderr: %s", a.mode, ev["error"], a.stderr.String())
			}
		}
		select {
		case <-a.done:
			a.t.Fatalf("attacker %s exited before %q; stderr: %s", a.mode, name, a.stderr.String())
		default:
		}
		if ctx.Err() != nil {
			a.t.Fatalf("attacker %s: waiting for %q: %v", a.mode, name, ctx.Err())
		}
		a.cond.Wait()
	}
}

// all returns every event named name printed so far.
func (a *roomAttack) all(name string) []map[string]any {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []map[string]any
	for _, ev := range a.events {
		if ev["event"] == name {
			out = append(out, ev)
		}
	}
	return out
}

func (a *roomAttack) say(line string) {
	a.t.Helper()
	if _, err := io.WriteString(a.stdin, line+"\n"); err != nil {
		a.t.Fatalf("attacker %s: %v", a.mode, err)
	}
}

// stop ends the attacker and returns its summary.
func (a *roomAttack) stop(ctx context.Context) map[string]any {
	a.t.Helper()
	a.say("stop")
	return a.wait(ctx, "summary")
}

// roomNum reads a number from an event.
func roomNum(ev map[string]any, key string) float64 {
	f, _ := ev[key].(float64)
	return f
}

// roomCPUSeconds is the user+system CPU time of a process (/proc/PID/stat, USER_HZ 100).
func roomCPUSeconds(t *testing.T, pid int) float64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatalf("read stat of %d: %v", pid, err)
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:]) // fields from 3 (state) on
	utime, err1 := strconv.ParseFloat(f[11], 64)             // field 14
	stime, err2 := strconv.ParseFloat(f[12], 64)             // field 15
	if err1 != nil || err2 != nil {
		t.Fatalf("parse stat of %d: %q", pid, s)
	}
	return (utime + stime) / 100
}

// roomStatusKiB reads one kB field (VmRSS, VmHWM) of /proc/PID/status.
func roomStatusKiB(t *testing.T, pid int, field string) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatalf("read status of %d: %v", pid, err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err == nil {
				return n
			}
		}
	}
	t.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}

// roomAskResult is one finished `rtchat ask`.
type roomAskResult struct {
	out, errs string
	code      int
	took      time.Duration
}

// roomAsk runs `rtchat ask bob hello` as alice, with global flags (e.g. -v).
func roomAsk(w *world, flags ...string) roomAskResult {
	w.t.Helper()
	start := time.Now()
	out, errs, code := w.run("alice", nil, append(flags, "ask", "--timeout", roomAskTimeout, "bob", "hello")...)
	return roomAskResult{out, errs, code, time.Since(start)}
}

// roomAskAsync starts roomAsk in the background.
func roomAskAsync(w *world, flags ...string) <-chan roomAskResult {
	ch := make(chan roomAskResult, 1)
	go func() { ch <- roomAsk(w, flags...) }()
	return ch
}

// roomAwait waits for an ask started with roomAskAsync.
func roomAwait(t *testing.T, ctx context.Context, ch <-chan roomAskResult) roomAskResult {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-ctx.Done():
		t.Fatalf("ask still running: %v", ctx.Err())
	}
	return roomAskResult{}
}

// roomMustHello fails unless the ask printed exactly bob's real answer and exited 0.
func roomMustHello(t *testing.T, what string, r roomAskResult) {
	t.Helper()
	if r.code != 0 || r.out != "HELLO\n" {
		t.Errorf("%s: ask exit %d, stdout %q after %v; want exit 0 and \"HELLO\\n\"; stderr: %s", what, r.code, r.out, r.took.Round(time.Millisecond), r.errs)
	}
}

// roomVictims makes alice and bob, pinned to each other, with bob listening (flags: e.g.
// -v).
func roomVictims(w *world, flags ...string) *proc {
	w.friends("alice", "bob")
	return w.listening("bob", append(flags, "--exec", "tr a-z A-Z")...)
}

// roomBobLog logs what a listener run with -v says about its broker connection: payloads
// it dropped because its receive buffer was full, and connections the broker closed (a
// broker may disconnect subscribers that fall behind in a flood).
func roomBobLog(t *testing.T, bob *proc) {
	t.Helper()
	log := bob.stderr.String()
	t.Logf("bob's log: %d payloads dropped for a full receive buffer, %d broker connections lost",
		strings.Count(log, "receive buffer full"), strings.Count(log, "mqtt: connection lost"))
}

// roomLanded fails the test unless the attacker's barrier event ev says bob handled the
// attack: bob replied to a probe the attacker published after it, and bob's receive loop
// takes the topic in order. Without it an attack that never reached bob would pass.
func roomLanded(t *testing.T, what string, ev map[string]any) {
	t.Helper()
	if ev["barrier"] != true {
		t.Fatalf("%s: bob never replied to the attacker's probe after the attack, so nothing shows it reached bob: %v", what, ev)
	}
}

// roomLogged waits (up to ctx) until bob's -v log has a line with all of parts: bob saw
// the attack and said why it turned it down. It fails the test if none comes.
func roomLogged(t *testing.T, ctx context.Context, bob *proc, what string, parts ...string) {
	t.Helper()
	find := func() string {
		for _, line := range strings.Split(bob.stderr.String(), "\n") {
			all := true
			for _, p := range parts {
				all = all && strings.Contains(line, p)
			}
			if all {
				return line
			}
		}
		return ""
	}
	for {
		if line := find(); line != "" {
			t.Logf("%s: bob's log: %s", what, line)
			return
		}
		if err := roomMoreOutput(ctx, bob); err != nil {
			t.Errorf("%s: bob's -v log has no line with %q (%v): no sign that bob received and turned down the attack", what, parts, err)
			return
		}
	}
}

// roomMoreOutput waits until bob's stderr grows, bob ends, or ctx expires.
func roomMoreOutput(ctx context.Context, bob *proc) error {
	n := len(bob.stderr.String())
	stop := context.AfterFunc(ctx, func() { bob.stderr.mu.Lock(); bob.stderr.cond.Broadcast(); bob.stderr.mu.Unlock() })
	defer stop()
	bob.stderr.mu.Lock()
	defer bob.stderr.mu.Unlock()
	for bob.stderr.buf.Len() == n {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		select {
		case <-bob.done:
			return errors.New("bob ended")
		default:
		}
		bob.stderr.cond.Wait()
	}
	return nil
}

// roomBrokers runs f once against the embedded broker and once against mosquitto.
func roomBrokers(t *testing.T, f func(t *testing.T, w *world)) {
	t.Run("embedded", func(t *testing.T) { f(t, newWorld(t)) })
	t.Run("mosquitto", func(t *testing.T) { f(t, newMosquittoWorld(t)) })
}

// TestAttackRoomImpostor: a relay with no key poses as bob to alice (a web page bob(ffff)
// carrying bob's real public key), after filling bob's connection slots so that alice can
// reach nobody else, and passes alice's identity question (whatever its topic) to bob over
// a connection where it poses as a web page of alice. The attack fails when alice never
// prints the impostor's answer, prints bob's real one if she succeeds, and bob never gave
// the relay a signature alice would accept (over her raw challenge, or bound to her session
// with the impostor).
func TestAttackRoomImpostor(t *testing.T) {
	w := newWorld(t)
	bob := roomVictims(w, "-v") // its log says what it did with the impostor's messages
	_, aliceKey, _ := strings.Cut(w.ids["alice"], "|")
	a := roomStartAttack(t, w, "impostor", "-pose-key", aliceKey, "-fill", "127", "-answer", "IMPOSTOR-ANSWER")
	relay := a.wait(w.ctx, "relay")
	filled := a.wait(w.ctx, "filled")
	ready := a.wait(w.ctx, "ready")
	t.Logf("impostor: relay connected %v; bob answered %v of %v filler offers (barrier %v)",
		relay["connected"], filled["answered"], filled["sent"], filled["barrier"])
	// The attack reached bob: he saw the impostor's presence, and took the relay's offer or
	// said why he turned it down. (The probe barrier after the fillers is not asked for: bob
	// may hold his reply back while he negotiates.)
	if as, _ := ready["as"].(string); as != "" {
		roomLogged(t, w.ctx, bob, "the impostor's presence", "another process named bob", as)
	}
	if name, _ := relay["name"].(string); relay["connected"] != true {
		roomLogged(t, w.ctx, bob, "the relay's offer", "ignoring", name)
	}

	// bob is paused while alice joins: she learns of him only from his reply to her
	// presence, so the impostor's reply, published before bob resumes, reaches her first,
	// while she still looks for bob. (Unpaused, bob's reply often came first and alice was
	// done with him before the impostor's arrived: 1 run in 3 under load.)
	if err := bob.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	resume := func() { _ = bob.cmd.Process.Signal(syscall.SIGCONT) }
	t.Cleanup(resume)
	ask := roomAskAsync(w, "-v")
	a.wait(w.ctx, "poked")
	resume()
	r := roomAwait(t, w.ctx, ask)
	sum := a.stop(w.ctx)
	t.Logf("alice's ask: exit %d after %v, stdout %q", r.code, r.took.Round(time.Millisecond), r.out)
	t.Logf("impostor summary: %v", sum)
	for _, ev := range a.all("relayed") {
		t.Logf("relayed to bob: %v", ev)
	}
	// The attack reached alice too: she connected to the impostor, or her log says she
	// turned down its claim to bob's name.
	if roomNum(sum, "alice_connections") == 0 && !strings.Contains(r.errs, "claims a name pinned as an rtchat peer") {
		t.Errorf("alice neither connected to the impostor nor turned it down in her -v log: the attack never reached her; stderr: %s", r.errs)
	}
	if strings.Contains(r.out, "IMPOSTOR") {
		t.Errorf("alice printed the impostor's answer: exit %d, stdout %q", r.code, r.out)
	}
	if r.code == 0 && r.out != "HELLO\n" {
		t.Errorf("ask exited 0 with %q; want bob's real answer \"HELLO\\n\"", r.out)
	}
	if n := roomNum(sum, "usable_signatures"); n != 0 {
		t.Errorf("bob signed alice's challenge for the relay %v times in a form alice accepts (raw %v, bound to alice's session %v)",
			n, sum["raw_valid"], sum["bound_valid"])
	}
}

// roomConnect starts alice's `rtchat connect bob`, reading stdin from the returned pipe,
// and waits until she verified bob.
func roomConnect(t *testing.T, w *world) (*proc, *os.File) {
	t.Helper()
	rd, wr, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rd.Close(); wr.Close() })
	c := w.start("alice", rd, "connect", "bob")
	if err := c.waitFor(w.ctx, c.stderr, "key verified"); err != nil {
		t.Fatalf("connect: %v\n%s", err, c.stderr.String())
	}
	return c, wr
}

// roomLineOrEnd waits up to d for line on bob's stdout, or until alice's session c ends
// (then it never comes).
func roomLineOrEnd(w *world, c, bob *proc, line string, d time.Duration) error {
	ctx, cancel := context.WithTimeout(w.ctx, d)
	defer cancel()
	go func() {
		select {
		case <-c.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	return bob.waitFor(ctx, bob.stdout, line)
}

// roomForge runs one forgery against a live `rtchat connect bob` session of alice: the
// session must survive it, and a line sent after bob handled the forgery must reach bob
// exactly once. It returns the attacker's summary.
func roomForge(t *testing.T, w *world, kind string, args ...string) map[string]any {
	w.friends("alice", "bob")
	bob := w.listening("bob", "-v") // its log says what it turned down
	a := roomStartAttack(t, w, "forge", append([]string{"-kind", kind}, args...)...)
	a.wait(w.ctx, "watching")
	c, wr := roomConnect(t, w)
	capt := a.wait(w.ctx, "captured")
	fmt.Fprintln(wr, "line before the forgery")
	if err := bob.waitFor(w.ctx, bob.stdout, "alice: line before the forgery\n"); err != nil {
		t.Fatalf("bob never printed the first line: %v", err)
	}
	a.say("go")
	sent := a.wait(w.ctx, "sent")
	t.Logf("forged %s in the name of %v to %v (barrier: bob handled it: %v)", kind, capt["alice"], capt["bob"], sent["barrier"])
	// bob received the forgery and turned it down, in its own words.
	alice, _ := capt["alice"].(string)
	switch kind {
	case "offer":
		roomLogged(t, w.ctx, bob, "forged offer", "ignoring an offer", alice)
	case "replay":
		roomLogged(t, w.ctx, bob, "replayed offer", "ignoring an offer", alice, "replayed")
	case "unload":
		roomLogged(t, w.ctx, bob, "forged unload", "unload for a live connection", alice)
		roomLogged(t, w.ctx, bob, "forged nameChange", "ignoring a nameChange for a name pinned as rtchat", alice)
	}

	fmt.Fprintln(wr, "line after the forgery")
	arrived := roomLineOrEnd(w, c, bob, "alice: line after the forgery\n", 15*time.Second)
	select {
	case <-c.done:
		code, _ := c.wait(w.ctx)
		t.Errorf("connect ended after the forged %s: exit %d; stderr: %s", kind, code, c.stderr.String())
	default:
		if arrived != nil {
			t.Errorf("the line sent after the forged %s never reached bob: %v", kind, arrived)
		}
		wr.Close()
		if code, err := c.wait(w.ctx); err != nil || code != 0 {
			t.Errorf("connect after EOF: exit %d (%v); want 0; stderr: %s", code, err, c.stderr.String())
		}
	}
	if n := strings.Count(bob.stdout.String(), "alice: line after the forgery\n"); n != 1 {
		t.Errorf("bob printed the line sent after the forgery %d times; want exactly once:\n%s", n, bob.stdout.String())
	}
	if n := strings.Count(bob.stdout.String(), "alice: line before the forgery\n"); n != 1 {
		t.Errorf("bob printed the first line %d times; want exactly once", n)
	}
	sum := a.stop(w.ctx)
	t.Logf("forge summary: %v", sum)
	if sum["hijack_connected"] == true {
		t.Errorf("the attacker's connection in alice's name came up (bob answered: %v)", sum["bob_answered"])
	}
	return sum
}

// TestAttackRoomForgedOffer: an RTCOffer in alice's name (read from the topic) with the
// attacker's own SDP, sent to bob while alice's connect session is live.
func TestAttackRoomForgedOffer(t *testing.T) {
	t.Parallel()
	roomBrokers(t, func(t *testing.T, w *world) { roomForge(t, w, "offer") })
}

// TestAttackRoomReplayedOffer: alice's real RTCOffer, captured from the topic, replayed
// byte for byte seconds later.
func TestAttackRoomReplayedOffer(t *testing.T) {
	t.Parallel()
	roomBrokers(t, func(t *testing.T, w *world) { roomForge(t, w, "replay") })
}

// TestAttackRoomForgedUnloadNameChange: a forged unload in alice's name, then a forged
// nameChange {oldName: alice's full name}.
func TestAttackRoomForgedUnloadNameChange(t *testing.T) {
	t.Parallel()
	roomBrokers(t, func(t *testing.T, w *world) { roomForge(t, w, "unload") })
}

// TestAttackRoomSlotExhaustion: made-up peers take bob's connection slots; alice's ask must
// still succeed while they hold them.
func TestAttackRoomSlotExhaustion(t *testing.T) {
	t.Run("dead-offers", func(t *testing.T) {
		// 150 offers with valid SDPs whose candidates point at a closed socket, from
		// made-up rtchat-looking names (a listener connects unpinned rtchat peers, to
		// tell them they are refused).
		w := newWorld(t)
		roomVictims(w)
		a := roomStartAttack(t, w, "deadoffers", "-n", "150")
		ready := a.wait(w.ctx, "ready")
		t.Logf("150 dead offers: bob answered %v before the ask (barrier %v)", ready["answered"], ready["barrier"])
		roomLanded(t, "dead offers", ready)
		r := roomAsk(w)
		sum := a.stop(w.ctx)
		t.Logf("ask: exit %d after %v; bob answered %v dead offers in all", r.code, r.took.Round(time.Millisecond), sum["answered"])
		roomMustHello(t, "ask while 150 dead offers are pending", r)
	})
	t.Run("zombies", func(t *testing.T) {
		// 130 real pion peers that connect and never prove a key: web pages and rtchat
		// dialers in turn, under made-up full names of alice (alice(zw0002),
		// alice(zr0001), ...); the ones bob drops are replaced.
		w := newWorld(t)
		bob := roomVictims(w, "-v") // its log says what it did with the zombies
		a := roomStartAttack(t, w, "zombies", "-n", "130")
		ready := a.wait(w.ctx, "ready")
		t.Logf("zombies: %v connected, %v failed of 130 in %v ms", ready["connected"], ready["failed"], ready["ms"])
		// The zombies reached bob: his log names them (alice(zw0002), alice(zr0001), ...).
		roomLogged(t, w.ctx, bob, "zombies", "alice(z")
		r := roomAsk(w)
		sum := a.stop(w.ctx)
		t.Logf("ask: exit %d after %v; zombie summary %v", r.code, r.took.Round(time.Millisecond), sum)
		roomMustHello(t, "ask while 130 unverified peers are connected", r)
	})
}

// TestAttackRoomFloods: floods on the topic; bob keeps answering and its costs stay
// bounded.
func TestAttackRoomFloods(t *testing.T) {
	plainRTChat(t) // built now, not inside a flood's deadline
	roomBrokers(t, func(t *testing.T, w *world) {
		// Each flood gets its own identities and room on the broker.
		t.Run("lz-bombs", func(t *testing.T) { roomFloodLZ(t, roomSameBroker(t, w)) })
		t.Run("huge-presence", func(t *testing.T) { roomFloodPresence(t, roomSameBroker(t, w)) })
		t.Run("candidates", func(t *testing.T) { roomFloodCandidates(t, roomSameBroker(t, w)) })
		t.Run("small-messages", func(t *testing.T) { roomFloodMessages(t, roomSameBroker(t, w), 0) })
		t.Run("small-lz-messages", func(t *testing.T) { roomFloodMessages(t, roomSameBroker(t, w), 30000) })
	})
}

// roomSameBroker is a fresh world for t (own identities, own room, own deadline) on w's
// broker.
func roomSameBroker(t *testing.T, w *world) *world {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	room := "r" + strconv.FormatInt(time.Now().UnixNano(), 36)
	return &world{t: t, ctx: ctx, url: w.url, dir: t.TempDir(), ids: map[string]string{}, extraEnv: []string{"RTCHAT_ROOM=" + room}}
}

// roomArgs adds the world's room to attacker arguments.
func roomArgs(w *world, args ...string) []string {
	for _, e := range w.extraEnv {
		if r, ok := strings.CutPrefix(e, "RTCHAT_ROOM="); ok {
			return append(args, "-room", r)
		}
	}
	return args
}

// roomFloodLZ: 200 payloads of ~1.8 kB that LZ-decompress to ~1 M UTF-16 units each, at
// 40 per second; alice's ask during the flood must succeed. Bob's CPU seconds are logged.
func roomFloodLZ(t *testing.T, w *world) {
	bob := roomVictims(w, "-v")
	a := roomStartAttack(t, w, "lzbomb", roomArgs(w, "-n", "200", "-rate", "40")...)
	bomb := a.wait(w.ctx, "bomb")
	a.wait(w.ctx, "connected")
	cpu0 := roomCPUSeconds(t, bob.cmd.Process.Pid)
	start := time.Now()
	a.say("go")
	a.wait(w.ctx, "flooding")
	ask := roomAskAsync(w)
	a.wait(w.ctx, "done")
	drained := a.wait(w.ctx, "drained")
	cpu1 := roomCPUSeconds(t, bob.cmd.Process.Pid)
	r := roomAwait(t, w.ctx, ask)
	t.Logf("LZ bombs: 200 × %v bytes → %v units each; bob used %.2f CPU s in %.1f s wall until it handled them (barrier %v); ask exit %d after %v",
		bomb["bytes"], bomb["units"], cpu1-cpu0, time.Since(start).Seconds(), drained["barrier"], r.code, r.took.Round(time.Millisecond))
	roomBobLog(t, bob)
	roomLanded(t, "LZ bombs", drained)
	roomMustHello(t, "ask during the LZ bomb flood", r)
}

// roomFloodPresence: 1,600 connect messages from made-up names with 60 kB publicKeyString
// values (96 MB in all, each under the 64 KiB payload cap: the 200 kB ones of old were
// dropped as oversize before bob read them). Bound: bob's RSS may grow by
// less than 40 MB once it handled them all. A listener that keeps every presence keeps
// the 100 MB (measured before the fix: 15 → 169-195 MB); one that bounds what it keeps per
// sender and in all needs a few MB, plus Go's GC slack (the heap may grow to about twice
// the live heap before a collection) over the single payload it is decoding.
func roomFloodPresence(t *testing.T, w *world) {
	const boundMB = 40
	w.bin = plainRTChat(t) // the bound is for the release build, not a race-built one
	bob := roomVictims(w, "-v")
	pid := bob.cmd.Process.Pid
	a := roomStartAttack(t, w, "presence", roomArgs(w, "-n", "1600", "-size", "60000")...)
	a.wait(w.ctx, "connected")
	rss0 := roomStatusKiB(t, pid, "VmRSS")
	a.say("go")
	done := a.wait(w.ctx, "done")
	drained := a.wait(w.ctx, "drained")
	rss1 := roomStatusKiB(t, pid, "VmRSS")
	hwm := roomStatusKiB(t, pid, "VmHWM")
	t.Logf("huge presence: %v messages, %.0f MB; bob RSS %d → %d MB (peak %d MB) once it handled them (barrier %v)",
		done["sent"], roomNum(done, "bytes")/1e6, rss0/1024, rss1/1024, hwm/1024, drained["barrier"])
	roomBobLog(t, bob)
	roomLanded(t, "huge presence", drained)
	if grew := (rss1 - rss0) / 1024; grew >= boundMB {
		t.Errorf("bob's RSS grew by %d MB (%d → %d MB) from presence spam; want < %d MB", grew, rss0/1024, rss1/1024, boundMB)
	}
	roomMustHello(t, "ask after the presence flood", roomAsk(w))
}

// roomFloodCandidates: one offer to bob with 450 host candidates on 127.0.0.1, one per
// attacker socket (450 fit the 32 KiB SDP cap; the 3,000 of old made a payload that bob's
// MQTT layer dropped as oversize, so the offer never reached the candidate check). Bound: at
// most 2,000 datagrams reach the attacker's sockets (before the fix bob sent connectivity
// checks to every candidate, about 8 datagrams each); bob's listener keeps answering
// meanwhile.
func roomFloodCandidates(t *testing.T, w *world) {
	const bound = 2000
	bob := roomVictims(w, "-v")
	a := roomStartAttack(t, w, "candidates", roomArgs(w, "-n", "450", "-quiet", "3s", "-window", "15s")...)
	a.wait(w.ctx, "sent")
	r := roomAsk(w)
	sum := a.wait(w.ctx, "summary")
	t.Logf("450 candidates: %v datagrams to %v ports over %v ms (ended by %v; bob answered the offer: %v); ask exit %d after %v",
		sum["datagrams"], sum["ports_hit"], sum["counted_ms"], sum["ended_by"], sum["answered"], r.code, r.took.Round(time.Millisecond))
	// bob received the offer: it answered and checked candidates, or it turned the offer
	// down for its candidates.
	if sum["answered"] != true && roomNum(sum, "datagrams") == 0 {
		roomLogged(t, w.ctx, bob, "450-candidate offer", "ignoring an offer", "candidates")
	}
	if n := roomNum(sum, "datagrams"); n > bound {
		t.Errorf("bob sent %v datagrams to addresses from one offer's candidates; want ≤ %d", n, bound)
	}
	roomMustHello(t, "ask while bob holds the 450-candidate offer", r)
}

// roomFloodMessages: small messages from made-up names at 20,000 per 1.2 s, from before
// alice's ask starts (2,000 are out by then: receivers' queues are full) until it ended, so
// that her whole signaling travels inside the flood: none of it may be dropped. Plain
// connect messages (lz 0), or ~300-byte LZ payloads that expand to lz UTF-16 units each
// (every receiver must decompress a payload before it knows it is junk). A single 1.2 s
// burst is not enough against an unfixed listener: what it drops is recovered by a
// re-announce after the burst. bob runs with -v, so that its log tells how many payloads
// it dropped.
//
// alice and bob run the release build: whether a listener keeps up with a flood is a
// matter of its speed against the attacker's (a plain build), and race-built ones decode
// several times slower, so their backlog, and the delay of alice's signaling inside it,
// grew for as long as the flood lasted (mosquitto, LZ: 3 of 5 runs failed, alice's offer
// took 5.5 s to reach bob and the answer never reached her within the ask's 20 s; with
// the release build the ask takes under a second and 20 of 20 runs passed).
func roomFloodMessages(t *testing.T, w *world, lz int) {
	w.bin = plainRTChat(t)
	bob := roomVictims(w, "-v")
	a := roomStartAttack(t, w, "msgflood", roomArgs(w, "-n", "500000", "-rate", "16667", "-flooding-after", "2000", "-lz", strconv.Itoa(lz))...)
	a.wait(w.ctx, "connected")
	a.say("go")
	fl := a.wait(w.ctx, "flooding")
	r := roomAsk(w)
	a.say("stop")
	done := a.wait(w.ctx, "done")
	drained := a.wait(w.ctx, "drained")
	sum := a.wait(w.ctx, "summary")
	size := "plain"
	if ev := a.all("lz"); len(ev) > 0 {
		size = fmt.Sprintf("%v-byte LZ → %v units", ev[0]["bytes"], ev[0]["units"])
	}
	t.Logf("small messages (%s): %v sent in %v ms (%.0f/s), alice started after %v (%v ms); bob handled them after %v ms (barrier %v); ask exit %d after %v",
		size, done["sent"], done["ms"], roomNum(sum, "rate"), fl["sent"], fl["ms"], drained["ms"], drained["barrier"], r.code, r.took.Round(time.Millisecond))
	roomBobLog(t, bob)
	// The flood reached bob: he replied to the probe after it, or he had to drop some of it.
	if !strings.Contains(bob.stderr.String(), "receive buffer full") {
		roomLanded(t, "small messages", drained)
	}
	roomMustHello(t, "ask inside a flood of small messages ("+size+")", r)
}

// TestAttackRoomSecondIdentity: a second, different identity also named bob listens next
// to the real bob; alice has the real bob pinned, so every ask must reach the real one.
func TestAttackRoomSecondIdentity(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	bob := roomVictims(w)
	// "bob2" is only the config directory: the identity is named bob.
	other := strings.TrimSpace(w.mustRun("bob2", "keys", "gen", "--name", "bob"))
	if other == w.ids["bob"] || !strings.HasPrefix(other, "bob|") {
		t.Fatalf("second identity %q", other)
	}
	w.mustRun("bob2", "keys", "register", w.ids["alice"])
	w.listening("bob2", "--exec", "echo NOT THE REAL BOB")
	// The second bob is really in the room: the real bob sees its presence on the topic
	// that alice reads.
	if err := bob.waitFor(w.ctx, bob.stderr, "another process named bob is in the room"); err != nil {
		t.Fatalf("the real bob never saw the second bob in the room: %v", err)
	}
	fails := 0
	for i := 0; i < 5; i++ {
		r := roomAsk(w)
		t.Logf("ask %d: exit %d after %v, stdout %q", i+1, r.code, r.took.Round(time.Millisecond), r.out)
		if r.code != 0 || r.out != "HELLO\n" {
			fails++
			t.Errorf("ask %d with two bobs in the room: exit %d, stdout %q; stderr: %s", i+1, r.code, r.out, r.errs)
		}
	}
	t.Logf("%d of 5 asks failed", fails)
}

// roomRace: while alice's connection to bob is not yet verified, one message in alice's
// exact full name (sent the moment her offer shows on the topic) must change nothing: every
// ask gets bob's real answer (issue 17, 1). Before the fix bob dropped alice's connection
// and alice was told the wrong thing (exit 3 "did not prove the key pinned", or exit 4
// with a NAT hint).
func roomRace(t *testing.T, kind string) {
	w := newWorld(t)
	roomVictims(w)
	const asks = 3
	a := roomStartAttack(t, w, "race", "-kind", kind, "-n", strconv.Itoa(asks))
	a.wait(w.ctx, "watching")
	for i := range asks {
		r := roomAsk(w)
		t.Logf("ask %d: exit %d after %v", i+1, r.code, r.took.Round(time.Millisecond))
		roomMustHello(t, fmt.Sprintf("ask %d raced by a %s message", i+1, kind), r)
	}
	sum := a.stop(w.ctx)
	for _, ev := range a.all("fired") {
		t.Logf("fired %v ms after alice's offer %v", ev["after_ms"], ev["alice"])
	}
	if n := roomNum(sum, "fired"); n != asks {
		t.Errorf("the attacker raced %v of alice's offers; want %d (one per ask)", n, asks)
	}
}

// TestAttackRoomRace: every message a stranger can publish in alice's (or, for answer, in
// bob's) name, sent the moment alice offers, while the connection is being set up:
// selfsigned and unload broke every ask before the fix (issue 17, 1), namechange (which
// drops a connection that is not up) too; the others held. preempt sends the self-signed
// offer on alice's presence, before she offers: her signed offer must win.
func TestAttackRoomRace(t *testing.T) {
	t.Parallel()
	for _, kind := range []string{"selfsigned", "unload", "namechange", "restartoffer", "presence", "candidate", "answer", "preempt"} {
		t.Run(kind, func(t *testing.T) { roomRace(t, kind) })
	}
}

// TestAttackRoomFloodReplayedOffer: thousands of offers under made-up names, each signed with
// the attacker's own key, then alice's captured offer replayed: alice's live connect session
// must survive (issue 17, 2). Before the fix one table of 4,096 nonces served everyone, so
// the flood pushed alice's nonce out and the replay replaced her verified connection.
func TestAttackRoomFloodReplayedOffer(t *testing.T) {
	t.Parallel()
	// The attacker signs and seals 4,600 offers (RSA each): at load 20 on two cores that
	// alone took over its default 80 s, so this test gives it (and the world) longer.
	sum := roomForge(t, newWorldDeadline(t, 4*time.Minute), "floodreplay", "-deadline", "220s")
	if sum["flood_barrier"] != true {
		t.Errorf("bob did not answer a probe after the flood: the replay may have raced it (summary %v)", sum)
	}
}

// TestAttackRoomReconnecting: while bob's verified connection to alice is reconnecting
// (alice is stopped, so bob's transport is down), a forged unload or an offer in alice's
// full name signed with the attacker's own key must change nothing: once alice continues,
// the session resumes and a line reaches bob once. Before the fix both tore the session
// down (only a connection whose transport was up was protected).
func TestAttackRoomReconnecting(t *testing.T) {
	t.Parallel()
	for _, kind := range []string{"unload", "selfsigned"} {
		t.Run(kind, func(t *testing.T) {
			w := newWorld(t)
			w.friends("alice", "bob")
			bob := w.listening("bob", "-v")
			a := roomStartAttack(t, w, "forge", "-kind", kind)
			a.wait(w.ctx, "watching")
			c, wr := roomConnect(t, w)
			a.wait(w.ctx, "captured")
			// Only an established connection (each side verified the other) reconnects.
			if err := bob.waitFor(w.ctx, bob.stderr, "to=established"); err != nil {
				t.Fatalf("bob's connection never became established: %v", err)
			}
			if err := c.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
				t.Fatal(err)
			}
			stopped := true
			defer func() {
				if stopped {
					_ = c.cmd.Process.Signal(syscall.SIGCONT)
				}
			}()
			if err := bob.waitFor(w.ctx, bob.stderr, "reconnecting"); err != nil {
				t.Fatalf("bob never noticed: %v", err)
			}
			a.say("go")
			sent := a.wait(w.ctx, "sent")
			t.Logf("forged %s while bob reconnects (barrier: bob handled it: %v)", kind, sent["barrier"])
			if err := c.cmd.Process.Signal(syscall.SIGCONT); err != nil {
				t.Fatal(err)
			}
			stopped = false
			fmt.Fprintln(wr, "line after the outage")
			if err := roomLineOrEnd(w, c, bob, "alice: line after the outage\n", 40*time.Second); err != nil {
				t.Errorf("the line sent after the outage never reached bob: %v; alice: %s", err, c.stderr.String())
			}
			wr.Close()
			if code, err := c.wait(w.ctx); err != nil || code != 0 {
				t.Errorf("connect after EOF: exit %d (%v); want 0; stderr: %s", code, err, c.stderr.String())
			}
			t.Logf("forge summary: %v", a.stop(w.ctx))
		})
	}
}

// TestAttackRoomForgedRenameVerified: a forged nameChange {oldName: alice's full name} while
// alice's connection is verified. rtchat never renames itself live, so for a name pinned as
// rtchat it must change nothing: before the fix bob re-filed the verified connection under
// alice(evil), announced the rename (NDJSON "renamed"), and would have ignored alice's real
// ICE restarts and offers, which come under her real full name.
func TestAttackRoomForgedRenameVerified(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.friends("alice", "bob")
	bob := w.start("bob", nil, "listen", "--json")
	if err := bob.waitFor(w.ctx, bob.stdout, `"type":"listening"`); err != nil {
		t.Fatal(err)
	}
	a := roomStartAttack(t, w, "forge", "-kind", "namechange")
	a.wait(w.ctx, "watching")
	c, wr := roomConnect(t, w)
	capt := a.wait(w.ctx, "captured")
	a.say("go")
	sent := a.wait(w.ctx, "sent")
	t.Logf("forged nameChange of %v (barrier: bob handled it: %v)", capt["alice"], sent["barrier"])
	fmt.Fprintln(wr, "line after the rename")
	if err := roomLineOrEnd(w, c, bob, `"text":"line after the rename"`, 15*time.Second); err != nil {
		t.Errorf("the line after the forged nameChange never reached bob: %v", err)
	}
	wr.Close()
	if code, err := c.wait(w.ctx); err != nil || code != 0 {
		t.Errorf("connect after EOF: exit %d (%v); want 0; stderr: %s", code, err, c.stderr.String())
	}
	if out := bob.stdout.String(); strings.Contains(out, `"renamed"`) || strings.Contains(out, "(evil)") {
		t.Errorf("bob took the forged nameChange:\n%s", out)
	}
	a.stop(w.ctx)
}

// TestAttackRoomReplayedSealedOffer: alice's sealed offer to bob's listener, captured from
// the topic and readdressed to a second process of bob's (same identity, another full name
// and sealing key, started after the capture): it does not open there, so that process
// drops it after one AEAD open, before any signature check; alice's live session with the
// first process goes on.
func TestAttackRoomReplayedSealedOffer(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.friends("alice", "bob")
	bob := w.listening("bob")
	a := roomStartAttack(t, w, "forge", "-kind", "replayother")
	a.wait(w.ctx, "watching")
	c, wr := roomConnect(t, w)
	capt := a.wait(w.ctx, "captured")
	bob2 := w.listening("bob", "-v")
	a.say("go")
	sent := a.wait(w.ctx, "sent")
	t.Logf("alice's offer to %v replayed to the other bob (barrier: %v)", capt["bob"], sent["barrier"])
	ctx, cancel := context.WithTimeout(w.ctx, 15*time.Second)
	defer cancel()
	if err := bob2.waitFor(ctx, bob2.stderr, "ignoring a sealed offer that does not open"); err != nil {
		t.Errorf("the second bob did not drop the replayed sealed offer as unopenable: %v\n%s", err, bob2.stderr.String())
	}
	fmt.Fprintln(wr, "line after the replay")
	if err := roomLineOrEnd(w, c, bob, "alice: line after the replay\n", 15*time.Second); err != nil {
		t.Errorf("alice's session with the first bob did not go on: %v", err)
	}
	sum := a.stop(w.ctx)
	t.Logf("summary: %v", sum)
	if sum["replayed_to"] == capt["bob"] || sum["replayed_to"] == nil {
		t.Errorf("replayed to %v, want another process than %v", sum["replayed_to"], capt["bob"])
	}
}
