package rtc

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/rtchat/rtchat/rtc/seal"
	"github.com/rtchat/rtchat/rtc/signal"
)

// sealAs seals what from one client to another, as from would (tests that forge or replay
// signaling an rtchat peer sealed).
func sealAs(t testing.TB, from, to *Client, label string, what sealedSignal) string {
	t.Helper()
	pt, err := json.Marshal(what)
	if err != nil {
		t.Fatal(err)
	}
	box, err := from.seal.key.Seal(to.seal.key.Public(), seal.Context{Room: from.topic, Sender: from.me, Target: to.me, Label: label}, pt)
	if err != nil {
		t.Fatal(err)
	}
	return b64.EncodeToString(box)
}

// awaitN waits until n envelopes match ok.
func (s *rawSub) awaitN(t testing.TB, d time.Duration, what string, n int, ok func(signal.Envelope) bool) {
	t.Helper()
	seen := 0
	s.await(t, d, what, func(e signal.Envelope) bool {
		if ok(e) {
			seen++
		}
		return seen >= n
	})
}

// TestSealedRestartLeaksNothing: an ICE restart between rtchat peers (the restart offer and
// its answer) is sealed like the first negotiation: a raw subscriber reads no address, ICE
// credential or fingerprint in any payload. (e2e's TestSealedSignalingLeaksNothing covers
// ask, pipe and room chat.)
func TestSealedRestartLeaksNothing(t *testing.T) {
	_, url := startBroker(t)
	room := uniqueRoom(t)
	sub := subscribe(t, url, room)
	aID, bID := testIdentity(t, "alice", 0), testIdentity(t, "bob", 1)
	bob := startClient(t, url, room, bID, clientOpts{role: RoleListen, pins: map[string]string{"alice": aID.PublicJWK}, reconnect: time.Minute})
	alice := startClient(t, url, room, aID, clientOpts{role: RoleConnect, pins: map[string]string{"bob": bID.PublicJWK}, reconnect: time.Minute})
	p, err := alice.Dial(ctxFor(t, 20*time.Second), "bob")
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	// ICE gave up (as pion reports it): alice, the offerer, restarts ICE through the topic.
	p.p.post(evPCState{webrtc.PeerConnectionStateDisconnected}, true)
	p.p.post(evPCState{webrtc.PeerConnectionStateFailed}, true)
	alice.waitEvent(t, EventReconnecting, 10*time.Second, nil)
	from := func(name, sub string) func(signal.Envelope) bool {
		return func(e signal.Envelope) bool { return e.Sender == name && e.Subtopic == sub }
	}
	sub.awaitN(t, 10*time.Second, "alice's restart offer", 2, from(alice.Name(), signal.SubOffer))
	// bob answers only a restart offer that opened and verified.
	sub.awaitN(t, 10*time.Second, "bob's restart answer", 2, from(bob.Name(), signal.SubAnswer))
	p.p.post(evPCState{webrtc.PeerConnectionStateConnected}, true)
	alice.waitEvent(t, EventReconnected, 10*time.Second, nil)

	envs, _ := sub.payloads()
	for _, e := range envs {
		data := strings.ToLower(string(e.Data))
		for _, leak := range []string{"a=candidate", "candidate:", "ice-ufrag", "ice-pwd", "fingerprint", "127.0.0.1"} {
			if strings.Contains(data, leak) {
				t.Errorf("%s from %s holds %q", e.Subtopic, e.Sender, leak)
			}
		}
		if (e.Subtopic == signal.SubOffer || e.Subtopic == signal.SubAnswer) && !strings.Contains(data, `"sealed":"`) {
			t.Errorf("%s from %s is not sealed", e.Subtopic, e.Sender)
		}
	}
}
