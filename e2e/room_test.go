package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The room: 'rtchat connect' without a peer, and send/ask to several peers, with the real
// binary and real brokers.

// roomProc is 'rtchat connect --json' (the room) with its stdin on a pipe.
type roomProc struct {
	*proc
	who  string
	full string // its full name in the room, from its listening object
	in   *os.File
}

// startRoom runs the room as who with NDJSON on stdout and waits until it is in the room.
func startRoom(t *testing.T, w *world, who string, args ...string) *roomProc {
	t.Helper()
	r, wr, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); wr.Close() })
	p := w.start(who, r, append([]string{"--json", "connect"}, args...)...)
	rp := &roomProc{proc: p, who: who, in: wr}
	objs := rp.waitObjects(t, w.ctx, "its listening object", func(objs []map[string]any) bool { return len(objs) > 0 })
	if objs[0]["type"] != "listening" {
		t.Fatalf("%s: first object %v, want listening", who, objs[0])
	}
	rp.full, _ = objs[0]["name"].(string)
	return rp
}

func (r *roomProc) say(t *testing.T, line string) {
	t.Helper()
	if _, err := fmt.Fprintln(r.in, line); err != nil {
		t.Fatalf("%s: write stdin: %v", r.who, err)
	}
}

// objects parses its stdout so far: every complete line is an NDJSON object.
func (r *roomProc) objects(t testing.TB) []map[string]any {
	t.Helper()
	return r.parse(t, r.stdout.String())
}

func (r *roomProc) parse(t testing.TB, out string) []map[string]any {
	t.Helper()
	out = out[:strings.LastIndexByte(out, '\n')+1]
	var objs []map[string]any
	for _, line := range strings.Split(out, "\n") {
		if line == "" {
			continue
		}
		var o map[string]any
		if err := json.Unmarshal([]byte(line), &o); err != nil {
			t.Fatalf("%s: stdout line %q is not JSON: %v", r.who, line, err)
		}
		objs = append(objs, o)
	}
	return objs
}

// waitObjects waits until ok holds for its objects (checked again on every write to its
// stdout) and returns them.
func (r *roomProc) waitObjects(t testing.TB, ctx context.Context, what string, ok func([]map[string]any) bool) []map[string]any {
	t.Helper()
	b := r.stdout
	wake := func() { b.mu.Lock(); b.cond.Broadcast(); b.mu.Unlock() }
	stop := context.AfterFunc(ctx, wake)
	defer stop()
	ended := make(chan struct{})
	defer close(ended)
	go func() {
		select {
		case <-r.done:
			wake()
		case <-ended:
		}
	}()
	exited := func() bool {
		select {
		case <-r.done:
			return true
		default:
			return false
		}
	}
	for {
		out := b.String()
		if objs := r.parse(t, out); ok(objs) {
			return objs
		}
		if exited() {
			t.Fatalf("%s ended before %s; stdout:\n%s\nstderr:\n%s", r.who, what, out, r.stderr.String())
		}
		if ctx.Err() != nil {
			t.Fatalf("%s: waiting for %s: %v; stdout:\n%s", r.who, what, ctx.Err(), out)
		}
		b.mu.Lock()
		for b.buf.Len() == len(out) && ctx.Err() == nil && !exited() {
			b.cond.Wait()
		}
		b.mu.Unlock()
	}
}

// of returns the objects of one type from one peer (by bare name; "" any).
func of(objs []map[string]any, typ, name string) []map[string]any {
	var out []map[string]any
	for _, o := range objs {
		if o["type"] == typ && (name == "" || o["name"] == name) {
			out = append(out, o)
		}
	}
	return out
}

// joinedPeers is the set of full names that joined.
func joinedPeers(objs []map[string]any) map[string]int {
	m := map[string]int{}
	for _, o := range of(objs, "joined", "") {
		m[o["peer"].(string)]++
	}
	return m
}

// messages counts the messages from a bare name on a channel with that text.
func messages(objs []map[string]any, from, channel, text string) int {
	n := 0
	for _, o := range of(objs, "message", from) {
		if o["channel"] == channel && o["text"] == text {
			n++
		}
	}
	return n
}

