package commands

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rtchat/rtchat/rtc/broker"
	"github.com/rtchat/rtchat/rtc/signal"
)

// brokerRun runs 'rtchat ARGS' in-process and hands back its stderr lines as they come.
type brokerRun struct {
	cancel context.CancelFunc
	code   chan int
	lines  chan string
	out    *lockedBuf
	errAll *lockedBuf // every stderr line, also those dropped from lines
	errw   *io.PipeWriter
}

type lockedBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func startBrokerCmd(t *testing.T, args ...string) *brokerRun {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	pr, pw := io.Pipe()
	r := &brokerRun{cancel: cancel, code: make(chan int, 1), lines: make(chan string, 64), out: &lockedBuf{}, errAll: &lockedBuf{}, errw: pw}
	dir := t.TempDir()
	env := func(k string) (string, bool) {
		if k == "RTCHAT_CONFIG_DIR" || k == "HOME" {
			return dir, true
		}
		return "", false
	}
	ios := &IO{In: strings.NewReader(""), Out: r.out, Err: pw}
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			fmt.Fprintln(r.errAll, sc.Text())
			select {
			case r.lines <- sc.Text():
			default: // nobody reads: drop
			}
		}
		close(r.lines)
	}()
	go func() {
		code := Run(ctx, ios, args, env)
		pw.Close()
		r.code <- code
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-r.code:
		case <-time.After(10 * time.Second):
			t.Error("broker command did not stop")
		}
	})
	return r
}

// waitLine returns the first submatch of re in a stderr line.
func (r *brokerRun) waitLine(t *testing.T, ctx context.Context, re *regexp.Regexp) string {
	t.Helper()
	var seen []string
	for {
		select {
		case l, ok := <-r.lines:
			if !ok {
				t.Fatalf("stderr ended without %v; got %q", re, seen)
			}
			seen = append(seen, l)
			if m := re.FindStringSubmatch(l); m != nil {
				return m[1]
			}
		case <-ctx.Done():
			t.Fatalf("no stderr line matching %v; got %q", re, seen)
		}
	}
}

// waitStderr polls until stderr has contained s (the lines channel may have dropped it).
func (r *brokerRun) waitStderr(t *testing.T, ctx context.Context, s string) {
	t.Helper()
	for !strings.Contains(r.errAll.String(), s) {
		select {
		case <-ctx.Done():
			t.Fatalf("stderr never said %q", s)
		case <-time.After(20 * time.Millisecond): // poll
		}
	}
}

func (r *brokerRun) stop(t *testing.T, ctx context.Context) int {
	t.Helper()
	r.cancel()
	select {
	case c := <-r.code:
		r.code <- c
		return c
	case <-ctx.Done():
		t.Fatal("broker command did not exit after cancel")
	}
	return -1
}

var mqttURL = regexp.MustCompile(`listening on (mqtt://\S+)`)

func TestBrokerCommand(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	r := startBrokerCmd(t, "broker", "--listen", "127.0.0.1:0")
	url := r.waitLine(t, ctx, mqttURL)
	if strings.HasSuffix(url, ":0") {
		t.Fatalf("printed URL %q lacks the real port", url)
	}
	hint := r.waitLine(t, ctx, regexp.MustCompile(`(--broker \S+)`))
	if hint != "--broker "+url {
		t.Fatalf("hint %q, want --broker %s", hint, url)
	}

	topic, _ := signal.Topic("broker-cmd")
	c, err := signal.Dial(ctx, signal.Config{BrokerURL: url, Topic: topic})
	if err != nil {
		t.Fatal(err)
	}
	p, _ := signal.Encode("gopher", signal.SubConnect, nil, time.Now())
	if err := c.Publish(ctx, p); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-c.Messages():
		if !bytes.Equal(got, p) {
			t.Fatalf("got %q", got)
		}
	case <-ctx.Done():
		t.Fatal("own message did not come back through the broker")
	}
	if err := c.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if code := r.stop(t, ctx); code != ExitOK {
		t.Fatalf("exit %d, want 0", code)
	}
	if r.out.String() != "" {
		t.Fatalf("stdout not empty without --json: %q", r.out.String())
	}
}

