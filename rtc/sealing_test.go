package rtc

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/rtchat/rtchat/rtc/proof"
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

// awaitN waits until n envelopes match ok. await scans every envelope again on each pass,
// so the count starts over with each pass (counting across passes counted one envelope
// again and again).
func (s *rawSub) awaitN(t testing.TB, d time.Duration, what string, n int, ok func(signal.Envelope) bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		envs, _ := s.payloads()
		seen := 0
		for _, e := range envs {
			if ok(e) {
				seen++
			}
		}
		if seen >= n {
			return
		}
		left := time.Until(deadline)
		if left <= 0 {
			t.Fatalf("%d of %d %s published within %v", seen, n, what, d)
		}
		select {
		case <-s.news:
		case <-time.After(left):
		}
	}
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
	restartThroughTopic(t, sub, alice, bob, p)
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

// TestRestartWhileAnswererVerifies: the offerer is established (the signed answer proved
// the answerer to it) and restarts ICE while the answerer still verifies it. The restart
// tears the offerer's ICE path down at once, so an answerer that waits to be established
// before it answers restarts never gets there: it must answer (CI once saw bob's
// verification lag alice's restart this way: no answer, the connection lost).
func TestRestartWhileAnswererVerifies(t *testing.T) {
	_, url := startBroker(t)
	room := uniqueRoom(t)
	sub := subscribe(t, url, room)
	aID, bID := testIdentity(t, "alice", 0), testIdentity(t, "bob", 1)
	release := make(chan struct{})
	var once sync.Once
	t.Cleanup(func() { once.Do(func() { close(release) }) })
	bob := startClient(t, url, room, bID, clientOpts{role: RoleListen, pins: map[string]string{"alice": aID.PublicJWK}, reconnect: time.Minute,
		beforeVerify: func(ctx context.Context, _ string) {
			select {
			case <-release:
			case <-ctx.Done():
			}
		}})
	alice := startClient(t, url, room, aID, clientOpts{role: RoleConnect, pins: map[string]string{"bob": bID.PublicJWK}, reconnect: time.Minute})
	p, err := alice.Dial(ctxFor(t, 20*time.Second), "bob")
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	var st peerState
	bob.call(func() {
		if bp := bob.peers[alice.Name()]; bp != nil {
			st = bob.views[bp].state
		}
	})
	if st.established() {
		t.Fatalf("bob is %v before he verified alice", st)
	}
	restartThroughTopic(t, sub, alice, bob, p)
	once.Do(func() { close(release) })
	bob.waitEvent(t, EventVerified, 10*time.Second, func(e Event) bool { return e.Peer == alice.Name() })
	alice.waitEvent(t, EventReconnected, 10*time.Second, nil)
	if err := p.Chat("after the restart"); err != nil {
		t.Fatal(err)
	}
	if e := bob.waitEvent(t, EventMessage, 10*time.Second, nil); e.Text != "after the restart" {
		t.Fatalf("bob got %+v", e)
	}
}