func (r *roomProc) waitJoined(t testing.TB, ctx context.Context, n int) []map[string]any {
	t.Helper()
	return r.waitObjects(t, ctx, fmt.Sprintf("%d peers joined", n), func(objs []map[string]any) bool { return len(joinedPeers(objs)) >= n })
}

func (r *roomProc) waitMessage(t testing.TB, ctx context.Context, from, channel, text string) []map[string]any {
	t.Helper()
	return r.waitObjects(t, ctx, fmt.Sprintf("%s's %s %q", from, channel, text), func(objs []map[string]any) bool { return messages(objs, from, channel, text) > 0 })
}

// stop closes its stdin and wants exit 0.
func (r *roomProc) stop(t *testing.T, ctx context.Context) {
	t.Helper()
	r.in.Close()
	if code, err := r.wait(ctx); err != nil || code != 0 {
		t.Errorf("%s after stdin ended: exit %d, %v; stderr:\n%s", r.who, code, err, r.stderr.String())
	}
}

// TestRoomThree: three in the room, one of them at a terminal. A line reaches the two others
// exactly once; a direct message only its target; /who lists both with their fingerprints;
// a peer killed mid-room is shown as left and the two others keep chatting.
func TestRoomThree(t *testing.T) {
	t.Parallel()
	testRoomThree(t, newWorld(t))
}

func TestRoomThreeMosquitto(t *testing.T) {
	t.Parallel()
	testRoomThree(t, newMosquittoWorld(t))
}

