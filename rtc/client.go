package rtc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/rtchat/rtchat/keys"
	"github.com/rtchat/rtchat/rtc/iceconf"
	"github.com/rtchat/rtchat/rtc/signal"
)

// Timers of the protocol (§3.2, §7) and our own bounds.
const (
	firstAnnounceDelay = 500 * time.Millisecond
	browserFallback    = 1100 * time.Millisecond
	rtchatFallback     = 2 * time.Second
	offerLifetime      = 20 * time.Second
	stuckNew           = 10 * time.Second
	maxPendingCands    = 64
	// maxPeers bounds the connections one process holds, so a flood of offers from
	// anyone on the public topic cannot exhaust sockets and memory.
	maxPeers = 128
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

	// VerifyTimeout bounds one identify/challenge exchange.
	VerifyTimeout time.Duration
	// BrokerTimeout bounds the first connection to the broker (0: the signal default).
	BrokerTimeout time.Duration
	// OnQuestion answers questions on topics other than the identity ones. Nil: every
	// such question gets an error answer.
	OnQuestion func(ctx context.Context, p *Peer, topic string, content json.RawMessage) (any, error)
	// OnEvent receives lifecycle events and messages from verified peers. It must not block
	// for long.
	OnEvent func(Event)
}

// Client is one process's presence in a room.
type Client struct {
	cfg    Config
	me     string // my full name
	bare   string
	log    *slog.Logger
	mqtt   *signal.Conn
	tb     *tieBreak
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	announceNow chan struct{}

	mu      sync.Mutex
	peers   map[string]*conn       // by remote full name
	seen    map[string]userInfo    // latest userInfo per full name
	cands   map[string][]candidate // trickled candidates waiting for a connection
	wants   map[string]*want       // Dial targets by bare name
	nextQ   int
	closing bool
}

type want struct {
	bare string
	done chan struct{}
	peer *Peer
	err  error
	// phase for the timeout message
	appeared bool
}

// userInfo is what `connect` and `RTCOffer` carry about the sender (§3.1). The rtchat key is
// our extension; browsers ignore unknown keys.
type userInfo struct {
	PublicKeyString string      `json:"publicKeyString,omitempty"`
	RTChat          *rtchatInfo `json:"rtchat,omitempty"`
}

type rtchatInfo struct {
	V    int    `json:"v"`
	Role Role   `json:"role,omitempty"`
	Pipe string `json:"pipe,omitempty"`
}

// Start joins the room: connects to the broker, subscribes and begins announcing.
func Start(ctx context.Context, cfg Config) (*Client, error) {
	if cfg.Identity == nil {
		return nil, errors.New("no identity")
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.VerifyTimeout <= 0 {
		cfg.VerifyTimeout = 15 * time.Second
	}
	if cfg.Trust == "" {
		cfg.Trust = TrustKnown
	}
	topic, err := signal.Topic(cfg.Room)
	if err != nil {
		return nil, err
	}
	bare := keys.BareName(cfg.Identity.Name)
	c := &Client{
		cfg:         cfg,
		bare:        bare,
		me:          fullName(bare),
		tb:          newTieBreak(),
		announceNow: make(chan struct{}, 1),
		peers:       map[string]*conn{},
		seen:        map[string]userInfo{},
		cands:       map[string][]candidate{},
		wants:       map[string]*want{},
	}
	c.log = cfg.Log.With("me", c.me)
	c.ctx, c.cancel = context.WithCancel(context.Background())
	m, err := signal.Dial(ctx, signal.Config{BrokerURL: cfg.Broker, Topic: topic, Logger: cfg.Log, ConnectTimeout: cfg.BrokerTimeout})
	if err != nil {
		c.cancel()
		return nil, err
	}
	c.mqtt = m
	c.wg.Add(2)
	go c.receive()
	go c.announcer()
	return c, nil
}

// Name is this process's full name in the room.
func (c *Client) Name() string { return c.me }

// Close publishes unload, closes every peer connection and leaves the broker.
func (c *Client) Close(ctx context.Context) error {
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		return nil
	}
	c.closing = true
	peers := make([]*conn, 0, len(c.peers))
	for _, p := range c.peers {
		peers = append(peers, p)
	}
	c.mu.Unlock()
	c.cancel()
	for _, p := range peers {
		p.close(nil)
	}
	var errs []error
	if payload, err := signal.Encode(c.me, signal.SubUnload, "disconnecting", time.Now()); err == nil {
		errs = append(errs, c.mqtt.CloseWith(ctx, payload))
	} else {
		errs = append(errs, c.mqtt.Close(ctx))
	}
	c.wg.Wait()
	for _, p := range peers {
		p.wait()
	}
	return errors.Join(errs...)
}

