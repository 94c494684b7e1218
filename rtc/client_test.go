package rtc

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"
	"go.uber.org/goleak"

	"github.com/rtchat/rtchat/keys"
	"github.com/rtchat/rtchat/rtc/broker"
	"github.com/rtchat/rtchat/rtc/iceconf"
	"github.com/rtchat/rtchat/rtc/signal"
	"github.com/rtchat/rtchat/rtc/wire"
)

// ---------------------------------------------------------------------------------------
// Test harness: an embedded broker, keys, clients that record their events, a raw
// subscriber.

var (
	keyMu   sync.Mutex
	keyPool []*keys.Identity
)

// testIdentity returns an identity named name with the key-th shared test key pair: RSA
// generation is slow, so tests reuse a few key pairs under different names.
func testIdentity(t testing.TB, name string, key int) *keys.Identity {
	t.Helper()
	keyMu.Lock()
	for len(keyPool) <= key {
		id, err := keys.Generate("k")
		if err != nil {
			keyMu.Unlock()
			t.Fatal(err)
		}
		keyPool = append(keyPool, id)
	}
	k := keyPool[key]
	keyMu.Unlock()
	id, err := keys.NewIdentity(name, k.PublicJWK, k.PrivateJWK)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func startBroker(t testing.TB) (*broker.Broker, string) {
	t.Helper()
	b, err := broker.Start(context.Background(), broker.Options{TCP: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b, "mqtt://" + b.TCPAddr()
}

func uniqueRoom(t testing.TB) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	name := strings.NewReplacer("/", "-", "+", "-", "#", "-", " ", "-").Replace(t.Name())
	return "test-" + name + "-" + hex.EncodeToString(b[:])
}

type clientOpts struct {
	role         Role
	trust        Trust
	pipeTo       string
	pins         map[string]string // bare name → JWK, pinned as rtchat peers
	webPins      map[string]string // bare name → JWK, pinned as web-page peers
	onQuestion   func(ctx context.Context, p *Peer, topic string, content json.RawMessage) (any, error)
	log          *slog.Logger
	reconnect    time.Duration                          // Config.Reconnect
	onEvent      func(Event)                            // instead of recording events in testClient.events
	eventCap     int                                    // Config.eventCap
	noSigProof   bool                                   // Config.noSignalProof: the release before the signal proof
	beforeVerify func(ctx context.Context, peer string) // Config.beforeVerify
	beforeOffer  func(peer string)                      // Config.beforeOffer
}

type testClient struct {
	*Client
	id    *keys.Identity
	store *keys.Store

	// Every event the client emitted that waitEvent has not returned yet, in order: a
	// test waiting for one event must not lose the others (say, the seen event of a second
	// peer that came first).
	evMu   sync.Mutex
	unread []Event
	news   chan struct{} // a token when an event was added
}

func startClient(t testing.TB, brokerURL, room string, id *keys.Identity, o clientOpts) *testClient {
	t.Helper()
	store := keys.Open(t.TempDir())
	for name, jwk := range o.pins {
		if _, err := store.Pin(name, jwk, false); err != nil {
			t.Fatal(err)
		}
	}
	for name, jwk := range o.webPins {
		if _, err := store.PinAs(name, jwk, keys.KindWeb, false); err != nil {
			t.Fatal(err)
		}
	}
	if o.trust == "" {
		o.trust = TrustKnown
	}
	tc := &testClient{id: id, store: store, news: make(chan struct{}, 1)}
	// Every client logs at debug level into a buffer that a failing test prints: a flake
	// seen once under load must leave its story behind.
	logs := &testLog{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})).With("who", id.Name)
	if o.log != nil {
		logger = slog.New(teeHandler{logger.Handler(), o.log.Handler()})
	}
	// Every test that runs real peers checks every move of their state machines against
	// the table (peerstate.go): an illegal one fails the test.
	var badMu sync.Mutex
	var bad []error
	cfg := Config{
		Broker: brokerURL, Room: room, Identity: id, Store: store, Trust: o.trust,
		ICE: iceconf.Loopback(), Role: o.role, PipeTo: o.pipeTo, Log: logger,
		VerifyTimeout: 10 * time.Second,
		OnQuestion:    o.onQuestion,
		Reconnect:     o.reconnect,
		eventCap:      o.eventCap,
		noSignalProof: o.noSigProof,
		beforeVerify:  o.beforeVerify,
		beforeOffer:   o.beforeOffer,
		OnBadTransition: func(err error) {
			badMu.Lock()
			bad = append(bad, err)
			badMu.Unlock()
		},
		OnEvent: func(e Event) {
			tc.evMu.Lock()
			tc.unread = append(tc.unread, e)
			tc.evMu.Unlock()
			select {
			case tc.news <- struct{}{}:
			default:
			}
		},
	}
	if o.onEvent != nil {
		cfg.OnEvent = o.onEvent
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	tc.Client = c
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = c.Close(ctx)
		if t.Failed() {
			t.Logf("log of %s:\n%s", id.Name, logs.String())
		}
		badMu.Lock()
		defer badMu.Unlock()
		for _, err := range bad {
			t.Errorf("%s: %v", id.Name, err)
		}
	})
	return tc
}

// waitEvent returns the first unread event of type typ (and matching ok, if given) within
// d, and marks it read. The events before it stay unread, for the next waitEvent.
func (tc *testClient) waitEvent(t testing.TB, typ EventType, d time.Duration, ok func(Event) bool) Event {
	t.Helper()
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		tc.evMu.Lock()
		for i, e := range tc.unread {
			if e.Type == typ && (ok == nil || ok(e)) {
				tc.unread = slices.Delete(tc.unread, i, i+1)
				tc.evMu.Unlock()
				return e
			}
		}
		tc.evMu.Unlock()
		select {
		case <-tc.news:
		case <-timer.C:
			t.Fatalf("%s: no %s event within %v", tc.me, typ, d)
			return Event{}
		}
	}
}

// noEvent fails if an unread event of type typ is there or arrives within d.
func (tc *testClient) noEvent(t testing.TB, typ EventType, d time.Duration) {
	t.Helper()
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		tc.evMu.Lock()
		for _, e := range tc.unread {
			if e.Type == typ {
				tc.evMu.Unlock()
				t.Fatalf("%s: unexpected %s event: %+v", tc.me, typ, e)
			}
		}
		tc.evMu.Unlock()
		select {
		case <-tc.news:
		case <-timer.C:
			return
		}
	}
}

func (tc *testClient) numPeers() int {
	n := 0
	tc.call(func() { n = len(tc.peers) })
	return n
}

// rawSub is a plain MQTT subscriber on the room topic that records every envelope.
type rawSub struct {
	conn *signal.Conn
	mu   sync.Mutex
	envs []signal.Envelope
	raw  [][]byte
	news chan struct{}
	done chan struct{}
}

