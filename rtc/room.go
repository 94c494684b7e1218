package rtc

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/rtchat/rtchat/keys"
	"github.com/rtchat/rtchat/rtc/proof"
	"github.com/rtchat/rtchat/rtc/seal"
	"github.com/rtchat/rtchat/rtc/signal"
)

// peerView is the room loop's copy of a connection's state, kept up to date by the peer's
// reports (the room never reads a peer's own fields).
type peerView struct {
	state     peerState
	up        bool // the transport is connected
	protected bool // we asked for it (Dial) or its offer was signed by a pinned key
	// vouched: it counts against the budget of the peers we vouch for (protected ones, and
	// our offers to pinned names), never against the strangers' one (admit).
	vouched bool
	created time.Time
	made    int64 // the timestamp of the peer's signed offer or answer that made it (rtchat peers)
}

func (v *peerView) established() bool { return v.state.established() }

// pokeEvery bounds how often requested announcements go out.
const pokeEvery = 300 * time.Millisecond

// answerBurst: a dialer's presence (an ask, a send, a pipe) is answered at once this many
// times in a row, one more each pokeEvery, before answers wait for pokeEvery like any
// other: a script that runs asks back to back is not slowed by up to 300 ms each, while
// presences that claim to be dialers still cannot make us announce faster than
// one per pokeEvery for long.
const answerBurst = 4

// roomLoop owns the room: it reads signaling, runs the announcer and serves inbox.
func (c *Client) roomLoop() {
	defer c.wg.Done()
	defer close(c.roomDone)
	prio, msgs, events := c.mqtt.Priority(), c.mqtt.Messages(), c.mqtt.Events()
	ticks := 0
	announce := time.NewTimer(firstAnnounceDelay)
	defer announce.Stop()
	retry := time.NewTimer(time.Hour)
	defer retry.Stop()
	limit := newPokeLimiter(pokeEvery)
	for {
		// What concerns us first: a flood in the normal lane never delays it.
		select {
		case p, ok := <-prio:
			if ok {
				c.onPayload(p)
				continue
			}
			prio = nil
		default:
		}
		select {
		case <-c.stop:
			for _, p := range c.peers {
				p.requestClose(nil)
			}
			return
		case p, ok := <-prio:
			if !ok {
				prio = nil
				continue
			}
			c.onPayload(p)
		case p, ok := <-msgs:
			if !ok {
				msgs = nil
				continue
			}
			c.onPayload(p)
		case fn := <-c.inbox:
			fn()
		case ev, ok := <-events:
			if !ok {
				events = nil
				continue
			}
			if ev.Connected {
				ticks = 0
				announce.Reset(firstAnnounceDelay)
			}
		case <-announce.C:
			// The web client's schedule (§1.2): 500 ms after each (re)connect, every 3 s
			// five times, then every 30 s, only while nothing is connected or negotiating.
			// The first one always goes out (as a poke, which waits while a web page
			// negotiates): a process that met someone before it was due would otherwise
			// never be announced, and two newcomers to a room who both found a third
			// process first would never learn of each other.
			switch {
			case ticks == 0:
				c.poke()
			case !c.anyConnected() && !c.negotiating(false):
				c.announce()
			}
			ticks++
			if ticks <= 5 {
				announce.Reset(3 * time.Second)
			} else {
				announce.Reset(30 * time.Second)
			}
		case <-retry.C:
		}
		if c.poked {
			// A requested announcement waits while a web page negotiates with us: a new
			// `connect` would cancel its pending connection prompt (§3.4). Requests within
			// pokeEvery make one announcement: in a busy room every newcomer's presence
			// asks for one, and answering each at once would grow with the room's square.
			if c.negotiating(true) {
				retry.Reset(100 * time.Millisecond)
			} else if wait := limit.take(time.Now(), c.pokedByDialer); wait > 0 {
				retry.Reset(wait)
			} else {
				c.poked, c.pokedByDialer = false, false
				c.announce()
			}
		}
	}
}

func (c *Client) announce() { c.goPublish(signal.SubConnect, c.myInfo()) }

// pokeLimiter spaces requested announcements pokeEvery apart, except that answers to
// dialers may use a burst of answerBurst, refilled by one each pokeEvery.
type pokeLimiter struct {
	every            time.Duration
	last, lastRefill time.Time
	burst            int
}

func newPokeLimiter(every time.Duration) *pokeLimiter {
	return &pokeLimiter{every: every, burst: answerBurst}
}

