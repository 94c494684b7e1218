package e2e

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/rtchat/rtchat/rtc/signal"
)

// topicTap records every payload published on the default room's topic, as anyone who
// subscribes to the public broker would.
type topicTap struct {
	mu       sync.Mutex
	payloads [][]byte
}

func tapRoom(t *testing.T, w *world) *topicTap { return tapTopic(t, w, "chat") }

// tapTopic is tapRoom for any room.
func tapTopic(t *testing.T, w *world, room string) *topicTap {
	t.Helper()
	topic, err := signal.Topic(room)
	if err != nil {
		t.Fatal(err)
	}
	tap := &topicTap{}
	opts := mqtt.NewClientOptions().AddBroker("tcp://" + w.tcpAddr).SetClientID(fmt.Sprintf("tap-%d", time.Now().UnixNano()))
	c := mqtt.NewClient(opts)
	if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("tap: connect: %v", tok.Error())
	}
	t.Cleanup(func() { c.Disconnect(0) })
	if tok := c.Subscribe(topic, 0, func(_ mqtt.Client, m mqtt.Message) {
		tap.mu.Lock()
		tap.payloads = append(tap.payloads, append([]byte(nil), m.Payload()...))
		tap.mu.Unlock()
	}); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("tap: subscribe: %v", tok.Error())
	}
	return tap
}

// bytes sums the captured payloads' sizes: all, and those of offers and answers.
func (tap *topicTap) bytes(t *testing.T) (all, signaling int) {
	t.Helper()
	tap.mu.Lock()
	defer tap.mu.Unlock()
	for _, p := range tap.payloads {
		all += len(p)
		if env, err := signal.Decode(p); err == nil && (env.Subtopic == signal.SubOffer || env.Subtopic == signal.SubAnswer) {
			signaling += len(p)
		}
	}
	return all, signaling
}

// envelopes decodes what was captured with rtchat's own decoders (LZ-String, envelope).
func (tap *topicTap) envelopes(t *testing.T) []signal.Envelope {
	t.Helper()
	tap.mu.Lock()
	defer tap.mu.Unlock()
	var out []signal.Envelope
	for _, p := range tap.payloads {
		env, err := signal.Decode(p)
		if err != nil {
			t.Fatalf("a payload on the topic does not decode: %v", err)
		}
		out = append(out, env)
	}
	return out
}

// leaks are what SDP gives away: addresses, ICE credentials, DTLS fingerprints.
var leaks = []string{"a=candidate", "candidate:", "ice-ufrag", "ice-pwd", "fingerprint", "sha-256", "127.0.0.1", "typ host"}

// leaked lists the envelopes whose data holds any of leaks.
func leaked(envs []signal.Envelope) []string {
	var out []string
	for _, e := range envs {
		data := strings.ToLower(string(e.Data))
		for _, l := range leaks {
			if strings.Contains(data, l) {
				out = append(out, fmt.Sprintf("%s from %s holds %q", e.Subtopic, e.Sender, l))
				break
			}
		}
	}
	return out
}

func count(envs []signal.Envelope, sub string) int {
	n := 0
	for _, e := range envs {
		if e.Subtopic == sub {
			n++
		}
	}
	return n
}

// TestSealedSignalingLeaksNothing: a raw subscriber on the room during an ask, a pipe and a
// room chat between rtchat peers reads no address, ICE credential or fingerprint in any
// payload (the ICE restart is covered by rtc's TestSealedRestartLeaksNothing); against a
// web-page-style peer rtchat still speaks the page's plain format.
func TestSealedSignalingLeaksNothing(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	tap := tapRoom(t, w)
	w.friends("alice", "bob")

	w.listening("bob", "--exec", "cat")
	if out, errs, code := w.run("alice", nil, "ask", "bob", "hello"); code != 0 {
		t.Fatalf("ask: exit %d, out %q, stderr %s", code, out, errs)
	}
	pipeBoth(t, w, "alice", "bob", 1000, 2000, false)
	a, b := startRoom(t, w, "alice"), startRoom(t, w, "bob")
	a.waitJoined(t, w.ctx, 1)
	b.waitJoined(t, w.ctx, 1)
	a.say(t, "sealed room line")
	b.waitMessage(t, w.ctx, "alice", "chat", "sealed room line")
	stopRooms(t, w, []*roomProc{a, b})

	envs := tap.envelopes(t)
	offers, answers := count(envs, signal.SubOffer), count(envs, signal.SubAnswer)
	// The ask, both pipes, the room: at least 3 connections, each an offer and an answer.
	if offers < 3 || answers < 3 {
		t.Fatalf("the tap saw %d offers and %d answers of %d payloads: it missed the signaling", offers, answers, len(envs))
	}
	for _, e := range envs {
		if (e.Subtopic == signal.SubOffer || e.Subtopic == signal.SubAnswer) && !strings.Contains(string(e.Data), `"sealed":"`) {
			t.Errorf("%s from %s is not sealed: %.200s", e.Subtopic, e.Sender, e.Data)
		}
	}
	if l := leaked(envs); len(l) > 0 {
		t.Fatalf("%d of %d payloads leak:\n%s", len(l), len(envs), strings.Join(l, "\n"))
	}
	t.Logf("%d payloads, %d offers, %d answers, none leaks", len(envs), offers, answers)

	// A web-page-style peer (the barebones client): rtchat keeps the page's plain format.
	webTap := tapRoom(t, w)
	zed, _ := startBarebones(t, w, "zed")
	if _, errs, code := w.run("alice", nil, "--trust", "unverified", "send", "zed", "hello zed"); code != 0 {
		t.Fatalf("send to a web-page peer: exit %d, stderr %s", code, errs)
	}
	if err := zed.waitFor(w.ctx, zed.stdout, "hello zed"); err != nil {
		t.Fatalf("zed never got the message: %v", err)
	}
	plain := false
	for _, e := range webTap.envelopes(t) {
		if e.Subtopic == signal.SubOffer && strings.Contains(e.Sender, "alice(") {
			if strings.Contains(string(e.Data), `"sealed"`) {
				t.Fatalf("an offer to a web page is sealed: %.300s", e.Data)
			}
			plain = plain || strings.Contains(string(e.Data), "a=ice-ufrag")
		}
	}
	if !plain {
		t.Fatal("no plain offer from alice to the web-page peer")
	}
}
