package rtc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/pion/datachannel"
	"github.com/pion/webrtc/v4"

	"github.com/rtchat/rtchat/keys"
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

// readBufSize must hold the largest message a peer may send: a detached read into a
// smaller buffer fails (pion-notes). Chrome allows 256 KiB messages.
const readBufSize = 256 << 10

type channel struct {
	dc  *webrtc.DataChannel
	rwc datachannel.ReadWriteCloser
	mu  sync.Mutex // one writer at a time
}

// conn is one PeerConnection with one remote full name.
type conn struct {
	c       *Client
	remote  string
	bare    string
	info    userInfo
	offerer bool
	created time.Time
	ctx     context.Context
	cancel  context.CancelFunc

	pc      *webrtc.PeerConnection
	cleanup func() error

	mu          sync.Mutex
	chans       map[string]*channel
	added       chan struct{} // closed and replaced whenever a channel opens
	opened      int
	expected    int
	remoteSet   bool
	remoteUfrag string
	pending     []candidate
	connected   bool
	// gotHandshake: the answerer received connectedViaRTC
	gotHandshake bool
	closed       bool
	err          error
	asks         map[int]chan answerFrame
	signed       int

	connectedCh    chan struct{} // connectedViaRTC handshake done
	verifiedCh     chan struct{} // we verified the peer
	theyVerifiedCh chan struct{} // an rtchat peer told us it verified us
	pipeCh         chan struct{}
	pipe           *stream.Stream
	boundProof     bool
	fingerprint    string
	done           chan struct{}
	wg             sync.WaitGroup
	closeOnce      sync.Once
	verifyOnce     sync.Once
	theyOnce       sync.Once
}

func newConn(c *Client, remote string, info userInfo, offerer bool) *conn {
	ctx, cancel := context.WithCancel(c.ctx)
	expected := len(browserLabels)
	if info.RTChat != nil {
		expected++ // control channel
		if c.cfg.Role == RolePipe && info.RTChat.Role == RolePipe {
			expected++
		}
	}
	return &conn{
		c: c, remote: remote, bare: keys.BareName(remote), info: info, offerer: offerer,
		created: time.Now(), ctx: ctx, cancel: cancel,
		chans: map[string]*channel{}, added: make(chan struct{}), expected: expected, asks: map[int]chan answerFrame{},
		connectedCh: make(chan struct{}), verifiedCh: make(chan struct{}),
		theyVerifiedCh: make(chan struct{}), pipeCh: make(chan struct{}), done: make(chan struct{}),
	}
}

func (p *conn) isRTChat() bool { return p.info.RTChat != nil }
func (p *conn) age() time.Duration {
	return time.Since(p.created)
}

func (p *conn) isConnected() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.connected && !p.closed
}

func (p *conn) isNegotiating() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return !p.connected && !p.closed
}

// stale: a connection that will not come up and may be replaced (§3.2 step 1).
func (p *conn) stale() bool {
	p.mu.Lock()
	closed, connected := p.closed, p.connected
	p.mu.Unlock()
	if closed {
		return true
	}
	if connected {
		return false
	}
	if p.pc != nil {
		switch p.pc.ConnectionState() {
		case webrtc.PeerConnectionStateFailed, webrtc.PeerConnectionStateClosed:
			return true
		case webrtc.PeerConnectionStateConnecting:
			return p.age() > offerLifetime
		}
	}
	return p.age() > stuckNew
}

func (p *conn) transportHealthy() bool {
	if p.pc == nil {
		return false
	}
	return p.pc.ConnectionState() == webrtc.PeerConnectionStateConnected
}

func (p *conn) logf() []any { return []any{"peer", p.remote, "offerer", p.offerer} }

// setup makes the PeerConnection and its handlers.
func (p *conn) setup() error {
	pc, cleanup, err := p.c.cfg.ICE.NewPeerConnection(p.c.cfg.Log)
	if err != nil {
		return fmt.Errorf("new peer connection: %w", err)
	}
	p.mu.Lock()
	p.pc, p.cleanup = pc, cleanup
	closed := p.closed
	p.mu.Unlock()
	if closed {
		return fmt.Errorf("%w: closed during setup", ErrConnectionLost)
	}
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		p.c.log.Debug("connection state", append(p.logf(), "state", s.String())...)
		switch s {
		case webrtc.PeerConnectionStateFailed, webrtc.PeerConnectionStateDisconnected:
			go p.close(fmt.Errorf("%w: connection to %s %s", ErrConnectionLost, p.remote, s))
		case webrtc.PeerConnectionStateClosed:
			go p.close(fmt.Errorf("%w: connection to %s closed", ErrConnectionLost, p.remote))
		}
	})
	pc.OnDataChannel(func(dc *webrtc.DataChannel) { p.adopt(dc) })
	return nil
}

