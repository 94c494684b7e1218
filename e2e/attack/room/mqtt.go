package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/rtchat/rtchat/keys"
)

// Subtopics of the RTChat protocol (rtchat-wire.md §3).
const (
	subConnect    = "connect"
	subNameChange = "nameChange"
	subUnload     = "unload"
	subOffer      = "RTCOffer"
	subAnswer     = "RTCAnswer"
	subCandidate  = "RTCIceCandidate"
)

// maxParse: larger payloads on the topic are our own floods; we never parse them.
const maxParse = 64 << 10

// envelope is one MQTT message (§2.1).
type envelope struct {
	Sender    string          `json:"sender"`
	Timestamp int64           `json:"timestamp"`
	Subtopic  string          `json:"subtopic"`
	Data      json.RawMessage `json:"data,omitempty"`
}

// userInfo is what connect and RTCOffer carry about the sender; the rtchat member is
// rtchat's extension (docs/rtchat-protocol.md).
type userInfo struct {
	PublicKeyString string      `json:"publicKeyString,omitempty"`
	RTChat          *rtchatInfo `json:"rtchat,omitempty"`
}

type rtchatInfo struct {
	V    int       `json:"v"`
	Role string    `json:"role,omitempty"`
	Pipe string    `json:"pipe,omitempty"`
	Seal *sealInfo `json:"seal,omitempty"`
}

// offerData is RTCOffer's data.
type offerData struct {
	UserInfo userInfo `json:"userInfo"`
	Offer    struct {
		LocalDescription sessionDesc `json:"localDescription"`
		Target           string      `json:"target"`
	} `json:"offer"`
}

// answerData is RTCAnswer's data.
type answerData struct {
	LocalDescription sessionDesc `json:"localDescription"`
	Target           string      `json:"target"`
}

type sessionDesc struct {
	Type string `json:"type"`
	SDP  string `json:"sdp"`
}

// encode is the wire form rtchat and browsers accept: plain JSON padded to an odd length.
func encode(sender, subtopic string, data any, ts int64) ([]byte, error) {
	raw, err := json.Marshal(data)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(envelope{Sender: sender, Timestamp: ts, Subtopic: subtopic, Data: raw})
	if err != nil {
		return nil, err
	}
	if len(b)%2 == 0 {
		b = append(b, ' ')
	}
	return b, nil
}

// room is one MQTT connection on the room topic.
type room struct {
	c     paho.Client // subscribed: what we watch (reconnects and resubscribes)
	pub   paho.Client // publishes only, so that our floods never queue up for us
	topic string
	me    string    // the attacker's own full name for probes
	key   string    // a public JWK the attacker announces with
	seal  *sealer   // the attacker's own sealing key
	sealI *sealInfo // its presence member (signed for me by mallory's key)

	mu       sync.Mutex
	peers    map[string]userInfo // latest userInfo per full name (connect, RTCOffer)
	changed  chan struct{}       // closed and replaced when peers changes
	handlers map[int]func(envelope, []byte)
	nextH    int

	received atomic.Int64
	stamp    atomic.Int64
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// brokerServer turns mqtt://H:P into what paho dials.
func brokerServer(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", err
	}
	switch u.Scheme {
	case "mqtt", "tcp":
		return "tcp://" + u.Host, nil
	case "ws":
		return raw, nil
	}
	return "", fmt.Errorf("unsupported broker URL %q", raw)
}

