package e2e

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The README is walked top to bottom: every command it shows in a ```sh block is either
// run here (as written, with only the substitutions a step names) or skipped with the
// reason it cannot run offline. A command the walk does not know fails the test, so the
// README cannot show a command nobody ran; a step the README no longer shows fails too.
//
// The Tour runs in two real terminals (tmux windows running bash), typed as a person
// would, one per "# terminal N (who)" of the README; the other blocks run as scripts.

// readmeCommand is one command line of the README.
type readmeCommand struct {
	line    string // the command, its trailing comment removed
	comment string // the trailing comment ("" none)
	block   int    // which ```sh block (0-based)
	who     string // the Tour's current terminal: "bob", "alice" ("" outside it)
}

// readmeCode finds the code in the command 'keys invite' shows for the other side.
var readmeCode = regexp.MustCompile(`keys accept (\d+-[a-z]+-[a-z]+)`)

var readmeTerminal = regexp.MustCompile(`^# terminal \d \((\w+)\)`)

// readmeCommands reads every command line of the README's sh blocks, in order.
func readmeCommands(t *testing.T) []readmeCommand {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cmds []readmeCommand
	in, block, who := false, -1, ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "```sh"):
			in, who = true, ""
			block++
			continue
		case strings.HasPrefix(line, "```"):
			in = false
			continue
		case !in:
			continue
		}
		trimmed := strings.TrimSpace(line)
		if m := readmeTerminal.FindStringSubmatch(trimmed); m != nil {
			who = m[1]
			continue
		}
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		c := readmeCommand{line: trimmed, block: block, who: who}
		if i := strings.Index(line, "  #"); i >= 0 {
			c.line = strings.TrimSpace(line[:i])
			c.comment = strings.TrimSpace(line[i+3:])
		}
		cmds = append(cmds, c)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return cmds
}

// readmeStep says how the walk handles one README command.
type readmeStep struct {
	skip string                               // why it does not run offline ("" it runs)
	run  func(r *readmeWalk, c readmeCommand) // runs it outside the Tour
	tour func(r *readmeWalk, c readmeCommand) // runs it in a Tour terminal
}

// readmeWalk is the state the steps share.
type readmeWalk struct {
	t    *testing.T
	w    *world
	home string // HOME of the Tour's terminals and of the scripts
	port int    // the Tour's broker port, in place of the README's 1883
	term *tmuxWalk
	ids  map[string]string // identity lines made by the walk for placeholders
	// goEnv keeps the go command on this machine's module and build caches (the scripts
	// have their own HOME): offline, and no rebuild from scratch.
	goEnv []string
	// alicePipe: the prompts alice's terminal had shown when her pipe started.
	alicePipe int
	// invite is the newcomer's 'keys invite' waiting for its code to be accepted.
	invite     *proc
	inviteCode string
	// The Tour's invitation: bob's prompts before it, and the code his terminal showed.
	bobInvite int
	tourCode  string
	// The listeners the cookbook and the room section leave running for the next steps.
	server1, server2 *proc
}

// script runs a command line of the README with bash as who (the world's environment,
// rtchat on PATH) in dir, and fails unless it exits 0. It returns stdout.
func (r *readmeWalk) script(who, dir, line string, env ...string) string {
	r.t.Helper()
	cmd := exec.CommandContext(r.w.ctx, "bash", "-c", line)
	cmd.Dir = dir
	cmd.Env = append(append(append(r.w.env(who), "PATH="+rtchatPath+":"+os.Getenv("PATH")), r.goEnv...), env...)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		r.t.Fatalf("README line %q as %s: %v\nstdout:\n%s\nstderr:\n%s", line, who, err, out.String(), errb.String())
	}
	return out.String()
}

// pair runs two README lines at once, each in its own directory, as the two sides of a
// pipe, and waits for both to exit 0.
func (r *readmeWalk) pair(aWho, aDir, aLine, bWho, bDir, bLine string) {
	r.t.Helper()
	b := r.w.startScript(bWho, bDir, nil, bLine)
	a := r.w.startScript(aWho, aDir, nil, aLine)
	mustExit(r.t, r.w.ctx, a, aWho+": "+aLine, 0)
	mustExit(r.t, r.w.ctx, b, bWho+": "+bLine, 0)
}

