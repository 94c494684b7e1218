package commands

import (
	"strings"
	"testing"
	"time"
)

// The network commands parse flags and arguments into their options without a network:
// these tests check what reaches the run function, and the usage errors that stop before.

func TestListenOptions(t *testing.T) {
	for _, c := range []struct {
		args        []string
		exec        string
		max         int
		execTimeout time.Duration
	}{
		{[]string{"listen"}, "", defaultExecMax, DefaultTimeout},
		{[]string{"--timeout", "5s", "listen", "--exec", "cat"}, "cat", defaultExecMax, 5 * time.Second},
		{[]string{"listen", "--exec", "date -u", "--exec-max", "2", "--exec-timeout", "3s"}, "date -u", 2, 3 * time.Second},
	} {
		o, code, errs := parseOptions(t, newListenCmd, "", c.args...)
		if code != 0 || o == nil {
			t.Fatalf("%q: exit %d: %s", c.args, code, errs)
		}
		if o.Exec != c.exec || o.ExecMax != c.max || o.ExecTimeout != c.execTimeout {
			t.Errorf("%q: exec %q max %d timeout %v; want %q %d %v", c.args, o.Exec, o.ExecMax, o.ExecTimeout, c.exec, c.max, c.execTimeout)
		}
		if o.Globals == nil || o.IO == nil || o.Globals.Log == nil {
			t.Errorf("%q: the options lack the resolved globals or the IO", c.args)
		}
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"listen", "extra"}, `unknown command "extra"`},
		{[]string{"listen", "--exec-max", "2"}, "--exec-max needs --exec"},
		{[]string{"listen", "--exec-timeout", "2s"}, "--exec-timeout needs --exec"},
		{[]string{"listen", "--exec", "cat", "--exec-max", "0"}, "--exec-max must be at least 1"},
		{[]string{"listen", "--exec", "cat", "--exec-timeout", "-1s"}, "--exec-timeout must be positive"},
		{[]string{"listen", "--exec", "cat", "--exec-max", "many"}, "invalid argument"},
	} {
		o, code, errs := parseOptions(t, newListenCmd, "", c.args...)
		mustUsage(t, o, code, errs, c.args, c.want)
	}
}

func TestConnectOptions(t *testing.T) {
	o, code, errs := parseOptions(t, newConnectCmd, "", "--room", "lab", "--json", "connect", "bob")
	if code != 0 || o == nil || o.Peer != "bob" || o.Globals.Room != "lab" || !o.Globals.JSON {
		t.Fatalf("connect bob: exit %d, options %+v: %s", code, o, errs)
	}
	// Without PEER: the room, with its settle time for piped lines.
	o, code, errs = parseOptions(t, newConnectCmd, "", "connect")
	if code != 0 || o == nil || o.Peer != "" || o.Settle != defaultSettle {
		t.Fatalf("connect (the room): exit %d, options %+v: %s", code, o, errs)
	}
	o, code, errs = parseOptions(t, newConnectCmd, "", "connect", "--settle", "0")
	if code != 0 || o == nil || o.Peer != "" || o.Settle != 0 {
		t.Fatalf("connect --settle 0: exit %d, options %+v: %s", code, o, errs)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"connect", "bob", "carol"}, `too many arguments: "carol" (usage: rtchat connect [PEER])`},
		{[]string{"connect", "a|b"}, `peer name "a|b"`},
		{[]string{"connect", "bob", "--settle", "1s"}, "--settle is for the room (connect without PEER)"},
		{[]string{"connect", "--settle", "-1s"}, "--settle must not be negative"},
	} {
		o, code, errs := parseOptions(t, newConnectCmd, "", c.args...)
		mustUsage(t, o, code, errs, c.args, c.want)
	}
}