// take says how long to wait before announcing (0: announce now, which it records).
func (l *pokeLimiter) take(now time.Time, byDialer bool) time.Duration {
	if n := int(now.Sub(l.lastRefill) / l.every); n > 0 {
		l.burst = min(answerBurst, l.burst+n)
		l.lastRefill = now
	}
	wait := l.every - now.Sub(l.last)
	switch {
	case wait <= 0:
	case byDialer && l.burst > 0:
		l.burst--
	default:
		return wait
	}
	l.last = now
	return 0
}

// poke asks for an announcement soon.
func (c *Client) poke() { c.poked = true }

// answerDialer asks for an announcement that answers a dialer's presence (answerBurst).
func (c *Client) answerDialer() { c.poked, c.pokedByDialer = true, true }

func (c *Client) anyConnected() bool {
	for _, v := range c.views {
		if v.state >= stConnected && !v.state.over() {
			return true
		}
	}
	return false
}

// negotiating reports an open offer/answer exchange; browsersOnly limits it to web pages.
func (c *Client) negotiating(browsersOnly bool) bool {
	for p, v := range c.views {
		if browsersOnly && p.rt {
			continue
		}
		if v.state < stConnected {
			return true
		}
	}
	return false
}

// onPayload handles one MQTT payload.
func (c *Client) onPayload(payload []byte) {
	env, err := signal.Decode(payload)
	if err != nil {
		c.log.Debug("dropped MQTT payload", "err", err)
		return
	}
	if env.Sender == c.me || len(env.Sender) > maxNameBytes || keys.CheckWireName(env.Sender) != nil {
		return // classify counted it
	}
	switch env.Subtopic {
	case signal.SubConnect:
		var info userInfo
		if json.Unmarshal(env.Data, &info) != nil || !info.sane() {
			c.log.Debug("connect with a bad userInfo", "from", env.Sender)
			return
		}
		c.onConnect(env.Sender, info)
	case signal.SubOffer:
		var d offerData
		if json.Unmarshal(env.Data, &d) != nil || d.Offer.Target != c.me || d.Offer.LocalDescription.Type != "offer" || !d.UserInfo.sane() {
			return
		}
		c.onOffer(env.Sender, d)
	case signal.SubAnswer:
		var d answerData
		if json.Unmarshal(env.Data, &d) != nil || d.Target != c.me || d.LocalDescription.Type != "answer" {
			return
		}
		p := c.peers[env.Sender]
		if p == nil || !p.offerer {
			return
		}
		if p.rt != (d.Sealed != "") {
			// An rtchat peer always seals its answer, a web page never does: a plain answer
			// to our sealed offer is no rtchat peer's.
			c.log.Debug("ignoring an answer: sealed from a web page, or plain from an rtchat peer", "from", env.Sender)
			return
		}
		if p.rt {
			ss, err := c.openFrom(env.Sender, p.info, seal.LabelAnswer, d.Sealed)
			if err != nil {
				c.log.Debug("ignoring a sealed answer", "from", env.Sender, "err", err)
				return
			}
			d.LocalDescription.SDP, d.RTChat = ss.SDP, ss.RTChat
		}
		p.post(evAnswer{sdp: d.LocalDescription.SDP, sig: d.RTChat}, false)
	case signal.SubRestartRequest:
		var d restartRequest
		if json.Unmarshal(env.Data, &d) != nil || d.Target != c.me {
			return
		}
		c.onRestartRequest(env.Sender, d)
	case signal.SubCandidate:
		var cand candidate
		if len(env.Data) == 0 || string(env.Data) == "null" || json.Unmarshal(env.Data, &cand) != nil || cand.Candidate == "" || len(cand.Candidate) > 1024 {
			return
		}
		c.onCandidate(env.Sender, cand)
	case signal.SubUnload:
		c.onUnload(env.Sender)
	case signal.SubNameChange:
		var d struct {
			OldName string `json:"oldName"`
			NewName string `json:"newName"`
		}
		if json.Unmarshal(env.Data, &d) == nil && d.OldName != "" && d.OldName != c.me && d.NewName == env.Sender {
			c.onRename(d.OldName, d.NewName)
		}
	}
}

