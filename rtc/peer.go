package rtc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/pion/datachannel"
	"github.com/pion/webrtc/v4"

	"github.com/rtchat/rtchat/keys"
	"github.com/rtchat/rtchat/rtc/direct"
	"github.com/rtchat/rtchat/rtc/proof"
	"github.com/rtchat/rtchat/rtc/signal"
	"github.com/rtchat/rtchat/rtc/stream"
)

// The 11 data channel labels of the web client, in its creation order (§5.2).
var browserLabels = []string{
	"connectedViaRTC", "dm", "chat", "question", "answer",
	"ping", "pong", "streamice", "streamoffer", "streamanswer", "endcall",
}

// rtchat-to-rtchat extension channels, created only toward rtchat peers.
const (
	labelControl = "rtchat"
	labelPipe    = "rtchat-pipe"
)

// leaveDrain: after the peer's bye, how long its other channels' readers get to hand over
// what arrived before it.
const leaveDrain = 250 * time.Millisecond

// unloadWindow: a transport that ends this soon after the peer's unload means it left.
const unloadWindow = 30 * time.Second

// badAnswerGrace: after an answer whose signature fails, how long a valid one may still come
// (the real peer answers within a round trip) before we conclude its key differs from the pin.
const badAnswerGrace = 3 * time.Second

// Events a peer's owner goroutine handles. Pion callbacks, channel readers, the room loop,
// timers and API calls only send these; only the owner touches the peer's state.
type (
	evChanOpen struct {
		dc  *webrtc.DataChannel
		rwc datachannel.ReadWriteCloser
		err error
	}
	evFrame struct {
		label string
		data  []byte
	}
	evPCState  struct{ s webrtc.PeerConnectionState }
	evSignaled struct{ err error } // our offer or answer was published (or not)
	evAnswer   struct {
		sdp string
		sig *signalSig
	}
	evCandidate     struct{ c candidate }
	evHandshakeSent struct{ err error }
	evVerifyDone    struct {
		res proofResult
		err error
	}
	evAsk struct {
		n     int
		reply chan answerFrame
	}
	evAskDone     struct{ n int }
	evSent        struct{ what string } // a background send of this kind finished
	evHandlerDone struct{}
	evShown       struct{ q questionFrame } // the reader of events took this message: confirm it
	evUnloaded    struct{}                  // the peer's name said `unload` on the topic (a hint: anyone can)
	// evRestartOffer: the peer restarts ICE on our connection (signed by its pinned key).
	evRestartOffer struct {
		sdp   string
		facts sdpFacts
		nonce string
	}
	evRestartTick     struct{}            // time to (re)send our ICE restart offer or request
	evRestartRequest  struct{}            // the peer asks us (the offerer) to restart ICE
	evRestartSignaled struct{ err error } // our restart offer or answer was published (or not)
)

// offerInput is what the room hands a connection that answers an offer.
type offerInput struct {
	sdp       string
	facts     sdpFacts
	nonce     string // the offer's signature nonce (rtchat peers)
	ts        int64  // and its timestamp
	cands     []candidate
	protected bool
	// pinKey: the offer was signed by this key, pinned for the name as an rtchat peer (the
	// signal proof, verify.go); theyBound: it says the peer takes our answer as our proof.
	pinKey    string
	theyBound bool
}

// slot is one expected data channel. The map of slots is fixed when the peer is made; each
// slot's fields are written once, by the owner, before open is closed.
type slot struct {
	label  string
	open   chan struct{}
	dc     *webrtc.DataChannel
	rwc    datachannel.ReadWriteCloser
	stream *stream.Stream // the pipe channel
	sw     *direct.Switch // below stream: where the pipe may move to the direct path
	mu     sync.Mutex     // one writer at a time
}

func (s *slot) isOpen() bool {
	select {
	case <-s.open:
		return true
	default:
		return false
	}
}

// proofResult is what verifying a peer established.
type proofResult struct {
	bound       bool   // the rtchat proof, bound to this connection
	signal      bool   // proved by the signed signaling (signalProof), not by rtchat.prove
	fingerprint string // of the key it proved
	pinned      bool   // the key was pinned now (tofu)
	unverified  bool   // no key to prove: a keyless client let in by --trust unverified
	// tofu: a stranger's key proved on first use, pinned only once it says something
	// (pinOnTalk, strangers.go); nil when nothing waits to be pinned.
	tofu *tofuPin
}