func (p *conn) adopt(dc *webrtc.DataChannel) {
	dc.OnOpen(func() {
		rwc, err := dc.Detach()
		if err != nil {
			p.c.log.Debug("detach failed", append(p.logf(), "label", dc.Label(), "err", err)...)
			return
		}
		label := dc.Label()
		ch := &channel{dc: dc, rwc: rwc}
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			_ = rwc.Close()
			return
		}
		if _, dup := p.chans[label]; dup {
			p.mu.Unlock()
			_ = rwc.Close() // a second channel with a known label: keep the first
			return
		}
		p.chans[label] = ch
		close(p.added)
		p.added = make(chan struct{})
		p.opened++
		allOpen := p.opened >= p.expected
		ready := allOpen && p.gotHandshake
		p.mu.Unlock()
		if label == labelPipe {
			if p.c.cfg.Role != RolePipe {
				_ = rwc.Close()
				return
			}
			p.mu.Lock()
			p.pipe = stream.New(rwc)
			p.mu.Unlock()
			close(p.pipeCh)
		} else {
			p.wg.Add(1)
			go p.readLoop(label, ch)
		}
		if p.offerer && allOpen {
			// Only the offerer sends the connected handshake, once (§5.3, §9 (b)4).
			if err := p.send(browserLabels[0], nil); err == nil {
				p.markConnected()
			}
		}
		if !p.offerer && ready {
			p.markConnected()
		}
	})
}

func (p *conn) markConnected() {
	p.mu.Lock()
	if p.connected || p.closed {
		p.mu.Unlock()
		return
	}
	p.connected = true
	p.mu.Unlock()
	close(p.connectedCh)
	p.c.emit(Event{Type: EventConnected, Peer: p.remote, Bare: p.bare})
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		p.runVerify()
	}()
}

// runOffer creates our channels, offers with every candidate inside the SDP, and waits.
func (p *conn) runOffer() {
	if err := p.setup(); err != nil {
		p.close(err)
		return
	}
	labels := append([]string{}, browserLabels...)
	if p.isRTChat() {
		labels = append(labels, labelControl)
		if p.expected > len(browserLabels)+1 {
			labels = append(labels, labelPipe)
		}
	}
	for _, l := range labels {
		dc, err := p.pc.CreateDataChannel(l, nil)
		if err != nil {
			p.close(fmt.Errorf("create channel %s: %w", l, err))
			return
		}
		p.adopt(dc)
	}
	offer, err := p.pc.CreateOffer(nil)
	if err != nil {
		p.close(fmt.Errorf("create offer: %w", err))
		return
	}
	sdp, err := p.gather(offer)
	if err != nil {
		p.close(err)
		return
	}
	data := map[string]any{
		"userInfo": p.c.myInfo(),
		"offer":    map[string]any{"localDescription": sessionDesc{Type: "offer", SDP: sdp}, "target": p.remote},
	}
	if err := p.c.publish(signal.SubOffer, data); err != nil {
		p.close(err)
		return
	}
	p.c.log.Debug("offer sent", p.logf()...)
	p.expire()
}

// expire closes a connection that did not come up within the offer lifetime.
func (p *conn) expire() {
	t := time.NewTimer(offerLifetime)
	defer t.Stop()
	select {
	case <-p.connectedCh:
	case <-p.done:
	case <-t.C:
		p.close(fmt.Errorf("%w: %s did not connect", ErrTimeout, p.remote))
	}
}

// gather sets the local description and waits for ICE gathering, so that the SDP holds
// every candidate: browsers lose trickled candidates in some states (§3.3).
func (p *conn) gather(desc webrtc.SessionDescription) (string, error) {
	done := webrtc.GatheringCompletePromise(p.pc)
	if err := p.pc.SetLocalDescription(desc); err != nil {
		return "", fmt.Errorf("set local description: %w", err)
	}
	t := time.NewTimer(10 * time.Second)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C: // send what we have; host candidates come first
	case <-p.ctx.Done():
		return "", fmt.Errorf("%w: closed while gathering", ErrConnectionLost)
	}
	return p.pc.LocalDescription().SDP, nil
}

func (p *conn) applyAnswer(sdp string) {
	if p.pc == nil || p.pc.SignalingState() != webrtc.SignalingStateHaveLocalOffer {
		return
	}
	if err := p.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: sdp}); err != nil {
		p.close(fmt.Errorf("apply answer from %s: %w", p.remote, err))
		return
	}
	p.remoteReady(sdp)
}

