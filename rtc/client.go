package rtc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rtchat/rtchat/keys"
	"github.com/rtchat/rtchat/rtc/iceconf"
	"github.com/rtchat/rtchat/rtc/proof"
	"github.com/rtchat/rtchat/rtc/seal"
	"github.com/rtchat/rtchat/rtc/signal"
)

// Timers of the protocol (§3.2, §7) and our own bounds.
const (
	firstAnnounceDelay = 500 * time.Millisecond
	browserFallback    = 1100 * time.Millisecond
	rtchatFallback     = 2 * time.Second
	// offerLifetime: an offer of ours that got no answer is abandoned after this; a
	// connection must be up within it (the web client never times out, §3.4).
	offerLifetime = 20 * time.Second
	stuckNew      = 10 * time.Second
	// pendingVerify bounds the identity exchange of a connection nobody here asked for, so
	// that strangers who connect and never answer cannot hold a slot for long.
	pendingVerify = 10 * time.Second
)

// DefaultReconnect is how long a verified connection may be unreachable before it is lost.
const DefaultReconnect = 30 * time.Second

// restartEvery: while unreachable, an rtchat offerer restarts ICE (through a signed offer on
// the topic) this long after the transport went, and again this often.
const restartEvery = 5 * time.Second

// brokerCheckTimeout: when a peer's transport goes, the broker must acknowledge a request
// within this time or its connection is dropped and made again (signal.Conn.Check).
const brokerCheckTimeout = 3 * time.Second

// Budgets: everything a stranger on the topic can make us hold is bounded.
const (
	maxVerified        = 128 // verified connections
	maxPending         = 32  // connections not yet verified that nobody vouched for (strangers)
	maxPendingPerName  = 2   // of those, per bare name; and of our offers to one pinned name
	maxPendingVouched  = 128 // connections not yet verified that we vouch for (admit)
	maxPresence        = 512 // remembered presences (full names)
	maxCandSenders     = 128 // senders whose trickled candidates wait for a connection
	maxPendingCands    = maxSDPCandidates
	maxQueuedMessages  = 64 // messages held until a peer is verified
	maxQueuedQuestions = 16
	maxHandlers        = 16 // questions being answered at once per peer
)

// Config is what a Client needs; the commands build it from flags.
type Config struct {
	Broker   string
	Room     string
	Identity *keys.Identity
	Store    *keys.Store
	Trust    Trust
	ICE      iceconf.Config
	Role     Role
	PipeTo   string // RolePipe: the bare name we pipe with
	Log      *slog.Logger

	// VerifyTimeout bounds the identity exchange of connections we dial.
	VerifyTimeout time.Duration
	// BrokerTimeout bounds the first connection to the broker (0: the signal default).
	BrokerTimeout time.Duration
	// Reconnect is how long a verified connection may stay unreachable (a link outage, a NAT
	// rebinding, a paused peer) before it is given up; meanwhile ICE recovers or is
	// restarted and nothing sent is lost. 0 means DefaultReconnect; negative, no waiting.
	Reconnect time.Duration
	// Direct: RolePipe may move the stream to a verified direct TLS connection when the
	// peers reach each other (directpath.go); false keeps it on the WebRTC channel.
	Direct bool
	// DirectPunch: whether the direct path is tried across NATs by TCP hole punching
	// (PunchAuto, PunchAlways, PunchOff; directpath.go).
	DirectPunch string
	// DirectCC names the direct connection's TCP congestion control (Linux; "": the
	// kernel's default). For measurements.
	DirectCC string
	// DirectWait: the pipe waits for the direct path's negotiation before its first byte
	// (the behaviour before it could start on WebRTC and move; for measurements). It is
	// what every pipe does with a peer that cannot move.
	DirectWait bool
	// directHold, in tests, holds the direct path's negotiation after the offers until
	// it is closed: the pipe must not wait for it.
	directHold chan struct{}
	// PendingBudget, when positive, lowers both budgets of connections not yet verified
	// (strangers' and vouched, see admit) to it: for tests of what happens past them.
	PendingBudget int
	// OnQuestion answers questions on topics other than the identity ones. Nil: every
	// such question gets an error answer.
	OnQuestion func(ctx context.Context, p *Peer, topic string, content json.RawMessage) (any, error)
	// OnEvent receives lifecycle events and messages from verified peers, in order, on a
	// goroutine of its own (events.go): a slow reader never stalls signaling. It may call
	// any Client or Peer method but Dial, DialAll and Close.
	OnEvent func(Event)

	eventCap int // the event queue's size (0: eventQueueCap); tests set less
	// noSignalProof makes the client behave as the release before the signal proof
	// (docs/rtchat-protocol.md): it announces no bind and proves every peer with
	// rtchat.prove. Tests use it to check that the two still interoperate.
	noSignalProof bool
	// OnBadTransition hears of every state transition the table does not have (always a
	// bug of ours, peerstate.go; the move is logged at error level and not made): tests
	// fail on one. Called on the peer's owner goroutine; it must not block.
	OnBadTransition func(error)
}