// peer is one PeerConnection with one remote full name, run by its owner goroutine (run).
type peer struct {
	c         *Client
	remote    string
	bare      string
	offerer   bool
	rt        bool // an rtchat peer (its signaling said so; signed when it offered)
	info      userInfo
	withPipe  bool
	protected bool // we dialled it, or its offer was signed by a pinned key
	created   time.Time
	log       *slog.Logger

	aborted     chan struct{} // closed once the peer's ABORT ended the association (readLoop)
	abortedOnce sync.Once

	ctx      context.Context // ends when the connection closes
	cancel   context.CancelFunc
	inbox    chan any
	closeReq chan error // first request wins; nil asks for a graceful close
	done     chan struct{}
	slots    map[string]*slot

	// Written by the owner once, before the channel after them is closed.
	pc            *webrtc.PeerConnection
	proof         proofResult
	verifiedCh    chan struct{}
	establishedCh chan struct{}
	err           error // before done

	wg sync.WaitGroup // goroutines working for this peer

	// Owner only.
	st         peerState // moves only along transitions (peerstate.go)
	up         bool
	cleanup    func() error
	offerNonce string
	remoteSet  bool
	ufrag      string
	pending    []candidate
	cands      int
	opened     int
	handshake  bool
	asks       map[int]chan answerFrame
	signed     int
	msgQ       []Event
	questionQ  []questionFrame
	legacyQ    []questionFrame
	they       bool  // an rtchat peer said it verified us
	refusal    error // why we refuse the peer (stRefusing)
	badAnswer  error
	fallback   *evAnswer // an answer signed with the peer's own claimed key, not the pin
	unloaded   time.Time // when an unload in the peer's name was seen
	leaving    error     // the peer said bye: we close after leaveDrain
	remoteFP   string    // the remote SDP's fingerprint (a restart must keep it)
	// Reconnecting (stReconnecting): the transport of an established connection went; it may come back.
	restartStop   chan struct{}   // ends the restart ticker of the current outage
	restartNonces map[string]bool // nonces of our restart offers: a restart answer signs one
	busy          map[string]bool
	handlers      int
	timer         *time.Timer
	timerWhy      timerReason
	tofu          *tofuPin // a stranger's key to pin when it first talks (pinOnTalk)
	// sigKey: the pinned key (of an rtchat pin) that signed the offer or answer this
	// connection was made from, its SDP naming the peer's DTLS certificate: the signal
	// proof (verify.go). "" when the signaling proved nothing (no pin, the key it carries).
	sigKey string
	// earlyCtl: control frames of the direct path that came before we verified the peer
	// (it may verify us from the signaling and start at once): handled once we verify it.
	earlyCtl []evFrame

	direct directState // the pipe's direct path (directpath.go)
}

func newPeer(c *Client, remote string, info userInfo, offerer bool, protected bool) *peer {
	p := &peer{
		c: c, remote: remote, bare: keys.BareName(remote), info: info, offerer: offerer,
		rt: info.isRTChat(), protected: protected, created: time.Now(),
		inbox: make(chan any, 64), closeReq: make(chan error, 1), done: make(chan struct{}),
		slots: map[string]*slot{}, verifiedCh: make(chan struct{}), establishedCh: make(chan struct{}),
		asks: map[int]chan answerFrame{}, busy: map[string]bool{},
	}
	p.log = c.log.With("peer", remote, "offerer", offerer)
	p.ctx, p.cancel = context.WithCancel(c.life)
	p.withPipe = p.rt && c.cfg.Role.spec().pipe && info.role() == c.cfg.Role &&
		info.RTChat.Pipe == c.bare && c.cfg.PipeTo == p.bare
	for _, l := range p.labels() {
		p.slots[l] = &slot{label: l, open: make(chan struct{})}
	}
	return p
}

// labels are the channels of this connection: the web client's 11, and ours with rtchat.
func (p *peer) labels() []string {
	labels := append([]string{}, browserLabels...)
	if p.rt {
		labels = append(labels, labelControl)
		if p.withPipe {
			labels = append(labels, labelPipe)
		}
	}
	return labels
}

// post hands an event to the owner. Blocking posts (from goroutines that may wait) give up
// once the peer is closed; the room loop's non-blocking posts drop when the inbox is full.
func (p *peer) post(ev any, block bool) {
	if block {
		select {
		case p.inbox <- ev:
		case <-p.done:
		}
		return
	}
	select {
	case p.inbox <- ev:
	default:
		p.log.Debug("peer inbox full: dropped an event", "event", fmt.Sprintf("%T", ev))
	}
}

// call hands an event to the owner, waiting while ctx allows.
func (p *peer) call(ctx context.Context, ev any) error {
	select {
	case p.inbox <- ev:
		return nil
	case <-p.done:
		return p.lostErr()
	case <-ctx.Done():
		return ctx.Err()
	}
}

// requestClose asks the owner to close (err nil: gracefully, delivering what was sent).
func (p *peer) requestClose(err error) {
	select {
	case p.closeReq <- err:
	default: // a close is already requested
	}
}

// goWork runs fn on a goroutine of this peer's.
func (p *peer) goWork(fn func()) {
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		fn()
	}()
}

func (p *peer) setTimer(d time.Duration, why timerReason) {
	if !p.timer.Stop() {
		select {
		case <-p.timer.C:
		default:
		}
	}
	p.timer.Reset(d)
	p.timerWhy = why
}

func (p *peer) stopTimer() {
	p.timer.Stop()
	p.timerWhy = timerNone
}

// setState moves the state machine along its table (peerstate.go) and tells the room. A
// move the table does not have is a bug: it is logged, counted (tests fail on it) and not
// made.
func (p *peer) setState(st peerState) { p.move(st, p.up, nil) }

// move is setState with what the room is told (closeWith: the transport is down, and why).
// A move to closed is made even when illegal: a bug must never keep a connection open.
func (p *peer) move(st peerState, up bool, err error) {
	if st == p.st {
		return
	}
	if terr := checkTransition(p.st, st); terr != nil {
		p.c.badTransition(p, terr)
		if st != stClosed {
			return
		}
	}
	p.log.Debug("connection state", "from", p.st, "to", st)
	p.st = st
	p.c.report(p, st, up, err)
}

// run is the owner goroutine.
func (p *peer) run(in *offerInput) {
	defer p.c.peerWG.Done()
	p.timer = time.NewTimer(offerLifetime)
	p.timerWhy = timerConnect
	if err := p.start(in); err != nil {
		// A local failure (no socket could be bound, say): never silent.
		p.log.Warn("could not start a connection", "err", err)
		p.closeWith(err, false)
	}
	for p.st != stClosed {
		select {
		case ev := <-p.inbox:
			p.handle(ev)
		case err := <-p.closeReq:
			p.closeWith(err, err == nil)
		case <-p.timer.C:
			p.onTimer()
		}
	}
}