func subscribe(t testing.TB, brokerURL, room string) *rawSub {
	t.Helper()
	topic, err := signal.Topic(room)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := signal.Dial(ctx, signal.Config{BrokerURL: brokerURL, Topic: topic})
	if err != nil {
		t.Fatal(err)
	}
	s := &rawSub{conn: conn, news: make(chan struct{}, 1), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		for p := range conn.Messages() {
			env, err := signal.Decode(p)
			s.mu.Lock()
			s.raw = append(s.raw, p)
			if err == nil {
				s.envs = append(s.envs, env)
			}
			s.mu.Unlock()
			select {
			case s.news <- struct{}{}:
			default:
			}
		}
	}()
	t.Cleanup(func() { s.close() })
	return s
}

func (s *rawSub) close() {
	_ = s.conn.Close(context.Background())
	<-s.done
}

// await returns the first recorded envelope matching ok within d.
func (s *rawSub) await(t testing.TB, d time.Duration, what string, ok func(signal.Envelope) bool) signal.Envelope {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		s.mu.Lock()
		for _, e := range s.envs {
			if ok(e) {
				s.mu.Unlock()
				return e
			}
		}
		s.mu.Unlock()
		left := time.Until(deadline)
		if left <= 0 {
			t.Fatalf("no %s published within %v", what, d)
		}
		select {
		case <-s.news:
		case <-time.After(left):
		}
	}
}

func (s *rawSub) payloads() ([]signal.Envelope, [][]byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]signal.Envelope(nil), s.envs...), append([][]byte(nil), s.raw...)
}