func TestBrokerCommandJSONAndWebSocket(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	r := startBrokerCmd(t, "--json", "broker", "--listen", "127.0.0.1:0", "--ws", "127.0.0.1:0")
	wsURL := r.waitLine(t, ctx, regexp.MustCompile(`listening on (ws://\S+)`))
	c, err := signal.Dial(ctx, signal.Config{BrokerURL: wsURL, Topic: "mrtchat/ws"})
	if err != nil {
		t.Fatal(err)
	}
	c.Close(ctx)
	if code := r.stop(t, ctx); code != ExitOK {
		t.Fatalf("exit %d", code)
	}
	var ev struct {
		Type string   `json:"type"`
		URLs []string `json:"urls"`
	}
	out := r.out.String()
	if err := json.Unmarshal([]byte(out), &ev); err != nil || strings.Count(out, "\n") != 1 {
		t.Fatalf("stdout %q: %v", out, err)
	}
	if ev.Type != "listening" || len(ev.URLs) != 2 || !strings.HasPrefix(ev.URLs[0], "mqtt://127.0.0.1:") || ev.URLs[1] != wsURL {
		t.Fatalf("event %+v (ws %s)", ev, wsURL)
	}
}

func TestBrokerCommandErrors(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	emptyUsers := filepath.Join(t.TempDir(), "users")
	if err := os.WriteFile(emptyUsers, []byte("# nobody yet\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"broker", "--listen", ln.Addr().String()}, ExitFailure, "already uses that port"},
		{[]string{"broker", "--listen", ""}, ExitUsage, "nothing to listen on"},
		{[]string{"broker", "--listen", "1883"}, ExitUsage, "invalid --listen"},
		{[]string{"broker", "extra"}, ExitUsage, "unknown command"},
		{[]string{"broker", "--auth", "/nonexistent/users"}, ExitUsage, "invalid --auth"},
		{[]string{"broker", "--auth", emptyUsers}, ExitUsage, "no users"},
		{[]string{"broker", "--topics", "a/#/b"}, ExitUsage, "topic pattern"},
		{[]string{"broker", "--topics", ""}, ExitUsage, "--topics"},
		{[]string{"broker", "--max-packet", "0"}, ExitUsage, "--max-packet"},
		{[]string{"broker", "--max-packet", "4KiB", "--max-queue", "2KiB"}, ExitUsage, "one message would not fit"},
		{[]string{"broker", "--max-clients", "0"}, ExitUsage, "--max-clients"},
		{[]string{"broker", "--connect-timeout", "0s"}, ExitUsage, "--connect-timeout"},
	} {
		var out, errb bytes.Buffer
		ios := &IO{In: strings.NewReader(""), Out: &out, Err: &errb}
		dir := t.TempDir()
		code := Run(ctx, ios, tc.args, func(k string) (string, bool) {
			if k == "RTCHAT_CONFIG_DIR" {
				return dir, true
			}
			return "", false
		})
		if code != tc.code || !strings.Contains(errb.String(), tc.want) {
			t.Errorf("%q: exit %d, stderr %q; want %d and %q", tc.args, code, errb.String(), tc.code, tc.want)
		}
	}
}

// runCmd runs 'rtchat ARGS' in-process to completion with stdin and returns its outputs.
func runCmd(t *testing.T, ctx context.Context, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	dir := t.TempDir()
	ios := &IO{In: strings.NewReader(stdin), Out: &out, Err: &errb}
	code = Run(ctx, ios, args, func(k string) (string, bool) {
		if k == "RTCHAT_CONFIG_DIR" || k == "HOME" {
			return dir, true
		}
		return "", false
	})
	return code, out.String(), errb.String()
}

func TestBrokerPasswd(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	code, out, errs := runCmd(t, ctx, "correct horse\n", "broker", "passwd", "alice")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.HasPrefix(out, "alice:$2a$") || strings.Count(out, "\n") != 1 {
		t.Fatalf("stdout %q", out)
	}
	users, err := broker.ParseUsers(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if !users.Check("alice", []byte("correct horse")) || users.Check("alice", []byte("correct horse\n")) {
		t.Fatal("the printed line does not check the password read")
	}
	for _, tc := range []struct {
		stdin string
		args  []string
		want  string
	}{
		{"", []string{"broker", "passwd", "alice"}, "no password on stdin"},
		{"pw\n", []string{"broker", "passwd", "a:b"}, "user name"},
		{"pw\n", []string{"broker", "passwd"}, "accepts 1 arg"},
	} {
		if code, _, errs := runCmd(t, ctx, tc.stdin, tc.args...); code != ExitUsage || !strings.Contains(errs, tc.want) {
			t.Errorf("%q: exit %d, stderr %q; want %d and %q", tc.args, code, errs, ExitUsage, tc.want)
		}
	}
}

func TestBrokerCommandAuthAndTopics(t *testing.T) {
	// A bound for hangs, not for speed: every login costs a bcrypt check, seconds each under
	// -race on a loaded machine (30 s was not enough there).
	ctx, cancel := context.WithTimeout(t.Context(), 120*time.Second)
	defer cancel()
	line, err := broker.HashPassword("alice", []byte("s3cret"))
	if err != nil {
		t.Fatal(err)
	}
	users := filepath.Join(t.TempDir(), "users")
	if err := os.WriteFile(users, []byte("# test\n"+line+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := startBrokerCmd(t, "-v", "broker", "--listen", "127.0.0.1:0", "--auth", users, "--topics", "mrtchat/#,lab/+")
	url := r.waitLine(t, ctx, mqttURL)
	r.waitLine(t, ctx, regexp.MustCompile(`(1 user\(s\) may log in)`))
	host := strings.TrimPrefix(url, "mqtt://")

	topic, _ := signal.Topic("auth")
	c, err := signal.Dial(ctx, signal.Config{BrokerURL: "mqtt://alice:s3cret@" + host, Topic: topic, ConnectTimeout: time.Minute})
	if err != nil {
		t.Fatalf("right password refused: %v", err)
	}
	c.Close(ctx)
	c, err = signal.Dial(ctx, signal.Config{BrokerURL: "mqtt://alice:s3cret@" + host, Topic: "lab/x", ConnectTimeout: time.Minute})
	if err != nil {
		t.Fatalf("--topics lab/+ not applied: %v", err)
	}
	c.Close(ctx)
	if _, err := signal.Dial(ctx, signal.Config{BrokerURL: "mqtt://alice:s3cret@" + host, Topic: "other/x", ConnectTimeout: 10 * time.Second}); err == nil {
		t.Fatal("topic outside --topics accepted")
	}
	r.waitStderr(t, ctx, "refused subscription: topic not allowed")
	for _, u := range []string{"mqtt://alice:wrong@" + host, url} {
		if _, err := signal.Dial(ctx, signal.Config{BrokerURL: u, Topic: topic, ConnectTimeout: time.Second}); err == nil {
			t.Fatalf("%s: accepted", u)
		}
	}
	r.waitStderr(t, ctx, "wrong or missing user name or password")
	if code := r.stop(t, ctx); code != ExitOK {
		t.Fatalf("exit %d", code)
	}
}

func TestBrokerCommandConnectTimeout(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	r := startBrokerCmd(t, "broker", "--listen", "127.0.0.1:0", "--connect-timeout", "200ms")
	host := strings.TrimPrefix(r.waitLine(t, ctx, mqttURL), "mqtt://")
	d := net.Dialer{}
	idle, err := d.DialContext(ctx, "tcp", host)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	dl, _ := ctx.Deadline()
	_ = idle.SetReadDeadline(dl)
	if _, err := idle.Read(make([]byte, 1)); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("silent connection not closed by the broker: %v", err)
	}
}

func TestBrokerFlagValues(t *testing.T) {
	var b byteSize
	for in, want := range map[string]int{"4096": 4096, "272KiB": 272 << 10, "1MiB": 1 << 20, "2m": 2 << 20, "8 KB": 8 << 10, "100B": 100} {
		if err := b.Set(in); err != nil || int(b) != want {
			t.Errorf("Set(%q) = %d, %v; want %d", in, b, err, want)
		}
	}
	for _, bad := range []string{"", "0", "-1", "1GiB", "x", "1.5MiB", "KiB"} {
		if err := b.Set(bad); err == nil {
			t.Errorf("Set(%q) accepted", bad)
		}
	}
	b = 272 << 10
	if b.String() != "272KiB" {
		t.Errorf("String() = %q", b.String())
	}
	for addr, want := range map[string]bool{"127.0.0.1:1883": true, "[::1]:1": true, "localhost:1": true, "": true, "0.0.0.0:1883": false, "192.168.1.2:1": false, ":1883": false} {
		if got := isLoopback(addr); got != want {
			t.Errorf("isLoopback(%q) = %v", addr, got)
		}
	}
}