// start builds the PeerConnection and begins our offer or answer.
func (p *peer) start(in *offerInput) error {
	ice := p.c.cfg.ICE
	// Between rtchat peers the SCTP association is set up from the SDPs (SNAP): two round
	// trips fewer before the first byte. Web pages do not offer it.
	ice.SNAP = ice.SNAP || p.rt
	pc, cleanup, err := ice.NewPeerConnection(p.c.cfg.Log)
	if err != nil {
		return fmt.Errorf("new peer connection: %w", err)
	}
	p.pc, p.cleanup = pc, cleanup
	p.aborted = make(chan struct{})
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) { p.post(evPCState{s}, true) })
	// -v: ICE's own view, for a connection that does not come back.
	pc.OnICEConnectionStateChange(func(s webrtc.ICEConnectionState) { p.log.Debug("ICE state", "state", s.String()) })
	// The selected pair is logged by iceconf ("ice pair selected"): pion keeps one handler,
	// so a second one here would silence that.
	if p.offerer {
		// Only the offerer creates channels (§5.2).
		pc.OnDataChannel(func(dc *webrtc.DataChannel) { _ = dc.Close() })
		for _, l := range p.labels() {
			dc, err := pc.CreateDataChannel(l, nil)
			if err != nil {
				return fmt.Errorf("create channel %s: %w", l, err)
			}
			p.watch(dc)
		}
		offer, err := pc.CreateOffer(nil)
		if err != nil {
			return fmt.Errorf("create offer: %w", err)
		}
		p.offerNonce = b64.EncodeToString(randomBytes(16))
		return p.signal(offer, "")
	}
	pc.OnDataChannel(p.watch)
	p.sigKey, p.they = in.pinKey, in.theyBound && in.pinKey != ""
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: in.sdp}); err != nil {
		return fmt.Errorf("apply offer from %s: %w", p.remote, err)
	}
	p.remoteReady(in.facts)
	for _, c := range in.cands {
		p.addCandidate(c)
	}
	answer, err := pc.CreateAnswer(nil)
	if err != nil {
		return fmt.Errorf("create answer: %w", err)
	}
	return p.signal(answer, in.nonce)
}

// signal sets the local description and, once ICE gathering is done (so the SDP holds every
// candidate: web pages lose trickled ones in some states, §3.3), signs and publishes it.
func (p *peer) signal(desc webrtc.SessionDescription, offerNonce string) error {
	return p.signalDesc(desc, offerNonce, false)
}

// signalDesc is signal for a first negotiation or an ICE restart (restart: our restart
// offer, or our answer to the peer's).
func (p *peer) signalDesc(desc webrtc.SessionDescription, offerNonce string, restart bool) error {
	gathered := webrtc.GatheringCompletePromise(p.pc)
	if err := p.pc.SetLocalDescription(desc); err != nil {
		return fmt.Errorf("set local description: %w", err)
	}
	nonce := p.offerNonce
	bound := p.sigKey != "" && !restart // our answer says the peer's offer proved it
	p.goWork(func() {
		t := time.NewTimer(10 * time.Second)
		defer t.Stop()
		complete := true
		select {
		case <-gathered:
		case <-t.C: // send what we have; host candidates come first
			complete = false
		case <-p.done:
			return
		}
		sdp := p.pc.LocalDescription().SDP
		if restart {
			// -v: what a reconnection offers (a stale address here explains a restart that
			// never connects).
			p.log.Debug("ICE restart candidates", "offer", p.offerer, "gathering_complete", complete,
				"candidates", sdpCandidates(sdp))
		}
		var err error
		if p.offerer {
			var data offerData
			if data, err = p.c.offerData(p.remote, p.info, sdp, nonce, restart); err == nil {
				err = p.c.publish(signal.SubOffer, data)
			} else if errors.Is(err, errSealKey) {
				err = p.mismatchErr("(" + errSealKey.Error() + ")")
				// Fail after the grace an answer with a bad signature gets: another
				// process of the name (the real one, next to someone else's) may not have
				// answered our presence yet, and the dial tries every one.
				t := time.NewTimer(badAnswerGrace)
				defer t.Stop()
				select {
				case <-t.C:
				case <-p.done:
					return
				}
			}
		} else {
			var data answerData
			data, err = p.c.answerData(p.remote, p.info, sdp, offerNonce, p.rt, bound)
			if err == nil {
				err = p.c.publish(signal.SubAnswer, data)
			}
		}
		if restart {
			p.post(evRestartSignaled{err}, true)
			return
		}
		p.post(evSignaled{err}, true)
	})
	return nil
}

// republishRestart sends our pending restart offer again, under a fresh nonce (the peer
// may have missed it while the broker was out of reach too).
func (p *peer) republishRestart() {
	nonce := b64.EncodeToString(randomBytes(16))
	p.offerNonce = nonce
	p.restartNonces[nonce] = true
	sdp := p.pc.LocalDescription().SDP
	p.goWork(func() {
		data, err := p.c.offerData(p.remote, p.info, sdp, nonce, true)
		if err == nil {
			err = p.c.publish(signal.SubOffer, data)
		}
		p.post(evRestartSignaled{err}, true)
	})
}

// watch makes a channel's opening an event.
func (p *peer) watch(dc *webrtc.DataChannel) {
	dc.OnOpen(func() {
		rwc, err := dc.Detach()
		p.post(evChanOpen{dc: dc, rwc: rwc, err: err}, true)
	})
}