// pinOf looks a bare name up in the pins; a broken pins file counts as no pin (and is said).
func (c *Client) pinOf(bare string) (keys.Pinned, bool) {
	pin, ok, err := c.pins.lookup(bare)
	if err != nil {
		if time.Since(c.pins.lastWarn) > 10*time.Second {
			c.pins.lastWarn = time.Now()
			c.log.Warn("cannot read the pinned peers", "err", err)
		}
		return keys.Pinned{}, false
	}
	return pin, ok
}

// pinnedRTChat: the name is pinned as an rtchat peer, so only signed signaling and the bound
// proof count for it.
func (c *Client) pinnedRTChat(bare string) (keys.Pinned, bool) {
	pin, ok := c.pinOf(bare)
	return pin, ok && pin.Kind == keys.KindRTChat
}

// allowed applies the trust policy before connecting: under `known` only pinned names. The
// real check is the proof after connecting.
func (c *Client) allowed(bare string) bool {
	if c.cfg.Trust.firstUse() {
		return true
	}
	_, ok := c.pinOf(bare)
	return ok
}

// servesFor says whether a peer with this userInfo serves a Dial of our role.
func (c *Client) servesFor(info userInfo) bool {
	role := c.cfg.Role
	if info.keyless() {
		// A client without identity keys serves like a web page, unverified, and only when
		// the user said so.
		return c.cfg.Trust == TrustUnverified && role.spec().webPage
	}
	if !info.isRTChat() {
		return role.spec().webPage
	}
	if !role.servedBy(info.role()) {
		return false
	}
	return !role.spec().pipe || info.RTChat.Pipe == c.bare
}

// interest says whether we want a connection with the peer, and whether we offer at once
// or after a fallback delay (the tie-break's initiator offers first, §3.4).
func (c *Client) interest(full string, info userInfo) (want, offerNow bool, fallback time.Duration) {
	bare := keys.BareName(full)
	symmetric := func() (bool, bool, time.Duration) {
		if c.tb.weInitiate(c.me, full) {
			return true, true, 0
		}
		if info.isRTChat() {
			return true, false, rtchatFallback
		}
		return true, false, browserFallback
	}
	if !c.cfg.Role.Dials() {
		if info.isRTChat() && !c.cfg.Role.symmetric(info.role()) {
			return false, false, 0 // dialers offer to us
		}
		if c.mine(full) || !c.allowed(bare) || (info.keyless() && c.cfg.Trust != TrustUnverified) {
			return false, false, 0
		}
		return symmetric()
	}
	if (c.wants[bare] == nil && (c.all == nil || c.mine(full))) || !c.servesFor(info) {
		return false, false, 0
	}
	if !info.isRTChat() || c.cfg.Role.symmetric(info.role()) {
		return symmetric()
	}
	return true, true, 0 // a dialer offers to the process that stays
}

// downgraded: a name pinned as an rtchat peer presents itself as something else. Either a
// web page took the name or someone strips our extension to get the weaker proof; neither
// gets a connection.
func (c *Client) downgraded(full string, info userInfo) bool {
	if info.isRTChat() {
		return false
	}
	_, rt := c.pinnedRTChat(keys.BareName(full))
	return rt
}