// Client is one process's presence in a room.
//
// Concurrency: one goroutine, the room loop, owns the room's tables (peers, presences,
// candidates, Dial targets); everything else hands it work through inbox. Each connection
// has its own owner goroutine (see peer). Neither ever waits for the other in a way that
// could close a cycle: the room never blocks on a peer, peers may block on the room.
type Client struct {
	cfg    Config
	me     string // my full name
	bare   string
	topic  string
	log    *slog.Logger
	mqtt   *signal.Conn
	events *eventQueue // delivers to cfg.OnEvent
	tb     *tieBreak

	life     context.Context // ends when Close is done with the peers
	endLife  context.CancelFunc
	inbox    chan func()
	stop     chan struct{} // closed by Close: the room loop closes every peer and exits
	roomDone chan struct{} // closed when the room loop exited
	stopOnce sync.Once
	wg       sync.WaitGroup // the room loop and publishers
	peerWG   sync.WaitGroup // every peer's owner goroutine

	nextQ    atomic.Int64                    // question numbers, shared across peers like the web client's
	priority atomic.Pointer[map[string]bool] // bare names we dial or are connected to (read by classify)
	issued   challenges                      // challenges we sent and wait answers for
	pins     *pinCache                       // room loop only
	now      atomic.Bool                     // CloseNow: peers close without flushing (closenow.go)
	checking atomic.Bool                     // a broker check is running (checkBroker)
	guard    *nameGuard                      // what strangers may do with names (strangers.go)
	seal     *sealer                         // our sealing key (sealing.go)

	// Owned by the room loop.
	peers         map[string]*peer // by remote full name
	views         map[*peer]*peerView
	presence      *lru[string, presence]
	cands         *lru[string, []candidate]
	replay        *proof.Memory          // signed offers and restart requests we accepted
	wants         map[string]*want       // Dial targets by bare name
	all           *allWant               // a DialAll in progress
	retry         map[string]*retryEntry // connections to try again, by full name (retry.go)
	held          []heldOffer            // signed offers waiting for room (retry.go)
	poked         bool
	pokedByDialer bool // the pending announcement answers a dialer (answerBurst)
}

// presence is what a peer last said about itself.
type presence struct {
	info userInfo
}

// Start joins the room: connects to the broker, subscribes and begins announcing.
func Start(ctx context.Context, cfg Config) (*Client, error) {
	c, err := newClient(cfg)
	if err != nil {
		return nil, err
	}
	// The first connection's candidates are gathered while the broker connects.
	c.cfg.ICE.Prewarm(c.cfg.Log)
	m, err := signal.Dial(ctx, signal.Config{
		BrokerURL: c.cfg.Broker, Topic: c.topic, Logger: c.cfg.Log, ConnectTimeout: c.cfg.BrokerTimeout,
		Classify: c.classify,
	})
	if err != nil {
		_ = c.cfg.ICE.Release()
		c.endLife()
		c.events.close(ctx)
		return nil, err
	}
	c.mqtt = m
	if <-c.seal.ready; c.seal.err != nil {
		_ = m.Close(ctx)
		_ = c.cfg.ICE.Release()
		c.endLife()
		c.events.close(ctx)
		return nil, c.seal.err
	}
	c.wg.Add(1)
	go c.roomLoop()
	return c, nil
}

// envSignalProof=0 is Config.noSignalProof for a whole process: a developer knob to measure
// the signal proof against rtchat.prove in one run (scripts/bench-net.sh -v), not for
// users. It only ever makes verification take the longer way.
const envSignalProof = "RTCHAT_SIGNAL_PROOF"