func (p *peer) remoteReady(f sdpFacts) {
	p.remoteSet = true
	p.ufrag = f.ufrag
	p.remoteFP = f.fingerprint
	pend := p.pending
	p.pending = nil
	for _, c := range pend {
		p.addCandidate(c)
	}
}

// addCandidate applies a trickled candidate of a web page (rtchat peers never trickle).
func (p *peer) addCandidate(c candidate) {
	if p.cands >= maxPendingCands {
		return
	}
	if !p.remoteSet {
		p.pending = append(p.pending, c)
		return
	}
	// Web pages broadcast the candidates of all their connections: keep only ours (§3.3).
	if c.UsernameFragment != nil && *c.UsernameFragment != "" && *c.UsernameFragment != p.ufrag {
		return
	}
	if u := candidateUfrag(c.Candidate); u != "" && u != p.ufrag {
		return
	}
	p.cands++
	init := webrtc.ICECandidateInit{Candidate: c.Candidate, SDPMid: c.SDPMid, SDPMLineIndex: c.SDPMLineIndex, UsernameFragment: c.UsernameFragment}
	if err := p.pc.AddICECandidate(init); err != nil {
		p.log.Debug("bad remote candidate", "err", err)
	}
}

// handle runs one event.
func (p *peer) handle(ev any) {
	switch ev := ev.(type) {
	case evSignaled:
		if ev.err != nil {
			p.closeWith(ev.err, false)
			return
		}
		if p.offerer {
			p.log.Debug("offer sent")
		} else {
			p.log.Debug("answer sent")
		}
		if p.st == stStarting {
			p.setState(stSignaled)
		}
	case evAnswer:
		p.onAnswer(ev)
	case evCandidate:
		p.addCandidate(ev.c)
	case evPCState:
		p.onPCState(ev.s)
	case evChanOpen:
		p.onChanOpen(ev)
	case evHandshakeSent:
		if ev.err != nil {
			p.closeWith(ev.err, false)
			return
		}
		p.connected()
	case evFrame:
		p.onFrame(ev.label, ev.data)
	case evVerifyDone:
		p.onVerifyDone(ev.res, ev.err)
	case evAsk:
		p.asks[ev.n] = ev.reply
	case evAskDone:
		delete(p.asks, ev.n)
	case evSent:
		delete(p.busy, ev.what)
	case evHandlerDone:
		p.handlers--
	case evShown:
		q := ev.q
		p.goWork(func() {
			_ = p.sendFrame("answer", answerFrame{N: q.N, Answer: json.RawMessage("true"), Question: q.Question})
		})
	case evUnloaded:
		p.unloaded = time.Now()
	case evRestartOffer:
		p.onRestartOffer(ev)
	case evRestartTick:
		if p.offerer {
			p.restartICE()
		} else {
			p.requestRestart()
		}
	case evRestartRequest:
		if p.st.established() && p.rt && p.offerer {
			if p.st != stReconnecting {
				p.startReconnecting(webrtc.PeerConnectionStateDisconnected)
			}
			p.restartICE()
		}
	case evRestartSignaled:
		if ev.err != nil {
			p.log.Info("could not send the ICE restart; will try again", "err", ev.err)
		}
	}
}

func (p *peer) onAnswer(ev evAnswer) {
	if !p.offerer || p.pc == nil || p.pc.SignalingState() != webrtc.SignalingStateHaveLocalOffer {
		return
	}
	if p.remoteSet {
		p.onRestartAnswer(ev)
		return
	}
	if p.rt && ev.sig != nil && ev.sig.OfferNonce != p.offerNonce {
		// An answer to an earlier offer of ours to this peer (one we replaced or retried while
		// it was slow to answer): not a sign of another key; the answer to this one may come.
		p.log.Debug("ignoring an answer to another offer")
		return
	}
	key, err := p.checkAnswer(ev)
	if err != nil {
		// Anyone can publish an answer in the peer's name: ignore it, the real one may come.
		p.log.Info("ignoring an answer", "err", err)
		if errors.Is(err, errAnswerToOther) {
			// The peer's answer to someone else's offer in our name (or a replay): it says
			// nothing about the peer's key, so it is blamed on nobody.
			return
		}
		// An answer to our offer that the pin does not verify: if no valid one follows
		// soon, someone else answers in the peer's name or the peer's key changed.
		if p.badAnswer == nil {
			p.badAnswer = p.mismatchErr("(its answer's signature does not verify with it)")
			p.setTimer(badAnswerGrace, timerBadAnswer)
		}
		if p.selfSigned(ev) {
			// Signed with the key the peer itself claims: connect after the grace, and let
			// the proof refuse it, so that both sides learn of the mismatch.
			p.fallback = &ev
		}
		return
	}
	if p.applyAnswer(ev) && key != "" {
		// The pinned key signed this SDP: once DTLS proves the peer holds its certificate,
		// the answer is its proof (verify.go, signalProof), and its claim says that our
		// offer proved us to it.
		p.sigKey, p.they = key, ev.sig.Bound
	}
}

// applyAnswer sets the peer's answer as the remote description, and says whether it did.
func (p *peer) applyAnswer(ev evAnswer) bool {
	facts, err := checkSDP(ev.sdp)
	if err != nil {
		p.log.Info("ignoring an answer", "err", err)
		return false
	}
	if err := p.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: ev.sdp}); err != nil {
		p.closeWith(fmt.Errorf("apply answer from %s: %w", p.remote, err), false)
		return false
	}
	if ev.sig != nil {
		p.c.answered(p, ev.sig.TS)
	}
	p.remoteReady(facts)
	if p.badAnswer != nil {
		p.setTimer(offerLifetime-time.Since(p.created), timerConnect) // an answer was applied after all
	}
	if p.st < stConnecting {
		p.setState(stConnecting)
	}
	return true
}