func TestSendOptions(t *testing.T) {
	o, code, errs := parseOptions(t, newSendCmd, "", "send", "bob", "build", "finished")
	if code != 0 || o == nil || o.Peer != "bob" || o.Message != "build finished" {
		t.Fatalf("send with words: exit %d, options %+v: %s", code, o, errs)
	}
	// No words: all of stdin, one trailing newline removed.
	o, code, errs = parseOptions(t, newSendCmd, "line one\nline two\n\n", "send", "bob")
	if code != 0 || o == nil || o.Message != "line one\nline two\n" {
		t.Fatalf("send from stdin: exit %d, options %+v: %s", code, o, errs)
	}
	big := strings.Repeat("x", maxMessage+1)
	for _, c := range []struct {
		stdin string
		args  []string
		want  string
	}{
		{"", []string{"send"}, "missing PEER (usage: rtchat send PEER [MESSAGE...])"},
		{"", []string{"send", "bob", big}, "over the 60000-byte limit"},
		{big, []string{"send", "bob"}, "over the 60000-byte limit"},
		{"", []string{"send", "-bob", "x"}, "unknown shorthand flag"},
	} {
		o, code, errs := parseOptions(t, newSendCmd, c.stdin, c.args...)
		mustUsage(t, o, code, errs, c.args[:1], c.want)
	}
	// The way out of a too-long message is a hint, not part of the error.
	_, _, errs = parseOptions(t, newSendCmd, big, "send", "bob")
	if !strings.Contains(errs, "\nrtchat: hint: use 'rtchat pipe' for data\n") {
		t.Errorf("send of a long message: stderr %q lacks the pipe hint on its own line", errs)
	}
}

// TestManyTargets: --to and --all take send and ask to several peers; every argument is
// then the message or question, and the classic PEER form is unchanged.
func TestManyTargets(t *testing.T) {
	o, code, errs := parseOptions(t, newSendCmd, "", "send", "--to", "bob,carol", "--to", "dave", "--to", "bob", "hello", "all")
	if code != 0 || o == nil || o.Peer != "" || strings.Join(o.Targets.To, ",") != "bob,carol,dave" || o.Targets.All || o.Message != "hello all" {
		t.Fatalf("send --to: exit %d, options %+v: %s", code, o, errs)
	}
	o, code, errs = parseOptions(t, newSendCmd, "from stdin\n", "send", "--all", "--settle", "5s")
	if code != 0 || o == nil || !o.Targets.All || o.Targets.Settle != 5*time.Second || o.Message != "from stdin" {
		t.Fatalf("send --all from stdin: exit %d, options %+v: %s", code, o, errs)
	}
	o, code, errs = parseOptions(t, newSendCmd, "", "send", "bob", "carol")
	if code != 0 || o == nil || o.Peer != "bob" || o.Targets.many() || o.Message != "carol" {
		t.Fatalf("send PEER MESSAGE: exit %d, options %+v: %s", code, o, errs)
	}
	a, code, errs := parseOptions(t, newAskCmd, "", "ask", "--all", "--topic", "uptime", "now", "please")
	if code != 0 || a == nil || !a.Targets.All || a.Targets.Settle != defaultSettle || a.Question != "now please" || a.Topic != "uptime" {
		t.Fatalf("ask --all: exit %d, options %+v: %s", code, a, errs)
	}
	a, code, errs = parseOptions(t, newAskCmd, "", "ask", "--to", "web1", "x")
	if code != 0 || a == nil || strings.Join(a.Targets.To, ",") != "web1" || a.Peer != "" || a.Question != "x" {
		t.Fatalf("ask --to: exit %d, options %+v: %s", code, a, errs)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"send", "--to", "bob", "--all", "x"}, "--to and --all do not go together"},
		{[]string{"send", "--settle", "1s", "bob", "x"}, "--settle needs --all"},
		{[]string{"send", "--to", "bob", "--settle", "1s", "x"}, "--settle needs --all"},
		{[]string{"send", "--all", "--settle", "-1s", "x"}, "--settle must not be negative"},
		{[]string{"send", "--to", "a|b", "x"}, `--to: peer name "a|b"`},
		{[]string{"send", "--to", "", "x"}, "--to needs at least one NAME"},
	} {
		o, code, errs := parseOptions(t, newSendCmd, "", c.args...)
		mustUsage(t, o, code, errs, c.args[:1], c.want)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"ask", "--all"}, "missing QUESTION (usage: rtchat ask --to NAME[,NAME...] QUESTION... or rtchat ask --all QUESTION...)"},
		{[]string{"ask", "--to", "bob"}, "missing QUESTION"},
		{[]string{"ask", "--all", "--to", "bob", "x"}, "--to and --all do not go together"},
	} {
		o, code, errs := parseOptions(t, newAskCmd, "", c.args...)
		mustUsage(t, o, code, errs, c.args[:1], c.want)
	}
}

