package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The second ten minutes of a new user (issue 22): what the README's first steps do not
// show but people type next.

// startOnPipe starts rtchat as name with its stdin on a pipe the test holds open (closed
// at cleanup) and returns the process and the pipe's writing end.
func (w *world) startOnPipe(name string, args ...string) (*proc, *os.File) {
	w.t.Helper()
	r, wr, err := os.Pipe()
	if err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(func() { r.Close(); wr.Close() })
	p := w.start(name, r, args...)
	r.Close()
	return p, wr
}

// configJSONValues runs 'rtchat config --json' as name with extra arguments and
// environment and returns key -> value.
func configJSONValues(t *testing.T, w *world, name string, env []string, args ...string) map[string]string {
	t.Helper()
	saved := w.extraEnv
	w.extraEnv = append(append([]string(nil), saved...), env...)
	defer func() { w.extraEnv = saved }()
	out, errs, code := w.run(name, nil, append(args, "--json", "config")...)
	if code != 0 {
		t.Fatalf("config %v %v: exit %d: %s", env, args, code, errs)
	}
	got := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var o struct{ Key, Value string }
		if err := json.Unmarshal([]byte(line), &o); err != nil {
			t.Fatalf("config line %q: %v", line, err)
		}
		got[o.Key] = o.Value
	}
	return got
}