func ctxFor(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// pair starts a listener "bob" and a dialer "alice" with the given roles, pinned to each
// other, trust known.
func pair(t *testing.T, dialRole Role, onQ func(context.Context, *Peer, string, json.RawMessage) (any, error)) (alice, bob *testClient) {
	_, url := startBroker(t)
	room := uniqueRoom(t)
	aID, bID := testIdentity(t, "alice", 0), testIdentity(t, "bob", 1)
	bob = startClient(t, url, room, bID, clientOpts{role: RoleListen, pins: map[string]string{"alice": aID.PublicJWK}, onQuestion: onQ})
	alice = startClient(t, url, room, aID, clientOpts{role: dialRole, pins: map[string]string{"bob": bID.PublicJWK}})
	return alice, bob
}

// ---------------------------------------------------------------------------------------
// rtchat ↔ rtchat

func TestAskListener(t *testing.T) {
	alice, bob := pair(t, RoleAsk, func(_ context.Context, p *Peer, topic string, content json.RawMessage) (any, error) {
		if topic != "echo" {
			return nil, fmt.Errorf("no topic %q", topic)
		}
		var s string
		if err := json.Unmarshal(content, &s); err != nil {
			return nil, err
		}
		return map[string]string{"from": p.Bare(), "echo": s}, nil
	})
	p, err := alice.Dial(ctxFor(t, 20*time.Second), "bob")
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	if !p.IsRTChat() || !p.Bound() || p.Bare() != "bob" || p.Fingerprint() != bob.id.Fingerprint() {
		t.Fatalf("peer: rtchat=%v bound=%v bare=%q fp=%q", p.IsRTChat(), p.Bound(), p.Bare(), p.Fingerprint())
	}
	if ct := p.ConnectionType(); ct != "host" {
		t.Errorf("connection type %q, want host", ct)
	}
	raw, err := p.Ask(ctxFor(t, 10*time.Second), "echo", "hi there")
	if err != nil {
		t.Fatalf("Ask: %v", err)
	}
	var got map[string]string
	if err := json.Unmarshal(raw, &got); err != nil || got["from"] != "alice" || got["echo"] != "hi there" {
		t.Fatalf("answer %s (%v)", raw, err)
	}
	// The handler's error travels back as an error answer.
	_, err = p.Ask(ctxFor(t, 10*time.Second), "other", 1)
	if !errors.Is(err, ErrRemote) || !strings.Contains(err.Error(), `no topic "other"`) {
		t.Fatalf("Ask on a refused topic: %v", err)
	}
	e := bob.waitEvent(t, EventVerified, 5*time.Second, nil)
	if e.Bare != "alice" || !e.Bound {
		t.Fatalf("listener verified %+v", e)
	}
}

func TestAskUnknownTopicWithoutHandler(t *testing.T) {
	alice, _ := pair(t, RoleAsk, nil)
	p, err := alice.Dial(ctxFor(t, 20*time.Second), "bob")
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	start := time.Now()
	_, err = p.Ask(ctxFor(t, 10*time.Second), "weather", "today")
	if !errors.Is(err, ErrRemote) {
		t.Fatalf("Ask of an unknown topic: %v, want ErrRemote", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatalf("error answer took %v: looks like a timeout, not an answer", time.Since(start))
	}
}

func TestDeliver(t *testing.T) {
	alice, bob := pair(t, RoleSend, nil)
	p, err := alice.Dial(ctxFor(t, 20*time.Second), "bob")
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	if err := p.Deliver(ctxFor(t, 10*time.Second), "hello bob"); err != nil {
		t.Fatalf("Deliver: %v", err)
	}
	e := bob.waitEvent(t, EventMessage, 5*time.Second, nil)
	if e.Text != "hello bob" || e.Bare != "alice" || e.Peer != alice.Name() {
		t.Fatalf("message event %+v", e)
	}
	// Chat is fire-and-forget but reaches the listener too.
	if err := p.Chat("second"); err != nil {
		t.Fatal(err)
	}
	e = bob.waitEvent(t, EventMessage, 5*time.Second, nil)
	if e.Text != "second" || e.Channel != "chat" {
		t.Fatalf("chat event %+v", e)
	}
}

// TestDeliverWaitsForTheReader: Deliver returns once the receiver's reader of events took
// the message (send's promise: the peer printed it), not once the message was queued. bob's
// reader holds the message until alice's Deliver returned or 3 s passed: Deliver returning
// first is the bug (it did, before the confirmation waited for the reader).
func TestDeliverWaitsForTheReader(t *testing.T) {
	_, url := startBroker(t)
	room := uniqueRoom(t)
	aID, bID := testIdentity(t, "alice", 0), testIdentity(t, "bob", 1)
	delivered := make(chan struct{})
	var mu sync.Mutex
	var order []string
	note := func(s string) { mu.Lock(); order = append(order, s); mu.Unlock() }
	startClient(t, url, room, bID, clientOpts{role: RoleListen, pins: map[string]string{"alice": aID.PublicJWK},
		onEvent: func(e Event) {
			if e.Type != EventMessage {
				return
			}
			select {
			case <-delivered:
			case <-time.After(3 * time.Second): // the watchdog: Deliver did not return meanwhile
			}
			note("shown")
		}})
	alice := startClient(t, url, room, aID, clientOpts{role: RoleSend, pins: map[string]string{"bob": bID.PublicJWK}})
	p, err := alice.Dial(ctxFor(t, 20*time.Second), "bob")
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	if err := p.Deliver(ctxFor(t, 20*time.Second), "hello bob"); err != nil {
		t.Fatalf("Deliver: %v", err)
	}
	note("delivered")
	close(delivered)
	mu.Lock()
	defer mu.Unlock()
	if len(order) != 2 || order[0] != "shown" {
		t.Fatalf("order %v: Deliver returned before bob's reader took the message", order)
	}
}

func TestPinnedKeyMismatch(t *testing.T) {
	_, url := startBroker(t)
	room := uniqueRoom(t)
	aID, bID, other := testIdentity(t, "alice", 0), testIdentity(t, "bob", 1), testIdentity(t, "x", 2)
	startClient(t, url, room, bID, clientOpts{role: RoleListen, pins: map[string]string{"alice": aID.PublicJWK}})
	alice := startClient(t, url, room, aID, clientOpts{role: RoleAsk, pins: map[string]string{"bob": other.PublicJWK}})
	_, err := alice.Dial(ctxFor(t, 20*time.Second), "bob")
	if !errors.Is(err, ErrNotVerified) {
		t.Fatalf("Dial with a wrong pin: %v, want ErrNotVerified", err)
	}
	// The pin must be left alone.
	if jwk, _, _ := alice.store.Lookup("bob"); jwk != other.PublicJWK {
		t.Fatal("the pin changed")
	}
}

func TestTrustKnownRefusesUnknown(t *testing.T) {
	t.Run("dialer does not know the listener", func(t *testing.T) {
		_, url := startBroker(t)
		room := uniqueRoom(t)
		aID, bID := testIdentity(t, "alice", 0), testIdentity(t, "bob", 1)
		startClient(t, url, room, bID, clientOpts{role: RoleListen, pins: map[string]string{"alice": aID.PublicJWK}})
		alice := startClient(t, url, room, aID, clientOpts{role: RoleAsk})
		_, err := alice.Dial(ctxFor(t, 20*time.Second), "bob")
		if !errors.Is(err, ErrNotVerified) || !strings.Contains(err.Error(), "not a pinned peer") {
			t.Fatalf("Dial: %v", err)
		}
	})
	t.Run("listener does not know the dialer", func(t *testing.T) {
		_, url := startBroker(t)
		room := uniqueRoom(t)
		aID, bID := testIdentity(t, "alice", 0), testIdentity(t, "bob", 1)
		bob := startClient(t, url, room, bID, clientOpts{role: RoleListen})
		alice := startClient(t, url, room, aID, clientOpts{role: RoleAsk, pins: map[string]string{"bob": bID.PublicJWK}})
		_, err := alice.Dial(ctxFor(t, 20*time.Second), "bob")
		if !errors.Is(err, ErrNotVerified) || !strings.Contains(err.Error(), "refused us") {
			t.Fatalf("Dial: %v", err)
		}
		e := bob.waitEvent(t, EventRefused, 5*time.Second, nil)
		if e.Bare != "alice" || !errors.Is(e.Err, ErrNotVerified) {
			t.Fatalf("listener event %+v", e)
		}
		if _, ok, _ := bob.store.Lookup("alice"); ok {
			t.Fatal("listener pinned an unknown peer under trust known")
		}
	})
}

func TestTOFUPins(t *testing.T) {
	_, url := startBroker(t)
	room := uniqueRoom(t)
	aID, bID := testIdentity(t, "alice", 0), testIdentity(t, "bob", 1)
	bob := startClient(t, url, room, bID, clientOpts{role: RoleListen, trust: TrustTOFU})
	alice := startClient(t, url, room, aID, clientOpts{role: RoleAsk, trust: TrustTOFU})
	p, err := alice.Dial(ctxFor(t, 20*time.Second), "bob")
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	if p.Fingerprint() != bID.Fingerprint() {
		t.Fatal("wrong fingerprint")
	}
	if jwk, ok, _ := alice.store.Lookup("bob"); !ok || jwk != bID.PublicJWK {
		t.Fatalf("dialer did not pin bob's exact key string")
	}
	bob.waitEvent(t, EventVerified, 5*time.Second, nil)
	// The listener did not dial alice: it pins her name only once she says something.
	if _, ok, _ := bob.store.Lookup("alice"); ok {
		t.Fatal("listener pinned a stranger that only connected")
	}
	if _, err := p.Ask(ctxFor(t, 10*time.Second), "question", "x"); err == nil {
		t.Fatal("a listener without a question handler answered")
	}
	if jwk, ok, _ := bob.store.Lookup("alice"); !ok || jwk != aID.PublicJWK {
		t.Fatalf("listener did not pin alice's exact key string once she asked")
	}
	bob.waitEvent(t, EventVerified, 5*time.Second, func(e Event) bool { return e.Pinned && e.Bare == "alice" })
}

func TestPipeBothDial(t *testing.T) {
	_, url := startBroker(t)
	room := uniqueRoom(t)
	aID, bID := testIdentity(t, "alice", 0), testIdentity(t, "bob", 1)
	a := startClient(t, url, room, aID, clientOpts{role: RolePipe, pipeTo: "bob", pins: map[string]string{"bob": bID.PublicJWK}})
	b := startClient(t, url, room, bID, clientOpts{role: RolePipe, pipeTo: "alice", pins: map[string]string{"alice": aID.PublicJWK}})
	type res struct {
		p   *Peer
		err error
	}
	ra, rb := make(chan res, 1), make(chan res, 1)
	go func() { p, err := a.Dial(ctxFor(t, 20*time.Second), "bob"); ra <- res{p, err} }()
	go func() { p, err := b.Dial(ctxFor(t, 20*time.Second), "alice"); rb <- res{p, err} }()
	xa, xb := <-ra, <-rb
	if xa.err != nil || xb.err != nil {
		t.Fatalf("Dial: %v / %v", xa.err, xb.err)
	}
	sa, err := xa.p.Stream(ctxFor(t, 10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	sb, err := xb.p.Stream(ctxFor(t, 10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	exchange := func(from, to io.ReadWriter, msg string) {
		t.Helper()
		if _, err := from.Write([]byte(msg)); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, len(msg))
		if _, err := io.ReadFull(to, buf); err != nil || string(buf) != msg {
			t.Fatalf("read %q, %v", buf, err)
		}
	}
	exchange(sa, sb, "from alice to bob")
	exchange(sb, sa, "and back from bob")
	if a.numPeers() != 1 || b.numPeers() != 1 {
		t.Fatalf("connections: %d / %d", a.numPeers(), b.numPeers())
	}
}

// TestGlare: two connect clients that saw each other Dial at the same moment, so both
// offer at once; exactly one connection survives on each side, the tie-break initiator's.
// In the "crossing" variant the clients sit in two rooms joined by a relay that holds the
// first offer until the second one was published too, so both offers certainly cross on
// the wire.
func TestGlare(t *testing.T) {
	for _, crossing := range []bool{false, true} {
		for _, names := range [][2]string{{"alice", "bob"}, {"zed", "bob"}} {
			t.Run(fmt.Sprintf("%s-%s-crossing=%v", names[0], names[1], crossing), func(t *testing.T) {
				testGlare(t, names, crossing)
			})
		}
	}
}

func testGlare(t *testing.T, names [2]string, crossing bool) {
	_, urlA := startBroker(t)
	urlB := urlA
	room := uniqueRoom(t)
	if crossing {
		// Two brokers joined by a relay: the room (which signed offers name) is the same.
		_, urlB = startBroker(t)
	}
	aID, bID := testIdentity(t, names[0], 0), testIdentity(t, names[1], 1)
	var glares sync.Map
	logFor := func(who string) *slog.Logger {
		return slog.New(&msgHook{on: func(msg string) {
			if strings.HasPrefix(msg, "glare") {
				glares.Store(who, true)
			}
		}})
	}
	a := startClient(t, urlA, room, aID, clientOpts{role: RoleConnect, pins: map[string]string{names[1]: bID.PublicJWK}, log: logFor("a")})
	b := startClient(t, urlB, room, bID, clientOpts{role: RoleConnect, pins: map[string]string{names[0]: aID.PublicJWK}, log: logFor("b")})
	if crossing {
		relay(t, urlA, urlB, room, a.Name(), b.Name())
	}
	// Both must know the other's full name first, so that both Dials offer at once.
	a.waitEvent(t, EventSeen, 5*time.Second, func(e Event) bool { return e.Peer == b.Name() })
	b.waitEvent(t, EventSeen, 5*time.Second, func(e Event) bool { return e.Peer == a.Name() })
	type res struct {
		p   *Peer
		err error
	}
	ra, rb := make(chan res, 1), make(chan res, 1)
	go func() { p, err := a.Dial(ctxFor(t, 20*time.Second), names[1]); ra <- res{p, err} }()
	go func() { p, err := b.Dial(ctxFor(t, 20*time.Second), names[0]); rb <- res{p, err} }()
	xa, xb := <-ra, <-rb
	if xa.err != nil || xb.err != nil {
		t.Fatalf("Dial: %v / %v", xa.err, xb.err)
	}
	aInit := a.tb.weInitiate(a.Name(), b.Name())
	if xa.p.p.offerer != aInit || xb.p.p.offerer == aInit {
		t.Fatalf("surviving connection: a offerer=%v, b offerer=%v; tie-break says a initiates=%v", xa.p.p.offerer, xb.p.p.offerer, aInit)
	}
	// A losing connection closes on its own: wait until one is left on each side.
	for deadline := time.Now().Add(10 * time.Second); a.numPeers() != 1 || b.numPeers() != 1; {
		if time.Now().After(deadline) {
			t.Fatalf("connections: %d / %d", a.numPeers(), b.numPeers())
		}
		time.Sleep(20 * time.Millisecond) // polling a condition, not waiting for one
	}
	if err := xa.p.Chat("hi from a"); err != nil {
		t.Fatal(err)
	}
	if e := b.waitEvent(t, EventMessage, 5*time.Second, nil); e.Text != "hi from a" {
		t.Fatalf("b got %+v", e)
	}
	if err := xb.p.Chat("hi from b"); err != nil {
		t.Fatal(err)
	}
	if e := a.waitEvent(t, EventMessage, 5*time.Second, nil); e.Text != "hi from b" {
		t.Fatalf("a got %+v", e)
	}
	_, ga := glares.Load("a")
	_, gb := glares.Load("b")
	if crossing {
		// The initiator received the other's offer while its own was open and kept its own.
		if initGlare := (aInit && ga) || (!aInit && gb); !initGlare {
			t.Fatal("the tie-break initiator never saw a crossing offer")
		}
	}
	t.Logf("a=%s b=%s a initiates=%v; glare logged by a=%v b=%v", a.Name(), b.Name(), aInit, ga, gb)
}

// TestGlareLateOfferKeepsConnection: in glare the side that is not the tie-break initiator
// gives its offer up and answers; the offer it gave up may still be gathering or signing.
// Published late, it looked newer than the answer that made the live connection, and the
// initiator (still dialing) tore that down for an offer nobody answers (CI once lost
// TestGlare this way: both Dials timed out). zed's offer is held until the connection made
// by bob's offer is up, then let go: it must never reach the topic.
func TestGlareLateOfferKeepsConnection(t *testing.T) {
	_, url := startBroker(t)
	room := uniqueRoom(t)
	sub := subscribe(t, url, room)
	zID, bID := testIdentity(t, "zed", 0), testIdentity(t, "bob", 1)
	held, release, dropped := make(chan struct{}, 1), make(chan struct{}), make(chan struct{}, 1)
	var once sync.Once
	t.Cleanup(func() { once.Do(func() { close(release) }) })
	zed := startClient(t, url, room, zID, clientOpts{role: RoleConnect, pins: map[string]string{"bob": bID.PublicJWK},
		beforeOffer: func(string) {
			select {
			case held <- struct{}{}:
			default:
			}
			<-release
		},
		log: slog.New(&msgHook{on: func(msg string) {
			if strings.HasPrefix(msg, "not publishing the offer") {
				select {
				case dropped <- struct{}{}:
				default:
				}
			}
		}})})
	bob := startClient(t, url, room, bID, clientOpts{role: RoleConnect, pins: map[string]string{"zed": zID.PublicJWK}})
	zed.waitEvent(t, EventSeen, 5*time.Second, func(e Event) bool { return e.Peer == bob.Name() })
	bob.waitEvent(t, EventSeen, 5*time.Second, func(e Event) bool { return e.Peer == zed.Name() })
	if !bob.tb.weInitiate(bob.Name(), zed.Name()) {
		t.Fatalf("the tie-break makes %s the initiator; the test needs bob", zed.Name())
	}
	zDial := make(chan error, 1)
	go func() { _, err := zed.Dial(ctxFor(t, 20*time.Second), "bob"); zDial <- err }()
	select {
	case <-held:
	case <-time.After(10 * time.Second):
		t.Fatal("zed made no offer")
	}
	pb, err := bob.Dial(ctxFor(t, 20*time.Second), "zed")
	if err != nil {
		t.Fatalf("bob's Dial: %v", err)
	}
	if err := <-zDial; err != nil {
		t.Fatalf("zed's Dial: %v", err)
	}
	once.Do(func() { close(release) })
	// zed signs the offer it gave up and drops it: published, it would be answered by
	// nobody, and it must in any case be older than zed's answer (signed after it).
	select {
	case <-dropped:
	case <-time.After(10 * time.Second):
		t.Error("zed did not drop the offer it gave up")
	}
	envs, _ := sub.payloads()
	for _, e := range envs {
		if e.Sender == zed.Name() && e.Subtopic == signal.SubOffer {
			t.Errorf("zed published the offer it gave up in glare")
		}
	}
	var st peerState
	same := false
	bob.call(func() {
		if p := bob.peers[zed.Name()]; p != nil {
			same, st = p == pb.p, bob.views[p].state
		}
	})
	if !same || !st.established() {
		t.Fatalf("bob's connection to zed was replaced or lost (same=%v, state %v)", same, st)
	}
	if err := pb.Chat("still here"); err != nil {
		t.Fatal(err)
	}
	if e := zed.waitEvent(t, EventMessage, 10*time.Second, nil); e.Text != "still here" {
		t.Fatalf("zed got %+v", e)
	}
}

// relay joins one room on two brokers: what nameA publishes on broker A is republished on
// broker B and vice versa. The first RTCOffer is held until the other side published one
// too, so the two offers cross.
func relay(t *testing.T, urlA, urlB, room, nameA, nameB string) {
	subA, subB := subscribe(t, urlA, room), subscribe(t, urlB, room)
	var mu sync.Mutex
	var held []func()
	offers := 0
	forward := func(from *rawSub, sender string, to *rawSub) {
		seen := 0
		for {
			select {
			case <-from.news:
			case <-from.done:
				return
			case <-time.After(20 * time.Millisecond):
			}
			_, raws := from.payloads()
			for ; seen < len(raws); seen++ {
				env, err := signal.Decode(raws[seen])
				if err != nil || env.Sender != sender {
					continue
				}
				payload := raws[seen]
				send := func() { _ = to.conn.Publish(context.Background(), payload) }
				mu.Lock()
				if env.Subtopic == signal.SubOffer {
					offers++
					if offers == 1 {
						held = append(held, send)
						mu.Unlock()
						continue
					}
					for _, h := range held {
						h()
					}
					held = nil
				}
				mu.Unlock()
				send()
			}
		}
	}
	go forward(subA, nameA, subB)
	go forward(subB, nameB, subA)
}

// msgHook is a slog handler that reports every record's message.
// testLog keeps a client's log for a test that fails.
type testLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *testLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *testLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// teeHandler sends each record to two handlers.
type teeHandler struct{ a, b slog.Handler }

func (h teeHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.a.Enabled(ctx, l) || h.b.Enabled(ctx, l)
}

func (h teeHandler) Handle(ctx context.Context, r slog.Record) error {
	for _, x := range []slog.Handler{h.a, h.b} {
		if x.Enabled(ctx, r.Level) {
			if err := x.Handle(ctx, r.Clone()); err != nil {
				return err
			}
		}
	}
	return nil
}

func (h teeHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return teeHandler{h.a.WithAttrs(as), h.b.WithAttrs(as)}
}

func (h teeHandler) WithGroup(g string) slog.Handler {
	return teeHandler{h.a.WithGroup(g), h.b.WithGroup(g)}
}

type msgHook struct{ on func(string) }

func (h *msgHook) Enabled(context.Context, slog.Level) bool { return true }
func (h *msgHook) Handle(_ context.Context, r slog.Record) error {
	h.on(r.Message)
	return nil
}
func (h *msgHook) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *msgHook) WithGroup(string) slog.Handler      { return h }

// TestCloseUnloadNoLeaks: Close publishes unload and leaves no goroutine behind, with a
// verified connection up at the time.
func TestCloseUnloadNoLeaks(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	b, err := broker.Start(context.Background(), broker.Options{TCP: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	url := "mqtt://" + b.TCPAddr()
	room := uniqueRoom(t)
	sub := subscribe(t, url, room)
	aID, bID := testIdentity(t, "alice", 0), testIdentity(t, "bob", 1)
	bob := startClient(t, url, room, bID, clientOpts{role: RoleListen, pins: map[string]string{"alice": aID.PublicJWK}})
	alice := startClient(t, url, room, aID, clientOpts{role: RoleAsk, pins: map[string]string{"bob": bID.PublicJWK}})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	p, err := alice.Dial(ctx, "bob")
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	if _, err := p.Ask(ctx, "x", nil); !errors.Is(err, ErrRemote) {
		t.Fatalf("Ask: %v", err)
	}
	for _, c := range []*testClient{alice, bob} {
		if err := c.Close(ctx); err != nil {
			t.Fatalf("Close: %v", err)
		}
		name := c.Name()
		e := sub.await(t, 5*time.Second, "unload of "+name, func(e signal.Envelope) bool {
			return e.Subtopic == signal.SubUnload && e.Sender == name
		})
		if string(e.Data) != `"disconnecting"` {
			t.Fatalf("unload data %s", e.Data)
		}
	}
	select {
	case <-p.Done():
	default:
		t.Fatal("the peer is not done after Close")
	}
	if err := alice.Close(ctx); err != nil { // idempotent
		t.Fatal(err)
	}
	sub.close()
	_ = b.Close()
}

// ---------------------------------------------------------------------------------------
// A web client emulated at the wire level: raw MQTT + a bare pion PeerConnection that
// behaves like the browser (§3, §5, §6, §9): trickles its candidates (none in its SDP),
// creates the 11 labels as offerer and sends null on connectedViaRTC, answers
// identify/challenge with the browser's shapes, and asks us the same.

type browser struct {
	t      *testing.T
	name   string
	id     *keys.Identity
	mq     *signal.Conn
	badSig bool
	// keyless: the barebones MQTTRTCClient: no identity key, no identity questions answered.
	keyless bool
	// extraCands are published after the browser's own candidates (foreign ufrags).
	extraCands []any

	mu        sync.Mutex
	pc        *webrtc.PeerConnection
	remoteSet bool
	pending   []webrtc.ICECandidateInit
	dcs       map[string]*webrtc.DataChannel
	opened    int
	offerer   bool
	nextN     int
	asks      map[int]chan json.RawMessage
	rawAnswer map[int]string // answer frames as received, by n
	seen      map[string]bool

	seenCh    chan string // full names whose connect we saw
	allOpen   chan struct{}
	handshake chan struct{} // connectedViaRTC received (answerer)
	questions chan questionFrame
	chats     chan string
	done      chan struct{}
}

func newBrowser(t *testing.T, url, room, name string, id *keys.Identity) *browser {
	topic, err := signal.Topic(room)
	if err != nil {
		t.Fatal(err)
	}
	mq, err := signal.Dial(ctxFor(t, 10*time.Second), signal.Config{BrokerURL: url, Topic: topic})
	if err != nil {
		t.Fatal(err)
	}
	b := &browser{
		t: t, name: name, id: id, mq: mq, dcs: map[string]*webrtc.DataChannel{},
		asks: map[int]chan json.RawMessage{}, rawAnswer: map[int]string{}, seen: map[string]bool{},
		seenCh: make(chan string, 16), allOpen: make(chan struct{}), handshake: make(chan struct{}),
		questions: make(chan questionFrame, 16), chats: make(chan string, 16), done: make(chan struct{}),
	}
	go b.loop()
	t.Cleanup(b.close)
	return b
}

func (b *browser) close() {
	b.mu.Lock()
	pc := b.pc
	b.mu.Unlock()
	if pc != nil {
		_ = pc.GracefulClose()
	}
	_ = b.mq.Close(context.Background())
	<-b.done
}

func (b *browser) publish(subtopic string, data any) {
	// The browser sends plain JSON (plain mode); pad to odd length like we do, so LZ-mode
	// peers would accept it too. Our decoder accepts both parities.
	payload, err := signal.Encode(b.name, subtopic, data, time.Now())
	if err != nil {
		b.t.Error(err)
		return
	}
	if err := b.mq.Publish(context.Background(), payload); err != nil {
		b.t.Errorf("browser publish %s: %v", subtopic, err)
	}
}

func (b *browser) announce() {
	b.publish(signal.SubConnect, b.userInfo())
}

func (b *browser) userInfo() map[string]string {
	if b.keyless {
		return map[string]string{}
	}
	return map[string]string{"publicKeyString": b.id.PublicJWK}
}

func (b *browser) loop() {
	defer close(b.done)
	for payload := range b.mq.Messages() {
		env, err := signal.Decode(payload)
		if err != nil || env.Sender == b.name {
			continue
		}
		switch env.Subtopic {
		case signal.SubConnect:
			b.mu.Lock()
			first := !b.seen[env.Sender]
			b.seen[env.Sender] = true
			b.mu.Unlock()
			if first {
				b.seenCh <- env.Sender
			}
		case signal.SubOffer:
			var d struct {
				Offer struct {
					LocalDescription webrtc.SessionDescription `json:"localDescription"`
					Target           string                    `json:"target"`
				} `json:"offer"`
			}
			if json.Unmarshal(env.Data, &d) != nil || d.Offer.Target != b.name {
				continue
			}
			b.answer(env.Sender, d.Offer.LocalDescription.SDP)
		case signal.SubAnswer:
			var d struct {
				LocalDescription webrtc.SessionDescription `json:"localDescription"`
				Target           string                    `json:"target"`
			}
			if json.Unmarshal(env.Data, &d) != nil || d.Target != b.name {
				continue
			}
			b.mu.Lock()
			pc := b.pc
			b.mu.Unlock()
			if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: d.LocalDescription.SDP}); err != nil {
				b.t.Errorf("browser SRD(answer): %v", err)
				continue
			}
			b.flush()
		case signal.SubCandidate:
			if string(env.Data) == "null" {
				continue
			}
			var c webrtc.ICECandidateInit
			if json.Unmarshal(env.Data, &c) != nil {
				continue
			}
			b.mu.Lock()
			if !b.remoteSet {
				b.pending = append(b.pending, c)
				b.mu.Unlock()
				continue
			}
			pc := b.pc
			b.mu.Unlock()
			_ = pc.AddICECandidate(c)
		}
	}
}

func (b *browser) flush() {
	b.mu.Lock()
	b.remoteSet = true
	pend, pc := b.pending, b.pc
	b.pending = nil
	b.mu.Unlock()
	for _, c := range pend {
		_ = pc.AddICECandidate(c)
	}
}

// newPC makes a loopback PeerConnection with pion defaults otherwise (not detached, like a
// browser's event-driven channels) that trickles its candidates on MQTT.
func (b *browser) newPC() *webrtc.PeerConnection {
	se := webrtc.SettingEngine{}
	se.SetIncludeLoopbackCandidate(true)
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	pc, err := webrtc.NewAPI(webrtc.WithSettingEngine(se)).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		b.t.Fatal(err)
	}
	pc.OnICECandidate(func(c *webrtc.ICECandidate) {
		if c == nil {
			for _, x := range b.extraCands {
				b.publish(signal.SubCandidate, x)
			}
			b.publish(signal.SubCandidate, nil) // end-of-gathering marker
			return
		}
		init := c.ToJSON() // RTCIceCandidate.toJSON() with the usernameFragment a browser adds
		facts, err := checkSDP(pc.LocalDescription().SDP)
		if err != nil {
			b.t.Errorf("our own SDP: %v", err)
		}
		ufrag := facts.ufrag
		init.UsernameFragment = &ufrag
		b.publish(signal.SubCandidate, init)
	})
	pc.OnDataChannel(b.wire)
	b.mu.Lock()
	b.pc = pc
	b.mu.Unlock()
	return pc
}

// stripCandidates removes the candidates from an SDP, forcing the trickle path.
func stripCandidates(sdp string) string {
	var out []string
	for _, l := range strings.SplitAfter(sdp, "\n") {
		if strings.HasPrefix(l, "a=candidate") || strings.HasPrefix(l, "a=end-of-candidates") {
			continue
		}
		out = append(out, l)
	}
	return strings.Join(out, "")
}

// offer connects to our client as the web page does when it is the initiator.
func (b *browser) offer(target string) {
	pc := b.newPC()
	b.mu.Lock()
	b.offerer = true
	b.mu.Unlock()
	for _, l := range browserLabels {
		dc, err := pc.CreateDataChannel(l, nil)
		if err != nil {
			b.t.Fatal(err)
		}
		b.wire(dc)
	}
	o, err := pc.CreateOffer(nil)
	if err != nil {
		b.t.Fatal(err)
	}
	if err := pc.SetLocalDescription(o); err != nil {
		b.t.Fatal(err)
	}
	b.publish(signal.SubOffer, map[string]any{
		"userInfo": b.userInfo(),
		"offer": map[string]any{
			"localDescription": map[string]string{"type": "offer", "sdp": stripCandidates(pc.LocalDescription().SDP)},
			"target":           target,
		},
	})
}

func (b *browser) answer(from, sdp string) {
	pc := b.newPC()
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: sdp}); err != nil {
		b.t.Errorf("browser SRD(offer): %v", err)
		return
	}
	b.flush()
	a, err := pc.CreateAnswer(nil)
	if err != nil {
		b.t.Error(err)
		return
	}
	if err := pc.SetLocalDescription(a); err != nil {
		b.t.Error(err)
		return
	}
	b.publish(signal.SubAnswer, map[string]any{
		"localDescription": map[string]string{"type": "answer", "sdp": stripCandidates(pc.LocalDescription().SDP)},
		"target":           from,
	})
}

func (b *browser) wire(dc *webrtc.DataChannel) {
	dc.OnOpen(func() {
		b.mu.Lock()
		b.dcs[dc.Label()] = dc
		b.opened++
		all := b.opened == len(browserLabels)
		offerer := b.offerer
		b.mu.Unlock()
		if all {
			if offerer {
				_ = b.dcs["connectedViaRTC"].SendText("null") // WebIDL-stringified send(null)
			}
			close(b.allOpen)
		}
	})
	dc.OnMessage(func(m webrtc.DataChannelMessage) {
		if !m.IsString {
			return
		}
		switch dc.Label() {
		case "connectedViaRTC":
			select {
			case <-b.handshake:
			default:
				close(b.handshake)
			}
		case "question":
			var q questionFrame
			if json.Unmarshal(m.Data, &q) != nil {
				return
			}
			b.questions <- q
			go b.answerQuestion(q)
		case "answer":
			var a struct {
				N      int             `json:"n"`
				Answer json.RawMessage `json:"answer"`
			}
			if json.Unmarshal(m.Data, &a) != nil {
				return
			}
			b.mu.Lock()
			ch := b.asks[a.N]
			b.rawAnswer[a.N] = string(m.Data)
			b.mu.Unlock()
			if ch != nil {
				ch <- a.Answer
			}
		case "chat":
			var s string
			if json.Unmarshal(m.Data, &s) == nil {
				b.chats <- s
			}
		}
	})
}

func (b *browser) send(label string, v any) {
	// Like the web client, wait (up to 10 s) for a channel that is not open yet: channels
	// open in any order, so a question can arrive before the answer channel is open.
	select {
	case <-b.allOpen:
	case <-time.After(10 * time.Second):
	}
	b.mu.Lock()
	dc := b.dcs[label]
	b.mu.Unlock()
	if dc == nil {
		b.t.Errorf("browser send %s: channel never opened", label)
		return
	}
	raw, err := json.Marshal(v)
	if err != nil {
		b.t.Error(err)
		return
	}
	if err := dc.SendText(string(raw)); err != nil {
		b.t.Errorf("browser send %s: %v", label, err)
	}
}

// answerQuestion is _returnPublicKey / _sign of the signed client: sign whatever content
// with salt 32; unknown topics get no answer at all.
func (b *browser) answerQuestion(q questionFrame) {
	if b.keyless {
		return // MQTTRTCClient has no identity handlers
	}
	var content string
	if json.Unmarshal(q.Question.Content, &content) != nil {
		return
	}
	msg, err := wire.FromLatin1(content)
	if err != nil {
		b.t.Errorf("browser got a non-latin-1 challenge: %v", err)
		return
	}
	sig, err := b.id.Sign(msg)
	if err != nil {
		b.t.Error(err)
		return
	}
	if b.badSig {
		sig[10] ^= 0x40
	}
	switch q.Question.Topic {
	case topicIdentify:
		b.send("answer", map[string]any{"n": q.N, "answer": map[string]string{"publicKeyString": b.id.PublicJWK, "signature": wire.Latin1(sig)}, "question": q.Question})
	case topicChallenge:
		b.send("answer", map[string]any{"n": q.N, "answer": wire.Latin1(sig), "question": q.Question})
	}
}

// ask sends a question like the browser (its own counter) and returns the raw answer.
func (b *browser) ask(topic string, content any) json.RawMessage {
	b.t.Helper()
	a, _ := b.askFrame(topic, content)
	return a
}

// askFrame is ask that also returns the whole answer frame as it arrived.
func (b *browser) askFrame(topic string, content any) (json.RawMessage, string) {
	b.t.Helper()
	b.mu.Lock()
	n := b.nextN
	b.nextN++
	ch := make(chan json.RawMessage, 1)
	b.asks[n] = ch
	b.mu.Unlock()
	b.send("question", map[string]any{"n": n, "question": map[string]any{"topic": topic, "content": content}})
	select {
	case a := <-ch:
		b.mu.Lock()
		defer b.mu.Unlock()
		return a, b.rawAnswer[n]
	case <-time.After(10 * time.Second):
		b.t.Fatalf("no answer to the browser's %s", topic)
		return nil, ""
	}
}

// checkOurProofs asks our client identify and challenge like the browser does and checks
// both answers verify with RSA-PSS salt 32 over the raw 32 bytes.
func (b *browser) checkOurProofs(ours *keys.Identity) {
	t := b.t
	t.Helper()
	challenge := make([]byte, 32)
	_, _ = rand.Read(challenge)
	challenge[0], challenge[1], challenge[2] = 0, '"', 0xff // bytes that need escaping
	raw := b.ask(topicIdentify, wire.Latin1(challenge))
	var id struct {
		PublicKeyString string `json:"publicKeyString"`
		Signature       string `json:"signature"`
	}
	if err := json.Unmarshal(raw, &id); err != nil {
		t.Fatalf("identify answer %s: %v", raw, err)
	}
	if id.PublicKeyString != ours.PublicJWK {
		t.Fatal("identify answer carries another key string")
	}
	sig, err := wire.FromLatin1(id.Signature)
	if err != nil || len(sig) != 256 {
		t.Fatalf("identify signature: %d bytes, %v", len(sig), err)
	}
	if err := keys.Verify(id.PublicKeyString, challenge, sig); err != nil {
		t.Fatalf("identify signature does not verify over the raw challenge: %v", err)
	}
	_, _ = rand.Read(challenge)
	raw = b.ask(topicChallenge, wire.Latin1(challenge))
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatalf("challenge answer %s is not a string: %v", raw, err)
	}
	if sig, err = wire.FromLatin1(s); err != nil {
		t.Fatal(err)
	}
	if err := keys.Verify(ours.PublicJWK, challenge, sig); err != nil {
		t.Fatalf("challenge signature does not verify: %v", err)
	}
}