// readmeFiles makes a small directory tree in dir.
func readmeFiles(t *testing.T, dir string) {
	t.Helper()
	for name, content := range map[string]string{"notes.txt": "walked\n", "sub/data.bin": strings.Repeat("0123456789", 10000)} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func (r *readmeWalk) sameTree(a, b string) {
	r.t.Helper()
	out, err := exec.Command("diff", "-r", a, b).CombinedOutput()
	if err != nil {
		r.t.Fatalf("the received tree differs from the sent one: %v\n%s", err, out)
	}
}

func (r *readmeWalk) dir(name string) string {
	d := filepath.Join(r.home, name)
	if err := os.MkdirAll(d, 0o755); err != nil {
		r.t.Fatal(err)
	}
	return d
}

// readmeSteps is the walk: one entry per README command.
var readmeSteps = map[string]readmeStep{
	// The first example: a directory from alice to bob.
	"tar c . | rtchat pipe bob": {run: func(r *readmeWalk, c readmeCommand) {
		src, dst := r.dir("top-alice"), r.dir("top-bob")
		readmeFiles(r.t, src)
		r.pair("alice", src, c.line, "bob", dst, "rtchat pipe alice | tar x")
		r.sameTree(src, dst)
	}},
	"rtchat pipe alice | tar x": {run: func(*readmeWalk, readmeCommand) {}}, // with the line before

	"bash scripts/demo.sh": {run: func(r *readmeWalk, c readmeCommand) {
		out := r.script("alice", "..", c.line)
		if !strings.Contains(out, "== OK: checksums match") {
			r.t.Errorf("demo.sh did not say OK:\n%s", out)
		}
	}},
	"bash .ci/run": {skip: "CI itself: it runs this test"},

	"go build -o rtchat ./cmd/rtchat": {run: func(r *readmeWalk, c readmeCommand) {
		// In a copy of the line that writes outside the checkout, so the tree stays clean.
		bin := filepath.Join(r.dir("gobuild"), "rtchat")
		r.script("alice", "..", strings.Replace(c.line, "-o rtchat", "-o "+bin, 1))
		if out := r.script("alice", r.home, bin+" version"); !strings.Contains(out, "rtchat") {
			r.t.Errorf("the built rtchat says %q", out)
		}
	}},
	"go install ./cmd/rtchat": {run: func(r *readmeWalk, c readmeCommand) {
		gobin := r.dir("gobin")
		r.script("alice", "..", c.line, "GOBIN="+gobin)
		if _, err := os.Stat(filepath.Join(gobin, "rtchat")); err != nil {
			r.t.Errorf("go install made no rtchat: %v", err)
		}
	}},
	"tar xzf rtchat_*_linux_amd64.tar.gz":         {skip: "needs a release archive (scripts/release-check.sh builds them)"},
	"sudo apt install ./rtchat_*_linux_amd64.deb": {skip: "needs a release package (scripts/release-check.sh builds them)"},

	// First use: keys, for a newcomer whose config dir is the default ~/.config/rtchat.
	"rtchat keys gen --name alice": {tour: readmeTourPrompt, run: func(r *readmeWalk, c readmeCommand) {
		r.newcomer(c.line)
		if _, err := os.Stat(filepath.Join(r.home, "newcomer", ".config", "rtchat", "identity.json")); err != nil {
			r.t.Errorf("no identity in the default config dir: %v", err)
		}
	}},
	"rtchat keys invite": {tour: func(r *readmeWalk, c readmeCommand) {
		// bob's terminal shows the code (and the command for alice) and waits for her.
		r.bobInvite = r.term.prompts(c.who)
		r.term.run(c.who, c.line)
		r.term.wait(c.who, "Waiting for")
		m := readmeCode.FindStringSubmatch(r.term.screen(c.who))
		if m == nil {
			r.t.Fatalf("no code on bob's terminal:\n%s", r.term.screen(c.who))
		}
		r.tourCode = m[1]
	}, run: func(r *readmeWalk, c readmeCommand) {
		r.invite = r.startNewcomer(c.line)
		if err := r.invite.waitFor(r.w.ctx, r.invite.stderr, "keys accept "); err != nil {
			r.t.Fatalf("keys invite: %v\n%s", err, r.invite.stderr.String())
		}
		_, after, _ := strings.Cut(r.invite.stderr.String(), "keys accept ")
		r.inviteCode = strings.Fields(after)[0]
	}},
	"rtchat keys accept 7-amber-orbit": {tour: func(r *readmeWalk, c readmeCommand) {
		readmeTourPrompt(r, readmeCommand{line: strings.Replace(c.line, "7-amber-orbit", r.tourCode, 1), who: c.who})
		if code := r.term.waitPrompt("bob", r.bobInvite); code != 0 {
			r.t.Fatalf("bob's invite: exit %d\n%s", code, r.term.screen("bob"))
		}
		if scr := r.term.screen("bob"); !strings.Contains(scr, "paired: pinned alice (") {
			r.t.Errorf("bob's terminal does not say alice is pinned:\n%s", scr)
		}
	}, run: func(r *readmeWalk, c readmeCommand) {
		// "On the other machine": a friend with an identity of their own.
		r.w.identity("pal")
		out := r.script("pal", r.home, strings.Replace(c.line, "7-amber-orbit", r.inviteCode, 1))
		mustExit(r.t, r.w.ctx, r.invite, "keys invite", 0)
		if !strings.HasPrefix(out, "alice ") || !strings.HasPrefix(r.invite.stdout.String(), "pal ") {
			r.t.Errorf("the two sides printed %q and %q, want the other's name and fingerprint", out, r.invite.stdout.String())
		}
	}},
	"rtchat keys show": {run: func(r *readmeWalk, c readmeCommand) {
		if out := r.newcomer(c.line); !strings.HasPrefix(out, "alice|{") {
			r.t.Errorf("keys show: %q", out)
		}
	}},
	`rtchat keys register 'bob|{"alg":"PS256",...}'`: {run: func(r *readmeWalk, c readmeCommand) {
		r.newcomer(strings.Replace(c.line, `bob|{"alg":"PS256",...}`, r.ids["bob"], 1))
	}},
	`rtchat keys register --web Alice '{"alg":...}'`: {run: func(r *readmeWalk, c readmeCommand) {
		_, jwk, _ := strings.Cut(r.ids["carol"], "|")
		r.newcomer(strings.Replace(c.line, `{"alg":...}`, jwk, 1))
	}},
	"rtchat keys list": {run: func(r *readmeWalk, c readmeCommand) {
		if out := r.newcomer(c.line); !strings.Contains(out, "bob") || !strings.Contains(out, "Alice") {
			r.t.Errorf("keys list: %q", out)
		}
	}},
	"rtchat keys remove bob": {run: func(r *readmeWalk, c readmeCommand) { r.newcomer(c.line) }},
	"rtchat keys export --identity -o me.json": {run: func(r *readmeWalk, c readmeCommand) {
		r.newcomer(c.line)
		st, err := os.Stat(filepath.Join(r.home, "newcomer", "me.json"))
		if err != nil || st.Mode().Perm() != 0o600 {
			r.t.Errorf("me.json: %v, %v (want mode 0600)", st, err)
		}
	}},
	"rtchat keys import me.json": {run: func(r *readmeWalk, c readmeCommand) {
		// "on my other machine": another HOME, with the exported file.
		other := r.dir("other-machine")
		b, err := os.ReadFile(filepath.Join(r.home, "newcomer", "me.json"))
		if err != nil {
			r.t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(other, "me.json"), b, 0o600); err != nil {
			r.t.Fatal(err)
		}
		r.script("alice", other, c.line, "HOME="+other, "RTCHAT_CONFIG_DIR=")
		if out := r.script("alice", other, "rtchat keys show", "HOME="+other, "RTCHAT_CONFIG_DIR="); !strings.HasPrefix(out, "alice|{") {
			r.t.Errorf("keys show on the other machine: %q", out)
		}
	}},

	// The Tour, in two terminals.
	"rtchat broker &": {tour: func(r *readmeWalk, c readmeCommand) {
		r.term.run(c.who, strings.Replace(c.line, "rtchat broker", fmt.Sprintf("rtchat broker --listen 127.0.0.1:%d", r.port), 1))
		r.term.wait(c.who, fmt.Sprintf("mqtt://127.0.0.1:%d", r.port))
	}},
	"export RTCHAT_BROKER=mqtt://127.0.0.1:1883 RTCHAT_ICE=loopback RTCHAT_CONFIG_DIR=~/rtchat-bob":   {tour: readmeTourPrompt},
	"export RTCHAT_BROKER=mqtt://127.0.0.1:1883 RTCHAT_ICE=loopback RTCHAT_CONFIG_DIR=~/rtchat-alice": {tour: readmeTourPrompt},
	"rtchat keys gen --name bob": {tour: readmeTourPrompt},
	"rtchat listen --exec 'date -u'": {tour: func(r *readmeWalk, c readmeCommand) {
		r.term.run(c.who, c.line)
		r.term.wait(c.who, "listening in room")
	}},
	`rtchat ask bob "what time is it?"`: {tour: func(r *readmeWalk, c readmeCommand) {
		readmeTourPrompt(r, c)
		r.term.wait(c.who, " UTC ")
	}},
	`rtchat send bob "build finished"`: {tour: func(r *readmeWalk, c readmeCommand) {
		readmeTourPrompt(r, c)
		r.term.wait("bob", "alice: build finished")
	}},
	"rtchat connect alice": {tour: func(r *readmeWalk, c readmeCommand) {
		// "Ctrl-C ends listen (exit 130)".
		n := r.term.prompts(c.who)
		r.term.keys(c.who, "C-c")
		if code := r.term.waitPrompt(c.who, n); code != 130 {
			r.t.Fatalf("Ctrl-C on listen: exit %d, want 130\n%s", code, r.term.screen(c.who))
		}
		r.term.run(c.who, c.line)
		r.term.wait(c.who, "waiting for alice (")
		r.term.wait(c.who, "on alice's machine run 'rtchat connect bob'")
	}},
	"rtchat connect bob": {tour: func(r *readmeWalk, c readmeCommand) {
		na, nb := r.term.prompts("alice"), r.term.prompts("bob")
		r.term.run("alice", c.line)
		r.term.wait("alice", "key verified")
		r.term.wait("bob", "key verified")
		r.term.typeLine("alice", "hello bob")
		r.term.wait("bob", "alice: hello bob")
		r.term.typeLine("bob", "hi alice")
		r.term.wait("alice", "bob: hi alice")
		r.term.keys("alice", "C-d")
		if code := r.term.waitPrompt("alice", na); code != 0 {
			r.t.Fatalf("alice's Ctrl-D: exit %d\n%s", code, r.term.screen("alice"))
		}
		r.term.wait("bob", ") left")
		if code := r.term.waitPrompt("bob", nb); code != 0 {
			r.t.Fatalf("bob after alice left: exit %d\n%s", code, r.term.screen("bob"))
		}
	}},
	"seq 100000 | gzip | rtchat pipe bob": {tour: func(r *readmeWalk, c readmeCommand) {
		r.alicePipe = r.term.prompts(c.who)
		r.term.run(c.who, c.line)
		r.term.wait(c.who, "on bob's machine run 'rtchat pipe alice'")
	}},
	"rtchat pipe alice | gunzip | tail -n 1": {tour: func(r *readmeWalk, c readmeCommand) {
		n := r.term.prompts(c.who)
		r.term.run(c.who, c.line)
		if code := r.term.waitPrompt(c.who, n); code != 0 {
			r.t.Fatalf("bob's pipe: exit %d\n%s", code, r.term.screen(c.who))
		}
		if code := r.term.waitPrompt("alice", r.alicePipe); code != 0 {
			r.t.Fatalf("alice's pipe: exit %d\n%s", code, r.term.screen("alice"))
		}
		scr := r.term.screen(c.who)
		if !strings.Contains(scr, "\n100000\n") || !strings.Contains(scr, "rtchat: sent 0 B, received ") {
			r.t.Errorf("bob's screen lacks the last number and the summary:\n%s", scr)
		}
	}},

	// Pipeline cookbook: the other side is the one its comment names.
	"tar c dir | gzip | rtchat pipe bob": {run: func(r *readmeWalk, c readmeCommand) {
		src, dst := r.dir("cook-alice"), r.dir("cook-bob")
		readmeFiles(r.t, filepath.Join(src, "dir"))
		r.pair("alice", src, c.line, "bob", dst, strings.TrimPrefix(c.comment, "bob: "))
		r.sameTree(filepath.Join(src, "dir"), filepath.Join(dst, "dir"))
	}},
	"tar c dir | age -r age1... | rtchat pipe bob":               {skip: "needs age and a recipient key"},
	"pg_dump db | rtchat pipe bob":                               {skip: "needs PostgreSQL"},
	"mysqldump --single-transaction db | gzip | rtchat pipe bob": {skip: "needs MySQL"},
	"rtchat pipe bob < /dev/null > incoming.bin": {run: func(r *readmeWalk, c readmeCommand) {
		a, b := r.dir("recv-alice"), r.dir("recv-bob")
		if err := os.WriteFile(filepath.Join(b, "file"), []byte(strings.Repeat("x", 100000)), 0o644); err != nil {
			r.t.Fatal(err)
		}
		r.pair("alice", a, c.line, "bob", b, strings.TrimPrefix(c.comment, "bob: "))
		if got, err := os.ReadFile(filepath.Join(a, "incoming.bin")); err != nil || len(got) != 100000 {
			r.t.Errorf("incoming.bin: %d bytes, %v", len(got), err)
		}
	}},
	"rtchat ask server1 --topic df -- -h": {run: func(r *readmeWalk, c readmeCommand) {
		l := r.w.startScript("server1", r.dir("server1"), nil, strings.TrimPrefix(c.comment, "server1: "))
		if err := l.waitFor(r.w.ctx, l.stderr, "listening in room"); err != nil {
			r.t.Fatal(err)
		}
		if out := r.script("alice", r.home, c.line); !strings.Contains(out, "Filesystem") {
			r.t.Errorf("df -h answer: %q", out)
		}
		r.server1 = l
	}},

	// The room: server1 from the cookbook is still listening there.
	"rtchat connect": {run: func(r *readmeWalk, c readmeCommand) {
		br, bw, err := os.Pipe()
		if err != nil {
			r.t.Fatal(err)
		}
		ar, aw, err := os.Pipe()
		if err != nil {
			r.t.Fatal(err)
		}
		r.t.Cleanup(func() { br.Close(); bw.Close(); ar.Close(); aw.Close() })
		bob := r.w.start("bob", br, "connect")
		alice := r.w.startScript("alice", r.dir("room-alice"), ar, c.line)
		for _, w := range []struct {
			p    *proc
			who  string
			sees string
		}{{bob, "bob", "alice("}, {alice, "alice", "bob("}} {
			if err := w.p.waitFor(r.w.ctx, w.p.stderr, w.sees); err != nil || !strings.Contains(w.p.stderr.String(), ") joined, key verified (") {
				r.t.Fatalf("%s never saw %s join verified: %v\n%s", w.who, strings.TrimSuffix(w.sees, "("), err, w.p.stderr.String())
			}
		}
		fmt.Fprintln(aw, "hello room")
		if err := bob.waitFor(r.w.ctx, bob.stdout, "alice: hello room\n"); err != nil {
			r.t.Fatalf("bob never got alice's line: %v\n%s", err, bob.stdout.String())
		}
		aw.Close()
		mustExit(r.t, r.w.ctx, alice, "alice's room after stdin ended", 0)
		if err := bob.waitFor(r.w.ctx, bob.stderr, ") left"); err != nil {
			r.t.Fatalf("bob never saw alice leave: %v\n%s", err, bob.stderr.String())
		}
		bw.Close()
		mustExit(r.t, r.w.ctx, bob, "bob's room after stdin ended", 0)
	}},
	"rtchat ask --to server1,server2 --topic df -- -h": {run: func(r *readmeWalk, c readmeCommand) {
		if r.server1 == nil {
			r.t.Fatal("the cookbook's server1 listener is not running")
		}
		l := r.w.startScript("server2", r.dir("server2"), nil, strings.TrimPrefix(c.comment, "server2: "))
		if err := l.waitFor(r.w.ctx, l.stderr, "listening in room"); err != nil {
			r.t.Fatal(err)
		}
		r.server2 = l
		out := r.script("alice", r.home, c.line)
		for _, n := range []string{"server1", "server2"} {
			if !strings.Contains(out, n+": Filesystem") {
				r.t.Errorf("no df -h answer from %s: %q", n, out)
			}
		}
	}},
	`rtchat send --all "deploy starts at 15:00"`: {run: func(r *readmeWalk, c readmeCommand) {
		r.script("alice", r.home, c.line) // exit 0: every peer got it
		for _, l := range []*proc{r.server1, r.server2} {
			if !strings.Contains(l.stdout.String(), "alice: deploy starts at 15:00\n") {
				r.t.Errorf("a listener did not print the message (send exits once it did):\n%s", l.stdout.String())
			}
		}
	}},
}

// readmeTourPrompt types the line and wants exit 0.
func readmeTourPrompt(r *readmeWalk, c readmeCommand) {
	r.t.Helper()
	n := r.term.prompts(c.who)
	r.term.run(c.who, strings.ReplaceAll(c.line, "127.0.0.1:1883", fmt.Sprintf("127.0.0.1:%d", r.port)))
	if code := r.term.waitPrompt(c.who, n); code != 0 {
		r.t.Fatalf("%s's %q: exit %d\n%s", c.who, c.line, code, r.term.screen(c.who))
	}
}

// startNewcomer starts a line of "First use: keys" as newcomer does, in the background.
func (r *readmeWalk) startNewcomer(line string) *proc {
	r.t.Helper()
	home := r.dir("newcomer")
	return r.w.startScript("alice", home, nil, line, "HOME="+home, "RTCHAT_CONFIG_DIR=", "XDG_CONFIG_HOME=")
}

// newcomer runs a line of "First use: keys" as someone whose config dir is the default.
func (r *readmeWalk) newcomer(line string) string {
	r.t.Helper()
	home := r.dir("newcomer")
	return r.script("alice", home, line, "HOME="+home, "RTCHAT_CONFIG_DIR=", "XDG_CONFIG_HOME=")
}

func TestREADMEWalk(t *testing.T) {
	t.Parallel()
	w := newWorldDeadline(t, 3*time.Minute)
	cmds := readmeCommands(t)
	seen := map[string]bool{}
	for _, c := range cmds {
		seen[c.line] = true
		st, ok := readmeSteps[c.line]
		switch {
		case !ok:
			t.Errorf("README shows %q, which the walk does not know: add a step to readmeSteps (run it, or say why it cannot run offline)", c.line)
		case st.skip == "" && c.who != "" && st.tour == nil:
			t.Errorf("README's Tour shows %q, which has no step for a terminal", c.line)
		case st.skip == "" && c.who == "" && st.run == nil:
			t.Errorf("README shows %q outside the Tour, which has only a step for a terminal", c.line)
		}
	}
	for line := range readmeSteps {
		if !seen[line] {
			t.Errorf("readmeSteps has %q, which the README no longer shows", line)
		}
	}
	if t.Failed() {
		return
	}
	// Names for the pipes and questions outside the Tour; carol's key stands in for a web
	// user's.
	w.friends("alice", "bob", "server1", "server2")
	w.identity("carol")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	home := t.TempDir()
	r := &readmeWalk{t: t, w: w, home: home, port: port, ids: w.ids}
	r.term = newTmuxWalk(t, w.ctx, home)
	for _, k := range []string{"GOMODCACHE", "GOCACHE", "GOPATH", "GOFLAGS", "GOPROXY", "GOTOOLCHAIN"} {
		out, err := exec.Command("go", "env", k).Output()
		if err != nil {
			t.Fatalf("go env %s: %v", k, err)
		}
		r.goEnv = append(r.goEnv, k+"="+strings.TrimSpace(string(out)))
	}
	ran, skipped := 0, 0
	for _, c := range cmds {
		st := readmeSteps[c.line]
		if st.skip != "" {
			t.Logf("skipped %q: %s", c.line, st.skip)
			skipped++
			continue
		}
		if c.who != "" {
			r.term.open(c.who)
			st.tour(r, c)
		} else {
			st.run(r, c)
		}
		ran++
	}
	t.Logf("README walked: %d commands run, %d skipped", ran, skipped)
}

// tmuxWalk is one tmux server with a bash window per person of the Tour.
type tmuxWalk struct {
	t      *testing.T
	ctx    context.Context
	socket string
	home   string
	opened map[string]bool
}

const walkPrompt = "walk$ "

func newTmuxWalk(t *testing.T, ctx context.Context, home string) *tmuxWalk {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("tmux is required in CI (apt-get install tmux): %v", err)
		}
		t.Skipf("tmux not installed: %v", err)
	}
	m := &tmuxWalk{t: t, ctx: ctx, socket: filepath.Join(t.TempDir(), "tmux.sock"), home: home, opened: map[string]bool{}}
	t.Cleanup(m.close)
	return m
}

