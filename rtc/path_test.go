package rtc

import (
	"testing"
	"time"
)

func TestPathString(t *testing.T) {
	cases := []struct {
		p    Path
		want string
	}{
		{Path{}, "unknown"},
		{Path{Local: "srflx", Remote: "srflx", Protocol: "udp", LocalAddr: "203.0.113.6:4242", RemoteAddr: "203.0.113.10:3131", RTT: 52100 * time.Microsecond},
			"srflx 203.0.113.6:4242 ⇄ srflx 203.0.113.10:3131 (udp, direct, rtt 52.1 ms)"},
		{Path{Local: "relay", Remote: "prflx", Protocol: "udp", Relay: true, RelayProtocol: "tls", LocalAddr: "198.51.100.1:5000", RemoteAddr: "203.0.113.10:3131"},
			"relay 198.51.100.1:5000 ⇄ prflx 203.0.113.10:3131 (udp, relayed by TURN over tls)"},
		{Path{Local: "host", Remote: "relay", Protocol: "udp", Relay: true, LocalAddr: "192.168.1.10:1", RemoteAddr: "198.51.100.1:2"},
			"host 192.168.1.10:1 ⇄ relay 198.51.100.1:2 (udp, relayed by TURN)"},
	}
	for _, c := range cases {
		if got := c.p.String(); got != c.want {
			t.Errorf("got  %q\nwant %q", got, c.want)
		}
	}
}