func waitChan[T any](t *testing.T, ch <-chan T, d time.Duration, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(d):
		t.Fatalf("timed out waiting for %s", what)
		var zero T
		return zero
	}
}

func waitClosed(t *testing.T, ch <-chan struct{}, d time.Duration, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(d):
		t.Fatalf("timed out waiting for %s", what)
	}
}

// browserOffers: our listener "zoe(…)" sorts after the browser "Alice", so the browser is
// the tie-break initiator and offers.
func browserOffers(t *testing.T, badSig bool) (*testClient, *browser) {
	_, url := startBroker(t)
	room := uniqueRoom(t)
	bID, gID := testIdentity(t, "Alice", 1), testIdentity(t, "zoe", 0)
	g := startClient(t, url, room, gID, clientOpts{role: RoleListen, webPins: map[string]string{"Alice": bID.PublicJWK}})
	if g.tb.weInitiate(g.Name(), "Alice") {
		t.Fatal("test setup: our client would initiate")
	}
	br := newBrowser(t, url, room, "Alice", bID)
	br.badSig = badSig
	ours := waitChan(t, br.seenCh, 5*time.Second, "our connect")
	if ours != g.Name() {
		t.Fatalf("saw %q, want %q", ours, g.Name())
	}
	br.announce()
	br.offer(ours)
	return g, br
}

