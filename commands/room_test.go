package commands

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rtchat/rtchat/rtc"
)

// newTestRoom renders events over buffers, as a piped room does (no line editing).
func newTestRoom(t *testing.T, jsonOut bool) (*roomChat, *testBuffer, *testBuffer) {
	t.Helper()
	ios, _, out, errb := newTestIO()
	g := &Globals{Room: "chat", JSON: jsonOut, Reconnect: rtc.DefaultReconnect, Log: slog.New(slog.DiscardHandler)}
	return &roomChat{g: g, t: &chatTerm{g: g, ios: ios, out: &printer{w: out}}, members: map[string]*roomMember{}, refusedByUs: map[string]bool{}}, out, errb
}

// TestRoomRendering: what a piped room prints for each event: messages on stdout, a direct
// message and an unverified peer's line marked in a place the peer's text cannot reach,
// peer names and text made safe; joins, refusals and leaves on stderr.
func TestRoomRendering(t *testing.T) {
	r, out, errb := newTestRoom(t, false)
	left := fmt.Errorf("%w", rtc.ErrPeerLeft)
	notPinned := fmt.Errorf("%w: dave(9) refused us: dave has not pinned our key", rtc.ErrNotVerified)
	for _, e := range []rtc.Event{
		{Type: rtc.EventJoined, Peer: "bob(1a2b)", Bare: "bob", Bound: true, Fingerprint: "aaaa-bbbb"},
		{Type: rtc.EventJoined, Peer: "Alice", Bare: "Alice", Fingerprint: "cccc-dddd"},
		{Type: rtc.EventJoined, Peer: "zed\x1b[2J", Bare: "zed\x1b[2J", Unverified: true},
		{Type: rtc.EventMessage, Peer: "bob(1a2b)", Bare: "bob", Channel: "chat", Text: "hi all\ncarol: forged"},
		{Type: rtc.EventMessage, Peer: "bob(1a2b)", Bare: "bob", Channel: "dm", Text: "just you"},
		{Type: rtc.EventMessage, Peer: "zed\x1b[2J", Bare: "zed\x1b[2J", Channel: "chat", Text: "I am bob", Unverified: true},
		{Type: rtc.EventRefused, Peer: "eve(5)", Bare: "eve", Err: fmt.Errorf("%w: eve is not pinned", rtc.ErrNotVerified)},
		{Type: rtc.EventDisconnected, Peer: "eve(5)", Bare: "eve", Err: fmt.Errorf("%w: eve is not pinned", rtc.ErrNotVerified)},
		{Type: rtc.EventDisconnected, Peer: "dave(9)", Bare: "dave", Err: notPinned},
		{Type: rtc.EventReconnecting, Peer: "Alice", Bare: "Alice"},
		{Type: rtc.EventRenamed, Peer: "Alice", Bare: "Alice", NewName: "Alice(2)"},
		{Type: rtc.EventDisconnected, Peer: "bob(1a2b)", Bare: "bob", Err: left},
		{Type: rtc.EventDisconnected, Peer: "Alice", Bare: "Alice", Err: fmt.Errorf("%w: Alice unreachable for 30s", rtc.ErrConnectionLost)},
		{Type: rtc.EventDisconnected, Peer: "zed\x1b[2J", Bare: "zed\x1b[2J"}, // we closed it
	} {
		r.onEvent(e)
	}
	wantOut := "bob: hi all\nbob: carol: forged\nbob (dm): just you\n[unverified] zed\\x1b[2J: I am bob\n"
	if out.String() != wantOut {
		t.Errorf("stdout:\n%s\nwant:\n%s", out, wantOut)
	}
	for _, want := range []string{
		"rtchat: bob(1a2b) joined, key verified (aaaa-bbbb)\n",
		"rtchat: Alice joined, verified (web page, not bound to this connection), key cccc-dddd\n",
		"rtchat: zed\\x1b[2J joined UNVERIFIED: a client without identity keys",
		"rtchat: refused eve(5): peer not verified: eve is not pinned\n",
		"rtchat: not talking to dave(9): peer not verified: dave(9) refused us: dave has not pinned our key\n",
		"rtchat: Alice is unreachable; waiting up to 30s for it to come back; lines typed meanwhile are not delivered to it\n",
		"rtchat: Alice now calls itself Alice(2); it is still shown as Alice, the name it proved\n",
		"rtchat: bob(1a2b) left\n",
		"rtchat: Alice left: connection lost: Alice unreachable for 30s\n",
	} {
		if !strings.Contains(errb.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, errb)
		}
	}
	if strings.Contains(errb.String(), "\x1b") {
		t.Errorf("a raw escape reached stderr: %q", errb)
	}
	if n := strings.Count(errb.String(), "eve(5)"); n != 1 {
		t.Errorf("the refusal of eve is said %d times, want once:\n%s", n, errb)
	}
	if strings.Contains(errb.String(), "zed\\x1b[2J left") {
		t.Errorf("our own close of a connection is reported as the peer leaving:\n%s", errb)
	}
	if len(r.members) != 0 {
		t.Errorf("members after everyone left: %v", r.members)
	}
}