func (p *conn) runAnswer(sdp string) {
	if err := p.setup(); err != nil {
		p.close(err)
		return
	}
	if err := p.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: sdp}); err != nil {
		p.close(fmt.Errorf("apply offer from %s: %w", p.remote, err))
		return
	}
	p.remoteReady(sdp)
	answer, err := p.pc.CreateAnswer(nil)
	if err != nil {
		p.close(fmt.Errorf("create answer: %w", err))
		return
	}
	local, err := p.gather(answer)
	if err != nil {
		p.close(err)
		return
	}
	data := map[string]any{"localDescription": sessionDesc{Type: "answer", SDP: local}, "target": p.remote}
	if err := p.c.publish(signal.SubAnswer, data); err != nil {
		p.close(err)
		return
	}
	p.c.log.Debug("answer sent", p.logf()...)
	p.expire()
}

// remoteReady flushes buffered candidates once the remote description is set.
func (p *conn) remoteReady(sdp string) {
	p.mu.Lock()
	p.remoteSet = true
	p.remoteUfrag = sdpAttr(sdp, "ice-ufrag")
	pend := append(p.pending, p.c.takeCandidates(p.remote)...)
	p.pending = nil
	p.mu.Unlock()
	for _, cand := range pend {
		p.addCandidate(cand)
	}
}

func (p *conn) addCandidate(cand candidate) {
	p.mu.Lock()
	if !p.remoteSet {
		if len(p.pending) < maxPendingCands {
			p.pending = append(p.pending, cand)
		}
		p.mu.Unlock()
		return
	}
	ufrag := p.remoteUfrag
	p.mu.Unlock()
	// Browsers broadcast the candidates of all their connections: keep only ours (§3.3).
	if cand.UsernameFragment != nil && *cand.UsernameFragment != "" && *cand.UsernameFragment != ufrag {
		return
	}
	if u := candidateUfrag(cand.Candidate); u != "" && u != ufrag {
		return
	}
	init := webrtc.ICECandidateInit{Candidate: cand.Candidate, SDPMid: cand.SDPMid, SDPMLineIndex: cand.SDPMLineIndex, UsernameFragment: cand.UsernameFragment}
	if err := p.pc.AddICECandidate(init); err != nil {
		p.c.log.Debug("bad remote candidate", append(p.logf(), "err", err)...)
	}
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

func candidateUfrag(c string) string {
	f := strings.Fields(c)
	for i := 0; i+1 < len(f); i++ {
		if f[i] == "ufrag" {
			return f[i+1]
		}
	}
	return ""
}

// send writes one JSON value as a text frame on a label.
func (p *conn) send(label string, v any) error {
	ch, err := p.channel(label)
	if err != nil {
		return err
	}
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	ch.mu.Lock()
	defer ch.mu.Unlock()
	if _, err := ch.rwc.WriteDataChannel(b, true); err != nil {
		return fmt.Errorf("%w: send to %s: %v", ErrConnectionLost, p.remote, err)
	}
	return nil
}

// channel returns the open channel with this label, waiting for it a while like the
// browser does (§7): channels open in any order, so a question may arrive before the
// answer channel is open here.
func (p *conn) channel(label string) (*channel, error) {
	t := time.NewTimer(10 * time.Second)
	defer t.Stop()
	for {
		p.mu.Lock()
		ch, closed, added := p.chans[label], p.closed, p.added
		p.mu.Unlock()
		if closed {
			return nil, p.lostErr()
		}
		if ch != nil {
			return ch, nil
		}
		select {
		case <-added:
		case <-p.done:
		case <-t.C:
			return nil, fmt.Errorf("no %q channel to %s", label, p.remote)
		}
	}
}

func (p *conn) lostErr() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		return p.err
	}
	return fmt.Errorf("%w: %s", ErrConnectionLost, p.remote)
}

func (p *conn) readLoop(label string, ch *channel) {
	defer p.wg.Done()
	buf := make([]byte, readBufSize)
	for {
		n, isString, err := ch.rwc.ReadDataChannel(buf)
		if err != nil {
			if !errors.Is(err, io.EOF) {
				p.c.log.Debug("channel read ended", append(p.logf(), "label", label, "err", err)...)
			}
			return
		}
		if !isString {
			continue // the protocol is text JSON; binary frames are dropped like the browser does
		}
		p.onFrame(label, append([]byte(nil), buf[:n]...))
	}
}