func TestBrowserOffers(t *testing.T) {
	g, br := browserOffers(t, false)
	waitClosed(t, br.allOpen, 10*time.Second, "the browser's channels to open")
	e := g.waitEvent(t, EventVerified, 10*time.Second, nil)
	if e.Peer != "Alice" || e.Bound {
		t.Fatalf("verified event %+v (a browser gives the unbound proof)", e)
	}
	// Our client verified the pinned browser with the legacy challenge (raw 32 bytes).
	q := waitChan(t, br.questions, time.Second, "our question")
	if q.Question.Topic != topicChallenge {
		t.Fatalf("we asked %q, want challenge", q.Question.Topic)
	}
	br.checkOurProofs(g.id)
	br.send("chat", "hi from the web page")
	m := g.waitEvent(t, EventMessage, 5*time.Second, nil)
	if m.Text != "hi from the web page" || m.Channel != "chat" || m.Bare != "Alice" {
		t.Fatalf("message %+v", m)
	}
	// A question on an unknown topic from a browser gets an error answer, not silence.
	if raw := br.ask("weather", "x"); raw != nil {
		t.Fatalf("unexpected answer value %s", raw)
	}
	if g.numPeers() != 1 {
		t.Fatalf("%d connections", g.numPeers())
	}
}

func TestBrowserBadSignatureRefused(t *testing.T) {
	g, br := browserOffers(t, true)
	waitClosed(t, br.allOpen, 10*time.Second, "the browser's channels to open")
	e := g.waitEvent(t, EventRefused, 10*time.Second, nil)
	if e.Peer != "Alice" || !errors.Is(e.Err, ErrNotVerified) {
		t.Fatalf("refused event %+v", e)
	}
	g.waitEvent(t, EventDisconnected, 5*time.Second, nil)
	g.noEvent(t, EventVerified, 300*time.Millisecond)
}

