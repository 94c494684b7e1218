package commands

import (
	"math"
	"time"

	"github.com/rtchat/rtchat/rtc"
)

func newPathJSON(p *rtc.Peer, path rtc.Path) pathJSON {
	o := pathJSON{Type: "path", Peer: p.Name(), Name: p.Bare(), Local: path.Local, Remote: path.Remote,
		Protocol: path.Protocol, Relay: path.Relay, RelayProtocol: path.RelayProtocol,
		LocalAddress: path.LocalAddr, RemoteAddress: path.RemoteAddr}
	if path.RTT > 0 {
		ms := math.Round(float64(path.RTT)/float64(time.Microsecond)) / 1000
		o.RTTms = &ms
	}
	return o
}