func (c *Client) onConnect(from string, info userInfo) {
	if c.keylessInPinnedName(from, info) {
		return
	}
	bare := keys.BareName(from)
	if c.presence.put(from, presence{info: info}) {
		c.emit(Event{Type: EventSeen, Peer: from, Bare: bare, Role: info.role()})
		c.noteKeyless(from, info)
		c.noteDowngraded(from, info)
	}
	if !c.downgraded(from, info) {
		c.allNote(from, info)
	}
	if w := c.wants[bare]; w != nil {
		if c.downgraded(from, info) {
			w.downgraded, w.otherV = from, 0
			if info.RTChat != nil && info.RTChat.V != protocolVersion {
				// Another release of rtchat (or someone claiming to be one): still refused,
				// but the error says what is most likely wrong.
				w.otherV = info.RTChat.V
			}
			c.log.Info("ignoring a peer that claims a name pinned as an rtchat peer without rtchat's proof", "peer", from)
			return
		}
		switch {
		case c.servesFor(info):
			w.appeared = true
		case info.keyless():
			w.keyless = from
			c.checkKeyless(w)
		default:
			w.busyElse, w.busyRole = from, info.role()
		}
	}
	if p := c.peers[from]; p != nil {
		if !c.stale(p) {
			return
		}
		c.log.Debug("replacing a stale connection", "peer", from)
		p.requestClose(fmt.Errorf("%w: replaced a stale connection", ErrConnectionLost))
		c.forget(p)
	}
	if c.downgraded(from, info) {
		return
	}
	// The process that stays answers a dialer's presence with its own, so the dialer learns
	// our full name even when we stopped announcing because another peer is connected. Also
	// a dialer we will refuse: it then hears why at once (exit 3, "has not pinned our key")
	// instead of waiting for our next announcement and timing out; our presence is public
	// anyway, and pokes are rate-limited (pokeEvery), so strangers cannot make us flood.
	if !c.cfg.Role.Dials() && info.isRTChat() && !c.cfg.Role.symmetric(info.role()) {
		c.answerDialer()
		return
	}
	want, offerNow, fallback := c.interest(from, info)
	if !want {
		return
	}
	if offerNow || (info.isRTChat() && c.wants[bare] != nil) {
		// An rtchat peer we dial (pipe ⇄ pipe, connect ⇄ connect) gets our offer the moment
		// we see it, whatever the tie-break says: waiting for it to learn of us (our presence
		// in reply, up to pokeEvery later) costs a trip through the broker. The tie-break
		// still settles glare (onOffer): the initiator keeps its offer, the other yields.
		c.startPeer(from, info, true, nil)
		return
	}
	// The tie-break says the peer offers; an rtchat peer may have missed our presence (it
	// joined after our last announce), so say we are here. Only this side replies, so two
	// peers never answer each other's presence in a loop. Web pages offer on their own
	// after 1.1 s, and a second `connect` would re-open their connection prompt (§3.4).
	if info.isRTChat() {
		c.poke()
	}
	time.AfterFunc(fallback, func() {
		c.do(func() {
			if c.peers[from] != nil {
				return
			}
			if pr, ok := c.presence.peek(from); ok {
				if want, _, _ := c.interest(from, pr.info); want && !c.downgraded(from, pr.info) {
					c.startPeer(from, pr.info, true, nil)
				}
			}
		})
	})
}

// stale: a connection that will not come up and may be replaced (§3.2 step 1).
func (c *Client) stale(p *peer) bool {
	v := c.views[p]
	switch {
	case v == nil || v.state.over():
		return true
	case v.state >= stConnected:
		return false
	case v.up:
		return time.Since(v.created) > offerLifetime
	}
	return time.Since(v.created) > stuckNew
}

// onUnload treats unload as a hint: a connection whose transport is still healthy stays up,
// since anyone can forge an unload (§8). Nobody can sign one, so for a name pinned with a key
// it closes no connection, whatever its state: a peer that really left is noticed by its
// transport, or its connection times out. (The presence it forgets is only a hint of whom
// to dial; the peer's next presence brings it back.)
func (c *Client) onUnload(from string) {
	c.presence.remove(from)
	c.retryDone(from)
	c.cands.remove(from)
	if pin, ok := c.pinOf(keys.BareName(from)); ok && pin.Key != "" {
		if p := c.peers[from]; p != nil {
			c.log.Debug("unload for a live connection: a hint, it stays until its transport fails", "peer", from)
			p.post(evUnloaded{}, false)
		}
		return
	}
	if p := c.peers[from]; p != nil {
		if !c.views[p].up {
			p.requestClose(peerLeft(from))
			c.forget(p)
			return
		}
		c.log.Debug("unload for a live connection: a hint, it stays until its transport fails", "peer", from)
		p.post(evUnloaded{}, false)
	}
}

// onRename handles the web page's nameChange (§3.2). Anyone can send one, so it changes
// nothing about who a connection proved to be: a live connection keeps its verified name
// (it is re-filed under the new full name only when the bare name is the same, as when a
// tab number changes) and the user is told; a connection that is not up is dropped, since
// the peer will come back under its new name.
func (c *Client) onRename(old, renamed string) {
	if _, rt := c.pinnedRTChat(keys.BareName(old)); rt {
		// rtchat never renames itself live (it leaves and comes back), and nobody can sign a
		// nameChange: one in a name pinned as rtchat is always forged. Re-filing the
		// connection under another name would lose the real peer's later signaling (ICE
		// restarts, a new offer) and tell the user of a rename that never happened.
		c.log.Info("ignoring a nameChange for a name pinned as rtchat", "old", old, "new", renamed)
		return
	}
	p := c.peers[old]
	if p == nil || !c.views[p].up {
		c.onUnload(old)
		return
	}
	c.log.Debug("rename of a live connection: it keeps the name it proved", "peer", old, "new", renamed)
	if keys.BareName(old) == keys.BareName(renamed) && c.peers[renamed] == nil {
		delete(c.peers, old)
		c.peers[renamed] = p
	}
	c.presence.remove(old)
	c.emit(Event{Type: EventRenamed, Peer: old, Bare: p.bare, NewName: renamed})
}