// newClient checks cfg and builds a Client that is not yet connected to anything.
func newClient(cfg Config) (*Client, error) {
	if cfg.Identity == nil {
		return nil, errors.New("no identity")
	}
	if os.Getenv(envSignalProof) == "0" {
		cfg.noSignalProof = true
	}
	if cfg.Store == nil {
		return nil, errors.New("no key store")
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.VerifyTimeout <= 0 {
		cfg.VerifyTimeout = 15 * time.Second
	}
	if cfg.Reconnect == 0 {
		cfg.Reconnect = DefaultReconnect
	}
	if cfg.Trust == "" {
		cfg.Trust = TrustKnown
	}
	if _, err := ParseTrust(string(cfg.Trust)); err != nil {
		return nil, err
	}
	if !cfg.Role.Valid() {
		return nil, fmt.Errorf("unknown role %q", cfg.Role)
	}
	topic, err := signal.Topic(cfg.Room)
	if err != nil {
		return nil, err
	}
	bare := keys.BareName(cfg.Identity.Name)
	c := &Client{
		cfg:      cfg,
		bare:     bare,
		me:       fullName(bare),
		topic:    topic,
		tb:       newTieBreak(),
		inbox:    make(chan func(), 256),
		stop:     make(chan struct{}),
		roomDone: make(chan struct{}),
		issued:   challenges{m: map[string]int{}},
		guard:    newNameGuard(),
		pins:     newPinCache(cfg.Store),
		peers:    map[string]*peer{},
		views:    map[*peer]*peerView{},
		presence: newLRU[string, presence](maxPresence),
		cands:    newLRU[string, []candidate](maxCandSenders),
		replay:   proof.NewMemory(proof.MaxStrangers),
		wants:    map[string]*want{},
		retry:    map[string]*retryEntry{},
	}
	if c.seal, err = newSealer(cfg.Identity, topic, c.me); err != nil {
		return nil, err
	}
	c.log = cfg.Log.With("me", c.me)
	c.events = newEventQueue(cfg.OnEvent, c.log, cfg.eventCap)
	c.setInterest()
	c.life, c.endLife = context.WithCancel(context.Background())
	return c, nil
}

// Name is this process's full name in the room.
func (c *Client) Name() string { return c.me }

// Close publishes unload, closes every peer connection and leaves the broker.
func (c *Client) Close(ctx context.Context) error {
	first := false
	c.stopOnce.Do(func() { first = true; close(c.stop) })
	if !first {
		return nil
	}
	<-c.roomDone // the room loop asked every peer to close
	peersDone := make(chan struct{})
	go func() { c.peerWG.Wait(); close(peersDone) }()
	select {
	case <-peersDone:
	case <-ctx.Done():
	}
	var err error
	if payload, e := signal.Encode(c.me, signal.SubUnload, "disconnecting", time.Now()); e == nil {
		err = c.mqtt.CloseWith(ctx, payload)
	} else {
		err = c.mqtt.Close(ctx)
	}
	err = errors.Join(err, c.cfg.ICE.Release())
	c.endLife()
	c.wg.Wait()
	c.events.close(ctx) // the last events (who left) reach the reader before Close returns
	select {
	case <-peersDone:
	case <-ctx.Done():
		return errors.Join(err, fmt.Errorf("closing connections: %w", ctx.Err()))
	}
	return err
}

// do runs fn on the room loop. It gives up once the room loop has ended.
func (c *Client) do(fn func()) bool {
	select {
	case c.inbox <- fn:
		return true
	case <-c.roomDone:
		return false
	}
}

// call runs fn on the room loop and waits until it ran; false if the room loop ended.
func (c *Client) call(fn func()) bool {
	ran := make(chan struct{})
	if !c.do(func() { fn(); close(ran) }) {
		return false
	}
	select {
	case <-ran:
		return true
	case <-c.roomDone:
		return false
	}
}

// checkBroker checks the broker connection in the background (one check at a time): a
// peer's transport went, and what cut it off (a new address, a NAT that forgot its
// mappings) may have cut the broker connection too, without an error; the ICE restart
// needs it well before paho's keepalive would notice.
func (c *Client) checkBroker() {
	if c.mqtt == nil || !c.checking.CompareAndSwap(false, true) {
		return
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		defer c.checking.Store(false)
		if err := c.mqtt.Check(c.life, brokerCheckTimeout); err != nil {
			c.log.Debug("broker check", "err", err)
		}
	}()
}

// goPublish publishes in the background (the room loop never waits for the network).
func (c *Client) goPublish(subtopic string, data any) {
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		if err := c.publish(subtopic, data); err != nil {
			c.log.Debug("publish failed", "subtopic", subtopic, "err", err)
		}
	}()
}

