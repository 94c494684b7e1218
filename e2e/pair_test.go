package e2e

// First contact with a one-time code: `rtchat keys invite` and `rtchat keys accept CODE`
// as real processes on the embedded broker and on Debian's mosquitto; then the attacks a
// stranger on the room topic can make on an invitation: a wrong code, guessing, pairing
// with a taken name or with oneself.

import (
	"bufio"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

// inviting starts `keys invite --json` as name and returns the process and its code.
func (w *world) inviting(name string, args ...string) (*proc, string) {
	w.t.Helper()
	p := w.start(name, nil, append([]string{"keys", "invite", "--json"}, args...)...)
	if err := p.waitFor(w.ctx, p.stdout, "\n"); err != nil {
		w.t.Fatalf("invite as %s: %v\nstderr: %s", name, err, p.stderr.String())
	}
	line, _, _ := strings.Cut(p.stdout.String(), "\n")
	var inv struct{ Type, Code string }
	if err := json.Unmarshal([]byte(line), &inv); err != nil || inv.Type != "invite" || inv.Code == "" {
		w.t.Fatalf("invite's first line %q: %v", line, err)
	}
	return p, inv.Code
}

// exitOf waits for p and returns its exit code.
func (w *world) exitOf(p *proc) int {
	w.t.Helper()
	code, err := p.wait(w.ctx)
	if err != nil {
		w.t.Fatalf("%v\nstderr: %s", err, p.stderr.String())
	}
	return code
}

// pins is `keys list --json` as name: pinned name → fingerprint.
func (w *world) pins(name string) map[string]string {
	w.t.Helper()
	out := w.mustRun(name, "keys", "list", "--json")
	pins := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line == "" {
			continue
		}
		var p struct{ Name, Fingerprint string }
		if err := json.Unmarshal([]byte(line), &p); err != nil {
			w.t.Fatalf("keys list line %q: %v", line, err)
		}
		pins[p.Name] = p.Fingerprint
	}
	return pins
}

// fingerprint of name's identity.
func (w *world) fingerprint(name string) string {
	w.t.Helper()
	var id struct{ Fingerprint string }
	if err := json.Unmarshal([]byte(w.mustRun(name, "keys", "show", "--json")), &id); err != nil {
		w.t.Fatal(err)
	}
	return id.Fingerprint
}

type pairedLine struct {
	Type, Name, IdentityName, Fingerprint, PublicKeyString, Result string
}

func paired(t *testing.T, who, stdout string) pairedLine {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	var p pairedLine
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &p); err != nil || p.Type != "paired" {
		t.Fatalf("%s: last line of %q is not a paired object: %v", who, stdout, err)
	}
	return p
}

func testPairThenAsk(t *testing.T, w *world) {
	w.identity("alice")
	w.identity("bob")
	inv, code := w.inviting("alice")
	out, errs, rc := w.run("bob", nil, "keys", "accept", "--json", code)
	if rc != 0 {
		t.Fatalf("accept: exit %d\n%s\ninviter: %s", rc, errs, inv.stderr.String())
	}
	if rc := w.exitOf(inv); rc != 0 {
		t.Fatalf("invite: exit %d\n%s", rc, inv.stderr.String())
	}
	a, b := paired(t, "alice", inv.stdout.String()), paired(t, "bob", out)
	if a.Name != "bob" || a.Fingerprint != w.fingerprint("bob") || a.Result != "added" {
		t.Errorf("alice paired with %+v", a)
	}
	if b.Name != "alice" || b.Fingerprint != w.fingerprint("alice") || b.Result != "added" {
		t.Errorf("bob paired with %+v", b)
	}
	if w.pins("alice")["bob"] != w.fingerprint("bob") || w.pins("bob")["alice"] != w.fingerprint("alice") {
		t.Errorf("pins: alice %v, bob %v", w.pins("alice"), w.pins("bob"))
	}
	// Verified at once, both ways, with no code and no other step.
	w.listening("bob", "--exec", `echo "hello $RTCHAT_PEER"`)
	ans, errs, rc := w.run("alice", nil, "ask", "bob", "hi")
	if rc != 0 || strings.TrimSpace(ans) != "hello alice" {
		t.Fatalf("ask after pairing: exit %d, %q\n%s", rc, ans, errs)
	}
}

func TestPairThenAsk(t *testing.T) { testPairThenAsk(t, newWorld(t)) }

func TestPairThenAskMosquitto(t *testing.T) { testPairThenAsk(t, newMosquittoWorld(t)) }

