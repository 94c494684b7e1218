package broker

import (
	"log/slog"
	"reflect"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
)

// Fixed per-client caps that nobody using the broker for signaling needs to change.
const (
	// maxSubscriptions per client: rtchat and the web page subscribe to one topic.
	maxSubscriptions = 16
	// maxInflight is how many QoS 1/2 messages from a client may await their handshake.
	// (Messages to clients are QoS 0 only: subscriptions are granted QoS 0.)
	maxInflight = 16
	// maxPending is mochi's per-client outbound queue in messages: a second line behind
	// the byte budget, which counts each message's overhead too.
	maxPending = 2048
	// maxDistributing bounds the registry of publishes being handed out (see register);
	// entries live for microseconds, so reaching it means entries were orphaned.
	maxDistributing = 4096
	// dropLogEvery is how often, at most, drops for one client are logged.
	dropLogEvery = 10 * time.Second
)

// packetOverhead is what one queued message costs beyond its topic and payload: mochi
// keeps a packets.Packet per queued message and client.
var packetOverhead = int64(reflect.TypeFor[packets.Packet]().Size())

// guard is the mochi hook that enforces the broker's policy: who may connect, which topics
// they may use, and how much a client may make the broker hold for it.
//
// The queue budget: mochi queues a full copy of each message for each subscriber, up to
// thousands of messages, with no byte limit, so a subscriber that does not read makes the
// broker grow without bound. mochi asks OnACLCheck (read) before queuing a message for a
// subscriber, but gives it only the topic name. OnPublish therefore registers the message's
// size under its topic string (the very string mochi then passes, identified by its
// address), and OnACLCheck charges the subscriber's budget or, when it is spent, refuses:
// the message is dropped for that subscriber only. Writing a message to the socket gives
// its bytes back. Dropping rather than disconnecting keeps the victims of a flood
// connected; rtchat's signaling tolerates lost messages (it re-announces).
type guard struct {
	mqtt.HookBase
	srv    *mqtt.Server
	log    *slog.Logger
	users  *Users
	topics topicSet
	lim    Limits
	// authSem bounds concurrent bcrypt checks, so a flood of CONNECTs with passwords
	// costs at most one core.
	authSem chan struct{}

	clients       sync.Map // *mqtt.Client → *clientState, from session start to disconnect
	distributing  sync.Map // pubKey → int64 cost, from OnPublish to OnPublished
	nDistributing atomic.Int64
	retMu         sync.Mutex
	retained      map[string]struct{} // topics with a retained message (MaxRetained > 0 only)
}

type clientState struct {
	queued  atomic.Int64 // bytes charged for messages queued for the client, not yet written
	dropped atomic.Int64 // messages dropped for it
	logged  atomic.Int64 // unix time of the last drop log
}

// tryCharge adds c to the queue unless that would pass limit.
func (st *clientState) tryCharge(c, limit int64) bool {
	for {
		old := st.queued.Load()
		if old+c > limit {
			return false
		}
		if st.queued.CompareAndSwap(old, old+c) {
			return true
		}
	}
}

// release takes c off the queue, clamped at 0: messages that were not charged (retained
// ones sent on subscribe) are written too.
func (st *clientState) release(c int64) {
	for {
		old := st.queued.Load()
		if st.queued.CompareAndSwap(old, max(0, old-c)) {
			return
		}
	}
}

// pubKey identifies a message being handed out by its topic string's bytes.
type pubKey struct {
	p *byte
	n int
}

func keyOf(topic string) pubKey { return pubKey{unsafe.StringData(topic), len(topic)} }

func newGuard(log *slog.Logger, users *Users, topics topicSet, lim Limits) *guard {
	return &guard{
		log: log, users: users, topics: topics, lim: lim,
		authSem:  make(chan struct{}, 1),
		retained: map[string]struct{}{},
	}
}

func (g *guard) ID() string { return "rtchat-guard" }

func (g *guard) Provides(b byte) bool {
	switch b {
	case mqtt.OnConnect, mqtt.OnConnectAuthenticate, mqtt.OnACLCheck, mqtt.OnSessionEstablish, mqtt.OnSessionEstablished,
		mqtt.OnDisconnect, mqtt.OnSubscribe, mqtt.OnPublish, mqtt.OnPublished, mqtt.OnPublishDropped,
		mqtt.OnPacketEncode, mqtt.OnWill, mqtt.OnWillSent, mqtt.OnRetainedExpired:
		return true
	}
	return false
}

