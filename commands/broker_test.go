package commands

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rtchat/rtchat/rtc/signal"
)

// brokerRun runs 'rtchat ARGS' in-process and hands back its stderr lines as they come.
type brokerRun struct {
	cancel context.CancelFunc
	code   chan int
	lines  chan string
	out    *lockedBuf
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
	r := &brokerRun{cancel: cancel, code: make(chan int, 1), lines: make(chan string, 64), out: &lockedBuf{}, errw: pw}
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
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"broker", "--listen", ln.Addr().String()}, ExitFailure, "already uses that port"},
		{[]string{"broker", "--listen", ""}, ExitUsage, "nothing to listen on"},
		{[]string{"broker", "--listen", "1883"}, ExitUsage, "invalid --listen"},
		{[]string{"broker", "extra"}, ExitUsage, "unknown command"},
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