// TestNoPlainOrBrokenSealedOffer: a fresh offer really signed by alice's pinned key, newer
// than what made the live verified connection (so one that would replace it), is ignored
// when it comes plain (an rtchat peer always seals: no downgrade) or sealed but altered (it
// does not open); the same offer properly sealed does replace it, so the test can fail.
func TestNoPlainOrBrokenSealedOffer(t *testing.T) {
	alice, bob, sub, d := verifiedWithOffer(t)
	orig, err := bob.openFrom(alice.Name(), d.UserInfo, seal.LabelOffer, d.Sealed)
	if err != nil {
		t.Fatal(err)
	}
	bob.waitEvent(t, EventVerified, 10*time.Second, func(e Event) bool { return e.Peer == alice.Name() })
	current := func() *peer {
		var p *peer
		bob.call(func() { p = bob.peers[alice.Name()] })
		return p
	}
	before := current()
	markers := 0
	send := func(d offerData) {
		t.Helper()
		markers++
		marker := fmt.Sprintf("marker%d", markers)
		for _, m := range []struct {
			sender, sub string
			data        any
		}{{alice.Name(), signal.SubOffer, d}, {marker, signal.SubConnect, map[string]string{}}} {
			payload, err := signal.Encode(m.sender, m.sub, m.data, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			if err := sub.conn.Publish(ctxFor(t, 5*time.Second), payload); err != nil {
				t.Fatal(err)
			}
		}
		// Once bob saw the marker (published after the offer), he handled both.
		bob.waitEvent(t, EventSeen, 10*time.Second, func(e Event) bool { return e.Peer == marker })
	}
	// fresh is a new offer of alice's, signed by her key; sealed or not.
	fresh := func(sealed bool) offerData {
		s := proof.Signal{Kind: proof.KindOffer, Room: alice.topic, Sender: alice.Name(), Target: bob.Name(),
			TS: time.Now().UnixMilli(), Nonce: b64.EncodeToString(randomBytes(16)), Role: string(orig.RTChat.Role), SDP: orig.SDP}
		if sealed {
			s.Seal = sealPair(alice.seal.pub, bob.seal.pub)
		}
		sig, err := s.Sign(alice.id.Sign)
		if err != nil {
			t.Fatal(err)
		}
		out := d
		sg := &signalSig{V: protocolVersion, TS: s.TS, Nonce: s.Nonce, Role: orig.RTChat.Role, Sig: sig}
		if sealed {
			out.Sealed = sealAs(t, alice.Client, bob.Client, seal.LabelOffer, sealedSignal{SDP: orig.SDP, RTChat: sg})
		} else {
			out.Sealed, out.RTChat, out.Offer.LocalDescription.SDP = "", sg, orig.SDP
		}
		return out
	}

	send(fresh(false))
	if current() != before {
		t.Fatal("a plain offer from an rtchat peer replaced the live connection (downgrade)")
	}
	broken := fresh(true)
	b := []byte(broken.Sealed)
	b[len(b)/2] ^= 1
	broken.Sealed = string(b)
	send(broken)
	if current() != before {
		t.Fatal("a sealed offer that does not open replaced the live connection")
	}
	send(fresh(true))
	if current() == before {
		t.Fatal("the same offer properly sealed did not replace the connection: the test proves nothing")
	}
}

// restartThroughTopic makes ICE give up on alice's connection to bob (as pion reports it),
// so that alice, the offerer, restarts ICE through the topic, and waits until the raw
// subscriber has read the restart offer and bob's answer (each the second of its kind).
func restartThroughTopic(t *testing.T, sub *rawSub, alice, bob *testClient, p *Peer) {
	t.Helper()
	p.p.post(evPCState{webrtc.PeerConnectionStateDisconnected}, true)
	p.p.post(evPCState{webrtc.PeerConnectionStateFailed}, true)
	alice.waitEvent(t, EventReconnecting, 10*time.Second, nil)
	from := func(name, sub string) func(signal.Envelope) bool {
		return func(e signal.Envelope) bool { return e.Sender == name && e.Subtopic == sub }
	}
	sub.awaitN(t, 10*time.Second, "alice's restart offer", 2, from(alice.Name(), signal.SubOffer))
	sub.awaitN(t, 10*time.Second, "bob's restart answer", 2, from(bob.Name(), signal.SubAnswer))
}

// TestForgedRestartOfferWhileVerifying: a restart offer is now answered while the answerer
// still verifies, so an attacker tries that window. While bob holds his verification of
// alice, an ICE restart offer in alice's name (her connection's SDP and DTLS fingerprint,
// sealed to bob with her sealing key) signed by another key reaches bob. He must refuse it
// (his log says so: the attack landed) and answer nothing; released, he verifies alice on
// the connection the forgery did not touch.
func TestForgedRestartOfferWhileVerifying(t *testing.T) {
	_, url := startBroker(t)
	room := uniqueRoom(t)
	sub := subscribe(t, url, room)
	aID, bID := testIdentity(t, "alice", 0), testIdentity(t, "bob", 1)
	mallory := testIdentity(t, "mallory", 2)
	release := make(chan struct{})
	var once sync.Once
	t.Cleanup(func() { once.Do(func() { close(release) }) })
	var refused atomic.Int32
	bob := startClient(t, url, room, bID, clientOpts{role: RoleListen, pins: map[string]string{"alice": aID.PublicJWK}, reconnect: time.Minute,
		log: slog.New(&msgHook{on: func(msg string) {
			if msg == "ignoring an offer not signed by the key pinned for its name" {
				refused.Add(1)
			}
		}}),
		beforeVerify: func(ctx context.Context, _ string) {
			select {
			case <-release:
			case <-ctx.Done():
			}
		}})
	alice := startClient(t, url, room, aID, clientOpts{role: RoleConnect, pins: map[string]string{"bob": bID.PublicJWK}, reconnect: time.Minute})
	p, err := alice.Dial(ctxFor(t, 20*time.Second), "bob")
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	var forged offerData
	alice.call(func() {
		info, sdp := p.p.info, p.p.pc.LocalDescription().SDP
		nonce := b64.EncodeToString(randomBytes(16))
		forged.UserInfo = alice.myInfo()
		forged.Offer.LocalDescription = sessionDesc{Type: "offer"}
		forged.Offer.Target = bob.Name()
		s := proof.Signal{Kind: proof.KindOffer, Room: alice.topic, Sender: alice.Name(), Target: bob.Name(), TS: time.Now().UnixMilli(),
			Nonce: nonce, Role: string(forged.UserInfo.RTChat.Role), Pipe: forged.UserInfo.RTChat.Pipe, SDP: sdp, Restart: true,
			Seal: sealPair(alice.seal.pub, info.RTChat.Seal.Key)}
		sig, err := s.Sign(mallory.Sign)
		if err != nil {
			t.Error(err)
			return
		}
		rt := &signalSig{V: protocolVersion, TS: s.TS, Nonce: nonce, Role: forged.UserInfo.RTChat.Role, Pipe: s.Pipe, Restart: true, Sig: sig}
		forged.Sealed = sealAs(t, alice.Client, bob.Client, seal.LabelOffer, sealedSignal{SDP: sdp, RTChat: rt})
	})
	if t.Failed() {
		t.FailNow()
	}
	for _, m := range []struct {
		sender, sub string
		data        any
	}{{alice.Name(), signal.SubOffer, forged}, {"marker", signal.SubConnect, map[string]string{}}} {
		payload, err := signal.Encode(m.sender, m.sub, m.data, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if err := sub.conn.Publish(ctxFor(t, 5*time.Second), payload); err != nil {
			t.Fatal(err)
		}
	}
	// Once bob saw the marker (published after the forgery), he had handled the forgery.
	bob.waitEvent(t, EventSeen, 10*time.Second, func(e Event) bool { return e.Peer == "marker" })
	if n := refused.Load(); n != 1 {
		t.Fatalf("bob refused %d forged offers, want 1: the attack did not land as planned", n)
	}
	once.Do(func() { close(release) })
	bob.waitEvent(t, EventVerified, 10*time.Second, func(e Event) bool { return e.Peer == alice.Name() })
	envs, _ := sub.payloads()
	answers := 0
	for _, e := range envs {
		if e.Sender == bob.Name() && e.Subtopic == signal.SubAnswer {
			answers++
		}
	}
	if answers != 1 {
		t.Errorf("bob published %d answers, want 1 (the first offer's, none to the forgery)", answers)
	}
	if err := p.Chat("after the forgery"); err != nil {
		t.Fatal(err)
	}
}
