package rtc

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rtchat/rtchat/keys"
	"github.com/rtchat/rtchat/rtc/proof"
	"github.com/rtchat/rtchat/rtc/seal"
	"github.com/rtchat/rtchat/rtc/signal"
)

// TestRoomMesh: processes that stay in the room (room and listen) all connect to and
// verify each other, one connection per pair; a chat line from one reaches every other
// exactly once.
func TestRoomMesh(t *testing.T) {
	_, url := startBroker(t)
	room := uniqueRoom(t)
	names := []string{"ann", "ben", "cat", "dan", "eve"}
	ids := map[string]string{}
	for i, n := range names {
		ids[n] = testIdentity(t, n, i%3).PublicJWK
	}
	var clients []*testClient
	for i, n := range names {
		pins := map[string]string{}
		for _, o := range names {
			if o != n {
				pins[o] = ids[o]
			}
		}
		role := RoleRoom
		if i == len(names)-1 {
			role = RoleListen // a listener is part of the mesh too
		}
		clients = append(clients, startClient(t, url, room, testIdentity(t, n, i%3), clientOpts{role: role, pins: pins}))
	}
	deadline := time.Now().Add(30 * time.Second)
	for _, c := range clients {
		for len(c.Peers()) < len(names)-1 {
			if time.Now().After(deadline) {
				t.Fatalf("%s has %d verified peers, want %d", c.Name(), len(c.Peers()), len(names)-1)
			}
			time.Sleep(20 * time.Millisecond)
		}
		if n := c.numPeers(); n != len(names)-1 {
			t.Fatalf("%s holds %d connections, want %d (one per pair)", c.Name(), n, len(names)-1)
		}
	}
	for _, p := range clients[0].Peers() {
		if !p.Bound() || !p.Verified() {
			t.Fatalf("peer %s: bound=%v verified=%v", p.Name(), p.Bound(), p.Verified())
		}
		if err := p.Chat("hello room"); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range clients[1:] {
		c.waitEvent(t, EventMessage, 10*time.Second, func(e Event) bool {
			return e.Text == "hello room" && e.Peer == clients[0].Name()
		})
		c.noEvent(t, EventMessage, 200*time.Millisecond) // exactly once
	}
}

// TestKeylessClient: the web client's barebones MQTTRTCClient offers no identity key. A
// Dial for its name fails at once (not a timeout) with the reason; under --trust
// unverified we talk to it and mark what it says.
func TestKeylessClient(t *testing.T) {
	t.Run("refused", func(t *testing.T) {
		_, url := startBroker(t)
		room := uniqueRoom(t)
		alice := startClient(t, url, room, testIdentity(t, "alice", 0), clientOpts{role: RoleSend, trust: TrustTOFU})
		br := newBrowser(t, url, room, "Zed", nil)
		br.keyless = true
		br.announce()
		_, err := alice.Dial(ctxFor(t, 20*time.Second), "Zed")
		if !errors.Is(err, ErrNotVerified) || !strings.Contains(err.Error(), "without identity keys") ||
			!strings.Contains(Hint(err), "--trust unverified") {
			t.Fatalf("Dial: %v (hint %q)", err, Hint(err))
		}
	})
	t.Run("unverified", func(t *testing.T) {
		_, url := startBroker(t)
		room := uniqueRoom(t)
		g := startClient(t, url, room, testIdentity(t, "aaron", 0), clientOpts{role: RoleRoom, trust: TrustUnverified})
		br := newBrowser(t, url, room, "Zed", nil)
		br.keyless = true
		waitChan(t, br.seenCh, 5*time.Second, "our connect")
		br.announce()
		e := g.waitEvent(t, EventVerified, 15*time.Second, nil)
		if e.Peer != "Zed" || !e.Unverified || e.Bound {
			t.Fatalf("join event %+v, want unverified", e)
		}
		br.send("chat", "hi from a barebones client")
		m := g.waitEvent(t, EventMessage, 5*time.Second, nil)
		if m.Text != "hi from a barebones client" || !m.Unverified {
			t.Fatalf("message %+v, want it marked unverified", m)
		}
		peers := g.Peers()
		if len(peers) != 1 || peers[0].Verified() {
			t.Fatalf("peers %v", peers)
		}
		if err := peers[0].Chat("hello"); err != nil {
			t.Fatal(err)
		}
		if s := waitChan(t, br.chats, 5*time.Second, "our chat"); s != "hello" {
			t.Fatalf("browser got %q", s)
		}
	})
	t.Run("pinned name", func(t *testing.T) {
		// Zed is pinned with a key: a keyless Zed ends no Dial, even under --trust
		// unverified; the Dial waits for the real one and names the keyless one when it
		// gives up.
		_, url := startBroker(t)
		room := uniqueRoom(t)
		zed := testIdentity(t, "Zed", 1)
		alice := startClient(t, url, room, testIdentity(t, "alice", 0), clientOpts{role: RoleSend, trust: TrustUnverified, pins: map[string]string{"Zed": zed.PublicJWK}})
		br := newBrowser(t, url, room, "Zed", nil)
		br.keyless = true
		waitChan(t, br.seenCh, 5*time.Second, "our connect")
		br.announce()
		_, err := alice.Dial(ctxFor(t, 3*time.Second), "Zed")
		if !errors.Is(err, ErrTimeout) || !strings.Contains(err.Error(), "without identity keys") || !strings.Contains(err.Error(), "pinned with a key") {
			t.Fatalf("Dial: %v, want a timeout that names the keyless client", err)
		}
	})
	t.Run("pipe never", func(t *testing.T) {
		_, url := startBroker(t)
		room := uniqueRoom(t)
		alice := startClient(t, url, room, testIdentity(t, "alice", 0), clientOpts{role: RolePipe, pipeTo: "Zed", trust: TrustUnverified})
		br := newBrowser(t, url, room, "Zed", nil)
		br.keyless = true
		br.announce()
		if _, err := alice.Dial(ctxFor(t, 3*time.Second), "Zed"); err == nil {
			t.Fatal("a pipe dialled a keyless client")
		}
	})
}

// TestDialAll: a sender reaches every listener in the room; one that refuses us is reported
// as such, the others succeed.
func TestDialAll(t *testing.T) {
	_, url := startBroker(t)
	room := uniqueRoom(t)
	aID := testIdentity(t, "alice", 0)
	pins := map[string]string{}
	var listeners []*testClient
	for i := 0; i < 4; i++ {
		name := fmt.Sprintf("l%d", i)
		id := testIdentity(t, name, 1)
		pins[name] = id.PublicJWK
		lp := map[string]string{"alice": aID.PublicJWK}
		if i == 3 {
			lp = nil // this one has not pinned alice: it refuses her
		}
		listeners = append(listeners, startClient(t, url, room, id, clientOpts{role: RoleListen, pins: lp}))
	}
	alice := startClient(t, url, room, aID, clientOpts{role: RoleSend, pins: pins})
	// Presences arrive in any order (waitEvent drops the events it is not waiting for).
	seen := map[string]bool{}
	alice.waitEvent(t, EventSeen, 20*time.Second, func(e Event) bool {
		seen[e.Peer] = true
		for _, l := range listeners {
			if !seen[l.Name()] {
				return false
			}
		}
		return true
	})
	res, err := alice.DialAll(ctxFor(t, 20*time.Second), 500*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 4 {
		t.Fatalf("%d results: %+v", len(res), res)
	}
	for _, r := range res {
		refuser := r.Name == listeners[3].Name()
		switch {
		case refuser && !errors.Is(r.Err, ErrNotVerified):
			t.Errorf("%s: %v, want a refusal", r.Name, r.Err)
		case !refuser && (r.Err != nil || r.Peer == nil):
			t.Errorf("%s: %v", r.Name, r.Err)
		case !refuser:
			if err := r.Peer.Deliver(ctxFor(t, 10*time.Second), "to all"); err != nil {
				t.Errorf("deliver to %s: %v", r.Name, err)
			}
		}
	}
}

// TestRename: the web page's nameChange is shown as a rename of a live verified connection,
// which keeps the name it proved; messages keep coming.
func TestRename(t *testing.T) {
	g, br := browserOffers(t, false)
	g.waitEvent(t, EventVerified, 10*time.Second, nil)
	payload, err := signal.Encode("Alice(1)", signal.SubNameChange, map[string]string{"oldName": "Alice", "newName": "Alice(1)"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := br.mq.Publish(ctxFor(t, 5*time.Second), payload); err != nil {
		t.Fatal(err)
	}
	e := g.waitEvent(t, EventRenamed, 5*time.Second, nil)
	if e.Peer != "Alice" || e.NewName != "Alice(1)" || e.Bare != "Alice" {
		t.Fatalf("renamed event %+v", e)
	}
	br.send("chat", "still me")
	if m := g.waitEvent(t, EventMessage, 5*time.Second, nil); m.Text != "still me" || m.Bare != "Alice" {
		t.Fatalf("message after the rename %+v", m)
	}
	if g.numPeers() != 1 {
		t.Fatalf("%d connections after the rename", g.numPeers())
	}
}

// TestForgedRestartRequest: a restart request in the peer's name that the pinned key did not
// sign restarts nothing; a signed one is accepted, once.
func TestForgedRestartRequest(t *testing.T) {
	_, url := startBroker(t)
	room := uniqueRoom(t)
	aID, bID := testIdentity(t, "alice", 0), testIdentity(t, "bob", 1)
	var restarts atomic.Int32
	logger := slog.New(&msgHook{on: func(msg string) {
		if msg == "ICE restart requested" {
			restarts.Add(1)
		}
	}})
	bob := startClient(t, url, room, bID, clientOpts{role: RoleListen, pins: map[string]string{"alice": aID.PublicJWK}})
	alice := startClient(t, url, room, aID, clientOpts{role: RoleAsk, pins: map[string]string{"bob": bID.PublicJWK}, log: logger})
	if _, err := alice.Dial(ctxFor(t, 20*time.Second), "bob"); err != nil {
		t.Fatal(err)
	}
	sub := subscribe(t, url, room)
	request := func(key *keys.Identity) []byte {
		t.Helper()
		s := proof.Signal{Kind: proof.KindRestartRequest, Room: alice.topic, Sender: bob.Name(), Target: alice.Name(),
			TS: time.Now().UnixMilli(), Nonce: b64.EncodeToString(randomBytes(16))}
		sig, err := s.Sign(key.Sign)
		if err != nil {
			t.Fatal(err)
		}
		payload, err := signal.Encode(bob.Name(), signal.SubRestartRequest, restartRequest{Target: alice.Name(),
			RTChat: &signalSig{V: protocolVersion, TS: s.TS, Nonce: s.Nonce, Sig: sig}}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if err := sub.conn.Publish(ctxFor(t, 5*time.Second), payload); err != nil {
			t.Fatal(err)
		}
		return payload
	}
	request(testIdentity(t, "mallory", 2)) // signed by another key
	signed := request(bID)
	// The signed one again, byte for byte: a replay (rtc/proof remembers it per sender).
	if err := sub.conn.Publish(ctxFor(t, 5*time.Second), signed); err != nil {
		t.Fatal(err)
	}
	// A presence after both, from the same connection: once alice saw it, she had handled
	// both requests (paho delivers in order, and the room loop takes what concerns it first).
	marker, err := signal.Encode("marker", signal.SubConnect, map[string]string{}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := sub.conn.Publish(ctxFor(t, 5*time.Second), marker); err != nil {
		t.Fatal(err)
	}
	alice.waitEvent(t, EventSeen, 10*time.Second, func(e Event) bool { return e.Peer == "marker" })
	if n := restarts.Load(); n != 1 {
		t.Fatalf("%d restart requests accepted, want exactly 1 (the signed one, not its replay)", n)
	}
}

// TestNewcomersWhoMetSomeoneFirst: two processes join the room at once and, before their
// first announcement is due, both meet a listener that was already there (its presence,
// prompted here by a dialer's, reaches them first). Being connected, neither would announce
// on the web client's schedule, so each must still announce once, or they never meet.
func TestNewcomersWhoMetSomeoneFirst(t *testing.T) {
	_, url := startBroker(t)
	room := uniqueRoom(t)
	names := []string{"ann", "ben", "lis"}
	ids := map[string]string{}
	for i, n := range names {
		ids[n] = testIdentity(t, n, i).PublicJWK
	}
	pins := func(me string) map[string]string {
		m := map[string]string{}
		for _, o := range names {
			if o != me {
				m[o] = ids[o]
			}
		}
		return m
	}
	lis := startClient(t, url, room, testIdentity(t, "lis", 2), clientOpts{role: RoleListen, pins: pins("lis")})
	sub := subscribe(t, url, room)
	dialer, err := signal.Encode("zed(0001)", signal.SubConnect, userInfo{RTChat: &rtchatInfo{V: protocolVersion, Role: RoleAsk}}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var ann, ben *testClient
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		ann = startClient(t, url, room, testIdentity(t, "ann", 0), clientOpts{role: RoleRoom, pins: pins("ann")})
	}()
	go func() {
		defer wg.Done()
		ben = startClient(t, url, room, testIdentity(t, "ben", 1), clientOpts{role: RoleRoom, pins: pins("ben")})
	}()
	wg.Wait()
	// The listener answers a dialer's presence with its own at once: both newcomers see it
	// well before their first announcement (500 ms after joining).
	if err := sub.conn.Publish(ctxFor(t, 5*time.Second), dialer); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for _, c := range []*testClient{ann, ben, lis} {
		for len(c.Peers()) < 2 {
			if time.Now().After(deadline) {
				var got []string
				for _, p := range c.Peers() {
					got = append(got, p.Name())
				}
				t.Fatalf("%s verified only %v", c.Name(), got)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// TestOlderProtocolNamed: a process of a pinned rtchat name that announces another rtchat
// protocol version is refused like any downgrade, and the Dial's error says that the
// versions differ instead of suggesting a web page.
func TestOlderProtocolNamed(t *testing.T) {
	_, url := startBroker(t)
	room := uniqueRoom(t)
	bID := testIdentity(t, "bob", 1)
	alice := startClient(t, url, room, testIdentity(t, "alice", 0), clientOpts{role: RoleAsk, pins: map[string]string{"bob": bID.PublicJWK}})
	sub := subscribe(t, url, room)
	old, err := signal.Encode("bob(0001)", signal.SubConnect, userInfo{PublicKeyString: bID.PublicJWK, RTChat: &rtchatInfo{V: 1, Role: RoleListen}}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := sub.conn.Publish(ctxFor(t, 5*time.Second), old); err != nil {
		t.Fatal(err)
	}
	alice.waitEvent(t, EventSeen, 10*time.Second, func(e Event) bool { return e.Peer == "bob(0001)" })
	_, err = alice.Dial(ctxFor(t, 2*time.Second), "bob")
	if !errors.Is(err, ErrNotVerified) || !strings.Contains(err.Error(), "bob(0001) runs rtchat protocol v1, this rtchat speaks v3") {
		t.Fatalf("Dial: %v", err)
	}
}

// TestPokeLimiter: requested announcements are spaced pokeEvery apart, but answers to
// dialers (asks run back to back by a script) go out at once answerBurst times, and the
// burst refills one per pokeEvery; so strangers posing as dialers still get at most one
// answer per pokeEvery once it is spent.
func TestPokeLimiter(t *testing.T) {
	const every = 300 * time.Millisecond
	t0 := time.Unix(1000, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	l := newPokeLimiter(every)
	if w := l.take(at(0), false); w != 0 {
		t.Fatalf("first announcement waits %v", w)
	}
	if w := l.take(at(100), false); w != 200*time.Millisecond {
		t.Fatalf("a newcomer's poke 100 ms later waits %v, want 200ms", w)
	}
	for i := 0; i < answerBurst; i++ {
		if w := l.take(at(110+10*i), true); w != 0 {
			t.Fatalf("dialer answer %d of the burst waits %v", i+1, w)
		}
	}
	if w := l.take(at(160), true); w <= 0 {
		t.Fatal("a dialer answer past the burst went out at once")
	}
	// 300 ms after the first one, one answer is back in the burst (the last announcement,
	// at 140 ms, is less than 300 ms ago).
	if w := l.take(at(400), true); w != 0 {
		t.Fatalf("after a refill: wait %v", w)
	}
	if w := l.take(at(410), true); w != 290*time.Millisecond {
		t.Fatalf("the refill gave more than one answer (wait %v, want 290ms)", w)
	}
	if w := l.take(at(700), false); w != 0 {
		t.Fatalf("pokeEvery after the last announcement: wait %v", w)
	}
}

// TestOlderSignedOfferKeepsVerified: an offer really signed by the peer's pinned key, fresh
// and never seen, but older than the offer that made the live verified connection (one that
// an attacker held back, or that a memory forgot), replaces nothing.
func TestOlderSignedOfferKeepsVerified(t *testing.T) {
	alice, bob, sub, d := verifiedWithOffer(t)
	if d.Sealed == "" || d.RTChat != nil || d.Offer.LocalDescription.SDP != "" {
		t.Fatalf("alice's offer is not sealed: %+v", d)
	}
	orig, err := bob.openFrom(alice.Name(), d.UserInfo, seal.LabelOffer, d.Sealed)
	if err != nil {
		t.Fatal(err)
	}
	var before *peer
	bob.call(func() { before = bob.peers[alice.Name()] })
	if before == nil {
		t.Fatal("bob has no connection to alice")
	}
	bob.waitEvent(t, EventVerified, 10*time.Second, func(e Event) bool { return e.Peer == alice.Name() })

	s := proof.Signal{Kind: proof.KindOffer, Room: alice.topic, Sender: alice.Name(), Target: bob.Name(),
		TS: orig.RTChat.TS - 1000, Nonce: b64.EncodeToString(randomBytes(16)), Role: string(orig.RTChat.Role), SDP: orig.SDP,
		Seal: sealPair(alice.seal.pub, bob.seal.pub)}
	sig, err := s.Sign(alice.id.Sign)
	if err != nil {
		t.Fatal(err)
	}
	d.Sealed = sealAs(t, alice.Client, bob.Client, seal.LabelOffer, sealedSignal{SDP: orig.SDP,
		RTChat: &signalSig{V: protocolVersion, TS: s.TS, Nonce: s.Nonce, Role: orig.RTChat.Role, Sig: sig}})
	for _, m := range []struct {
		sender, sub string
		data        any
	}{{alice.Name(), signal.SubOffer, d}, {"marker", signal.SubConnect, map[string]string{}}} {
		payload, err := signal.Encode(m.sender, m.sub, m.data, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if err := sub.conn.Publish(ctxFor(t, 5*time.Second), payload); err != nil {
			t.Fatal(err)
		}
	}
	// Once bob saw the marker (published after the offer, same connection), he handled both.
	bob.waitEvent(t, EventSeen, 10*time.Second, func(e Event) bool { return e.Peer == "marker" })
	var after *peer
	bob.call(func() { after = bob.peers[alice.Name()] })
	if after != before {
		t.Fatal("an older signed offer replaced the live verified connection")
	}
}

// verifiedWithOffer starts bob (listen) and alice (ask) pinned to each other, lets alice
// connect and verify, and returns the offer she sent, as a watcher of the topic saw it.
func verifiedWithOffer(t *testing.T) (alice, bob *testClient, sub *rawSub, d offerData) {
	t.Helper()
	_, url := startBroker(t)
	room := uniqueRoom(t)
	aID, bID := testIdentity(t, "alice", 0), testIdentity(t, "bob", 1)
	sub = subscribe(t, url, room)
	bob = startClient(t, url, room, bID, clientOpts{role: RoleListen, pins: map[string]string{"alice": aID.PublicJWK}})
	alice = startClient(t, url, room, aID, clientOpts{role: RoleAsk, pins: map[string]string{"bob": bID.PublicJWK}})
	if _, err := alice.Dial(ctxFor(t, 20*time.Second), "bob"); err != nil {
		t.Fatal(err)
	}
	env := sub.await(t, 5*time.Second, "alice's offer", func(e signal.Envelope) bool {
		return e.Subtopic == signal.SubOffer && e.Sender == alice.Name()
	})
	if err := json.Unmarshal(env.Data, &d); err != nil {
		t.Fatal(err)
	}
	return alice, bob, sub, d
}

// TestPipeOffersOnPresence: a pipe waiting for its peer offers the moment the peer's
// presence arrives, although the tie-break names the peer as the one to offer. The old code
// replied with its own presence (held up to 300 ms by the announcement limit) and waited for
// the peer's offer: one trip through the broker more, and the non-initiator never offered.
func TestPipeOffersOnPresence(t *testing.T) {
	_, url := startBroker(t)
	room := uniqueRoom(t)
	aID, bID := testIdentity(t, "alice", 0), testIdentity(t, "bob", 1)
	sub := subscribe(t, url, room)
	// bob is not the tie-break initiator: "alice…" sorts first.
	bob := startClient(t, url, room, bID, clientOpts{role: RolePipe, pipeTo: "alice", pins: map[string]string{"alice": aID.PublicJWK}})
	if bob.tb.weInitiate(bob.Name(), "alice(0000)") {
		t.Fatal("the tie-break changed: bob must not be the initiator for this test")
	}
	type dialed struct {
		p   *Peer
		err error
	}
	bobDial := make(chan dialed, 1)
	go func() {
		p, err := bob.Dial(ctxFor(t, 30*time.Second), "alice")
		bobDial <- dialed{p, err}
	}()
	// bob's announcements on joining (his Dial's, and the one 500 ms after joining) are
	// out: the next is 3 s later, so alice learns of bob only from his offer.
	bobsPresence := func(e signal.Envelope) bool { return e.Subtopic == signal.SubConnect && e.Sender == bob.Name() }
	first := sub.await(t, 10*time.Second, "bob's presence", bobsPresence)
	sub.await(t, 10*time.Second, "bob's second presence", func(e signal.Envelope) bool {
		return bobsPresence(e) && e.Timestamp > first.Timestamp
	})
	alice := startClient(t, url, room, aID, clientOpts{role: RolePipe, pipeTo: "bob", pins: map[string]string{"bob": bID.PublicJWK}})
	pa, err := alice.Dial(ctxFor(t, 30*time.Second), "bob")
	if err != nil {
		t.Fatalf("alice: %v", err)
	}
	d := <-bobDial
	if d.err != nil {
		t.Fatalf("bob: %v", d.err)
	}
	if !d.p.p.offerer || pa.p.offerer {
		t.Errorf("bob offered: %v, alice offered: %v; want bob, who saw alice's presence, to offer", d.p.p.offerer, pa.p.offerer)
	}
}