func testRoomThree(t *testing.T, w *world) {
	w.friends("alice", "bob", "carol")
	fp := map[string]string{}
	for _, n := range []string{"bob", "carol"} {
		out := w.mustRun(n, "keys", "show", "--json")
		var o struct{ Fingerprint string }
		if err := json.Unmarshal([]byte(out), &o); err != nil || o.Fingerprint == "" {
			t.Fatalf("keys show --json: %q %v", out, err)
		}
		fp[n] = o.Fingerprint
	}
	bob := startRoom(t, w, "bob", "--reconnect", "2s")
	carol := startRoom(t, w, "carol", "--reconnect", "2s")
	alice := newTmux(t, w, "alice", "connect", "--reconnect", "2s")
	alice.waitScreen(w.ctx, "Ctrl-D leaves.")
	alice.waitScreen(w.ctx, bob.full+" joined, key verified ("+fp["bob"]+")")
	alice.waitScreen(w.ctx, carol.full+" joined, key verified ("+fp["carol"]+")")
	for _, r := range []*roomProc{bob, carol} {
		objs := r.waitJoined(t, w.ctx, 2)
		for _, o := range of(objs, "joined", "") {
			if o["verified"] != true || o["bound"] != true {
				t.Errorf("%s: %v", r.who, o)
			}
		}
	}
	aliceFull := ""
	for p := range joinedPeers(bob.objects(t)) {
		if strings.HasPrefix(p, "alice(") {
			aliceFull = p
		}
	}

	alice.tmux("send-keys", "-t", alice.name, "-l", "hello room")
	alice.tmux("send-keys", "-t", alice.name, "Enter")
	for _, r := range []*roomProc{bob, carol} {
		r.waitMessage(t, w.ctx, "alice", "chat", "hello room")
	}
	bob.say(t, "hi from bob")
	alice.waitScreen(w.ctx, "\nbob: hi from bob")
	carol.waitMessage(t, w.ctx, "bob", "chat", "hi from bob")

	// A direct message goes to its target only, and shows as one on the other side.
	alice.tmux("send-keys", "-t", alice.name, "-l", "/dm bob psst, only you")
	alice.tmux("send-keys", "-t", alice.name, "Enter")
	bob.waitMessage(t, w.ctx, "alice", "dm", "psst, only you")
	carol.say(t, "/dm alice not a command when piped")
	alice.waitScreen(w.ctx, "\ncarol: /dm alice not a command when piped")

	alice.tmux("send-keys", "-t", alice.name, "-l", "/who")
	alice.tmux("send-keys", "-t", alice.name, "Enter")
	alice.waitScreen(w.ctx, "with 2 others:")
	for _, n := range []*roomProc{bob, carol} {
		waitScreenLine(t, w.ctx, alice, func(line string) bool {
			return strings.HasPrefix(line, "rtchat:   "+n.full+" ") && strings.Contains(line, " key "+fp[n.who]+"  verified, bound to this connection")
		})
	}

	// The two chat lines came in order on one connection each: the first was there once.
	alice.tmux("send-keys", "-t", alice.name, "-l", "after the dm")
	alice.tmux("send-keys", "-t", alice.name, "Enter")
	for _, r := range []*roomProc{bob, carol} {
		objs := r.waitMessage(t, w.ctx, "alice", "chat", "after the dm")
		if n := messages(objs, "alice", "chat", "hello room"); n != 1 {
			t.Errorf("%s got alice's line %d times, want once", r.who, n)
		}
		if j := joinedPeers(objs); len(j) != 2 || j[aliceFull] != 1 {
			t.Errorf("%s: joined %v, want alice and one other, once each", r.who, j)
		}
		if d := of(objs, "disconnected", ""); len(d) != 0 {
			t.Errorf("%s: connections ended mid-room: %v", r.who, d)
		}
	}
	if n := len(of(carol.objects(t), "message", "alice")); n != 2 {
		t.Errorf("carol got %d messages from alice, want the two chat lines (no direct message): %v", n, of(carol.objects(t), "message", "alice"))
	}

	// carol dies without a word: the others wait --reconnect, then say she left.
	_ = carol.cmd.Process.Signal(syscall.SIGKILL)
	if _, err := carol.wait(w.ctx); err != nil {
		t.Fatal(err)
	}
	alice.waitScreen(w.ctx, carol.full+" left")
	bob.waitObjects(t, w.ctx, "carol's end", func(objs []map[string]any) bool { return len(of(objs, "disconnected", "carol")) > 0 })
	alice.tmux("send-keys", "-t", alice.name, "-l", "still here")
	alice.tmux("send-keys", "-t", alice.name, "Enter")
	bob.waitMessage(t, w.ctx, "alice", "chat", "still here")
	bob.say(t, "me too")
	alice.waitScreen(w.ctx, "\nbob: me too")

	alice.tmux("send-keys", "-t", alice.name, "C-d")
	if code := alice.exitStatus(w.ctx); code != 0 {
		t.Errorf("alice's Ctrl-D: exit %d\n%s", code, alice.screen())
	}
	bob.waitObjects(t, w.ctx, "alice's leaving", func(objs []map[string]any) bool { return len(of(objs, "disconnected", "alice")) > 0 })
	bob.stop(t, w.ctx)
	if strings.Contains(carol.stdout.String(), "psst") {
		t.Errorf("carol got the direct message to bob:\n%s", carol.stdout.String())
	}
}

// waitScreenLine polls the pane until one of its lines satisfies ok (tmux cannot push
// screen changes); the test's deadline bounds it.
func waitScreenLine(t *testing.T, ctx context.Context, s *tmuxSession, ok func(string) bool) {
	t.Helper()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		scr := s.screen()
		for _, line := range strings.Split(scr, "\n") {
			if ok(line) {
				return
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the terminal never showed the line; screen:\n%s", scr)
		case <-tick.C:
		}
	}
}