func (c *Client) onCandidate(from string, cand candidate) {
	if _, rt := c.pinnedRTChat(keys.BareName(from)); rt {
		return // rtchat peers put every candidate in their SDP and never trickle
	}
	if p := c.peers[from]; p != nil {
		p.post(evCandidate{cand}, false)
		return
	}
	// Web pages trickle, possibly before their offer reaches us (§3.3).
	cs, _ := c.cands.get(from)
	if len(cs) < maxPendingCands {
		c.cands.put(from, append(cs, cand))
	}
}

// onOffer decides whether to answer an offer, and what it may replace.
func (c *Client) onOffer(from string, d offerData) {
	bare := keys.BareName(from)
	info := d.UserInfo
	if info.isRTChat() || d.Sealed != "" {
		// An rtchat peer always seals its offers, and only to rtchat peers: a plain one is
		// not what it says (no downgrade). What does not open costs us one AEAD open.
		if !info.isRTChat() || d.Sealed == "" {
			c.log.Debug("ignoring an offer: plain from an rtchat peer, or sealed from a web page", "from", from)
			return
		}
		ss, err := c.openFrom(from, info, seal.LabelOffer, d.Sealed)
		if err != nil {
			c.log.Info("ignoring a sealed offer that does not open", "from", from, "err", err)
			return
		}
		d.Offer.LocalDescription.SDP, d.RTChat = ss.SDP, ss.RTChat
	}
	sdpText := d.Offer.LocalDescription.SDP
	facts, err := checkSDP(sdpText)
	if err != nil {
		c.log.Debug("ignoring an offer", "from", from, "err", err)
		return
	}
	if c.keylessInPinnedName(from, info) {
		return
	}
	if info.keyless() && c.cfg.Trust != TrustUnverified {
		// A client without identity keys can never be verified: no connection, and a Dial
		// for its name learns why at once.
		if w := c.wants[bare]; w != nil {
			w.keyless = from
			c.checkKeyless(w)
		}
		c.allNote(from, info)
		return
	}
	pin, pinned := c.pinOf(bare)
	signed := false
	switch {
	case pinned && pin.Kind == keys.KindRTChat:
		// Only the pinned key can send signaling for this name that tears anything down or is
		// protected from eviction; nothing unsigned, stale or replayed gets a connection.
		err := c.checkSignedOffer(from, d, pin.Key, true)
		if err != nil && errors.Is(err, proof.ErrBadSignature) && info.PublicKeyString != pin.Key &&
			c.checkSignedOffer(from, d, info.PublicKeyString, false) == nil {
			// Signed with the key it claims, not the pinned one: a changed key or someone
			// else using the name. It changes nothing, whatever state a connection of that
			// name is in (an attacker sends one the moment the real peer offers). With none,
			// it gets an unprotected connection whose proof we refuse, so that both sides
			// learn why.
			if old := c.peers[from]; old != nil {
				c.log.Info("ignoring an offer signed by another key than the one pinned for its name: a connection of that name exists", "from", from)
				return
			}
			c.log.Info("offer signed by another key than the one pinned for its name", "from", from)
			break
		}
		if err != nil {
			c.log.Info("ignoring an offer not signed by the key pinned for its name", "from", from, "err", err)
			if w := c.wants[bare]; w != nil && !info.isRTChat() {
				w.downgraded = from
			}
			return
		}
		signed = true
	case info.isRTChat():
		// Not pinned as rtchat: the signature proves nothing yet (the key is the sender's
		// claim), but an rtchat peer always signs, so an unsigned one is not what it says.
		if err := c.checkSignedOffer(from, d, info.PublicKeyString, false); err != nil {
			c.log.Debug("ignoring an unsigned rtchat offer", "from", from, "err", err)
			return
		}
	}
	if d.RTChat != nil && d.RTChat.Restart {
		// An ICE restart of a connection we have: only with the pinned key's signature, and
		// handled by that connection, never a reason to replace it.
		if old := c.peers[from]; old != nil && signed {
			old.post(evRestartOffer{sdp: sdpText, facts: facts, nonce: d.RTChat.Nonce}, false)
		}
		return
	}
	c.presence.put(from, presence{info: info})
	w := c.wants[bare]
	if w != nil && c.servesFor(info) {
		w.appeared = true
	}
	if !c.cfg.Role.Dials() {
		if !c.allowed(bare) && !info.isRTChat() {
			// Unknown web pages are not worth a connection under `known`; unknown rtchat
			// peers get one so that they learn why they are refused.
			c.log.Debug("ignoring offer from an unpinned web page", "peer", from)
			return
		}
	} else if (w == nil && c.all == nil) || !c.servesFor(info) {
		return
	}
	c.allNote(from, info)
	if old := c.peers[from]; old != nil {
		v := c.views[old]
		if old.offerer && v.state < stConnected && time.Since(v.created) < offerLifetime {
			// Glare. With a web page we stay impolite: it yields to our offer (§3.4).
			// Between rtchat peers the tie-break initiator is the impolite side. (Yielding
			// when our offer looks lost is not safe: a delayed offer of ours would make both
			// sides yield.)
			if !info.isRTChat() || c.tb.weInitiate(c.me, from) {
				c.log.Debug("glare: keeping our offer", "peer", from)
				return
			}
		}
		if v.state.verified() && v.up && (!signed || d.RTChat.TS <= v.made) {
			// A healthy verified connection is never torn down by an offer anyone could
			// have sent (§8): a web page whose connection really died is back once our
			// transport notices. Nor by a signed offer that is not newer than the signed
			// message that made it: whatever the replay memory forgot, an old offer of the
			// peer's cannot replace what it agreed to later.
			c.log.Info("ignoring an offer for a live verified connection", "peer", from)
			return
		}
		old.requestClose(fmt.Errorf("%w: %s reconnected", ErrConnectionLost, from))
		c.forget(old)
	}
	protected := signed || w != nil
	in := &offerInput{sdp: sdpText, facts: facts, protected: protected}
	if d.RTChat != nil && info.isRTChat() {
		in.nonce, in.ts = d.RTChat.Nonce, d.RTChat.TS
	}
	if signed {
		// The pinned key signed this SDP (and its DTLS fingerprint): once DTLS proves the
		// peer holds that certificate, the offer is its proof (verify.go, signalProof).
		in.pinKey, in.theyBound = pin.Key, d.RTChat.Bound
	}
	if !c.admit(admission{bare: bare, protected: protected, vouched: protected, evict: true}) {
		c.log.Debug("not answering an offer yet: no room", "peer", from)
		if !protected || !c.holdOffer(from, info, in) {
			c.retryLater(from, true) // if we want it too, we offer once there is room
		}
		return
	}
	c.startPeer(from, info, false, in)
}