func (c *Client) publish(subtopic string, data any) error {
	payload, err := signal.Encode(c.me, subtopic, data, time.Now())
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(c.life, 10*time.Second)
	defer cancel()
	if err := c.mqtt.Publish(ctx, payload); err != nil {
		return fmt.Errorf("publish %s: %w", subtopic, err)
	}
	return nil
}

// emit queues an event for Config.OnEvent. Only a message can wait (for room in the
// queue), and messages come from peers' owners, never from the room loop.
func (c *Client) emit(e Event) {
	c.events.push(e, c.life.Done())
}

func (c *Client) myInfo() userInfo {
	si := c.seal.info()
	info := userInfo{PublicKeyString: c.cfg.Identity.PublicJWK, RTChat: &rtchatInfo{V: protocolVersion, Role: c.cfg.Role, Seal: &si, Bind: signalProofVersion}}
	if c.cfg.noSignalProof {
		info.RTChat.Bind = 0
	}
	if c.cfg.Role.spec().pipe {
		info.RTChat.Pipe = c.cfg.PipeTo
	}
	return info
}

// classify picks the lane of a payload on the MQTT client's goroutine: what is addressed to
// us, or comes from a name we dial or are connected to, goes first; offers and answers for
// others and our own echoes are dropped at once (§1: MQTT 3.1.1 has no no-local).
func (c *Client) classify(payload []byte) signal.Lane {
	env, err := signal.Decode(payload)
	if err != nil || env.Sender == c.me || len(env.Sender) > maxNameBytes || !c.senderOK(env.Sender) {
		return signal.LaneDrop
	}
	switch env.Subtopic {
	case signal.SubOffer:
		var d struct {
			Offer struct {
				Target string `json:"target"`
			} `json:"offer"`
		}
		if json.Unmarshal(env.Data, &d) != nil || d.Offer.Target != c.me {
			return signal.LaneDrop
		}
		return signal.LanePriority
	case signal.SubAnswer, signal.SubRestartRequest:
		var d struct {
			Target string `json:"target"`
		}
		if json.Unmarshal(env.Data, &d) != nil || d.Target != c.me {
			return signal.LaneDrop
		}
		return signal.LanePriority
	case signal.SubConnect, signal.SubCandidate, signal.SubUnload, signal.SubNameChange:
		if (*c.priority.Load())[keys.BareName(env.Sender)] {
			return signal.LanePriority
		}
		return signal.LaneNormal
	}
	return signal.LaneDrop
}

// setInterest publishes the bare names classify gives priority to. Room loop only.
func (c *Client) setInterest() {
	m := map[string]bool{}
	for bare := range c.wants {
		m[bare] = true
	}
	for _, p := range c.peers {
		m[p.bare] = true
	}
	c.priority.Store(&m)
}

// challenges remembers the challenges we sent, so that we never sign one of them for
// somebody else (a reflection of our own question back to us).
type challenges struct {
	mu sync.Mutex
	m  map[string]int
}

func (s *challenges) add(ch []byte) {
	s.mu.Lock()
	s.m[string(ch)]++
	s.mu.Unlock()
}

func (s *challenges) remove(ch []byte) {
	s.mu.Lock()
	if s.m[string(ch)]--; s.m[string(ch)] <= 0 {
		delete(s.m, string(ch))
	}
	s.mu.Unlock()
}

func (s *challenges) has(ch []byte) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[string(ch)] > 0
}

// pinCache keeps the pinned peers in memory for the room loop, which looks a name up for
// every presence and offer (a flood of them must not become a flood of file reads). It
// re-reads the files when they change, at most every reloadEvery.
type pinCache struct {
	store    *keys.Store
	checked  time.Time
	stamp    string
	peers    map[string]keys.Pinned
	err      error
	lastWarn time.Time
}

const reloadEvery = 100 * time.Millisecond

func newPinCache(s *keys.Store) *pinCache { return &pinCache{store: s} }

func (p *pinCache) lookup(bare string) (keys.Pinned, bool, error) {
	if now := time.Now(); p.peers == nil || now.Sub(p.checked) >= reloadEvery {
		p.checked = now
		if st := fileStamp(p.store.PinsPath(), p.store.KindsPath()); st != p.stamp || p.peers == nil {
			p.peers, p.err = p.store.PinnedPeers()
			if p.err == nil {
				p.stamp = st
			}
		}
	}
	if p.err != nil {
		return keys.Pinned{}, false, p.err
	}
	pin, ok := p.peers[bare]
	return pin, ok, nil
}