// TestRoomTwenty: twenty rtchat processes in one room all join each other (190
// connections, one per pair: no connection ends, nobody joins twice), and a line from one
// reaches the nineteen others exactly once.
func TestRoomTwenty(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	const n = 20
	names := roomNames(n)
	start := time.Now()
	roomIdentities(t, w, names)
	t.Logf("%d identities made and pinned in %v", n, time.Since(start).Round(time.Millisecond))
	start = time.Now()
	procs := make([]*roomProc, n)
	for i, name := range names {
		procs[i] = startRoom(t, w, name)
	}
	for _, p := range procs {
		objs := p.waitJoined(t, w.ctx, n-1)
		if j := joinedPeers(objs); len(j) != n-1 {
			t.Fatalf("%s joined %d peers: %v", p.who, len(j), j)
		}
	}
	t.Logf("full mesh of %d processes (%d connections) %v after the first started", n, n*(n-1)/2, time.Since(start).Round(time.Millisecond))
	procs[0].say(t, "hello twenty")
	procs[0].say(t, "the second line")
	procs[n-1].say(t, "from the last")
	for _, p := range procs[1:] {
		objs := p.waitMessage(t, w.ctx, names[0], "chat", "the second line")
		if c := messages(objs, names[0], "chat", "hello twenty"); c != 1 {
			t.Errorf("%s got the line %d times, want once", p.who, c)
		}
	}
	for _, p := range procs[:n-1] {
		p.waitMessage(t, w.ctx, names[n-1], "chat", "from the last")
	}
	meshSteady(t, procs)
	stopRooms(t, w, procs)
}

// meshSteady: in every room process each peer joined once and no connection ended.
func meshSteady(t *testing.T, procs []*roomProc) {
	t.Helper()
	for _, p := range procs {
		objs := p.objects(t)
		for peer, c := range joinedPeers(objs) {
			if c != 1 {
				t.Errorf("%s: %s joined %d times", p.who, peer, c)
			}
		}
		if d := of(objs, "disconnected", ""); len(d) != 0 {
			t.Errorf("%s: connections ended in the mesh: %v", p.who, d)
		}
	}
}

// startRooms starts a room process for every name at once and waits until each is in the
// room.
func startRooms(t *testing.T, w *world, names []string) []*roomProc {
	t.Helper()
	procs := make([]*roomProc, len(names))
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Add(1)
		go func() { defer wg.Done(); procs[i] = startRoom(t, w, name) }()
	}
	wg.Wait()
	for _, p := range procs {
		if p == nil {
			t.FailNow() // startRoom failed (and said why)
		}
	}
	return procs
}

// stopRooms closes every room's stdin at once and wants each to exit 0.
func stopRooms(t *testing.T, w *world, procs []*roomProc) {
	t.Helper()
	var wg sync.WaitGroup
	for _, p := range procs {
		wg.Add(1)
		go func() { defer wg.Done(); p.in.Close() }()
	}
	wg.Wait()
	for _, p := range procs {
		if code, err := p.wait(w.ctx); err != nil || code != 0 {
			t.Errorf("%s after stdin ended: exit %d, %v", p.who, code, err)
		}
	}
}

func roomNames(n int) []string {
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("p%02d", i)
	}
	return names
}

// roomIdentities makes an identity for every name and pins them all to each other: one
// 'keys gen' and one 'keys register -' per name, all at once.
func roomIdentities(t testing.TB, w *world, names []string) {
	t.Helper()
	ids := make([]string, len(names))
	errs := make([]string, len(names))
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, stderr, code := w.run(name, nil, "keys", "gen", "--name", name)
			if code != 0 {
				errs[i] = fmt.Sprintf("keys gen %s: exit %d: %s", name, code, stderr)
			}
			ids[i] = strings.TrimSpace(out)
		}()
	}
	wg.Wait()
	for i, name := range names {
		if errs[i] != "" {
			t.Fatal(errs[i])
		}
		w.ids[name] = ids[i]
	}
	for i, name := range names {
		var others []string
		for j := range names {
			if j != i {
				others = append(others, ids[j])
			}
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, stderr, code := w.run(name, strings.NewReader(strings.Join(others, "\n")+"\n"), "keys", "register", "-"); code != 0 {
				errs[i] = fmt.Sprintf("keys register - as %s: exit %d: %s", name, code, stderr)
			}
		}()
	}
	wg.Wait()
	for _, e := range errs {
		if e != "" {
			t.Fatal(e)
		}
	}
}