// checkSignedOffer checks an offer's signature with key (pinned: the pin of its name), its
// freshness, and that it was never accepted before (then remembers it): rtc/proof.
func (c *Client) checkSignedOffer(from string, d offerData, key string, pinned bool) error {
	s := d.RTChat
	if s == nil || !d.UserInfo.isRTChat() {
		return fmt.Errorf("unsigned")
	}
	if s.V != protocolVersion || s.Role != d.UserInfo.RTChat.Role || s.Pipe != d.UserInfo.RTChat.Pipe {
		return fmt.Errorf("signature fields disagree with the offer")
	}
	return c.replay.Admit(proof.Claim{Signal: proof.Signal{Kind: proof.KindOffer, Room: c.topic, Sender: from, Target: c.me,
		TS: s.TS, Nonce: s.Nonce, Role: string(s.Role), Pipe: s.Pipe, SDP: d.Offer.LocalDescription.SDP, Restart: s.Restart,
		Seal: sealPair(d.UserInfo.RTChat.Seal.Key, c.seal.pub), Bound: s.Bound},
		Sig: s.Sig, Key: key, Pinned: pinned}, time.Now())
}

// onRestartRequest: the peer of a connection we offered asks us to restart ICE (its side
// lost the path while ours may not have noticed). Only the pinned key's signature counts.
func (c *Client) onRestartRequest(from string, d restartRequest) {
	p := c.peers[from]
	pin, ok := c.pinnedRTChat(keys.BareName(from))
	if p == nil || !p.offerer || !ok || d.RTChat == nil {
		return
	}
	s := d.RTChat
	err := c.replay.Admit(proof.Claim{Signal: proof.Signal{Kind: proof.KindRestartRequest, Room: c.topic, Sender: from, Target: c.me,
		TS: s.TS, Nonce: s.Nonce}, Sig: s.Sig, Key: pin.Key, Pinned: true}, time.Now())
	if err != nil {
		c.log.Info("ignoring a restart request", "from", from, "err", err)
		return
	}
	c.log.Info("ICE restart requested", "peer", from)
	p.post(evRestartRequest{}, false)
}

