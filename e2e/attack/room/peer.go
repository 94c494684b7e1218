package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"
)

// browserLabels are the web client's 11 data channels in its creation order (§5.2);
// rtchat peers add the "rtchat" control channel (docs/rtchat-protocol.md).
var browserLabels = []string{
	"connectedViaRTC", "dm", "chat", "question", "answer",
	"ping", "pong", "streamice", "streamoffer", "streamanswer", "endcall",
}

func rtchatLabels() []string { return append(append([]string{}, browserLabels...), "rtchat") }

// newAPI is a pion API on its own 127.0.0.1 UDP socket with loopback host candidates only
// and mDNS off: the settings of rtchat's --ice loopback (rtc/iceconf).
func newAPI() (*webrtc.API, ice.UDPMux, error) {
	udp, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, nil, err
	}
	mux := ice.NewUDPMuxDefault(ice.UDPMuxParams{UDPConn: udp})
	se := webrtc.SettingEngine{}
	se.SetICEUDPMux(mux)
	se.SetIncludeLoopbackCandidate(true)
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	return webrtc.NewAPI(webrtc.WithSettingEngine(se)), mux, nil
}

// peer is one PeerConnection speaking the web client's data-channel protocol (§5):
// event-driven channels, one JSON value per text frame.
type peer struct {
	name, remote string
	offerer      bool
	labels       []string // channels we create as offerer
	pc           *webrtc.PeerConnection
	mux          ice.UDPMux
	onFrame      func(label string, data []byte)

	mu        sync.Mutex
	chans     map[string]*webrtc.DataChannel
	added     chan struct{} // closed and replaced when a channel opens
	opened    int
	allOpen   chan struct{}
	closed    chan struct{} // the connection failed or was closed
	closeOnce sync.Once
	openOnce  sync.Once
}

func newPeer(name, remote string, offerer bool, labels []string, onFrame func(string, []byte)) (*peer, error) {
	api, mux, err := newAPI()
	if err != nil {
		return nil, err
	}
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		_ = mux.Close()
		return nil, err
	}
	p := &peer{
		name: name, remote: remote, offerer: offerer, labels: labels, pc: pc, mux: mux, onFrame: onFrame,
		chans: map[string]*webrtc.DataChannel{}, added: make(chan struct{}), allOpen: make(chan struct{}), closed: make(chan struct{}),
	}
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		switch s {
		case webrtc.PeerConnectionStateFailed, webrtc.PeerConnectionStateClosed, webrtc.PeerConnectionStateDisconnected:
			p.closeOnce.Do(func() { close(p.closed) })
		}
	})
	pc.OnDataChannel(p.adopt)
	return p, nil
}

func (p *peer) adopt(dc *webrtc.DataChannel) {
	dc.OnOpen(func() {
		p.mu.Lock()
		if _, dup := p.chans[dc.Label()]; !dup {
			p.chans[dc.Label()] = dc
			p.opened++
		}
		close(p.added)
		p.added = make(chan struct{})
		all := p.offerer && p.opened == len(p.labels)
		p.mu.Unlock()
		if all {
			p.openOnce.Do(func() {
				// The offerer's connected handshake: the 4-char text null (§5.3).
				_ = p.chans["connectedViaRTC"].SendText("null")
				close(p.allOpen)
			})
		}
	})
	dc.OnMessage(func(m webrtc.DataChannelMessage) {
		if m.IsString && p.onFrame != nil {
			p.onFrame(dc.Label(), m.Data)
		}
	})
}

// gather sets the local description and waits until every candidate is in it.
func (p *peer) gather(ctx context.Context, desc webrtc.SessionDescription) (string, error) {
	done := webrtc.GatheringCompletePromise(p.pc)
	if err := p.pc.SetLocalDescription(desc); err != nil {
		return "", err
	}
	select {
	case <-done:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	return p.pc.LocalDescription().SDP, nil
}

// createOffer creates our channels and returns a gathered offer SDP.
func (p *peer) createOffer(ctx context.Context) (string, error) {
	for _, l := range p.labels {
		dc, err := p.pc.CreateDataChannel(l, nil)
		if err != nil {
			return "", err
		}
		p.adopt(dc)
	}
	o, err := p.pc.CreateOffer(nil)
	if err != nil {
		return "", err
	}
	return p.gather(ctx, o)
}

// createAnswer applies a remote offer and returns a gathered answer SDP.
func (p *peer) createAnswer(ctx context.Context, offer string) (string, error) {
	if err := p.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		return "", fmt.Errorf("apply offer: %w", err)
	}
	a, err := p.pc.CreateAnswer(nil)
	if err != nil {
		return "", err
	}
	return p.gather(ctx, a)
}