// dialRoom connects and subscribes to mrtchat/ROOM. key is the JWK our probes carry.
func dialRoom(ctx context.Context, broker, roomName, me, key string) (*room, error) {
	server, err := brokerServer(broker)
	if err != nil {
		return nil, err
	}
	r := &room{
		topic: "mrtchat/" + roomName, me: me, key: key,
		peers: map[string]userInfo{}, changed: make(chan struct{}), handlers: map[int]func(envelope, []byte){},
	}
	r.stamp.Store(time.Now().UnixMilli())
	// A broker may disconnect a subscriber that falls behind in a flood (ours included):
	// both connections come back by themselves, the watcher resubscribing.
	opts := func() *paho.ClientOptions {
		return paho.NewClientOptions().AddBroker(server).SetClientID("attack-" + randHex(8)).
			SetCleanSession(true).SetAutoReconnect(true).SetMaxReconnectInterval(500 * time.Millisecond).
			SetConnectTimeout(10 * time.Second).SetKeepAlive(30 * time.Second).SetWriteTimeout(10 * time.Second)
	}
	subscribed := make(chan error, 1)
	r.c = paho.NewClient(opts().SetOnConnectHandler(func(c paho.Client) {
		t := c.Subscribe(r.topic, 0, func(_ paho.Client, m paho.Message) { r.onMessage(m.Payload()) })
		go func() {
			<-t.Done()
			select {
			case subscribed <- t.Error():
			default:
			}
		}()
	}))
	r.pub = paho.NewClient(opts())
	for _, c := range []paho.Client{r.c, r.pub} {
		if err := wait(ctx, c.Connect()); err != nil {
			r.close()
			return nil, fmt.Errorf("mqtt connect %s: %w", server, err)
		}
	}
	select {
	case err := <-subscribed:
		if err != nil {
			r.close()
			return nil, fmt.Errorf("subscribe: %w", err)
		}
	case <-ctx.Done():
		r.close()
		return nil, ctx.Err()
	}
	return r, nil
}