// close ends the terminals and everything started in them (the broker in the
// background), and waits until they are gone, so that nothing writes into HOME while the
// test removes it.
func (m *tmuxWalk) close() {
	out, _ := exec.Command("tmux", "-S", m.socket, "list-panes", "-a", "-F", "#{pane_pid}").Output()
	var pids []int
	for _, f := range strings.Fields(string(out)) {
		if pid, err := strconv.Atoi(f); err == nil {
			pids = append(pids, descendants(pid)...)
		}
	}
	_ = exec.Command("tmux", "-S", m.socket, "kill-server").Run()
	for _, pid := range pids {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	bound := time.NewTimer(10 * time.Second) // SIGKILL cannot be refused: a bound, not a wait
	defer bound.Stop()
	for _, pid := range pids {
		for syscall.Kill(pid, 0) == nil && !zombie(pid) {
			select {
			case <-tick.C:
			case <-bound.C:
				m.t.Errorf("process %d outlived its terminal", pid)
				return
			}
		}
	}
}

// descendants is pid and every process below it (Linux /proc).
func descendants(pid int) []int {
	children := map[int][]int{}
	dirs, _ := os.ReadDir("/proc")
	for _, d := range dirs {
		p, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", d.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces, so read after the last ')'.
		f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
		if len(f) > 1 {
			if pp, err := strconv.Atoi(f[1]); err == nil {
				children[pp] = append(children[pp], p)
			}
		}
	}
	out := []int{pid}
	for i := 0; i < len(out); i++ {
		out = append(out, children[out[i]]...)
	}
	return out
}

// zombie: the process has exited and waits for its parent to reap it.
func zombie(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	return len(f) > 0 && f[0] == "Z"
}

func (m *tmuxWalk) tmux(args ...string) string {
	m.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-S", m.socket}, args...)...).CombinedOutput()
	if err != nil {
		m.t.Fatalf("tmux %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// open starts who's terminal: an interactive bash in HOME whose prompt shows the last exit
// status, with rtchat on PATH and nothing else of the test's environment.
func (m *tmuxWalk) open(who string) {
	if m.opened[who] {
		return
	}
	m.opened[who] = true
	env := []string{"HOME=" + m.home, "PATH=" + rtchatPath + ":" + os.Getenv("PATH"), "TERM=xterm", "PS1=[$?]" + walkPrompt}
	cmd := "cd " + shellQuote(m.home) + " && exec env -i"
	for _, kv := range env {
		cmd += " " + shellQuote(kv)
	}
	cmd += " bash --norc --noprofile -i"
	if len(m.opened) == 1 {
		m.tmux("new-session", "-d", "-s", "walk", "-n", who, "-x", "160", "-y", "40", "sh", "-c", cmd)
	} else {
		m.tmux("new-window", "-t", "walk", "-n", who, "sh", "-c", cmd)
	}
	m.waitPrompt(who, 0)
}

func (m *tmuxWalk) target(who string) string { return "walk:" + who }

func (m *tmuxWalk) screen(who string) string {
	return m.tmux("capture-pane", "-p", "-J", "-S", "-", "-t", m.target(who))
}

// prompts counts the prompts who's terminal has shown.
func (m *tmuxWalk) prompts(who string) int { return strings.Count(m.screen(who), walkPrompt) }

func (m *tmuxWalk) keys(who string, keys ...string) {
	m.tmux(append([]string{"send-keys", "-t", m.target(who)}, keys...)...)
}

// run types a command line and Enter.
func (m *tmuxWalk) run(who, line string) {
	m.keys(who, "-l", line)
	m.keys(who, "Enter")
}

func (m *tmuxWalk) typeLine(who, line string) { m.run(who, line) }

var walkStatus = regexp.MustCompile(`\[(\d+)\]` + regexp.QuoteMeta(walkPrompt))

// waitPrompt waits until who's terminal shows more than n prompts and returns the exit
// status the last one shows. tmux cannot push screen changes, so it polls; the test's
// deadline bounds it.
func (m *tmuxWalk) waitPrompt(who string, n int) int {
	m.t.Helper()
	return m.poll(who, func(scr string) (int, bool) {
		if strings.Count(scr, walkPrompt) <= n {
			return 0, false
		}
		all := walkStatus.FindAllStringSubmatch(scr, -1)
		code, _ := strconv.Atoi(all[len(all)-1][1])
		return code, true
	})
}

// wait waits until who's terminal shows want.
func (m *tmuxWalk) wait(who, want string) {
	m.t.Helper()
	m.poll(who, func(scr string) (int, bool) { return 0, strings.Contains(scr, want) })
}

func (m *tmuxWalk) poll(who string, done func(string) (int, bool)) int {
	m.t.Helper()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		scr := m.screen(who)
		if v, ok := done(scr); ok {
			return v
		}
		select {
		case <-m.ctx.Done():
			m.t.Fatalf("%s's terminal never got there; screen:\n%s", who, scr)
		case <-tick.C:
		}
	}
}