// TestDurationsTakePlainSeconds: --timeout 5, RTCHAT_TIMEOUT=3 and timeout = 4 in the
// config file are seconds, as are every other duration flag; a waiting send with a plain
// --timeout ends as a timeout (exit 4), not as a usage error; nonsense is still a usage
// error that says what a duration looks like.
func TestDurationsTakePlainSeconds(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.friends("alice", "bob")
	if got := configJSONValues(t, w, "alice", nil, "--timeout", "5", "--reconnect", "2.5"); got["timeout"] != "5s" || got["reconnect"] != "2.5s" {
		t.Errorf("--timeout 5 --reconnect 2.5: timeout %q reconnect %q", got["timeout"], got["reconnect"])
	}
	if got := configJSONValues(t, w, "alice", []string{"RTCHAT_TIMEOUT=3", "RTCHAT_RECONNECT=7"}); got["timeout"] != "3s" || got["reconnect"] != "7s" {
		t.Errorf("RTCHAT_TIMEOUT=3 RTCHAT_RECONNECT=7: timeout %q reconnect %q", got["timeout"], got["reconnect"])
	}
	if err := os.WriteFile(filepath.Join(w.configDir("alice"), "config.toml"), []byte("timeout = 4\nreconnect = \"90\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	saved := w.extraEnv
	w.extraEnv = []string{"RTCHAT_TIMEOUT="} // the file's value, not the harness's
	if got := configJSONValues(t, w, "alice", nil); got["timeout"] != "4s" || got["reconnect"] != "1m30s" {
		t.Errorf("timeout = 4, reconnect = \"90\" in config.toml: timeout %q reconnect %q", got["timeout"], got["reconnect"])
	}
	w.extraEnv = saved
	if err := os.Remove(filepath.Join(w.configDir("alice"), "config.toml")); err != nil {
		t.Fatal(err)
	}

	// bob is pinned but not online: the plain timeouts run out (exit 4).
	if _, errs, code := w.run("alice", nil, "--timeout", "1", "send", "bob", "hi"); code != 4 {
		t.Errorf("send --timeout 1: exit %d, want 4 (timed out)\n%s", code, errs)
	}
	w.extraEnv = []string{"RTCHAT_TIMEOUT=1"}
	if _, errs, code := w.run("alice", nil, "send", "bob", "hi"); code != 4 {
		t.Errorf("RTCHAT_TIMEOUT=1 send: exit %d, want 4 (timed out)\n%s", code, errs)
	}
	w.extraEnv = saved
	if _, errs, code := w.run("alice", nil, "--timeout", "1", "ask", "--all", "--settle", "0.5", "what?"); code == 2 {
		t.Errorf("ask --all --settle 0.5: a usage error\n%s", errs)
	}
	for _, args := range [][]string{
		{"--timeout", "5x", "config"},
		{"--timeout", "inf", "config"},
		{"listen", "--exec", "true", "--exec-timeout", "soon"},
	} {
		_, errs, code := w.run("alice", nil, args...)
		if code != 2 || !strings.Contains(errs, "give seconds (30, 2.5) or a unit (30s, 1m30s, 500ms)") {
			t.Errorf("%v: exit %d, stderr %q; want 2 saying what a duration looks like", args, code, errs)
		}
	}
}

// offline runs rtchat as name in a network namespace of its own with only loopback up: no
// DNS server can be reached, as on a machine that is offline. Nothing leaves the machine.
func offline(t *testing.T, w *world, limit time.Duration, name string, args ...string) (string, int) {
	t.Helper()
	if _, err := exec.LookPath("unshare"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("unshare is required in CI: %v", err)
		}
		t.Skipf("needs unshare: %v", err)
	}
	if out, err := exec.Command("unshare", "-n", "true").CombinedOutput(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("cannot make a network namespace in CI (root needed): %v\n%s", err, out)
		}
		t.Skipf("cannot make a network namespace here (root needed): %v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(w.ctx, limit)
	defer cancel()
	script := `ip link set lo up 2>/dev/null; exec "$0" "$@"`
	cmd := exec.CommandContext(ctx, "unshare", append([]string{"-n", "sh", "-c", script, rtchatBin}, args...)...)
	cmd.Env = w.env(name)
	var errb strings.Builder
	cmd.Stderr = &errb
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("rtchat %v was still running after %v: it waited instead of failing at once\n%s", args, limit, errb.String())
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return errb.String(), ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return errb.String(), 0
}

// TestUnresolvableBrokerFailsAtOnce: offline, a broker whose host name cannot be resolved
// (the default broker included) fails the first attempt, exit 1, with a hint about the host
// name and being online, long before --timeout 60 (the old rtchat waited it out).
func TestUnresolvableBrokerFailsAtOnce(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.friends("alice", "bob")
	const limit = 50 * time.Second
	for _, broker := range []string{"", "mqtt://nohost.invalid:1883", "ws://nohost.invalid/mqtt"} {
		args := []string{"--timeout", "60s", "send", "bob", "hi"}
		shown := broker
		if broker != "" {
			args = append([]string{"--broker", broker}, args...)
		} else {
			args = append([]string{"--broker", "wss://broker.emqx.io:8084/mqtt"}, args...) // the default
			shown = "wss://broker.emqx.io:8084/mqtt"
		}
		errs, code := offline(t, w, limit, "alice", args...)
		if code != 1 || !strings.Contains(errs, "on the broker "+shown+": ") || !strings.Contains(errs, "does not resolve") ||
			!strings.Contains(errs, "rtchat: hint: check the host name in --broker") {
			t.Errorf("offline, broker %s: exit %d, stderr %q; want exit 1 saying the host does not resolve", shown, code, errs)
		}
	}
}

// TestNoArgsIsUsage: 'rtchat' alone prints the usage on stderr and exits 2, as git does
// (it printed the help and exited 0, so a script that lost its arguments went on).
func TestNoArgsIsUsage(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	out, errs, code := w.run("alice", nil)
	if code != 2 || out != "" || !strings.Contains(errs, "Usage:\n  rtchat [command]") || !strings.Contains(errs, "rtchat: no command given") {
		t.Errorf("rtchat alone: exit %d, stdout %q, stderr %q; want exit 2 with the usage on stderr", code, out, errs)
	}
	if out, _, code := w.run("alice", nil, "--help"); code != 0 || !strings.Contains(out, "Usage:") {
		t.Errorf("rtchat --help: exit %d, stdout %q", code, out)
	}
}

// TestBashCompletionWithoutPackage: in a bash without the bash-completion package, TAB
// after 'rtchat ask ' completes a pinned peer's name and nothing says "command not found"
// (the script called _get_comp_words_by_ref, which only that package defines).
func TestBashCompletionWithoutPackage(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.friends("alice", "bobby")
	s := newTmuxShell(t, w, "alice", `HISTFILE= PS1='P> ' exec bash --norc --noprofile -i`)
	s.waitScreen(w.ctx, "P>")
	s.tmux("send-keys", "-t", s.name, "declare -F _get_comp_words_by_ref || echo no-bash-completion", "Enter")
	s.waitScreen(w.ctx, "\nno-bash-completion")
	s.tmux("send-keys", "-t", s.name, "source <(rtchat completion bash) && echo loaded", "Enter")
	s.waitScreen(w.ctx, "\nloaded")
	s.tmux("send-keys", "-t", s.name, "rtchat ask bo", "Tab")
	scr := s.waitScreen(w.ctx, "P> rtchat ask bobby")
	if strings.Contains(scr, "command not found") {
		t.Errorf("completion without bash-completion: screen\n%s", scr)
	}
	s.tmux("send-keys", "-t", s.name, "C-u", "rtchat --config-dir "+w.dir+"/al", "Tab")
	scr = s.waitScreen(w.ctx, "P> rtchat --config-dir "+w.configDir("alice")+"/")
	if strings.Contains(scr, "command not found") {
		t.Errorf("directory completion without bash-completion: screen\n%s", scr)
	}
}

// TestSendToChecksEveryNameFirst: 'send --to bob,bbo' with a typo sends nothing to anyone
// (it delivered to bob, then failed on bbo): exit 3, the typo named with "did you mean",
// and bob never prints the message. The same for ask.
func TestSendToChecksEveryNameFirst(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.friends("alice", "bob")
	bob := w.listening("bob", "--exec", "echo answered")
	_, errs, code := w.run("alice", nil, "send", "--to", "bob,bbo,bobb", "typo message")
	if code != 3 || !strings.Contains(errs, `nothing sent to anyone: "bbo" is not a pinned peer`) || !strings.Contains(errs, `(and "bobb")`) ||
		!strings.Contains(errs, "rtchat: hint: did you mean bob?") {
		t.Errorf("send --to bob,bbo,bobb: exit %d, stderr %q", code, errs)
	}
	out, errs, code := w.run("alice", nil, "ask", "--to", "bbo,bob", "q")
	if code != 3 || out != "" || !strings.Contains(errs, `nothing asked to anyone: "bbo" is not a pinned peer`) {
		t.Errorf("ask --to bbo,bob: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	// A message sent now is the first bob prints: the typo'd one never reached him.
	if _, errs, code := w.run("alice", nil, "send", "--to", "bob", "marker"); code != 0 {
		t.Fatalf("send --to bob: exit %d: %s", code, errs)
	}
	if err := bob.waitFor(w.ctx, bob.stdout, "alice: marker\n"); err != nil {
		t.Fatal(err)
	}
	if got := bob.stdout.String(); got != "alice: marker\n" {
		t.Errorf("bob printed %q; want only the marker", got)
	}
	// Only the marker's process connected to bob.
	if n := strings.Count(bob.stderr.String(), " verified, key "); n != 1 {
		t.Errorf("%d of alice's processes reached bob, want 1 (the marker's):\n%s", n, bob.stderr.String())
	}
}

// TestSendAllLeavesMeOut: with a listen and a room of mine in the room, 'send --all' goes
// to bob only and exits 0; neither of my processes says it refused "alice(…)" (it tried my
// own listen, was refused as not pinned and exited 3; the room said "refused alice(…)").
// bob's send --all shows in my room as a line to everyone, not labelled "(dm)".
func TestSendAllLeavesMeOut(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.friends("alice", "bob")
	bob := w.listening("bob")
	mine := w.listening("alice")
	room, _ := w.startOnPipe("alice", "connect")
	if err := room.waitFor(w.ctx, room.stderr, "in room"); err != nil {
		t.Fatal(err)
	}
	_, errs, code := w.run("alice", nil, "send", "--all", "--settle", "3s", "to everyone")
	if code != 0 || !strings.Contains(errs, "delivered to 1 of 1 peer: bob") || strings.Contains(errs, "alice(") {
		t.Errorf("send --all: exit %d, stderr %q; want delivered to bob only", code, errs)
	}
	if err := bob.waitFor(w.ctx, bob.stdout, "alice: to everyone\n"); err != nil {
		t.Fatal(err)
	}
	// A marker to both of mine: what they said about the send --all is out before it.
	if _, errs, code := w.run("bob", nil, "send", "--all", "--settle", "3s", "marker"); code != 0 {
		t.Fatalf("bob's send --all marker: exit %d: %s", code, errs)
	}
	for _, p := range []*proc{mine, room} {
		if err := p.waitFor(w.ctx, p.stdout, "bob: marker\n"); err != nil {
			t.Fatal(err)
		}
	}
	// In the room a send --all is a line to everyone, not a direct message.
	if got := room.stdout.String(); got != "bob: marker\n" {
		t.Errorf("the room printed %q for bob's send --all, want %q", got, "bob: marker\n")
	}
	for who, p := range map[string]*proc{"alice's listen": mine, "alice's room": room} {
		if strings.Contains(p.stderr.String(), "refused alice(") || strings.Contains(p.stderr.String(), "not talking to alice(") {
			t.Errorf("%s reported my own process:\n%s", who, p.stderr.String())
		}
	}
}

// TestListenSaysWhomItRefuses: a web client in a name pinned as an rtchat peer, and a client
// without keys, are each said once on listen's stderr with the reason and what to do (listen
// said nothing at all); the room says the same.
func TestListenSaysWhomItRefuses(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.friends("alice", "bob")
	bob := w.listening("bob")
	room, _ := w.startOnPipe("bob", "connect")
	if err := room.waitFor(w.ctx, room.stderr, "in room"); err != nil {
		t.Fatal(err)
	}
	startBarebones(t, w, "alice")
	startBarebones(t, w, "zed")
	for who, p := range map[string]*proc{"listen": bob, "the room": room} {
		for _, want := range []string{
			"without rtchat's proof of identity, but \"alice\" is pinned as an rtchat peer\nrtchat: hint: if alice now uses the RTChat web page, pin it as one: rtchat keys register --web alice JWK\n",
			"refused zed: zed uses a client without identity keys",
		} {
			if err := p.waitFor(w.ctx, p.stderr, want); err != nil {
				t.Errorf("%s never said %q: %v\n%s", who, want, err, p.stderr.String())
			}
		}
	}
	// Once each: a marker through both, then count. (zed, keyless, is refused by the send
	// too when it appears in time: exit 3.)
	if _, errs, code := w.run("alice", nil, "send", "--all", "--settle", "3s", "marker"); !strings.Contains(errs, "delivered to 2 of ") {
		t.Fatalf("send --all marker: exit %d: %s", code, errs)
	}
	for _, p := range []*proc{bob, room} {
		if err := p.waitFor(w.ctx, p.stdout, "alice: marker\n"); err != nil {
			t.Fatal(err)
		}
	}
	for who, p := range map[string]*proc{"listen": bob, "the room": room} {
		errs := p.stderr.String()
		if n := strings.Count(errs, "without rtchat's proof"); n != 1 {
			t.Errorf("%s said the web client's refusal %d times:\n%s", who, n, errs)
		}
		if n := strings.Count(errs, "refused zed:"); n != 1 {
			t.Errorf("%s said zed's refusal %d times:\n%s", who, n, errs)
		}
	}
}

// TestTypedLongLineAndTab: a line typed at the chat prompt past 4,096 characters arrives
// whole (the editor dropped every character after the 4,096th without a word), and TAB
// goes into the line as spaces to the next multiple of 4 (it was swallowed).
func TestTypedLongLineAndTab(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.friends("alice", "bob")
	bob, _ := w.startOnPipe("bob", "connect", "alice")
	term := newTmux(t, w, "alice", "connect", "bob")
	term.waitScreen(w.ctx, "key verified")
	term.waitScreen(w.ctx, "\n>")

	long := strings.Repeat("0123456789", 500) // 5,000 typed characters
	for i := 0; i < len(long); i += 500 {
		term.tmux("send-keys", "-t", term.name, "-l", long[i:i+500])
	}
	term.waitScreen(w.ctx, "56789012345678901234567890123456789")
	term.tmux("send-keys", "-t", term.name, "Enter")
	term.tmux("send-keys", "-t", term.name, "-l", "ab")
	term.tmux("send-keys", "-t", term.name, "Tab")
	term.tmux("send-keys", "-t", term.name, "-l", "c")
	term.tmux("send-keys", "-t", term.name, "Tab")
	term.tmux("send-keys", "-t", term.name, "-l", "d")
	term.tmux("send-keys", "-t", term.name, "Enter")
	if err := bob.waitFor(w.ctx, bob.stdout, "alice: ab  c   d\n"); err != nil {
		t.Fatalf("bob never got the line with tabs: %v\n%.300q", err, bob.stdout.String())
	}
	if got, want := bob.stdout.String(), "alice: "+long+"\nalice: ab  c   d\n"; got != want {
		t.Errorf("bob printed %d bytes, want %d: the typed 5,000-character line whole, then the line with tabs\n%.200q…", len(got), len(want), got)
	}
}

// TestAskFailedCommandShowsOutput: a peer's --exec command that prints and exits 3 is
// reported with its exit status and its output, by 'ask PEER' and by 'ask --all' alike;
// --all says the peer answered with an error, not that it did not answer.
func TestAskFailedCommandShowsOutput(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.friends("alice", "bob")
	w.listening("bob", "--exec", "echo out-line; echo err-line >&2; exit 3")
	out, errs, code := w.run("alice", nil, "ask", "bob", "q")
	if code != 1 || out != "out-line\n" || !strings.Contains(errs, "exit status 3: err-line") {
		t.Errorf("ask bob: exit %d, stdout %q, stderr %q; want exit 1, the output and the exit status", code, out, errs)
	}
	out, errs, code = w.run("alice", nil, "ask", "--all", "--settle", "3s", "q")
	if code != 1 || out != "bob: out-line\n" || !strings.Contains(errs, "exit status 3: err-line") ||
		!strings.Contains(errs, "error answer from 1 of 1 peer") || strings.Contains(errs, "no answer") {
		t.Errorf("ask --all: exit %d, stdout %q, stderr %q; want exit 1, the output, the exit status and no \"no answer\"", code, out, errs)
	}
}

// TestConnectSaysPartnerUnreachable: after kill -9 of alice, bob's 1:1 chat says within
// seconds that alice is unreachable and that lines typed now are not delivered (it said
// nothing for about 40 s and lost such a line without a word), flags a line typed then as
// not delivered, and ends with exit 5 and what to do once the --reconnect window is over.
func TestConnectSaysPartnerUnreachable(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.friends("alice", "bob")
	alice, _ := w.startOnPipe("alice", "connect", "bob")
	// The window outlasts the typing below on any machine; the test's deadline bounds it.
	term := newTmux(t, w, "bob", "--reconnect", "20s", "connect", "alice")
	term.waitScreen(w.ctx, "key verified")
	term.waitScreen(w.ctx, "\n>")
	if err := alice.waitFor(w.ctx, alice.stderr, "connected to bob("); err != nil {
		t.Fatal(err)
	}
	if err := alice.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	// "Within the window": long before the old 40 s of silence, with room for a loaded
	// machine; it is a deadline, not a measurement.
	ctx, cancel := context.WithTimeout(w.ctx, 25*time.Second)
	defer cancel()
	term.waitScreen(ctx, "is unreachable; waiting up to 20s for it to come back; lines typed meanwhile are not delivered")
	term.tmux("send-keys", "-t", term.name, "-l", "are you there?")
	term.tmux("send-keys", "-t", term.name, "Enter")
	term.waitScreen(w.ctx, `is unreachable): "are you there?"`)
	if scr := term.screen(); !strings.Contains(scr, "rtchat: not delivered (alice(") {
		t.Errorf("the typed line is not flagged as not delivered:\n%s", scr)
	}
	if code := term.exitStatus(w.ctx); code != 5 {
		t.Errorf("the window ended: exit %d, want 5 (connection lost); screen:\n%s", code, term.screen())
	}
	scr := term.screen()
	t.Logf("bob's screen:\n%s", scr)
	if !strings.Contains(scr, "unreachable for 20s") || !strings.Contains(scr, "rtchat: hint: alice(") ||
		!strings.Contains(scr, "run 'rtchat connect alice' again once it is back") {
		t.Errorf("the end does not say what happened and what to do:\n%s", scr)
	}
}

// TestConnectPipedWaitsForPartner: with stdin piped, 'connect PEER' stops reading it while
// PEER is unreachable (a line written then is not sent into the void), and when the
// --reconnect window ends it exits 5 saying how many lines were sent and what to do.
func TestConnectPipedWaitsForPartner(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.friends("alice", "bob")
	alice, _ := w.startOnPipe("alice", "connect", "bob")
	bob, in := w.startOnPipe("bob", "--reconnect", "3s", "connect", "alice")
	if _, err := in.WriteString("first\n"); err != nil {
		t.Fatal(err)
	}
	if err := alice.waitFor(w.ctx, alice.stdout, "bob: first\n"); err != nil {
		t.Fatal(err)
	}
	if err := alice.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	if err := bob.waitFor(w.ctx, bob.stderr, "is unreachable; waiting up to 3s for it to come back; stdin is read again once it is back"); err != nil {
		t.Fatal(err)
	}
	_, _ = in.WriteString("second\n") // bob may have ended already: the pipe is then closed
	code, err := bob.wait(w.ctx)
	if err != nil {
		t.Fatal(err)
	}
	errs := bob.stderr.String()
	if code != 5 || !strings.Contains(errs, "rtchat: 1 line of stdin was sent; the rest were not") ||
		!strings.Contains(errs, "unreachable for 3s") || !strings.Contains(errs, "run 'rtchat connect alice' again once it is back") {
		t.Errorf("bob's connect: exit %d, stderr:\n%s\nwant exit 5 saying one line was sent and what to do", code, errs)
	}
}

// TestRoomSkipsUnreachableMember: a line typed in the room while a member is unreachable
// goes to the others and is not sent to that member (it would sit in a transport that is
// gone and be lost if the member never came back); the room names it.
func TestRoomSkipsUnreachableMember(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.friends("alice", "bob", "carol")
	alice, _ := w.startOnPipe("alice", "connect")
	carol, _ := w.startOnPipe("carol", "connect")
	bob, in := w.startOnPipe("bob", "--reconnect", "60s", "connect")
	for _, who := range []string{"alice(", "carol("} {
		if err := bob.waitFor(w.ctx, bob.stderr, "rtchat: "+who); err != nil {
			t.Fatalf("bob never saw %s join: %v\n%s", who, err, bob.stderr.String())
		}
	}
	if err := carol.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	if err := bob.waitFor(w.ctx, bob.stderr, "is unreachable; waiting up to 1m0s for it to come back; lines typed meanwhile are not delivered to it"); err != nil {
		t.Fatalf("%v\n%s", err, bob.stderr.String())
	}
	if _, err := in.WriteString("hello\n"); err != nil {
		t.Fatal(err)
	}
	if err := alice.waitFor(w.ctx, alice.stdout, "bob: hello\n"); err != nil {
		t.Fatalf("the line did not reach alice: %v", err)
	}
	if err := bob.waitFor(w.ctx, bob.stderr, "not delivered to carol("); err != nil {
		t.Fatalf("the skipped member is not named: %v\n%s", err, bob.stderr.String())
	}
}