// TestSendAskAll: --all against five listeners, one of which has not pinned the sender:
// one result per listener, four ok and one refused, exit 3 (the highest failing code);
// --to names some; a name nobody uses times out (4).
func TestSendAskAll(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ls := []string{"l1", "l2", "l3", "l4", "l5"}
	for _, n := range append([]string{"alice", "ghost"}, ls...) {
		w.identity(n)
	}
	listeners := map[string]*proc{}
	for _, n := range append([]string{"ghost"}, ls...) {
		w.pin("alice", n)
	}
	for _, n := range ls {
		if n != "l5" { // l5 has not pinned alice: it refuses her
			w.pin(n, "alice")
		}
		listeners[n] = w.listening(n, "--exec", "echo answer of "+n)
	}

	out, errs, code := w.run("alice", nil, "send", "--all", "--json", "to", "everyone")
	objs := ndjson(t, "send --all", out)
	results := of(objs, "result", "")
	if code != 3 || len(results) != 5 {
		t.Fatalf("send --all: exit %d, %d results; want exit 3 and 5 results\n%s\n%s", code, len(results), out, errs)
	}
	for _, r := range results {
		name := r["name"].(string)
		refused := name == "l5"
		if r["ok"] == refused || (refused && (r["code"] != 3.0 || !strings.Contains(r["error"].(string), "has not pinned our key") || r["hint"] == nil)) ||
			(!refused && r["code"] != 0.0) || !strings.HasPrefix(r["peer"].(string), name+"(") {
			t.Errorf("send --all: result %v", r)
		}
		if !refused && !strings.Contains(listeners[name].stdout.String(), "alice: to everyone\n") {
			t.Errorf("%s did not print the message (send exits once it did):\n%s", name, listeners[name].stdout.String())
		}
	}
	if last := objs[len(objs)-1]; last["type"] != "error" || last["code"] != 3.0 || last["error"] != "not delivered to 1 of 5 peers" {
		t.Errorf("send --all: last object %v", last)
	}
	jsonDocumented(t, jsonDocFields(t), "send --all", objs)
	if strings.Contains(listeners["l5"].stdout.String(), "to everyone") {
		t.Error("l5, which refused alice, printed her message")
	}

	// The human form: failures and a summary on stderr, nothing on stdout.
	out, errs, code = w.run("alice", nil, "send", "--all", "second")
	if code != 3 || out != "" || !strings.Contains(errs, "rtchat: delivered to 4 of 5 peers: l1, l2, l3, l4\n") ||
		!strings.Contains(errs, "has not pinned our key") || !strings.Contains(errs, "rtchat: not delivered to 1 of 5 peers\n") {
		t.Errorf("send --all (human): exit %d, stdout %q, stderr:\n%s", code, out, errs)
	}

	out, errs, code = w.run("alice", nil, "ask", "--all", "--json", "--topic", "t1", "x")
	objs = ndjson(t, "ask --all", out)
	results = of(objs, "result", "")
	if code != 3 || len(results) != 5 {
		t.Fatalf("ask --all: exit %d, %d results\n%s\n%s", code, len(results), out, errs)
	}
	for _, r := range results {
		name := r["name"].(string)
		if name == "l5" {
			if r["ok"] != false || r["code"] != 3.0 || r["answer"] != nil {
				t.Errorf("ask --all: l5's result %v", r)
			}
			continue
		}
		if r["ok"] != true || r["answer"] != "answer of "+name || r["topic"] != "t1" || r["code"] != 0.0 {
			t.Errorf("ask --all: result %v", r)
		}
	}
	jsonDocumented(t, jsonDocFields(t), "ask --all", objs)

	out, errs, code = w.run("alice", nil, "ask", "--all", "x")
	if want := "l1: answer of l1\nl2: answer of l2\nl3: answer of l3\nl4: answer of l4\n"; code != 3 || out != want ||
		!strings.Contains(errs, "rtchat: no answer from 1 of 5 peers\n") {
		t.Errorf("ask --all (human): exit %d, stdout %q (want %q), stderr:\n%s", code, out, want, errs)
	}

	out, errs, code = w.run("alice", nil, "ask", "--to", "l2,l1", "x")
	if want := "l2: answer of l2\nl1: answer of l1\n"; code != 0 || out != want {
		t.Errorf("ask --to l2,l1: exit %d, stdout %q (want %q), stderr:\n%s", code, out, want, errs)
	}

	out, errs, code = w.run("alice", nil, "send", "--json", "--timeout", "3s", "--to", "l3", "--to", "ghost", "hi")
	objs = ndjson(t, "send --to", out)
	results = of(objs, "result", "")
	if code != 4 || len(results) != 2 || results[0]["name"] != "l3" || results[0]["ok"] != true ||
		results[1]["name"] != "ghost" || results[1]["code"] != 4.0 || results[1]["peer"] != nil {
		t.Errorf("send --to l3 --to ghost: exit %d, results %v\n%s", code, results, errs)
	}
}