// names lists the pinned names (for "did you mean").
func (p *pinCache) names() []string {
	if _, _, err := p.lookup(""); err != nil {
		return nil
	}
	out := make([]string, 0, len(p.peers))
	for n := range p.peers {
		out = append(out, n)
	}
	return out
}

// offerData is our RTCOffer's data (§3.1), signed (see proof.Signal); sealed to an rtchat
// peer (info is its presence), in the clear with our signature for a web page.
func (c *Client) offerData(target string, info userInfo, sdp, nonce string, restart bool) (offerData, error) {
	var d offerData
	d.UserInfo = c.myInfo()
	d.Offer.LocalDescription = sessionDesc{Type: "offer", SDP: sdp}
	d.Offer.Target = target
	s := proof.Signal{Kind: proof.KindOffer, Room: c.topic, Sender: c.me, Target: target, TS: time.Now().UnixMilli(),
		Nonce: nonce, Role: string(d.UserInfo.RTChat.Role), Pipe: d.UserInfo.RTChat.Pipe, SDP: sdp, Restart: restart}
	rt := info.isRTChat()
	if rt {
		s.Seal = sealPair(c.seal.pub, info.RTChat.Seal.Key)
		// The signal proof: the peer takes it and its name is pinned as an rtchat peer, so
		// sealTo checks its sealing key with the pin, and the answer it signs will verify with
		// the pin too: that answer proves it (verify.go, signalProof).
		if !restart && info.takesSignalProof() {
			pin, ok, err := c.cfg.Store.LookupPin(keys.BareName(target))
			s.Bound = err == nil && ok && pin.Kind == keys.KindRTChat && pin.Key != ""
		}
	}
	sig, err := s.Sign(c.cfg.Identity.Sign)
	if err != nil {
		if rt {
			return d, fmt.Errorf("sign our offer: %w", err)
		}
		c.log.Warn("cannot sign our offer", "err", err)
		return d, nil
	}
	d.RTChat = &signalSig{V: protocolVersion, TS: s.TS, Nonce: nonce, Role: d.UserInfo.RTChat.Role, Pipe: s.Pipe, Restart: restart, Bound: s.Bound, Sig: sig}
	if rt {
		if d.Sealed, err = c.sealTo(target, info, seal.LabelOffer, sealedSignal{SDP: sdp, RTChat: d.RTChat}); err != nil {
			return d, err
		}
		d.RTChat, d.Offer.LocalDescription.SDP = nil, ""
	}
	return d, nil
}

// answerData is our RTCAnswer's data (§3.1), signed and sealed for rtchat peers (info is the
// presence their offer carried). bound: the offer verified with the pin and the peer takes
// the signal proof, so the answer says that its offer proved it (proof.Signal.Bound).
func (c *Client) answerData(target string, info userInfo, sdp, offerNonce string, rt, bound bool) (answerData, error) {
	d := answerData{LocalDescription: sessionDesc{Type: "answer", SDP: sdp}, Target: target}
	if !rt {
		return d, nil
	}
	if !info.isRTChat() {
		return d, errors.New("an rtchat peer without a sealing key") // never plain to an rtchat peer
	}
	me := c.myInfo()
	s := proof.Signal{Kind: proof.KindAnswer, Room: c.topic, Sender: c.me, Target: target, TS: time.Now().UnixMilli(),
		Nonce: b64.EncodeToString(randomBytes(16)), OfferNonce: offerNonce, Role: string(me.RTChat.Role), Pipe: me.RTChat.Pipe, SDP: sdp,
		Seal: sealPair(c.seal.pub, info.RTChat.Seal.Key), Bound: bound && info.takesSignalProof()}
	sig, err := s.Sign(c.cfg.Identity.Sign)
	if err != nil {
		return d, fmt.Errorf("sign our answer: %w", err)
	}
	ss := sealedSignal{SDP: sdp, RTChat: &signalSig{V: protocolVersion, TS: s.TS, Nonce: s.Nonce, OfferNonce: offerNonce, Role: me.RTChat.Role, Pipe: s.Pipe, Bound: s.Bound, Sig: sig}}
	if d.Sealed, err = c.sealTo(target, info, seal.LabelAnswer, ss); err != nil {
		return d, err
	}
	d.LocalDescription.SDP = ""
	return d, nil
}