// TestRoomJSON: with --json every event is an object; joined and the messages say whether
// the peer proved a key.
func TestRoomJSON(t *testing.T) {
	r, out, errb := newTestRoom(t, true)
	r.onEvent(rtc.Event{Type: rtc.EventJoined, Peer: "zed", Bare: "zed", Unverified: true})
	r.onEvent(rtc.Event{Type: rtc.EventMessage, Peer: "zed", Bare: "zed", Channel: "chat", Text: "hi\x1b", Unverified: true})
	r.onEvent(rtc.Event{Type: rtc.EventJoined, Peer: "bob(1)", Bare: "bob", Bound: true, Fingerprint: "ffff"})
	var objs []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var o map[string]any
		if err := json.Unmarshal([]byte(l), &o); err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		objs = append(objs, o)
	}
	if len(objs) != 3 || objs[0]["type"] != "joined" || objs[0]["verified"] != false || objs[0]["bound"] != false ||
		objs[1]["type"] != "message" || objs[1]["verified"] != false || objs[1]["text"] != "hi\x1b" ||
		objs[2]["verified"] != true || objs[2]["fingerprint"] != "ffff" {
		t.Errorf("objects %v", objs)
	}
	if errb.String() != "" {
		t.Errorf("stderr with --json: %q", errb)
	}
}

func TestRoomCutName(t *testing.T) {
	for _, c := range []struct{ in, name, text string }{
		{"bob hello there", "bob", "hello there"},
		{"bob(1a2b)  hi", "bob(1a2b)", "hi"},
		{`"User #417" hi you`, "User #417", "hi you"},
		{"bob", "bob", ""},
	} {
		name, text, _ := cutName(c.in)
		if name != c.name || text != c.text {
			t.Errorf("cutName(%q) = %q, %q; want %q, %q", c.in, name, text, c.name, c.text)
		}
	}
}

// TestManyOutcome: the exit status of send and ask to several peers is 0 only when every
// peer succeeded, else the highest code of those that failed; skipped peers do not count.
func TestManyOutcome(t *testing.T) {
	ok := peerResult{Name: "a"}
	refused := peerResult{Name: "b", Err: fmt.Errorf("%w: x", rtc.ErrNotVerified)}
	timedOut := peerResult{Name: "c", Err: fmt.Errorf("%w: x", rtc.ErrTimeout)}
	remote := peerResult{Name: "d", Err: fmt.Errorf("%w: boom", rtc.ErrRemote)}
	skipped := peerResult{Name: "e", Skipped: "a web page answers no questions"}
	for _, c := range []struct {
		rs   []peerResult
		code int
		msg  string
	}{
		{[]peerResult{ok, ok, skipped}, ExitOK, ""},
		{[]peerResult{ok, refused}, ExitNotVerified, "not delivered to 1 of 2 peers"},
		{[]peerResult{refused, timedOut, ok}, ExitTimeout, "not delivered to 2 of 3 peers"},
		{[]peerResult{remote, ok, skipped}, ExitFailure, "not delivered to 1 of 2 peers"},
		{[]peerResult{remote, refused}, ExitNotVerified, "not delivered to 2 of 2 peers"},
	} {
		err := manyOutcome(c.rs, "not delivered to")
		if codeOf(err) != c.code || (err != nil && err.Error() != c.msg) {
			t.Errorf("%v: %v (code %d), want code %d %q", c.rs, err, codeOf(err), c.code, c.msg)
		}
	}
}

// TestTrustUnverifiedWarning: --trust unverified from anywhere but the flag is warned about
// on every run; from the flag, and any other policy, is not.
func TestTrustUnverifiedWarning(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ConfigFileName), []byte(`trust = "unverified"`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		env  map[string]string
		args []string
		warn string
	}{
		{map[string]string{"RTCHAT_CONFIG_DIR": dir}, []string{"config"}, "from file " + dir},
		{map[string]string{"RTCHAT_TRUST": "unverified"}, []string{"config"}, "from env RTCHAT_TRUST"},
		{map[string]string{"RTCHAT_CONFIG_DIR": dir}, []string{"--trust", "unverified", "config"}, ""},
		{map[string]string{"RTCHAT_CONFIG_DIR": dir}, []string{"--trust", "tofu", "config"}, ""},
		{nil, []string{"config"}, ""},
	} {
		ios, _, _, errb := newTestIO()
		if code := testRun(t, ios, c.env, c.args...); code != 0 {
			t.Fatalf("%v: exit %d: %s", c.args, code, errb)
		}
		warned := strings.Contains(errb.String(), "rtchat: warning: trust policy 'unverified'")
		if warned != (c.warn != "") || !strings.Contains(errb.String(), c.warn) {
			t.Errorf("%v %v: stderr %q, want a warning naming %q", c.env, c.args, errb, c.warn)
		}
	}
}
