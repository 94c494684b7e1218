package rtc

import (
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
)

// restartTickers counts the goroutines that send ICE-restart ticks for an outage.
func restartTickers() int {
	buf := make([]byte, 1<<20)
	n := runtime.Stack(buf, true)
	return strings.Count(string(buf[:n]), "(*peer).startReconnecting.func")
}

// TestFlappingLinkLeavesNoRestartTicker: each outage starts a restart ticker; a reconnect
// must stop it, or a flapping link accumulates one per outage (issue 23).
func TestFlappingLinkLeavesNoRestartTicker(t *testing.T) {
	_, url := startBroker(t)
	room := uniqueRoom(t)
	aID, bID := testIdentity(t, "alice", 0), testIdentity(t, "bob", 1)
	bob := startClient(t, url, room, bID, clientOpts{role: RoleListen, pins: map[string]string{"alice": aID.PublicJWK}, reconnect: time.Minute})
	_ = bob
	alice := startClient(t, url, room, aID, clientOpts{role: RoleConnect, pins: map[string]string{"bob": bID.PublicJWK}, reconnect: time.Minute})
	p, err := alice.Dial(ctxFor(t, 20*time.Second), "bob")
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	// The transport goes and comes back three times, as pion reports it on a flapping link.
	const outages = 3
	for range outages {
		p.p.post(evPCState{webrtc.PeerConnectionStateDisconnected}, true)
		p.p.post(evPCState{webrtc.PeerConnectionStateConnected}, true)
	}
	for i := range outages {
		alice.waitEvent(t, EventReconnecting, 10*time.Second, nil)
		e := alice.waitEvent(t, EventReconnected, 10*time.Second, nil)
		if e.Bare != "bob" {
			t.Fatalf("reconnected event %d for %q", i, e.Bare)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for n := restartTickers(); n != 0; n = restartTickers() {
		if time.Now().After(deadline) {
			t.Fatalf("%d restart tickers still running after %d outages that all ended", n, outages)
		}
		runtime.Gosched()
		time.Sleep(10 * time.Millisecond) // polling a condition, with a deadline
	}
}