// checkAnswer verifies an rtchat peer's signature on its answer to our offer. It returns the
// key that signed it when that key is pinned for the name as an rtchat peer (the signal
// proof), "" otherwise.
func (p *peer) checkAnswer(ev evAnswer) (string, error) {
	key := p.info.PublicKeyString
	pin, pinned, err := p.c.cfg.Store.LookupPin(p.bare)
	if err != nil {
		return "", err
	}
	if pinned {
		key = pin.Key
	}
	if !p.rt && !(pinned && pin.Kind == keys.KindRTChat) {
		return "", nil // a web page's answer carries no signature
	}
	if err := p.answerSignedBy(ev, key, p.offerNonce); err != nil {
		return "", err
	}
	if p.rt && pinned && pin.Kind == keys.KindRTChat && key != "" {
		return key, nil
	}
	return "", nil
}

// selfSigned: the answer is signed by the key the peer itself claims (which is not the pin).
func (p *peer) selfSigned(ev evAnswer) bool {
	return p.rt && p.info.PublicKeyString != "" && p.answerSignedBy(ev, p.info.PublicKeyString, p.offerNonce) == nil
}

// answerSignedBy checks the signature of an answer to our offer of nonce offerNonce.
func (p *peer) answerSignedBy(ev evAnswer, key, offerNonce string) error {
	s := ev.sig
	if s == nil || s.V != protocolVersion {
		return errors.New("unsigned answer from an rtchat peer")
	}
	if s.OfferNonce != offerNonce {
		return errAnswerToOther
	}
	sig := proof.Signal{Kind: proof.KindAnswer, Room: p.c.topic, Sender: p.remote, Target: p.c.me, TS: s.TS,
		Nonce: s.Nonce, OfferNonce: s.OfferNonce, Role: string(s.Role), Pipe: s.Pipe, SDP: ev.sdp, Bound: s.Bound}
	if p.rt {
		sig.Seal = sealPair(p.info.RTChat.Seal.Key, p.c.seal.pub) // it came sealed (room.go)
	}
	return sig.Verify(key, s.Sig)
}

// errAnswerToOther: an answer that names another offer than ours (anyone's offer in our name
// gets an answer in the peer's name): it says nothing about the peer's key.
var errAnswerToOther = errors.New("answer to another offer")

func (p *peer) onPCState(s webrtc.PeerConnectionState) {
	p.log.Debug("transport state", "state", s.String())
	up := transportUp(s)
	if up != p.up {
		p.up = up
		p.c.report(p, p.st, up, nil)
	}
	// The web page said it was leaving and its transport then went: it left. (An unload
	// alone closes nothing: anyone can publish one.)
	left := p.leaving != nil || (!p.unloaded.IsZero() && time.Since(p.unloaded) < unloadWindow)
	lost := func(what string) error {
		if left {
			return peerLeft(p.remote)
		}
		return fmt.Errorf("%w: connection to %s %s", ErrConnectionLost, p.remote, what)
	}
	switch s {
	case webrtc.PeerConnectionStateConnected:
		if p.st == stReconnecting {
			p.setState(stEstablished)
			p.stopTimer()
			p.stopRestarts()
			p.log.Info("reconnected")
			p.c.emit(Event{Type: EventReconnected, Peer: p.remote, Bare: p.bare})
		}
	case webrtc.PeerConnectionStateFailed, webrtc.PeerConnectionStateDisconnected:
		if !left && p.st.established() && p.c.cfg.Reconnect > 0 {
			p.startReconnecting(s)
			return
		}
		p.closeWith(lost(s.String()), false)
	case webrtc.PeerConnectionStateClosed:
		// Only the peer of this DTLS session can close it (close_notify is authenticated):
		// it left on purpose (rtchat's CloseNow leaves this way, without a bye).
		p.closeWith(peerLeft(p.remote), false)
	}
}

// startReconnecting: the transport of an established connection went (ICE consent lost).
// Keep everything and wait: the path may come back by itself (a short outage, a paused
// peer), and the rtchat offerer restarts ICE through the topic (a NAT rebinding, a new
// address). SCTP retransmits what is in flight, so nothing is lost or repeated.
func (p *peer) startReconnecting(s webrtc.PeerConnectionState) {
	if p.st == stReconnecting {
		if s == webrtc.PeerConnectionStateFailed {
			p.restartICE() // ICE gave up on the old pairs: restart now
		}
		return
	}
	p.setState(stReconnecting)
	p.log.Info("connection interrupted: reconnecting", "state", s.String(), "window", p.c.cfg.Reconnect)
	p.c.emit(Event{Type: EventReconnecting, Peer: p.remote, Bare: p.bare})
	p.setTimer(p.c.cfg.Reconnect, timerReconnect)
	p.c.checkBroker()
	if !p.rt {
		return // web pages restart on their own
	}
	// Between rtchat peers the offerer restarts ICE; the other side asks it to, since the
	// offerer's side may not have noticed (its ICE can look alive while nothing arrives).
	stop := make(chan struct{})
	p.restartStop = stop
	p.goWork(func() {
		t := time.NewTicker(restartEvery)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				p.post(evRestartTick{}, true)
			case <-stop:
				return
			case <-p.done:
				return
			}
		}
	})
}