func (g *guard) Init(any) error { return nil }

// clip shortens attacker-chosen strings for the log.
func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

func (g *guard) attrs(cl *mqtt.Client) []any {
	return []any{"client", clip(cl.ID), "remote", cl.Net.Remote, "user", clip(string(cl.Properties.Username))}
}

// OnConnect refuses wills outside the allowed topics and adjusts what mochi would keep
// per client: no outbound topic aliases (a map a subscriber could make huge) and no will
// delay (so the will is counted when it is sent, see OnWill).
func (g *guard) OnConnect(cl *mqtt.Client, pk packets.Packet) error {
	markConnectSent(cl.Net.Conn) // its password check may be slow: idle sockets go first
	if pk.Connect.WillFlag && !g.topics.allows(pk.Connect.WillTopic) {
		g.log.Info("mqtt broker: refused connection: will topic not allowed", append(g.attrs(cl), "topic", clip(pk.Connect.WillTopic))...)
		_ = g.srv.SendConnack(cl, packets.ErrNotAuthorized, false, nil)
		return packets.ErrNotAuthorized
	}
	cl.Properties.Will.WillDelayInterval = 0
	cl.Properties.Props.TopicAliasMaximum = 0
	return nil
}

func (g *guard) OnConnectAuthenticate(cl *mqtt.Client, pk packets.Packet) bool {
	if g.users.Len() == 0 {
		return true
	}
	g.authSem <- struct{}{}
	ok := g.users.Check(string(pk.Connect.Username), pk.Connect.Password)
	<-g.authSem
	if !ok {
		g.log.Info("mqtt broker: refused connection: wrong or missing user name or password", g.attrs(cl)...)
	}
	return ok
}

// OnACLCheck gets topic names (publish: write; delivery: read) and subscription filters
// (read). A delivery also goes through the subscriber's queue budget.
func (g *guard) OnACLCheck(cl *mqtt.Client, topic string, write bool) bool {
	if !g.topics.allows(topic) {
		what := "subscription"
		if write {
			what = "publish"
		}
		g.log.Info("mqtt broker: refused "+what+": topic not allowed", append(g.attrs(cl), "topic", clip(topic))...)
		return false
	}
	if write {
		return true
	}
	c, ok := g.distributing.Load(keyOf(topic))
	if !ok {
		return true // a subscription, or a message not counted (retained, $SYS)
	}
	v, ok := g.clients.Load(cl)
	if !ok {
		return true
	}
	st := v.(*clientState)
	if st.tryCharge(c.(int64), int64(g.lim.MaxQueue)) {
		return true
	}
	g.dropped(cl, st)
	return false
}

func (g *guard) dropped(cl *mqtt.Client, st *clientState) {
	n := st.dropped.Add(1)
	now, last := time.Now().Unix(), st.logged.Load()
	if now-last >= int64(dropLogEvery/time.Second) && st.logged.CompareAndSwap(last, now) {
		g.log.Info("mqtt broker: dropping messages for a client that does not read them fast enough",
			append(g.attrs(cl), "queued_bytes", st.queued.Load(), "max", g.lim.MaxQueue, "dropped_total", n)...)
	}
}

// OnSubscribe grants QoS 0 only (so every message to a client goes through its queue
// budget, and none waits for acknowledgements) and refuses subscriptions beyond
// maxSubscriptions per client. mochi has no hook result for the latter, so the filter is
// blanked: an empty filter is invalid and gets a failure reason code in the SUBACK.
func (g *guard) OnSubscribe(cl *mqtt.Client, pk packets.Packet) packets.Packet {
	have := cl.State.Subscriptions.Len()
	filters := append(packets.Subscriptions(nil), pk.Filters...)
	for i, f := range filters {
		filters[i].Qos = 0
		if _, ok := cl.State.Subscriptions.Get(f.Filter); ok {
			continue
		}
		if have >= maxSubscriptions {
			g.log.Info("mqtt broker: refused subscription: too many", append(g.attrs(cl), "topic", clip(f.Filter), "max", maxSubscriptions)...)
			filters[i].Filter = ""
			continue
		}
		have++
	}
	pk.Filters = filters
	return pk
}