// TestBrowserAnswers: our client "aaron(…)" sorts before the browser "Zed", so it offers;
// the browser answers and trickles, plus candidates of another connection (foreign ufrag)
// that must be filtered out.
func TestBrowserAnswers(t *testing.T) {
	_, url := startBroker(t)
	room := uniqueRoom(t)
	bID, gID := testIdentity(t, "Zed", 1), testIdentity(t, "aaron", 0)
	g := startClient(t, url, room, gID, clientOpts{role: RoleListen, webPins: map[string]string{"Zed": bID.PublicJWK}})
	if !g.tb.weInitiate(g.Name(), "Zed") {
		t.Fatal("test setup: our client would not initiate")
	}
	br := newBrowser(t, url, room, "Zed", bID)
	foreign := "forgn"
	br.extraCands = []any{
		map[string]any{"candidate": "candidate:1 1 udp 2130706431 127.0.0.1 9 typ host", "sdpMid": "0", "sdpMLineIndex": 0, "usernameFragment": foreign},
		map[string]any{"candidate": "candidate:2 1 udp 2130706431 127.0.0.1 13 typ host ufrag " + foreign, "sdpMid": "0", "sdpMLineIndex": 0},
		map[string]any{"candidate": "", "sdpMid": "0", "sdpMLineIndex": 0}, // Firefox end-of-candidates
	}
	waitChan(t, br.seenCh, 5*time.Second, "our connect")
	br.announce()
	waitClosed(t, br.allOpen, 10*time.Second, "the channels to open")
	waitClosed(t, br.handshake, 5*time.Second, "connectedViaRTC from our client (the offerer)")
	e := g.waitEvent(t, EventVerified, 10*time.Second, nil)
	if e.Peer != "Zed" {
		t.Fatalf("verified %+v", e)
	}
	br.checkOurProofs(g.id)
	br.send("chat", "hello")
	if m := g.waitEvent(t, EventMessage, 5*time.Second, nil); m.Text != "hello" {
		t.Fatalf("message %+v", m)
	}
	// Let the foreign candidates arrive (they follow the browser's own) and check that none
	// reached the ICE agent.
	time.Sleep(200 * time.Millisecond)
	var p *peer
	g.call(func() { p = g.peers["Zed"] })
	if p == nil || !p.offerer {
		t.Fatal("no offered connection to Zed")
	}
	for _, s := range p.pc.GetStats() {
		if c, ok := s.(webrtc.ICECandidateStats); ok && c.Type == webrtc.StatsTypeRemoteCandidate && (c.Port == 9 || c.Port == 13) {
			t.Fatalf("a foreign-ufrag candidate was added: %+v", c)
		}
	}
	// Our chat reaches the browser.
	pr := &Peer{p}
	if err := pr.Chat("hi browser"); err != nil {
		t.Fatal(err)
	}
	if s := waitChan(t, br.chats, 5*time.Second, "our chat"); s != "hi browser" {
		t.Fatalf("browser got %q", s)
	}
}