func (c *Client) myInfo() userInfo {
	info := userInfo{PublicKeyString: c.cfg.Identity.PublicJWK, RTChat: &rtchatInfo{V: 1, Role: c.cfg.Role}}
	if c.cfg.Role == RolePipe {
		info.RTChat.Pipe = c.cfg.PipeTo
	}
	return info
}

func (c *Client) publish(subtopic string, data any) error {
	payload, err := signal.Encode(c.me, subtopic, data, time.Now())
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(c.ctx, 10*time.Second)
	defer cancel()
	if err := c.mqtt.Publish(ctx, payload); err != nil {
		return fmt.Errorf("publish %s: %w", subtopic, err)
	}
	return nil
}

func (c *Client) emit(e Event) {
	if c.cfg.OnEvent != nil {
		c.cfg.OnEvent(e)
	}
}

// announcer publishes `connect` like the browser (§1.2): 500 ms after each (re)connect, then
// every 3 s five times, then every 30 s, only while no peer is connected and no negotiation
// is open. A poke on announceNow publishes as soon as no browser negotiation is open.
func (c *Client) announcer() {
	defer c.wg.Done()
	events := c.mqtt.Events()
	ticks := 0
	timer := time.NewTimer(firstAnnounceDelay)
	defer timer.Stop()
	poked := false
	retry := time.NewTimer(time.Hour)
	defer retry.Stop()
	for {
		select {
		case <-c.ctx.Done():
			return
		case ev := <-events:
			if ev.Connected {
				ticks = 0
				timer.Reset(firstAnnounceDelay)
			}
		case <-timer.C:
			if !c.anyConnected() && !c.negotiating(false) {
				c.sendAnnounce()
			}
			ticks++
			if ticks <= 5 {
				timer.Reset(3 * time.Second)
			} else {
				timer.Reset(30 * time.Second)
			}
		case <-c.announceNow:
			poked = true
		case <-retry.C:
		}
		if poked {
			if c.negotiating(true) {
				retry.Reset(100 * time.Millisecond)
			} else {
				poked = false
				c.sendAnnounce()
			}
		}
	}
}

func (c *Client) poke() {
	select {
	case c.announceNow <- struct{}{}:
	default:
	}
}

func (c *Client) sendAnnounce() {
	if err := c.publish(signal.SubConnect, c.myInfo()); err != nil {
		c.log.Debug("announce failed", "err", err)
	}
}

func (c *Client) anyConnected() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range c.peers {
		if p.isConnected() {
			return true
		}
	}
	return false
}

// negotiating reports an open offer/answer exchange; browsersOnly limits it to browsers,
// whose pending connection prompt a new `connect` would cancel (§3.4).
func (c *Client) negotiating(browsersOnly bool) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range c.peers {
		if browsersOnly && p.isRTChat() {
			continue
		}
		if p.isNegotiating() {
			return true
		}
	}
	return false
}

// receive hands each MQTT message to the handler for its subtopic. paho's goroutine only
// queues; the work happens here and in per-connection goroutines.
func (c *Client) receive() {
	defer c.wg.Done()
	msgs := c.mqtt.Messages()
	for {
		select {
		case <-c.ctx.Done():
			return
		case payload, ok := <-msgs:
			if !ok {
				return
			}
			env, err := signal.Decode(payload)
			if err != nil {
				c.log.Debug("dropped MQTT payload", "err", err)
				continue
			}
			if env.Sender == c.me {
				continue // MQTT 3.1.1 echoes our own publications
			}
			c.handle(env)
		}
	}
}