// stopRestarts ends the restart ticker of an outage that is over: a flapping link must not
// leave one ticker per outage behind.
func (p *peer) stopRestarts() {
	if p.restartStop != nil {
		close(p.restartStop)
		p.restartStop = nil
	}
}

// restartICE sends (or sends again) an ICE restart offer while reconnecting.
func (p *peer) restartICE() {
	if p.st != stReconnecting || !p.rt || !p.offerer {
		return
	}
	if p.restartNonces == nil {
		p.restartNonces = map[string]bool{}
	}
	if p.pc.SignalingState() == webrtc.SignalingStateHaveLocalOffer {
		p.republishRestart()
		return
	}
	offer, err := p.pc.CreateOffer(&webrtc.OfferOptions{ICERestart: true})
	if err != nil {
		p.log.Info("cannot make an ICE restart offer", "err", err)
		return
	}
	p.offerNonce = b64.EncodeToString(randomBytes(16))
	p.restartNonces[p.offerNonce] = true
	p.log.Info("restarting ICE")
	if err := p.signalDesc(offer, "", true); err != nil {
		p.log.Info("cannot restart ICE", "err", err)
	}
}

// requestRestart asks the offerer of our connection, through the topic, to restart ICE.
func (p *peer) requestRestart() {
	if p.st != stReconnecting || !p.rt || p.offerer {
		return
	}
	s := proof.Signal{Kind: proof.KindRestartRequest, Room: p.c.topic, Sender: p.c.me, Target: p.remote,
		TS: time.Now().UnixMilli(), Nonce: b64.EncodeToString(randomBytes(16))}
	p.goWork(func() {
		sig, err := s.Sign(p.c.cfg.Identity.Sign)
		if err == nil {
			err = p.c.publish(signal.SubRestartRequest, restartRequest{Target: p.remote,
				RTChat: &signalSig{V: protocolVersion, TS: s.TS, Nonce: s.Nonce, Sig: sig}})
		}
		p.post(evRestartSignaled{err}, true)
	})
}

// onRestartOffer answers the peer's ICE restart of our connection.
func (p *peer) onRestartOffer(ev evRestartOffer) {
	if p.offerer || !p.st.established() || !p.rt {
		return
	}
	if ev.facts.fingerprint != p.remoteFP {
		p.log.Info("ignoring an ICE restart with another DTLS fingerprint")
		return
	}
	if err := p.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: ev.sdp}); err != nil {
		p.log.Info("cannot apply an ICE restart offer", "err", err)
		return
	}
	p.ufrag = ev.facts.ufrag
	answer, err := p.pc.CreateAnswer(nil)
	if err != nil {
		p.log.Info("cannot answer an ICE restart", "err", err)
		return
	}
	p.log.Info("answering an ICE restart")
	if err := p.signalDesc(answer, ev.nonce, true); err != nil {
		p.log.Info("cannot answer an ICE restart", "err", err)
	}
}

// onRestartAnswer applies the peer's answer to our ICE restart offer.
func (p *peer) onRestartAnswer(ev evAnswer) {
	if ev.sig == nil || !p.restartNonces[ev.sig.OfferNonce] {
		return
	}
	key := p.info.PublicKeyString
	if pin, ok, err := p.c.cfg.Store.LookupPin(p.bare); err == nil && ok {
		key = pin.Key
	}
	if err := p.answerSignedBy(ev, key, ev.sig.OfferNonce); err != nil {
		p.log.Info("ignoring a restart answer", "err", err)
		return
	}
	facts, err := checkSDP(ev.sdp)
	if err != nil || facts.fingerprint != p.remoteFP {
		p.log.Info("ignoring a restart answer with a bad SDP or another DTLS fingerprint", "err", err)
		return
	}
	if err := p.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: ev.sdp}); err != nil {
		p.log.Info("cannot apply a restart answer", "err", err)
		return
	}
	p.ufrag = facts.ufrag
	p.restartNonces = map[string]bool{}
	p.log.Info("ICE restart answered")
}

func (p *peer) onChanOpen(ev evChanOpen) {
	if ev.err != nil {
		p.log.Debug("detach failed", "label", ev.dc.Label(), "err", ev.err)
		return
	}
	s := p.slots[ev.dc.Label()]
	if s == nil || s.isOpen() || p.st == stClosed {
		_ = ev.rwc.Close() // a label we do not expect, or a second one: keep the first
		return
	}
	s.dc, s.rwc = ev.dc, ev.rwc
	if s.label == labelPipe {
		// Below the stream, a Switch: the pipe may start here and move to the direct path
		// at a marker (directpath.go); until it commits, or with an older peer, it is the
		// plain WebRTC channel.
		s.sw = direct.NewSwitch(ev.rwc)
		s.stream = stream.New(s.sw)
	} else {
		p.wg.Add(1)
		go p.readLoop(s)
	}
	close(s.open)
	p.opened++
	if p.opened < len(p.slots) {
		return
	}
	if p.offerer {
		// Only the offerer sends the connected handshake, once (§5.3, §9 (b)4).
		p.goWork(func() { p.post(evHandshakeSent{p.sendFrame(browserLabels[0], nil)}, true) })
		return
	}
	if p.handshake {
		p.connected()
	}
}

// connected: every channel is open and the handshake done. Verify the peer now.
func (p *peer) connected() {
	if p.st >= stConnected {
		return
	}
	p.setState(stConnected)
	p.c.emit(Event{Type: EventConnected, Peer: p.remote, Bare: p.bare})
	verify := pendingVerify
	if p.protected {
		verify = p.c.cfg.VerifyTimeout
	}
	// The peer must also verify us in about that time (rtchat peers tell us).
	p.setTimer(verify+5*time.Second, timerVerify)
	p.goWork(func() {
		ctx, cancel := context.WithTimeout(p.ctx, verify)
		defer cancel()
		res, err := p.verify(ctx)
		p.post(evVerifyDone{res, err}, true)
	})
}