func (g *guard) OnSessionEstablished(cl *mqtt.Client, _ packets.Packet) {
	g.clients.Store(cl, &clientState{})
}

// OnSessionEstablish runs once the client is authenticated, before its CONNACK: from now
// on newer connections cannot push it out (see connLimit).
func (g *guard) OnSessionEstablish(cl *mqtt.Client, _ packets.Packet) {
	markLoggedIn(cl.Net.Conn)
}

func (g *guard) OnDisconnect(cl *mqtt.Client, err error, _ bool) {
	if v, ok := g.clients.LoadAndDelete(cl); ok {
		if n := v.(*clientState).dropped.Load(); n > 0 {
			g.log.Info("mqtt broker: client that did not read all its messages left", append(g.attrs(cl), "dropped_total", n)...)
		}
	}
}

// cost is what a queued message counts against a client's budget.
func cost(topic string, payload int) int64 {
	return int64(len(topic)+payload) + packetOverhead
}

// register makes a message's cost known to OnACLCheck while mochi hands it out.
func (g *guard) register(topic string, payload int) {
	if g.nDistributing.Add(1) > maxDistributing {
		// Orphans (a publish whose handling failed before OnPublished): start afresh.
		// Messages being handed out right now then go uncounted, which is harmless.
		g.distributing.Clear()
		g.nDistributing.Store(1)
	}
	g.distributing.Store(keyOf(topic), cost(topic, payload))
}

func (g *guard) unregister(topic string) {
	if _, ok := g.distributing.LoadAndDelete(keyOf(topic)); ok {
		g.nDistributing.Add(-1)
	}
}

func (g *guard) OnPublish(cl *mqtt.Client, pk packets.Packet) (packets.Packet, error) {
	if pk.FixedHeader.Retain && !g.keepRetained(cl, pk.TopicName, len(pk.Payload)) {
		pk.FixedHeader.Retain = false
	}
	g.register(pk.TopicName, len(pk.Payload))
	return pk, nil
}

func (g *guard) OnPublished(_ *mqtt.Client, pk packets.Packet) { g.unregister(pk.TopicName) }

// OnWill counts a will like a publish (wills bypass OnPublish).
func (g *guard) OnWill(cl *mqtt.Client, will mqtt.Will) (mqtt.Will, error) {
	if will.Retain && !g.keepRetained(cl, will.TopicName, len(will.Payload)) {
		will.Retain = false
	}
	g.register(will.TopicName, len(will.Payload))
	return will, nil
}

func (g *guard) OnWillSent(_ *mqtt.Client, pk packets.Packet) { g.unregister(pk.TopicName) }

// OnPacketEncode sees each packet leave the queue for the socket.
func (g *guard) OnPacketEncode(cl *mqtt.Client, pk packets.Packet) packets.Packet {
	if pk.FixedHeader.Type == packets.Publish {
		if v, ok := g.clients.Load(cl); ok {
			v.(*clientState).release(cost(pk.TopicName, len(pk.Payload)))
		}
	}
	return pk
}

// OnPublishDropped: mochi's own queue (counted in messages) was full; mochi dropped it.
func (g *guard) OnPublishDropped(cl *mqtt.Client, pk packets.Packet) {
	if v, ok := g.clients.Load(cl); ok {
		st := v.(*clientState)
		st.release(cost(pk.TopicName, len(pk.Payload)))
		g.dropped(cl, st)
	}
}

// keepRetained reports whether a retained message may be stored: retain is off unless
// MaxRetained > 0, and then only that many topics keep one.
func (g *guard) keepRetained(cl *mqtt.Client, topic string, payload int) bool {
	if g.lim.MaxRetained <= 0 {
		return false
	}
	g.retMu.Lock()
	defer g.retMu.Unlock()
	if payload == 0 { // clears the topic's retained message
		delete(g.retained, topic)
		return true
	}
	if _, ok := g.retained[topic]; ok {
		return true
	}
	if len(g.retained) >= g.lim.MaxRetained {
		g.log.Info("mqtt broker: not retaining message: retained message limit reached", append(g.attrs(cl), "topic", clip(topic), "max", g.lim.MaxRetained)...)
		return false
	}
	g.retained[topic] = struct{}{}
	return true
}

func (g *guard) OnRetainedExpired(topic string) {
	g.retMu.Lock()
	delete(g.retained, topic)
	g.retMu.Unlock()
}
