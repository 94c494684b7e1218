package rtc

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"
)

// TestCloseNowPeerSeesLeave: an asker that leaves with CloseNow right after its answer sends
// no bye and waits for no acknowledgement; the listener still learns that it left on
// purpose (its DTLS close_notify), not that the connection was lost.
func TestCloseNowPeerSeesLeave(t *testing.T) {
	alice, bob := pair(t, RoleAsk, func(context.Context, *Peer, string, json.RawMessage) (any, error) { return "42", nil })
	p, err := alice.Dial(ctxFor(t, 20*time.Second), "bob")
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	bob.waitEvent(t, EventVerified, 5*time.Second, nil)
	ans, err := p.Ask(ctxFor(t, 10*time.Second), "question", "?")
	if err != nil || string(ans) != `"42"` {
		t.Fatalf("Ask: %s, %v", ans, err)
	}
	if err := alice.CloseNow(ctxFor(t, 10*time.Second)); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.Done():
	default:
		t.Fatal("alice's peer is still up after CloseNow returned")
	}
	e := bob.waitEvent(t, EventDisconnected, 10*time.Second, nil)
	if !errors.Is(e.Err, ErrPeerLeft) {
		t.Fatalf("bob saw %v, want ErrPeerLeft", e.Err)
	}
	// A second close of either kind is a no-op.
	if err := alice.Close(ctxFor(t, time.Second)); err != nil {
		t.Fatal(err)
	}
}