func (p *conn) onFrame(label string, frame []byte) {
	switch label {
	case "connectedViaRTC":
		// The handshake may overtake the opening of other channels (no order across
		// channels): connected once it came and every expected channel is open.
		p.mu.Lock()
		p.gotHandshake = true
		ready := p.opened >= p.expected
		p.mu.Unlock()
		if !p.offerer && ready {
			p.markConnected()
		}
	case "question":
		var q questionFrame
		if json.Unmarshal(frame, &q) != nil || q.Question.Topic == "" {
			return
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.onQuestion(q)
		}()
	case "answer":
		var a answerFrame
		if json.Unmarshal(frame, &a) != nil {
			return
		}
		p.mu.Lock()
		ch := p.asks[a.N]
		delete(p.asks, a.N)
		p.mu.Unlock()
		if ch != nil {
			ch <- a
		}
	case "chat", "dm":
		var text string
		if json.Unmarshal(frame, &text) != nil {
			return
		}
		if !p.awaitVerified() {
			return // nothing from an unverified peer reaches the user
		}
		p.c.emit(Event{Type: EventMessage, Peer: p.remote, Bare: p.bare, Channel: label, Text: text})
	case "ping":
		if p.awaitVerified() {
			_ = p.send("pong", "pong")
		}
	case "streamoffer":
		_ = p.send("endcall", nil) // we take no calls: decline (§5.6)
	case labelControl:
		var m controlFrame
		if json.Unmarshal(frame, &m) != nil {
			return
		}
		switch m.Type {
		case "verified":
			p.theyOnce.Do(func() { close(p.theyVerifiedCh) })
		case "refused":
			p.close(fmt.Errorf("%w: %s refused us: %s", ErrNotVerified, p.remote, refusalText(m.Reason, p.bare)))
		}
	}
}

type controlFrame struct {
	Type   string `json:"type"`
	Reason string `json:"reason,omitempty"`
}

// awaitVerified blocks until our verification of the peer ended; true if it succeeded.
func (p *conn) awaitVerified() bool {
	select {
	case <-p.verifiedCh:
		return true
	case <-p.done:
		return false
	}
}

// close ends the connection once, recording why.
func (p *conn) close(err error) {
	p.closeOnce.Do(func() {
		graceful := err == nil
		p.mu.Lock()
		p.closed = true
		if p.err == nil {
			if err == nil {
				err = fmt.Errorf("%w: closed", ErrConnectionLost)
			}
			p.err = err
		}
		asks := p.asks
		p.asks = map[int]chan answerFrame{}
		chans := p.chans
		pc, cleanup, pipe := p.pc, p.cleanup, p.pipe
		p.mu.Unlock()
		if graceful && pc != nil {
			flush(pc, chans) // a graceful close delivers what we already sent
		}
		// done before cancel: whoever sees the context end can already read why.
		close(p.done)
		p.cancel()
		for _, ch := range asks {
			close(ch)
		}
		for _, ch := range chans {
			_ = ch.rwc.Close()
		}
		if pipe != nil && graceful {
			_ = pipe.Close()
		}
		if pc != nil {
			_ = pc.GracefulClose()
		}
		if pipe != nil && !graceful {
			// The connection failed: what is still queued will never be acknowledged, so
			// close the PeerConnection first (ending the stream's reads and writes at once)
			// instead of letting the stream wait closeGrace for acknowledgements.
			_ = pipe.Close()
		}
		if cleanup != nil {
			_ = cleanup()
		}
		p.c.forget(p)
		p.c.resolveWants(p, p.err)
		ev := Event{Type: EventDisconnected, Peer: p.remote, Bare: p.bare, Err: p.err}
		if graceful {
			ev.Err = nil // we ended it: not a failure
		}
		p.c.emit(ev)
	})
}

func (p *conn) wait() {
	<-p.done
	p.wg.Wait()
}

// flush waits, briefly, until the message channels handed every queued byte to the peer.
// The pipe stream flushes itself; a connection that is no longer up has nobody to flush to.
func flush(pc *webrtc.PeerConnection, chans map[string]*channel) {
	deadline := time.Now().Add(2 * time.Second)
	for label, ch := range chans {
		if label == labelPipe {
			continue
		}
		for ch.dc.ReadyState() == webrtc.DataChannelStateOpen && ch.dc.BufferedAmount() > 0 &&
			pc.ConnectionState() == webrtc.PeerConnectionStateConnected && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
	}
}

// refusalText explains a peer's refusal reason in terms of what the user can do.
func refusalText(reason, peer string) string {
	switch reason {
	case "not pinned":
		return fmt.Sprintf("%s has not pinned our key; give them the output of 'rtchat keys show' to register", peer)
	case "key mismatch":
		return fmt.Sprintf("%s has a different key pinned for our name; if we changed keys, they must re-register us with --replace", peer)
	case "no proof", "bad proof":
		return fmt.Sprintf("%s could not verify our proof of identity (%s)", peer, reason)
	}
	if len(reason) > 200 {
		reason = reason[:200]
	}
	return fmt.Sprintf("%q", reason)
}