// admit makes room for a connection nobody has verified yet. Two budgets: the strangers'
// (maxPending in all, maxPendingPerName per bare name; a new one evicts the oldest), so that
// a flood of offers from made-up names never locks out the peers we expect; and the budget of
// the connections we vouch for (maxPendingVouched: our Dials, offers signed by a pinned key,
// and our offers to pinned names, at most maxPendingPerName per name), which strangers
// cannot touch, so that pinned peers never wait
// behind them. Our own offers leave a quarter of the vouched budget to offers we answer:
// were every slot of every process an offer waiting for room at its peer, nothing would
// move; a connection we answer holds a slot on both sides and completes. evict false (a
// retry) only takes free room. What is refused or evicted here is tried again (retry.go).
func (c *Client) admit(a admission) bool {
	bare, protected := a.bare, a.protected
	verified, strangers, ours, offers := 0, 0, 0, 0
	var oldestName, oldestAny, oldestUnproven *peer
	// Refused connections tell their peer why (refusalGrace) before they close: alive, so
	// they count until then, and they are the first to go when a newcomer needs room.
	var refusingOurs, refusingStrangers []*peer
	older := func(a, b *peer) bool { return b == nil || c.views[a].created.Before(c.views[b].created) }
	sameName := 0 // our unprotected offers to this pinned name
	for p, v := range c.views {
		if v.state == stClosed {
			continue
		}
		if v.state == stRefusing {
			if v.vouched {
				refusingOurs = append(refusingOurs, p)
				ours++
			} else {
				refusingStrangers = append(refusingStrangers, p)
				strangers++
			}
			continue
		}
		if v.established() {
			verified++
			continue
		}
		if v.vouched {
			ours++
			if p.offerer {
				offers++
			}
			if p.bare == bare && !v.protected {
				sameName++
				if v.state < stConnecting && older(p, oldestUnproven) {
					oldestUnproven = p // no answer applied yet: nothing vouched for it
				}
			}
			continue
		}
		strangers++
		if v.protected {
			continue
		}
		if p.bare == bare && older(p, oldestName) {
			oldestName = p
		}
		if older(p, oldestAny) {
			oldestAny = p
		}
	}
	if verified >= maxVerified {
		return false
	}
	evictOne := func(p *peer) {
		p.requestClose(fmt.Errorf("%w: made room for newer connections", ErrConnectionLost))
		c.forget(p)
		c.retryLater(p.remote, true)
	}
	// dropRefusing closes refused connections (their notice is flushed first, closeWith)
	// while the budget is full: never tried again.
	dropRefusing := func(n *int, budget int, refusing []*peer) {
		for ; *n >= budget && len(refusing) > 0; *n-- {
			refusing[0].requestClose(nil)
			c.forget(refusing[0])
			refusing = refusing[1:]
		}
	}
	if a.vouched {
		budget := c.budgetVouched()
		if a.offer && offers >= budget-max(1, budget/4) && budget > 1 {
			return false
		}
		// A presence costs nothing to forge: our offers to a pinned name hold at most
		// maxPendingPerName slots of that name; a newer one replaces the oldest that got no
		// answer yet (a signed answer is the name proving itself).
		if !protected && sameName >= maxPendingPerName {
			if !a.evict || oldestUnproven == nil {
				return false
			}
			evictOne(oldestUnproven)
			ours--
		}
		dropRefusing(&ours, budget, refusingOurs)
		return ours < budget
	}
	// Connections nobody vouched for get at most maxPendingPerName per name: each of a real
	// identity's processes signs its offers.
	if oldestName != nil && c.countPending(bare, false) >= maxPendingPerName {
		if !a.evict {
			return false
		}
		if oldestAny == oldestName {
			oldestAny = nil
		}
		evictOne(oldestName)
		strangers--
	}
	dropRefusing(&strangers, c.budgetStrangers(), refusingStrangers)
	if strangers >= c.budgetStrangers() {
		if !a.evict || oldestAny == nil {
			return false
		}
		evictOne(oldestAny)
	}
	return true
}

