package iceconf_test

import (
	"context"
	"errors"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/rtchat/rtchat/rtc/iceconf"
	"github.com/rtchat/rtchat/rtc/iceconf/icetest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestParse(t *testing.T) {
	type want struct {
		mode  string
		urls  []string
		users []string
		pass  []string
	}
	ok := []struct {
		in string
		w  want
	}{
		{"", want{mode: "default", urls: iceconf.DefaultSTUN}},
		{"  ", want{mode: "default", urls: iceconf.DefaultSTUN}},
		{"none", want{mode: "none"}},
		{"NONE", want{mode: "none"}},
		{"loopback", want{mode: "loopback"}},
		{"stun:stun.example.org:3478", want{mode: "servers", urls: []string{"stun:stun.example.org:3478"}}},
		{"stun:stun.example.org", want{mode: "servers", urls: []string{"stun:stun.example.org"}}},
		{"stun:a.example:1, stun:b.example:2", want{mode: "servers", urls: []string{"stun:a.example:1", "stun:b.example:2"}}},
		{"turn:alice:s3cret@turn.example.org:3478?transport=udp",
			want{mode: "servers", urls: []string{"turn:turn.example.org:3478?transport=udp"}, users: []string{"alice"}, pass: []string{"s3cret"}}},
		{"turns:bob:p%40ss%3Aw@turn.example.org:5349?transport=tcp",
			want{mode: "servers", urls: []string{"turns:turn.example.org:5349?transport=tcp"}, users: []string{"bob"}, pass: []string{"p@ss:w"}}},
		{"stun:s.example:19302,turn:u:p@t.example:3478",
			want{mode: "servers", urls: []string{"stun:s.example:19302", "turn:t.example:3478"}, users: []string{"", "u"}, pass: []string{"", "p"}}},
	}
	for _, tc := range ok {
		c, err := iceconf.Parse(tc.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.in, err)
			continue
		}
		if c.Mode != tc.w.mode {
			t.Errorf("Parse(%q).Mode = %q, want %q", tc.in, c.Mode, tc.w.mode)
		}
		if len(c.Servers) != len(tc.w.urls) {
			t.Errorf("Parse(%q): %d servers, want %d", tc.in, len(c.Servers), len(tc.w.urls))
			continue
		}
		for i, s := range c.Servers {
			if len(s.URLs) != 1 || s.URLs[0] != tc.w.urls[i] {
				t.Errorf("Parse(%q) server %d URLs %v, want %s", tc.in, i, s.URLs, tc.w.urls[i])
			}
			if tc.w.users != nil && tc.w.users[i] != "" && (s.Username != tc.w.users[i] || s.Credential != tc.w.pass[i]) {
				t.Errorf("Parse(%q) server %d creds %q/%v", tc.in, i, s.Username, s.Credential)
			}
			if (tc.w.users == nil || tc.w.users[i] == "") && (s.Username != "" || s.Credential != nil) {
				t.Errorf("Parse(%q) server %d has credentials", tc.in, i)
			}
		}
	}

	bad := []struct{ in, mention string }{
		{"http://example.org", `entry 1 "http://example.org"`},
		{"stun:a.example:1,,stun:b.example:2", "entry 2 is empty"},
		{"stun:a.example:1,bogus", `entry 2 "bogus"`},
		{"turn:turn.example.org:3478", "TURN needs credentials"},
		{"turn:alice@turn.example.org:3478", "USER:PASS"},
		{"stun:u:p@stun.example.org", "STUN takes no credentials"},
		{"stun:", "missing host"},
		{"stun:host:99999", "bad port"},
		{"stun:host:x", "bad port"},
		{"none,stun:a.example:1", "cannot be combined"},
		{"turn:alice:topsecret@:3478", "missing host"},
	}
	for _, tc := range bad {
		_, err := iceconf.Parse(tc.in)
		if err == nil {
			t.Errorf("Parse(%q): no error", tc.in)
			continue
		}
		if !errors.Is(err, iceconf.ErrBadICE) {
			t.Errorf("Parse(%q): %v does not wrap ErrBadICE", tc.in, err)
		}
		if !strings.Contains(err.Error(), tc.mention) {
			t.Errorf("Parse(%q): error %q does not mention %q", tc.in, err, tc.mention)
		}
		if strings.Contains(err.Error(), "topsecret") {
			t.Errorf("Parse(%q): error leaks the password: %v", tc.in, err)
		}
	}
}

func TestReadRmemMax(t *testing.T) {
	if _, err := os.Stat("/proc/sys/net/core/rmem_max"); err != nil {
		t.Skip("no /proc/sys/net/core/rmem_max")
	}
	n, err := iceconf.ReadRmemMax()
	if err != nil || n <= 0 {
		t.Fatalf("ReadRmemMax = %d, %v", n, err)
	}
	t.Logf("rmem_max = %d", n)
}

var candRE = regexp.MustCompile(`(?m)^a=candidate:\S+ \d+ (\S+) \d+ (\S+) \d+ typ (\S+)`)

func TestLoopbackPair(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	p, err := icetest.NewPair(ctx, nil, "test")
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := p.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	}()
	for _, sdp := range []string{p.OfferSDP, p.AnswerSDP} {
		m := candRE.FindAllStringSubmatch(sdp, -1)
		if len(m) == 0 {
			t.Fatalf("no candidates in SDP:\n%s", sdp)
		}
		for _, c := range m {
			if strings.ToLower(c[1]) != "udp" || c[2] != "127.0.0.1" || c[3] != "host" {
				t.Errorf("unexpected candidate %q", c[0])
			}
		}
		if strings.Contains(sdp, ".local") {
			t.Errorf("mDNS candidate in SDP:\n%s", sdp)
		}
	}
	rmem, _ := iceconf.ReadRmemMax()
	t.Logf("granted rcvbuf %d sndbuf %d (rmem_max %d, capped=%v)", p.A.RecvBuffer, p.A.SendBuffer, rmem, p.A.BufferCapped())
	if p.A.RecvBuffer <= 0 {
		t.Errorf("receive buffer not read back")
	}

	// pion's read deadline runs a timer goroutine until the deadline passes or is reset:
	// clear the deadlines before closing, or goleak sees them.
	defer func() {
		_ = p.ChA.SetReadDeadline(time.Time{})
		_ = p.ChB.SetReadDeadline(time.Time{})
	}()
	_ = p.ChA.SetReadDeadline(time.Now().Add(10 * time.Second))
	_ = p.ChA.SetWriteDeadline(time.Now().Add(10 * time.Second))
	_ = p.ChB.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := p.ChA.WriteDataChannel([]byte("hello"), true); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 65536)
	n, isString, err := p.ChB.ReadDataChannel(buf)
	if err != nil || !isString || string(buf[:n]) != "hello" {
		t.Fatalf("read %q %v %v", buf[:n], isString, err)
	}
	big := make([]byte, 64000)
	for i := range big {
		big[i] = byte(i)
	}
	if _, err := p.ChB.WriteDataChannel(big, false); err != nil {
		t.Fatal(err)
	}
	n, isString, err = p.ChA.ReadDataChannel(buf)
	if err != nil || isString || n != len(big) || buf[n-1] != big[n-1] {
		t.Fatalf("read %d %v %v", n, isString, err)
	}
}

func TestString(t *testing.T) {
	c, err := iceconf.Parse("turn:alice:pw@t.example:3478,stun:s.example:1")
	if err != nil {
		t.Fatal(err)
	}
	if got := c.String(); got != "turn:alice:***@t.example:3478,stun:s.example:1" {
		t.Errorf("String = %q", got)
	}
}