// TestRoomBarebones: the web client's barebones client (no identity keys) in the room. By
// default it is refused at once, with the reason and what to do; under --trust unverified
// it joins unverified, each of its lines is marked so, and it gets what is said.
func TestRoomBarebones(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.identity("alice")
	zed, say := startBarebones(t, w, "zed")

	r, wr, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); wr.Close() })
	human := w.start("alice", r, "--trust", "tofu", "connect")
	if err := human.waitFor(w.ctx, human.stderr, "hint: to talk to it anyway, unverified, use --trust unverified"); err != nil {
		t.Fatalf("no refusal of the keyless client: %v\n%s", err, human.stderr.String())
	}
	if !strings.Contains(human.stderr.String(), "rtchat: refused zed: zed uses a client without identity keys; rtchat cannot verify it\n") {
		t.Errorf("refusal line:\n%s", human.stderr.String())
	}
	wr.Close()
	if code, err := human.wait(w.ctx); err != nil || code != 0 {
		t.Fatalf("room after stdin ended: exit %d, %v", code, err)
	}

	js := startRoom(t, w, "alice")
	objs := js.waitObjects(t, w.ctx, "the refusal", func(objs []map[string]any) bool { return len(of(objs, "refused", "zed")) > 0 })
	if ref := of(objs, "refused", "zed")[0]; ref["code"] != 3.0 || ref["hint"] == nil {
		t.Errorf("refused object %v", ref)
	}
	js.stop(t, w.ctx)

	// Under --trust unverified: talked to, and marked.
	r2, wr2, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r2.Close(); wr2.Close() })
	un := w.start("alice", r2, "--trust", "unverified", "connect", "--settle", "0")
	if err := un.waitFor(w.ctx, un.stderr, "zed joined UNVERIFIED"); err != nil {
		t.Fatalf("the keyless client never joined: %v\n%s", err, un.stderr.String())
	}
	say("I am bob, trust me")
	if err := un.waitFor(w.ctx, un.stdout, "\n"); err != nil {
		t.Fatal(err)
	}
	if got := un.stdout.String(); got != "[unverified] zed: I am bob, trust me\n" {
		t.Errorf("the keyless client's line printed as %q", got)
	}
	fmt.Fprintln(wr2, "hello zed")
	if err := zed.waitFor(w.ctx, zed.stdout, "hello zed"); err != nil || !strings.Contains(zed.stdout.String(), "chat alice(") {
		t.Fatalf("zed never got the line: %v\n%s", err, zed.stdout.String())
	}
	wr2.Close()
	if code, err := un.wait(w.ctx); err != nil || code != 0 {
		t.Errorf("room after stdin ended: exit %d, %v", code, err)
	}
	if strings.Contains(un.stderr.String(), "warning") {
		t.Errorf("--trust unverified as a flag was warned about:\n%s", un.stderr.String())
	}

	js = startRoom(t, w, "alice", "--trust", "unverified")
	objs = js.waitObjects(t, w.ctx, "zed joined", func(objs []map[string]any) bool { return len(of(objs, "joined", "zed")) > 0 })
	if j := of(objs, "joined", "zed")[0]; j["verified"] != false || j["bound"] != false {
		t.Errorf("joined object %v", j)
	}
	say("second line")
	objs = js.waitMessage(t, w.ctx, "zed", "chat", "second line")
	for _, m := range of(objs, "message", "zed") {
		if m["verified"] != false {
			t.Errorf("message object %v: want verified false", m)
		}
	}
	js.stop(t, w.ctx)
}
