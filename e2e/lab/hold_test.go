package lab_test

import (
	"os"
	"testing"
	"time"

	"github.com/rtchat/rtchat/lab"
)

// TestLabHold is a debugging aid, not a case: with RTCHAT_LAB_HOLD=DURATION it builds the
// two-home lab (symmetric NATs by default, RTCHAT_LAB_NAT=cone for cone; RTCHAT_LAB_RTT for
// a delay), prints the
// namespaces and the commands to use them, and keeps everything up for DURATION.
func TestLabHold(t *testing.T) {
	d, err := time.ParseDuration(os.Getenv("RTCHAT_LAB_HOLD"))
	if err != nil {
		t.Skip("set RTCHAT_LAB_HOLD=10m to keep a lab up for poking at")
	}
	nat := lab.Symmetric
	if os.Getenv("RTCHAT_LAB_NAT") == "cone" {
		nat = lab.Cone
	}
	// RTCHAT_LAB_RTT=100ms delays each access link by a quarter of it.
	rtt, _ := time.ParseDuration(os.Getenv("RTCHAT_LAB_RTT"))
	link := lab.Link{Delay: rtt / 4}
	w := newWorld(t, d+time.Minute, lab.Home{Name: "a", NAT: nat, Link: link}, lab.Home{Name: "b", NAT: nat, Link: link})
	t.Logf("internet: %s; alice's host: %s; bob's host: %s", w.lab.Inet(), w.lab.Host("a", 0), w.lab.Host("b", 0))
	t.Logf("e.g.: ip netns exec %s env RTCHAT_CONFIG_DIR=%s RTCHAT_BROKER=%s RTCHAT_ICE=%s %s pipe bob -v",
		w.lab.Host("a", 0), w.configDir("alice"), lab.BrokerURL, lab.TURNURL("udp"), rtchatBin)
	select {
	case <-time.After(d):
	case <-w.ctx.Done():
	}
}