func (p *peer) applyAnswer(sdp string) error {
	return p.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: sdp})
}

// dial offers to remote through the room and waits until every channel is open and the
// connected handshake was sent. info is the userInfo our offer carries.
func (p *peer) dial(ctx context.Context, r *room, info userInfo) error {
	sdp, err := p.createOffer(ctx)
	if err != nil {
		return err
	}
	ans, off := awaitAnswer(r, p.remote, p.name)
	defer off()
	err = r.publish(ctx, p.name, subOffer, map[string]any{
		"userInfo": info,
		"offer":    map[string]any{"localDescription": sessionDesc{Type: "offer", SDP: sdp}, "target": p.remote},
	})
	if err != nil {
		return err
	}
	var env envelope
	select {
	case env = <-ans:
	case <-ctx.Done():
		return ErrNoAnswer
	}
	var d answerData
	if err := json.Unmarshal(env.Data, &d); err != nil {
		return err
	}
	if err := p.applyAnswer(d.LocalDescription.SDP); err != nil {
		return err
	}
	select {
	case <-p.allOpen:
		return nil
	case <-p.closed:
		return errors.New("connection closed before its channels opened")
	case <-ctx.Done():
		return fmt.Errorf("channels did not open: %w", ctx.Err())
	}
}

// send writes one JSON value as a text frame, waiting up to 10 s for the channel to open
// like the web client does (§7).
func (p *peer) send(label string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	t := time.NewTimer(10 * time.Second)
	defer t.Stop()
	for {
		p.mu.Lock()
		dc, added := p.chans[label], p.added
		p.mu.Unlock()
		if dc != nil {
			return dc.SendText(string(b))
		}
		select {
		case <-added:
		case <-p.closed:
			return errors.New("connection closed")
		case <-t.C:
			return fmt.Errorf("no %q channel", label)
		}
	}
}

func (p *peer) close() {
	_ = p.pc.Close()
	_ = p.mux.Close()
	p.closeOnce.Do(func() { close(p.closed) })
}

// deadSDP is a valid offer whose candidates point nowhere: a real pion offer with our 12
// channels whose PeerConnection and socket are closed at once. Each call returns a new
// one (fresh ufrag, password, fingerprint, port).
func deadSDP(ctx context.Context) (string, error) {
	p, err := newPeer("x", "y", true, rtchatLabels(), nil)
	if err != nil {
		return "", err
	}
	defer p.close()
	return p.createOffer(ctx)
}

// varySDP gives a template SDP a fresh ICE username and password, so that many offers
// made from one template are distinct sessions.
func varySDP(sdp string) string {
	var b strings.Builder
	for _, line := range strings.SplitAfter(sdp, "\n") {
		switch {
		case strings.HasPrefix(line, "a=ice-ufrag:"):
			b.WriteString("a=ice-ufrag:" + randHex(8) + "\r\n")
		case strings.HasPrefix(line, "a=ice-pwd:"):
			b.WriteString("a=ice-pwd:" + randHex(16) + "\r\n")
		default:
			b.WriteString(line)
		}
	}
	return b.String()
}

// latin1 decodes a latin-1 char-code string (§6.2) to bytes.
func latin1(s string) ([]byte, bool) {
	out := make([]byte, 0, len(s))
	for _, r := range s {
		if r > 0xFF {
			return nil, false
		}
		out = append(out, byte(r))
	}
	return out, true
}

// boundMessage is what rtchat's bound proofs sign (docs/rtchat-protocol.md).
func boundMessage(challenge []byte, offererFP, answererFP string) []byte {
	msg := []byte("rtchat-dtls-bound-v1\x00")
	msg = append(msg, challenge...)
	msg = append(msg, 0)
	msg = append(msg, offererFP...)
	msg = append(msg, 0)
	return append(msg, answererFP...)
}