func (c *Client) handle(env signal.Envelope) {
	switch env.Subtopic {
	case signal.SubConnect:
		var info userInfo
		if json.Unmarshal(env.Data, &info) != nil {
			c.log.Debug("connect with a non-object userInfo", "from", env.Sender)
			return
		}
		c.onConnect(env.Sender, info)
	case signal.SubOffer:
		var d struct {
			UserInfo userInfo `json:"userInfo"`
			Offer    struct {
				LocalDescription sessionDesc `json:"localDescription"`
				Target           string      `json:"target"`
			} `json:"offer"`
		}
		if json.Unmarshal(env.Data, &d) != nil || d.Offer.Target != c.me || d.Offer.LocalDescription.Type != "offer" {
			return
		}
		c.onOffer(env.Sender, d.UserInfo, d.Offer.LocalDescription.SDP)
	case signal.SubAnswer:
		var d struct {
			LocalDescription sessionDesc `json:"localDescription"`
			Target           string      `json:"target"`
		}
		if json.Unmarshal(env.Data, &d) != nil || d.Target != c.me || d.LocalDescription.Type != "answer" {
			return
		}
		c.onAnswer(env.Sender, d.LocalDescription.SDP)
	case signal.SubCandidate:
		var cand candidate
		if len(env.Data) == 0 || string(env.Data) == "null" || json.Unmarshal(env.Data, &cand) != nil || cand.Candidate == "" {
			return
		}
		c.onCandidate(env.Sender, cand)
	case signal.SubUnload:
		c.onUnload(env.Sender)
	case signal.SubNameChange:
		// Renames are hints (anyone can forge one): a live connection keeps its verified
		// full name; the renamed peer must reconnect, and re-verify, under its new name.
		var d struct {
			OldName string `json:"oldName"`
		}
		if json.Unmarshal(env.Data, &d) == nil && d.OldName != "" && d.OldName != c.me {
			c.onUnload(d.OldName)
		}
	}
}

type sessionDesc struct {
	Type string `json:"type"`
	SDP  string `json:"sdp"`
}

type candidate struct {
	Candidate        string  `json:"candidate"`
	SDPMid           *string `json:"sdpMid,omitempty"`
	SDPMLineIndex    *uint16 `json:"sdpMLineIndex,omitempty"`
	UsernameFragment *string `json:"usernameFragment,omitempty"`
}

// interest says whether we want a connection with the peer at all, and whether it should be
// us who offers without waiting (dialers offer to listeners; listeners never offer to dialers).
func (c *Client) interest(full string, info userInfo) (want bool, offerNow bool, fallback time.Duration) {
	bare := keys.BareName(full)
	isRT := info.RTChat != nil
	var peerRole Role
	if isRT {
		peerRole = info.RTChat.Role
	}
	c.mu.Lock()
	_, wanted := c.wants[bare]
	c.mu.Unlock()
	symmetric := func() (bool, bool, time.Duration) {
		if c.tb.weInitiate(c.me, full) {
			return true, true, 0
		}
		if isRT {
			return true, false, rtchatFallback
		}
		return true, false, browserFallback
	}
	if c.cfg.Role == RoleListen {
		if isRT && peerRole != RoleListen {
			return false, false, 0 // dialers offer to us
		}
		if !c.allowed(bare) {
			return false, false, 0
		}
		return symmetric()
	}
	if !wanted || !servesFor(info, c.cfg.Role, c.bare) {
		return false, false, 0
	}
	if !isRT {
		return symmetric() // a browser
	}
	if c.cfg.Role == RolePipe {
		return symmetric()
	}
	return true, true, 0 // a dialer offers to a listener at once
}

// servesFor says whether a peer with this userInfo serves what a command of role asks.
func servesFor(info userInfo, role Role, myBare string) bool {
	if info.PublicKeyString == "" {
		return false
	}
	if info.RTChat == nil {
		return role != RolePipe // a browser chats and answers identity questions
	}
	switch role {
	case RolePipe:
		return info.RTChat.Role == RolePipe && info.RTChat.Pipe == myBare
	case RoleAsk, RoleSend:
		return info.RTChat.Role == RoleListen
	case RoleConnect:
		return info.RTChat.Role == RoleListen || info.RTChat.Role == RoleConnect
	}
	return false
}

// allowed applies the trust policy before connecting: a listener under `known` connects only
// to pinned names. The real check is the proof after connecting.
func (c *Client) allowed(bare string) bool {
	if c.cfg.Trust == TrustTOFU {
		return true
	}
	_, ok, err := c.cfg.Store.Lookup(bare)
	return err == nil && ok
}

func (c *Client) onConnect(from string, info userInfo) {
	p, _ := c.note(from, info)
	if p != nil {
		if p.isConnected() {
			return
		}
		if !p.stale() {
			return
		}
		c.log.Debug("replacing a stale connection", "peer", from)
		p.close(fmt.Errorf("%w: replaced a stale connection", ErrConnectionLost))
	}
	// A listener answers a dialer's presence with its own, so the dialer learns our full
	// name even when we stopped announcing because another peer is connected.
	if c.cfg.Role == RoleListen && info.RTChat != nil && info.RTChat.Role != RoleListen {
		c.poke()
		return
	}
	want, offerNow, fallback := c.interest(from, info)
	if !want {
		return
	}
	if offerNow {
		c.offer(from, info)
		return
	}
	// The tie-break says the peer offers; an rtchat peer may have missed our presence (it
	// joined after our last announce), so say we are here. Only this side replies, so two
	// peers never answer each other's presence in a loop. Browsers offer on their own after
	// 1.1 s, and a second `connect` would re-open their connection prompt (§3.4).
	if info.RTChat != nil {
		c.poke()
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		t := time.NewTimer(fallback)
		defer t.Stop()
		select {
		case <-c.ctx.Done():
			return
		case <-t.C:
		}
		c.mu.Lock()
		_, exists := c.peers[from]
		c.mu.Unlock()
		if !exists {
			c.offer(from, info)
		}
	}()
}