func (p *peer) onTimer() {
	switch p.timerWhy {
	case timerConnect:
		p.closeWith(fmt.Errorf("%w: %s did not connect", ErrTimeout, p.remote), false)
	case timerVerify:
		p.closeWith(&verifyError{reason: "no proof", msg: fmt.Sprintf("%s did not finish verifying us in time", p.remote)}, false)
	case timerRefusal:
		p.closeWith(p.refusal, false)
	case timerReconnect:
		p.closeWith(fmt.Errorf("%w: %s unreachable for %v", ErrConnectionLost, p.remote, p.c.cfg.Reconnect), false)
	case timerLeave:
		p.closeWith(p.leaving, false)
	case timerBadAnswer:
		if ev := p.fallback; ev != nil && !p.remoteSet {
			p.fallback = nil
			p.applyAnswer(*ev)
			return
		}
		p.closeWith(p.badAnswer, false)
	}
}

func (p *peer) onVerifyDone(res proofResult, err error) {
	if p.st != stConnected {
		return
	}
	if err != nil {
		p.refuse(err)
		return
	}
	p.tofu, res.tofu = res.tofu, nil
	p.proof = res
	p.setState(stVerified)
	close(p.verifiedCh)
	p.c.emit(Event{Type: EventVerified, Peer: p.remote, Bare: p.bare, Bound: res.bound, Fingerprint: res.fingerprint, Pinned: res.pinned, Unverified: res.unverified})
	if len(p.msgQ) > 0 && !p.pinOnTalk() {
		return
	}
	for _, e := range p.msgQ {
		e.Unverified = res.unverified
		p.c.emit(e)
	}
	p.msgQ = nil
	for _, q := range p.questionQ {
		p.dispatch(q)
	}
	p.questionQ = nil
	for _, q := range p.legacyQ {
		p.answerLegacy(q)
	}
	p.legacyQ = nil
	if p.rt {
		p.goWork(func() { _ = p.sendFrame(labelControl, controlFrame{Type: "verified"}) })
	}
	if !p.rt || p.they {
		// p.they: the peer said so on the control channel, or its signed offer or answer
		// said that our signaling proves us to it (it refuses us if that fails after all).
		p.establish()
	}
	early := p.earlyCtl
	p.earlyCtl = nil
	for _, f := range early {
		p.onFrame(f.label, f.data)
	}
}

// refuse ends a connection whose verification failed (or whose first-use pin was refused):
// the peer is told why, then it closes. Owner goroutine.
func (p *peer) refuse(err error) {
	p.log.Debug("verification failed", "err", err)
	p.c.emit(Event{Type: EventRefused, Peer: p.remote, Bare: p.bare, Err: err})
	p.refusal = err
	p.setState(stRefusing)
	p.msgQ, p.questionQ, p.legacyQ = nil, nil, nil
	if !p.rt {
		p.c.refused(p, err)
		p.closeWith(err, false)
		return
	}
	// Tell the peer why before anyone here learns of the failure: once a Dial fails our
	// process may exit and close the connection. The peer closes on receipt, which ends
	// the grace period early.
	p.goWork(func() {
		_ = p.sendFrame(labelControl, controlFrame{Type: "refused", Reason: refusalReason(err)})
		p.c.refused(p, err)
	})
	p.setTimer(refusalGrace, timerRefusal)
}

func (p *peer) establish() {
	p.stopTimer()
	p.setState(stEstablished)
	close(p.establishedCh)
	p.startDirect() // a pipe negotiates its path now (directpath.go)
}

// onFrame handles one message from a channel.
func (p *peer) onFrame(label string, frame []byte) {
	switch label {
	case "connectedViaRTC":
		// The handshake may overtake the opening of other channels (no order across
		// channels): connected once it came and every expected channel is open.
		p.handshake = true
		if !p.offerer && p.opened == len(p.slots) {
			p.connected()
		}
	case "question":
		var q questionFrame
		if json.Unmarshal(frame, &q) != nil || q.Question.Topic == "" || len(q.Question.Topic) > 256 {
			return
		}
		p.onQuestion(q)
	case "answer":
		var a answerFrame
		if json.Unmarshal(frame, &a) != nil {
			return
		}
		if ch := p.asks[a.N]; ch != nil {
			delete(p.asks, a.N)
			ch <- a // buffered: never blocks
		}
	case "chat", "dm":
		var text string
		if json.Unmarshal(frame, &text) != nil {
			return
		}
		e := Event{Type: EventMessage, Peer: p.remote, Bare: p.bare, Channel: label, Text: text}
		switch {
		case p.st.verified():
			if !p.pinOnTalk() {
				return
			}
			e.Unverified = p.proof.unverified
			p.c.emit(e)
		case p.st < stVerified && len(p.msgQ) < maxQueuedMessages:
			// Nothing from an unverified peer reaches the user; it may still prove itself.
			p.msgQ = append(p.msgQ, e)
		}
	case "ping":
		if p.st.verified() {
			p.background("pong", "pong", "pong")
		}
	case "streamoffer":
		p.background("decline", "endcall", nil) // we take no calls: decline (§5.6)
	case labelControl:
		var m controlFrame
		if json.Unmarshal(frame, &m) != nil {
			return
		}
		switch m.Type {
		case "verified":
			p.they = true
			if p.st == stVerified {
				p.establish()
			}
		case "bye":
			// Everything the peer sent is here, but on channels of their own: give their
			// readers a moment to hand it over before the connection goes.
			if p.leaving == nil {
				p.leaving = peerLeft(p.remote)
				p.setTimer(leaveDrain, timerLeave)
			}
		case "refused":
			p.closeWith(&verifyError{reason: "refused", msg: fmt.Sprintf("%s refused us: %s", p.remote, refusalText(m.Reason, p.bare)), hint: refusalHint(m.Reason)}, false)
		case ctlDirect, ctlDirectOff:
			if p.st < stVerified && len(p.earlyCtl) < 2 {
				// A peer that verified us from the signaling starts at once, maybe before
				// we verified it: keep its frames until we do (nothing acts on them before).
				p.earlyCtl = append(p.earlyCtl, evFrame{label, frame})
				return
			}
			p.onDirectFrame(m.Type, frame)
		}
	}
}