func TestAskOptions(t *testing.T) {
	o, code, errs := parseOptions(t, newAskCmd, "", "ask", "bob", "what", "time?")
	if code != 0 || o == nil || o.Peer != "bob" || o.Topic != "question" || o.Question != "what time?" {
		t.Fatalf("ask: exit %d, options %+v: %s", code, o, errs)
	}
	o, code, errs = parseOptions(t, newAskCmd, "", "ask", "--topic", "uptime", "server1", "now")
	if code != 0 || o == nil || o.Peer != "server1" || o.Topic != "uptime" || o.Question != "now" {
		t.Fatalf("ask --topic: exit %d, options %+v: %s", code, o, errs)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"ask", "bob"}, "missing QUESTION (usage: rtchat ask PEER QUESTION...)"},
		{[]string{"ask", "--topic", "", "bob", "x"}, "--topic must not be empty"},
		{[]string{"ask", "a|b", "x"}, `peer name "a|b"`},
	} {
		o, code, errs := parseOptions(t, newAskCmd, "", c.args...)
		mustUsage(t, o, code, errs, c.args, c.want)
	}
}

func TestPipeOptions(t *testing.T) {
	o, code, errs := parseOptions(t, newPipeCmd, "", "--timeout", "9s", "pipe", "bob")
	if code != 0 || o == nil || o.Peer != "bob" || o.Globals.Timeout != 9*time.Second {
		t.Fatalf("pipe bob: exit %d, options %+v: %s", code, o, errs)
	}
	for _, args := range [][]string{{"pipe"}, {"pipe", "bob", "carol"}} {
		o, code, errs := parseOptions(t, newPipeCmd, "", args...)
		mustUsage(t, o, code, errs, args, "(usage: rtchat pipe PEER)")
	}
}

func TestDoctorConfigOptions(t *testing.T) {
	d, code, errs := parseOptions(t, newDoctorCmd, "", "--broker", "mqtt://127.0.0.1:1", "doctor")
	if code != 0 || d == nil || d.Globals.Broker != "mqtt://127.0.0.1:1" {
		t.Fatalf("doctor: exit %d, options %+v: %s", code, d, errs)
	}
	d, code, errs = parseOptions(t, newDoctorCmd, "", "doctor", "x")
	mustUsage(t, d, code, errs, []string{"doctor", "x"}, `unknown command "x"`)

	c, code, errs := parseOptions(t, newConfigCmd, "", "--trust", "tofu", "config")
	if code != 0 || c == nil || c.Globals.Trust != "tofu" || c.Globals.Sources["trust"] != "flag --trust" {
		t.Fatalf("config: exit %d, options %+v: %s", code, c, errs)
	}
	c, code, errs = parseOptions(t, newConfigCmd, "", "config", "--nope")
	mustUsage(t, c, code, errs, []string{"config", "--nope"}, "unknown flag: --nope")
}

// TestUsageHint: a usage error says where the usage is on a line of its own ("rtchat:
// hint: ..."), apart from the error, and in the JSON error object's own field.
func TestUsageHint(t *testing.T) {
	ios, _, out, errb := newTestIO()
	code := testRun(t, ios, nil, "--json", "send")
	if code != ExitUsage {
		t.Fatalf("send without PEER: exit %d: %s", code, errb)
	}
	want := "rtchat: missing PEER (usage: rtchat send PEER [MESSAGE...])\nrtchat: hint: run 'rtchat send --help' for usage\n"
	if errb.String() != want {
		t.Errorf("stderr %q, want %q", errb, want)
	}
	e := lastJSON(t, out.String())
	if e["type"] != "error" || e["error"] != "missing PEER (usage: rtchat send PEER [MESSAGE...])" ||
		e["hint"] != "run 'rtchat send --help' for usage" || e["code"] != float64(ExitUsage) {
		t.Errorf("error object %v", e)
	}
	// A bad flag value: the same shape.
	ios, _, _, errb = newTestIO()
	code = testRun(t, ios, nil, "listen", "--exec-max", "x")
	lines := strings.Split(strings.TrimSpace(errb.String()), "\n")
	if code != ExitUsage || len(lines) != 2 || strings.Contains(lines[0], "--help") ||
		lines[1] != "rtchat: hint: run 'rtchat listen --help' for usage" {
		t.Errorf("bad --exec-max: exit %d, stderr %q", code, errb)
	}
}