// onUnload treats unload as a hint: a connection whose transport is still healthy stays up,
// since anyone can forge an unload (§8).
func (c *Client) onUnload(from string) {
	c.mu.Lock()
	p := c.peers[from]
	delete(c.seen, from)
	c.mu.Unlock()
	if p != nil && !p.transportHealthy() {
		p.close(fmt.Errorf("%w: %s left", ErrConnectionLost, from))
	}
}

func (c *Client) onCandidate(from string, cand candidate) {
	c.mu.Lock()
	p := c.peers[from]
	if p == nil {
		if len(c.cands[from]) < maxPendingCands {
			c.cands[from] = append(c.cands[from], cand)
		}
		c.mu.Unlock()
		return
	}
	c.mu.Unlock()
	p.addCandidate(cand)
}

func (c *Client) takeCandidates(from string) []candidate {
	c.mu.Lock()
	defer c.mu.Unlock()
	cs := c.cands[from]
	delete(c.cands, from)
	return cs
}

// offer starts a connection to full as the offerer.
func (c *Client) offer(full string, info userInfo) {
	c.mu.Lock()
	if c.closing || c.peers[full] != nil || len(c.peers) >= maxPeers {
		c.mu.Unlock()
		return
	}
	p := newConn(c, full, info, true)
	c.peers[full] = p
	c.mu.Unlock()
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		p.runOffer()
	}()
}

// note records what a peer says about itself (connect or offer): its userInfo, and that a
// Dial for it saw it appear. It returns the current connection and Dial, if any.
func (c *Client) note(from string, info userInfo) (*conn, *want) {
	c.mu.Lock()
	_, known := c.seen[from]
	c.seen[from] = info
	p := c.peers[from]
	w := c.wants[keys.BareName(from)]
	if w != nil && servesFor(info, c.cfg.Role, c.bare) {
		w.appeared = true
	}
	c.mu.Unlock()
	if !known {
		c.emit(Event{Type: EventSeen, Peer: from, Bare: keys.BareName(from)})
	}
	return p, w
}

func (c *Client) onOffer(from string, info userInfo, sdp string) {
	bare := keys.BareName(from)
	old, w := c.note(from, info)
	if c.cfg.Role == RoleListen {
		if !c.allowed(bare) && info.RTChat == nil {
			// Unknown browsers are not worth a connection under `known`; unknown rtchat
			// peers get one so that they learn why they are refused.
			c.log.Debug("ignoring offer from an unpinned browser", "peer", from)
			return
		}
	} else if w == nil || !servesFor(info, c.cfg.Role, c.bare) {
		return
	}
	if old != nil {
		if old.offerer && old.isNegotiating() && old.age() < offerLifetime {
			// Glare. With a browser we stay impolite: it yields to our offer (§3.4).
			// Between rtchat peers the tie-break initiator is the impolite side.
			if info.RTChat == nil || c.tb.weInitiate(c.me, from) {
				c.log.Debug("glare: keeping our offer", "peer", from)
				return
			}
		}
		old.close(fmt.Errorf("%w: %s reconnected", ErrConnectionLost, from))
		old.wait()
	}
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		return
	}
	if cur := c.peers[from]; (cur != nil && cur != old) || len(c.peers) >= maxPeers {
		c.mu.Unlock()
		c.log.Debug("not answering an offer", "peer", from, "peers", len(c.peers))
		return
	}
	p := newConn(c, from, info, false)
	c.peers[from] = p
	c.mu.Unlock()
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		p.runAnswer(sdp)
	}()
}

func (c *Client) onAnswer(from, sdp string) {
	c.mu.Lock()
	p := c.peers[from]
	c.mu.Unlock()
	if p != nil && p.offerer {
		p.applyAnswer(sdp)
	}
}

// forget drops a connection from the map once it is closed.
func (c *Client) forget(p *conn) {
	c.mu.Lock()
	if c.peers[p.remote] == p {
		delete(c.peers, p.remote)
	}
	c.mu.Unlock()
}

func (c *Client) nextN() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.nextQ
	c.nextQ++
	return n
}