// wrongCode is code with its last word changed (same meeting place).
func wrongCode(code string) string {
	i := strings.LastIndex(code, "-")
	if code[i+1:] == "acid" {
		return code[:i] + "-acorn"
	}
	return code[:i] + "-acid"
}

// A wrong code ends the invitation on both sides: exit 3, nothing pinned, a clear message.
func TestPairWrongCode(t *testing.T) {
	w := newWorld(t)
	w.identity("alice")
	w.identity("bob")
	inv, code := w.inviting("alice")
	_, errs, rc := w.run("bob", nil, "keys", "accept", wrongCode(code))
	if rc != 3 || !strings.Contains(errs, "wrong code") {
		t.Errorf("accept with a wrong code: exit %d, want 3\n%s", rc, errs)
	}
	if rc := w.exitOf(inv); rc != 3 || !strings.Contains(inv.stderr.String(), "wrong code") {
		t.Errorf("invite after a wrong code: exit %d, want 3\n%s", rc, inv.stderr.String())
	}
	if len(w.pins("alice"))+len(w.pins("bob")) != 0 {
		t.Errorf("pinned after a wrong code: alice %v, bob %v", w.pins("alice"), w.pins("bob"))
	}
}

// A third rtchat on the topic tries codes for alice's invitation before bob comes: its
// first guess ends the invitation, its next ones and then bob's right code find nobody;
// nobody pins anything.
func TestPairGuessingAttacker(t *testing.T) {
	w := newWorld(t)
	for _, n := range []string{"alice", "bob", "mallory"} {
		w.identity(n)
	}
	inv, code := w.inviting("alice")
	guess := wrongCode(code)
	_, errs, rc := w.run("mallory", nil, "keys", "accept", guess)
	if rc != 3 {
		t.Errorf("mallory's first guess: exit %d, want 3\n%s", rc, errs)
	}
	if rc := w.exitOf(inv); rc != 3 || !strings.Contains(inv.stderr.String(), "wrong code") {
		t.Errorf("alice after mallory's guess: exit %d, want 3\n%s", rc, inv.stderr.String())
	}
	plate, _, _ := strings.Cut(code, "-")
	for _, g := range []string{plate + "-acid-acorn", plate + "-amber-orbit", code} {
		who := "mallory"
		if g == code {
			who = "bob" // the right code, too late
		}
		_, errs, rc := w.run(who, nil, "keys", "accept", "--timeout", "3s", g)
		if rc == 0 {
			t.Errorf("%s paired with %s after the invitation ended\n%s", who, g, errs)
		}
	}
	for _, n := range []string{"alice", "bob", "mallory"} {
		if p := w.pins(n); len(p) != 0 {
			t.Errorf("%s pinned %v", n, p)
		}
	}
}

// A name pinned to another key is not replaced without --replace; --as pins under another
// name; --replace replaces.
func TestPairTakenName(t *testing.T) {
	w := newWorld(t)
	w.identity("alice")
	w.identity("bob")
	carol := w.identity("carol")
	_, carolKey, _ := strings.Cut(carol, "|")
	w.mustRun("alice", "keys", "register", "bob", carolKey) // alice knows another bob
	before := w.pins("alice")

	inv, code := w.inviting("alice")
	_, errs, rc := w.run("bob", nil, "keys", "accept", code)
	if rc == 0 || !strings.Contains(errs, "refused") {
		t.Errorf("accept while alice has another bob: exit %d\n%s", rc, errs)
	}
	if rc := w.exitOf(inv); rc == 0 || !strings.Contains(inv.stderr.String(), "--replace") {
		t.Errorf("invite with a taken name: exit %d, want a refusal naming --replace\n%s", rc, inv.stderr.String())
	}
	if after := w.pins("alice"); after["bob"] != before["bob"] || len(after) != 1 {
		t.Errorf("alice's pins changed: %v → %v", before, after)
	}
	if p := w.pins("bob"); len(p) != 0 {
		t.Errorf("bob pinned %v after alice refused", p)
	}

	inv, code = w.inviting("alice", "--as", "bob2")
	if _, errs, rc := w.run("bob", nil, "keys", "accept", code); rc != 0 {
		t.Fatalf("accept with --as on the inviter: exit %d\n%s", rc, errs)
	}
	if rc := w.exitOf(inv); rc != 0 {
		t.Fatalf("invite --as bob2: exit %d\n%s", rc, inv.stderr.String())
	}
	if p := w.pins("alice"); p["bob2"] != w.fingerprint("bob") || p["bob"] != before["bob"] {
		t.Errorf("alice's pins after --as bob2: %v", p)
	}

	inv, code = w.inviting("alice", "--replace")
	if _, errs, rc := w.run("bob", nil, "keys", "accept", code); rc != 0 {
		t.Fatalf("accept: exit %d\n%s", rc, errs)
	}
	if rc := w.exitOf(inv); rc != 0 {
		t.Fatalf("invite --replace: exit %d\n%s", rc, inv.stderr.String())
	}
	if p := w.pins("alice"); p["bob"] != w.fingerprint("bob") {
		t.Errorf("alice's bob after --replace: %v", p)
	}
}