// TestPeerLeaves: a peer that closes on purpose says so; the other side reports that it
// left (ErrPeerLeft), not a lost connection.
func TestPeerLeaves(t *testing.T) {
	alice, bob := pair(t, RoleConnect, nil)
	p, err := alice.Dial(ctxFor(t, 20*time.Second), "bob")
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	bob.waitEvent(t, EventVerified, 5*time.Second, nil)
	if err := alice.Close(ctxFor(t, 10*time.Second)); err != nil {
		t.Fatal(err)
	}
	e := bob.waitEvent(t, EventDisconnected, 10*time.Second, nil)
	if !errors.Is(e.Err, ErrPeerLeft) || !errors.Is(e.Err, ErrConnectionLost) {
		t.Fatalf("bob saw %v, want ErrPeerLeft", e.Err)
	}
	if err := p.Err(); err == nil {
		t.Fatal("alice's peer is still up after Close")
	}
}

// TestDialSaysWhatThePeerRuns: a peer of that name that serves something else is named in
// the timeout, with what the other side must run.
func TestDialSaysWhatThePeerRuns(t *testing.T) {
	_, url := startBroker(t)
	room := uniqueRoom(t)
	aID, bID := testIdentity(t, "alice", 0), testIdentity(t, "bob", 1)
	bob := startClient(t, url, room, bID, clientOpts{role: RolePipe, pipeTo: "carol", pins: map[string]string{"alice": aID.PublicJWK}})
	alice := startClient(t, url, room, aID, clientOpts{role: RoleSend, pins: map[string]string{"bob": bID.PublicJWK}})
	_, err := alice.Dial(ctxFor(t, 3*time.Second), "bob")
	if !errors.Is(err, ErrTimeout) || !strings.Contains(err.Error(), bob.Name()+` is in room`) ||
		!strings.Contains(err.Error(), "'rtchat pipe'") || !strings.Contains(Hint(err), "rtchat listen") {
		t.Fatalf("Dial: %v (hint %q)", err, Hint(err))
	}
}
