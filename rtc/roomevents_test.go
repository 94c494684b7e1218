package rtc

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// TestJoinedEvent: a joined event comes once per connection, after both sides verified, and
// by then Peers() lists the peer (so a line sent on it arrives); it carries what the
// verified event said.
func TestJoinedEvent(t *testing.T) {
	_, url := startBroker(t)
	room := uniqueRoom(t)
	aID, bID := testIdentity(t, "ann", 0), testIdentity(t, "ben", 1)
	a := startClient(t, url, room, aID, clientOpts{role: RoleRoom, pins: map[string]string{"ben": bID.PublicJWK}})
	b := startClient(t, url, room, bID, clientOpts{role: RoleRoom, pins: map[string]string{"ann": aID.PublicJWK}})
	for _, c := range []*testClient{a, b} {
		other := b
		if c == b {
			other = a
		}
		e := c.waitEvent(t, EventJoined, 20*time.Second, nil)
		if e.Peer != other.Name() || e.Bare != other.bare || !e.Bound || e.Unverified || e.Fingerprint != other.id.Fingerprint() {
			t.Fatalf("%s: joined event %+v", c.Name(), e)
		}
		// Emitted by the room loop once the peer is in Peers(): no waiting needed.
		peers := c.Peers()
		if len(peers) != 1 || peers[0].Name() != other.Name() {
			t.Fatalf("%s: Peers() right after joined: %v", c.Name(), peers)
		}
	}
	if err := a.Peers()[0].Chat("first"); err != nil {
		t.Fatal(err)
	}
	b.waitEvent(t, EventMessage, 10*time.Second, func(e Event) bool { return e.Text == "first" })
	a.noEvent(t, EventJoined, 300*time.Millisecond) // once per connection
}

// TestKeylessRefusedInRoom: a process in the room learns at once, from a refused event, that
// a client without identity keys is not talked to under the default policy.
func TestKeylessRefusedInRoom(t *testing.T) {
	_, url := startBroker(t)
	room := uniqueRoom(t)
	g := startClient(t, url, room, testIdentity(t, "aaron", 0), clientOpts{role: RoleRoom, trust: TrustTOFU})
	br := newBrowser(t, url, room, "Zed", nil)
	br.keyless = true
	br.announce()
	e := g.waitEvent(t, EventRefused, 10*time.Second, nil)
	if e.Peer != "Zed" || !errors.Is(e.Err, ErrNotVerified) || !strings.Contains(e.Err.Error(), "without identity keys") ||
		!strings.Contains(Hint(e.Err), "--trust unverified") {
		t.Fatalf("refused event %+v (hint %q)", e, Hint(e.Err))
	}
	br.announce() // the same presence again: said once
	g.noEvent(t, EventRefused, 500*time.Millisecond)
}

// TestDowngradedRefusedInListen: a web page (or keyless client) in a name pinned as an rtchat
// peer is reported to listen at once, once per presence, with the downgrade reason and how
// to pin a web page; a keyless stranger is reported to listen too, not only to the room.
func TestDowngradedRefusedInListen(t *testing.T) {
	_, url := startBroker(t)
	room := uniqueRoom(t)
	webID := testIdentity(t, "wendy", 1)
	g := startClient(t, url, room, testIdentity(t, "lars", 0), clientOpts{role: RoleListen, pins: map[string]string{"wendy": webID.PublicJWK}})
	br := newBrowser(t, url, room, "wendy", webID)
	br.announce()
	e := g.waitEvent(t, EventRefused, 10*time.Second, nil)
	if e.Peer != "wendy" || !errors.Is(e.Err, ErrNotVerified) || !strings.Contains(e.Err.Error(), "without rtchat's proof") ||
		!strings.Contains(Hint(e.Err), "rtchat keys register --web wendy") {
		t.Fatalf("refused event %+v (hint %q)", e, Hint(e.Err))
	}
	br.announce() // the same presence again: said once
	g.noEvent(t, EventRefused, 500*time.Millisecond)

	zed := newBrowser(t, url, room, "zed", nil)
	zed.keyless = true
	zed.announce()
	e = g.waitEvent(t, EventRefused, 10*time.Second, nil)
	if e.Peer != "zed" || !strings.Contains(e.Err.Error(), "without identity keys") {
		t.Fatalf("keyless refused event %+v", e)
	}
}