// Pairing with myself (the same identity on both ends) is refused and pins nothing.
func TestPairWithMyself(t *testing.T) {
	w := newWorld(t)
	w.identity("alice")
	inv, code := w.inviting("alice")
	_, errs, rc := w.run("alice", nil, "keys", "accept", code)
	if rc == 0 || !strings.Contains(errs, "my own key") {
		t.Errorf("accept of my own invitation: exit %d\n%s", rc, errs)
	}
	if rc := w.exitOf(inv); rc == 0 {
		t.Errorf("invite answered by myself: exit 0\n%s", inv.stderr.String())
	}
	if p := w.pins("alice"); len(p) != 0 {
		t.Errorf("pinned %v", p)
	}
}

// The attack on an acceptor: a fake inviter (e2e/attack/pair) answers bob's hello first,
// with a guessed code. bob gets one guess against him: he exits 3 and pins nothing, and
// the attacker gets no pin of bob's; the guess costs the attacker this invitation.
func TestPairFakeInviter(t *testing.T) {
	w := newWorld(t)
	w.identity("bob")
	bin := buildOnce(t, "./attack/pair")
	att := exec.CommandContext(w.ctx, bin, "-broker", w.url, "-words", "acid-acid")
	stdout, err := att.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := att.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = att.Process.Kill(); _ = att.Wait() })
	lines := bufio.NewScanner(stdout)
	next := func() map[string]any {
		if !lines.Scan() {
			t.Fatalf("attacker ended: %v", lines.Err())
		}
		var ev map[string]any
		if err := json.Unmarshal(lines.Bytes(), &ev); err != nil {
			t.Fatalf("attacker said %q", lines.Text())
		}
		return ev
	}
	if ev := next(); ev["event"] != "ready" {
		t.Fatalf("attacker: %v", ev)
	}
	// bob accepts an invitation whose inviter is not there yet: the attacker answers.
	_, errs, rc := w.run("bob", nil, "keys", "accept", "--timeout", "20s", "42-amber-orbit")
	if rc != 3 || !strings.Contains(errs, "wrong code") {
		t.Errorf("bob answered by a fake inviter: exit %d, want 3\n%s", rc, errs)
	}
	if ev := next(); ev["event"] != "answered" || ev["plate"] != float64(42) {
		t.Errorf("attacker: %v", ev)
	}
	if ev := next(); ev["event"] != "result" || ev["paired"] != false {
		t.Errorf("the attacker paired: %v", ev)
	}
	if p := w.pins("bob"); len(p) != 0 {
		t.Errorf("bob pinned %v", p)
	}
}

// A guesser and the honest acceptor answer at once: whatever the order, nobody pins the
// guesser, the inviter pins bob or nobody, and the guesser pins nobody.
func TestPairRaceWithGuesser(t *testing.T) {
	w := newWorld(t)
	for _, n := range []string{"alice", "bob", "mallory"} {
		w.identity(n)
	}
	inv, code := w.inviting("alice")
	m := w.start("mallory", nil, "keys", "accept", "--timeout", "10s", wrongCode(code))
	b := w.start("bob", nil, "keys", "accept", "--timeout", "10s", code)
	mc, bc, ac := w.exitOf(m), w.exitOf(b), w.exitOf(inv)
	t.Logf("exits: alice %d, bob %d, mallory %d", ac, bc, mc)
	if mc == 0 {
		t.Errorf("mallory's guess paired:\n%s", m.stderr.String())
	}
	pa := w.pins("alice")
	if len(pa) > 1 || (len(pa) == 1 && pa["bob"] != w.fingerprint("bob")) {
		t.Errorf("alice pinned %v", pa)
	}
	if (ac == 0) != (len(pa) == 1) || (ac == 0) != (bc == 0) {
		t.Errorf("exit codes alice %d, bob %d do not match alice's pins %v", ac, bc, pa)
	}
	if p := w.pins("mallory"); len(p) != 0 {
		t.Errorf("mallory pinned %v", p)
	}
}