// admission is a connection asking admit for room.
type admission struct {
	bare      string
	protected bool // we asked for it, or its offer was signed by the pinned key: never evicted
	vouched   bool // it counts against the vouched budget
	offer     bool // our offer
	evict     bool // it may evict older connections (not when retrying)
}

// countPending counts the strangers' connections of a bare name not yet verified (protected
// ones too, or only the unprotected).
func (c *Client) countPending(bare string, protected bool) int {
	n := 0
	for p, v := range c.views {
		if p.bare == bare && !v.state.over() && !v.established() && !v.vouched && (protected || !v.protected) {
			n++
		}
	}
	return n
}

// startPeer creates a connection and its owner goroutine. Our offers go through admit here
// (evict false: a retry only takes free room); offers we answer were admitted by onOffer.
func (c *Client) startPeer(full string, info userInfo, offerer bool, in *offerInput) {
	c.startPeerAdmit(full, info, offerer, in, true)
}

func (c *Client) startPeerAdmit(full string, info userInfo, offerer bool, in *offerInput, evict bool) {
	bare := keys.BareName(full)
	protected := (in != nil && in.protected) || (offerer && c.wants[bare] != nil)
	vouched := protected
	if offerer && !vouched {
		_, vouched = c.pinOf(bare)
	}
	if offerer && !c.admit(admission{bare: bare, protected: protected, vouched: vouched, offer: true, evict: evict}) {
		c.log.Debug("not offering: no room", "peer", full)
		c.retryLater(full, true)
		return
	}
	p := newPeer(c, full, info, offerer, protected)
	if in != nil {
		cs, _ := c.cands.peek(full)
		in.cands = cs
		c.cands.remove(full)
	}
	c.peers[full] = p
	c.views[p] = &peerView{state: stStarting, created: p.created, protected: protected, vouched: vouched}
	if in != nil {
		c.views[p].made = in.ts
	}
	c.setInterest()
	c.peerWG.Add(1)
	go p.run(in)
}

// forget drops a connection from the room's tables (it closes on its own).
func (c *Client) forget(p *peer) {
	if c.peers[p.remote] == p {
		delete(c.peers, p.remote)
	}
	delete(c.views, p)
	c.setInterest()
}

// report is how a peer tells the room its state changed.
func (c *Client) report(p *peer, st peerState, up bool, err error) {
	c.do(func() {
		v := c.views[p]
		if v == nil {
			return // already forgotten (replaced or evicted)
		}
		was := v.state
		v.state, v.up = st, up
		if w := c.wants[p.bare]; w != nil {
			w.transportUp = w.transportUp || up
			// Offers and answers went both ways (our offer was answered, or we answered).
			w.negotiated = w.negotiated || (st != stClosed && (st >= stConnecting || (!p.offerer && st >= stSignaled)))
		}
		switch st {
		case stEstablished, stReconnecting: // (again, when only its reachability changed)
			c.retryDone(p.remote)
			c.noteJoined(p, was)
			c.settleSuccess(p)
			c.allSettle(p, nil)
			c.answerHeld()
		case stClosed:
			c.forget(p)
			if was < stEstablished && retryable(err) {
				c.retryLater(p.remote, false)
			}
			c.settleFailure(p, err)
			c.allSettle(p, err)
			c.answerHeld()
		}
	})
}

// answered is how an offering peer tells the room the timestamp of the signed answer it
// applied (peerView.made).
func (c *Client) answered(p *peer, ts int64) {
	c.do(func() {
		if v := c.views[p]; v != nil {
			v.made = ts
		}
	})
}

// refused is how a peer tells the room that verification failed either way (before it
// closes, which may take a grace period).
func (c *Client) refused(p *peer, err error) {
	c.do(func() {
		if v := c.views[p]; v != nil && v.state != stClosed {
			// No longer a candidate for anything, but alive until its notice went out:
			// it still counts against its budget (admit).
			v.state = stRefusing
		}
		c.settleFailure(p, err)
		c.allSettle(p, err)
	})
}

// transportState maps pion's connection state to "up".
func transportUp(s webrtc.PeerConnectionState) bool {
	return s == webrtc.PeerConnectionStateConnected
}