func wait(ctx context.Context, t paho.Token) error {
	select {
	case <-t.Done():
		return t.Error()
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (r *room) close() {
	r.c.Disconnect(100)
	r.pub.Disconnect(100)
}

// onMessage runs on paho's goroutine: parse cheaply, record presence, call handlers.
func (r *room) onMessage(payload []byte) {
	r.received.Add(1)
	if len(payload) == 0 || payload[0] != '{' || len(payload) > maxParse {
		return // LZ payloads and our own floods: rtchat never sends either
	}
	var env envelope
	if json.Unmarshal(payload, &env) != nil || env.Sender == "" {
		return
	}
	var info *userInfo
	switch env.Subtopic {
	case subConnect:
		var u userInfo
		if len(env.Data) > 0 && env.Data[0] == '{' && json.Unmarshal(env.Data, &u) == nil {
			info = &u
		}
	case subOffer:
		var d offerData
		if json.Unmarshal(env.Data, &d) == nil {
			info = &d.UserInfo
		}
	}
	r.mu.Lock()
	if info != nil && env.Sender != r.me {
		r.peers[env.Sender] = *info
		close(r.changed)
		r.changed = make(chan struct{})
	}
	hs := make([]func(envelope, []byte), 0, len(r.handlers))
	for _, h := range r.handlers {
		hs = append(hs, h)
	}
	r.mu.Unlock()
	for _, h := range hs {
		h(env, payload)
	}
}

// on registers a handler for every parsed envelope; it runs on paho's goroutine and must
// not block. The returned func removes it.
func (r *room) on(h func(env envelope, raw []byte)) func() {
	r.mu.Lock()
	id := r.nextH
	r.nextH++
	r.handlers[id] = h
	r.mu.Unlock()
	return func() {
		r.mu.Lock()
		delete(r.handlers, id)
		r.mu.Unlock()
	}
}

// expect returns a channel that receives the first envelope matching ok.
func (r *room) expect(ok func(env envelope) bool) (<-chan envelope, func()) {
	ch := make(chan envelope, 1)
	var once sync.Once
	off := r.on(func(env envelope, _ []byte) {
		if ok(env) {
			once.Do(func() { ch <- env })
		}
	})
	return ch, off
}

// nextStamp is a unique timestamp for our envelopes (it identifies our probe's echo).
func (r *room) nextStamp() int64 { return r.stamp.Add(1) }

func (r *room) publish(ctx context.Context, sender, subtopic string, data any) error {
	b, err := encode(sender, subtopic, data, r.nextStamp())
	if err != nil {
		return err
	}
	return r.publishRaw(ctx, b)
}

func (r *room) publishRaw(ctx context.Context, payload []byte) error {
	return wait(ctx, r.pub.Publish(r.topic, 0, false, payload))
}

// publishAsync queues a publication without waiting for it (floods).
func (r *room) publishAsync(payload []byte) paho.Token {
	return r.pub.Publish(r.topic, 0, false, payload)
}

// probeInfo is the userInfo of our probe: an rtchat dialer, to which a listener replies
// with its own presence (docs/rtchat-protocol.md, "Presence replies").
func (r *room) probeInfo() userInfo {
	return userInfo{PublicKeyString: r.key, RTChat: &rtchatInfo{V: 3, Role: "ask", Seal: r.sealI}}
}

// findPeer returns a peer in the room for which ok holds, poking the room until one
// appears.
func (r *room) findPeer(ctx context.Context, ok func(full string, info userInfo) bool) (string, userInfo, error) {
	poke := time.NewTicker(2 * time.Second) // re-poke: a poke may race with the peer's start
	defer poke.Stop()
	_ = r.publish(ctx, r.me, subConnect, r.probeInfo())
	for {
		r.mu.Lock()
		for full, info := range r.peers {
			if ok(full, info) {
				r.mu.Unlock()
				return full, info, nil
			}
		}
		ch := r.changed
		r.mu.Unlock()
		select {
		case <-ch:
		case <-poke.C:
			_ = r.publish(ctx, r.me, subConnect, r.probeInfo())
		case <-ctx.Done():
			return "", userInfo{}, fmt.Errorf("waiting for a peer: %w", ctx.Err())
		}
	}
}

// findListener finds the rtchat listener with this bare name.
func (r *room) findListener(ctx context.Context, bare string) (string, userInfo, error) {
	return r.findPeer(ctx, func(full string, info userInfo) bool {
		return keys.BareName(full) == bare && info.RTChat != nil && info.RTChat.Role == "listen" && info.PublicKeyString != ""
	})
}

// barrier publishes a probe and waits until target's presence reply arrives after our
// probe's echo: target's receive loop then handled everything we published before the
// probe (it handles the topic in order). A probe lost in a flood is repeated every second;
// each probe has a sender name of its own, so that a per-sender limit on presence replies
// does not hold the reply back.
// False if no reply came within d (e.g. a listener that stopped replying to dialers'
// presence): the caller reports it and goes on.
func (r *room) barrier(ctx context.Context, target string, d time.Duration) bool {
	replied := make(chan struct{})
	var once sync.Once
	var mu sync.Mutex
	probes := map[string]bool{} // each probe has a sender name of its own
	var seenEcho atomic.Bool
	off := r.on(func(env envelope, _ []byte) {
		if env.Subtopic != subConnect {
			return
		}
		mu.Lock()
		ours := probes[env.Sender]
		mu.Unlock()
		if ours {
			seenEcho.Store(true)
			return
		}
		if env.Sender == target && seenEcho.Load() {
			once.Do(func() { close(replied) })
		}
	})
	defer off()
	probe := func() {
		name := "probe" + randHex(2) + "(" + randHex(2) + ")"
		mu.Lock()
		probes[name] = true
		mu.Unlock()
		_ = r.publish(ctx, name, subConnect, r.probeInfo())
	}
	probe()
	again := time.NewTicker(time.Second)
	defer again.Stop()
	t := time.NewTimer(d)
	defer t.Stop()
	for {
		select {
		case <-replied:
			return true
		case <-again.C:
			probe()
		case <-t.C:
			return false
		case <-ctx.Done():
			return false
		}
	}
}

// ErrNoAnswer: the target did not answer our offer in time.
var ErrNoAnswer = errors.New("no RTCAnswer")

// awaitAnswer waits for an RTCAnswer from `from` to `me` (registered before the offer).
func awaitAnswer(r *room, from, me string) (<-chan envelope, func()) {
	return r.expect(func(env envelope) bool {
		if env.Sender != from || env.Subtopic != subAnswer {
			return false
		}
		var d answerData
		return json.Unmarshal(env.Data, &d) == nil && d.Target == me && d.LocalDescription.Type == "answer"
	})
}

// sdpAttr returns the value of the first a=NAME: line.
func sdpAttr(sdp, name string) string {
	prefix := "a=" + name + ":"
	for _, line := range strings.Split(sdp, "\n") {
		line = strings.TrimRight(line, "\r")
		if strings.HasPrefix(line, prefix) {
			return strings.TrimSpace(line[len(prefix):])
		}
	}
	return ""
}

// joinAsMallory makes the attacker's identity and joins the room under a name of its own.
