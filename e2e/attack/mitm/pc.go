package main

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"
)

// peerConn is one of the attacker's own PeerConnections with the UDP mux it owns.
type peerConn struct {
	pc  *webrtc.PeerConnection
	mux ice.UDPMux
}

// newPeerConn builds a PeerConnection with the settings of rtchat's --ice loopback
// (rtc/iceconf Loopback): one UDP socket on 127.0.0.1, loopback host candidates only, UDP4,
// no ICE servers, mDNS off. Data channels are not detached: the relay works with OnMessage.
// alwaysData puts an application m-line into an offer without any data channel yet, so that
// channels can be opened later, as the victim on the other side opens its own.
func newPeerConn(alwaysData bool) (*peerConn, error) {
	udp, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, fmt.Errorf("ice socket: %w", err)
	}
	_ = udp.SetReadBuffer(4 << 20)
	_ = udp.SetWriteBuffer(4 << 20)
	mux := ice.NewUDPMuxDefault(ice.UDPMuxParams{UDPConn: udp})
	se := webrtc.SettingEngine{}
	se.SetICEUDPMux(mux)
	se.SetIncludeLoopbackCandidate(true)
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	api := webrtc.NewAPI(webrtc.WithSettingEngine(se))
	pc, err := api.NewPeerConnection(webrtc.Configuration{AlwaysNegotiateDataChannels: alwaysData})
	if err != nil {
		_ = mux.Close()
		return nil, err
	}
	return &peerConn{pc: pc, mux: mux}, nil
}

// gather sets the local description and returns the SDP once every candidate is in it
// (rtchat peers never trickle, and take none from rtchat peers).
func (p *peerConn) gather(ctx context.Context, desc webrtc.SessionDescription) (string, error) {
	done := webrtc.GatheringCompletePromise(p.pc)
	if err := p.pc.SetLocalDescription(desc); err != nil {
		return "", fmt.Errorf("set local description: %w", err)
	}
	t := time.NewTimer(10 * time.Second)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	return p.pc.LocalDescription().SDP, nil
}

func (p *peerConn) close() {
	_ = p.pc.GracefulClose()
	_ = p.mux.Close()
}

func contextWithCancel() (context.Context, context.CancelFunc) {
	return context.WithCancel(context.Background())
}