// background sends a small reply, at most one of each kind at a time (a peer that floods
// pings gets one pong in flight, not a goroutine per ping).
func (p *peer) background(kind, label string, v any) {
	if p.busy[kind] {
		return
	}
	p.busy[kind] = true
	p.goWork(func() {
		_ = p.sendFrame(label, v)
		p.post(evSent{kind}, true)
	})
}

// closeWith ends the connection, recording why; nil-error requests arrive as graceful.
func (p *peer) closeWith(err error, graceful bool) {
	if p.st == stClosed {
		return
	}
	flushFirst := graceful
	refusing := p.st == stRefusing
	if refusing {
		// Deliver the refusal notice before closing, whatever asked us to close.
		err, graceful, flushFirst = p.refusal, false, true
	}
	if err == nil {
		err = fmt.Errorf("%w: closed", ErrConnectionLost)
	}
	wasConnected := p.st >= stConnected
	p.err = err
	p.stopTimer()
	p.move(stClosed, false, err)
	// CloseNow: the peer confirmed our work, so nothing waits for delivery; our DTLS
	// close_notify tells it we leave (see closingNow).
	now := p.c.closingNow() && !refusing
	if flushFirst && p.pc != nil && p.up && !now {
		p.flush() // a graceful close delivers what we already sent
	}
	if graceful && p.rt && wasConnected && p.up && !now {
		// Say we leave on purpose, so the peer does not report a lost connection; only now,
		// with everything else acknowledged, and the notice itself too.
		if p.sendFrameWithin(labelControl, controlFrame{Type: "bye"}, time.Second) == nil {
			p.flush()
		}
	}
	// done before cancel: whoever sees the context end can already read why.
	close(p.done)
	p.cancel()
	for _, ch := range p.asks {
		close(ch)
	}
	p.asks = nil
	var pipe *stream.Stream
	for _, s := range p.slots {
		if s.stream != nil {
			pipe = s.stream
		} else if s.rwc != nil {
			_ = s.rwc.Close()
		}
	}
	if pipe != nil && graceful {
		_ = pipe.Close()
	}
	if p.pc != nil && now {
		p.closeNow() // sends SCTP ABORT and DTLS close_notify; pion's goroutines end on their own
	} else if p.pc != nil {
		_ = p.pc.GracefulClose()
	}
	if pipe != nil && !graceful {
		// The connection failed: what is still queued will never be acknowledged, so close
		// the PeerConnection first (ending the stream's reads and writes at once) instead
		// of letting the stream wait for acknowledgements.
		_ = pipe.Close()
	}
	if p.cleanup != nil {
		_ = p.cleanup()
	}
	p.wg.Wait()
	if wasConnected {
		ev := Event{Type: EventDisconnected, Peer: p.remote, Bare: p.bare, Err: err}
		if graceful {
			ev.Err = nil // we ended it: not a failure
		}
		p.c.emit(ev)
	}
}

// closeNow closes the PeerConnection without flushing. When the peer's ABORT came first
// (both ends of a pipe leave at once), pion's Abort waits twice 200 ms for an ABORT of ours
// that can no longer be sent (and neither pion's SCTP OnClose nor the connection state
// says so before that): once the peer aborted, Close gets a short grace and finishes on
// its own.
func (p *peer) closeNow() {
	closed := make(chan struct{})
	go func(pc *webrtc.PeerConnection) {
		defer close(closed)
		_ = pc.Close()
	}(p.pc)
	select {
	case <-closed:
	case <-p.aborted:
		t := time.NewTimer(closeNowGrace)
		select {
		case <-closed:
		case <-t.C:
		}
		t.Stop()
	}
}

// markAborted notes that the peer's ABORT ended the association.
func (p *peer) markAborted() { p.abortedOnce.Do(func() { close(p.aborted) }) }

// closeNowGrace: how long closeNow still waits for pion's Close once the peer aborted
// (on loopback the rest of a Close takes 1–3 ms).
const closeNowGrace = 20 * time.Millisecond

// flush waits, briefly, until the message channels handed every queued byte to the peer.
// The pipe stream flushes itself.
func (p *peer) flush() {
	deadline := time.Now().Add(2 * time.Second)
	for _, s := range p.slots {
		if s.label == labelPipe || s.dc == nil {
			continue
		}
		for s.dc.ReadyState() == webrtc.DataChannelStateOpen && s.dc.BufferedAmount() > 0 &&
			p.pc.ConnectionState() == webrtc.PeerConnectionStateConnected && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
	}
}

func (p *peer) lostErr() error {
	select {
	case <-p.done:
		return p.err
	default:
		return fmt.Errorf("%w: %s", ErrConnectionLost, p.remote)
	}
}
