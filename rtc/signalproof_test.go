package rtc

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// proveCounter counts the rtchat.prove questions a client answers or asks, from its log.
type proveCounter struct {
	mu    sync.Mutex
	lines []string
}

func (c *proveCounter) logger() *slog.Logger {
	return slog.New(&msgHook{on: func(m string) {
		c.mu.Lock()
		c.lines = append(c.lines, m)
		c.mu.Unlock()
	}})
}

func (c *proveCounter) has(msg string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, l := range c.lines {
		if l == msg {
			return true
		}
	}
	return false
}

// TestSignalProofPinnedBothWays: two rtchat peers pinned to each other verify each other
// from the signed offer and answer: no rtchat.prove either way, and each knows from the other's
// signed claim that it was verified, so the dial succeeds without the verified message.
func TestSignalProofPinnedBothWays(t *testing.T) {
	_, url := startBroker(t)
	room := uniqueRoom(t)
	aID, bID := testIdentity(t, "alice", 0), testIdentity(t, "bob", 1)
	var logA, logB proveCounter
	bob := startClient(t, url, room, bID, clientOpts{role: RoleListen, pins: map[string]string{"alice": aID.PublicJWK}, log: logB.logger(),
		onQuestion: func(context.Context, *Peer, string, json.RawMessage) (any, error) { return "ok", nil }})
	alice := startClient(t, url, room, aID, clientOpts{role: RoleAsk, pins: map[string]string{"bob": bID.PublicJWK}, log: logA.logger()})
	p, err := alice.Dial(ctxFor(t, 20*time.Second), "bob")
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	if !p.Bound() || !p.p.proof.signal || p.Fingerprint() != bID.Fingerprint() {
		t.Fatalf("alice verified bob with bound=%v signal=%v fp=%q", p.Bound(), p.p.proof.signal, p.Fingerprint())
	}
	if _, err := p.Ask(ctxFor(t, 10*time.Second), "x", 1); err != nil {
		t.Fatalf("Ask: %v", err)
	}
	e := bob.waitEvent(t, EventVerified, 5*time.Second, nil)
	if e.Bare != "alice" || !e.Bound {
		t.Fatalf("bob verified %+v", e)
	}
	for who, l := range map[string]*proveCounter{"alice": &logA, "bob": &logB} {
		if !l.has("verified by the signed signaling") {
			t.Errorf("%s did not verify its peer by the signed signaling", who)
		}
	}
}

// TestSignalProofTOFUListener: bob has not pinned alice (trust on first use), so its answer
// makes no claim and it asks alice's rtchat.prove; alice verifies bob from the signaling but
// waits for bob's verified message before the dial succeeds.
func TestSignalProofTOFUListener(t *testing.T) {
	_, url := startBroker(t)
	room := uniqueRoom(t)
	aID, bID := testIdentity(t, "alice", 0), testIdentity(t, "bob", 1)
	var logA, logB proveCounter
	bob := startClient(t, url, room, bID, clientOpts{role: RoleListen, trust: TrustTOFU, log: logB.logger()})
	alice := startClient(t, url, room, aID, clientOpts{role: RoleAsk, pins: map[string]string{"bob": bID.PublicJWK}, log: logA.logger()})
	p, err := alice.Dial(ctxFor(t, 20*time.Second), "bob")
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	if !p.p.proof.signal {
		t.Fatal("alice did not verify bob (pinned) by the signaling")
	}
	e := bob.waitEvent(t, EventVerified, 5*time.Second, nil)
	if e.Bare != "alice" || !e.Bound {
		t.Fatalf("bob verified %+v", e)
	}
	if logB.has("verified by the signed signaling") {
		t.Error("bob took the signaling of a name it has not pinned as proof")
	}
}

func TestSDPSHA256(t *testing.T) {
	fp := "sha-256 " + strings.Repeat("ab:", 31) + "ab"
	sum, ok := sdpSHA256(fp)
	if !ok || sum[0] != 0xab || sum[31] != 0xab {
		t.Fatalf("sdpSHA256(%q) = %x, %v", fp, sum, ok)
	}
	for _, bad := range []string{"", "sha-1 ab:cd", "sha-384 " + strings.Repeat("ab:", 47) + "ab",
		"sha-256 " + strings.Repeat("ab:", 30) + "ab", "sha-256 " + strings.Repeat("abab", 16), "sha-256 " + strings.Repeat("zz:", 31) + "zz"} {
		if _, ok := sdpSHA256(bad); ok {
			t.Errorf("sdpSHA256(%q) accepted", bad)
		}
	}
}

// TestSignalProofOlderPeer: a process of the release before the signal proof (no bind in its
// presence, rtchat.prove for everyone) and a current one, pinned to each other, in both
// roles: each dial succeeds; the older side never gets a claim it could not verify, and the
// current side verifies it from the signaling but waits for its verified message.
func TestSignalProofOlderPeer(t *testing.T) {
	for _, oldListens := range []bool{true, false} {
		name := "older dialer"
		if oldListens {
			name = "older listener"
		}
		t.Run(name, func(t *testing.T) {
			_, url := startBroker(t)
			room := uniqueRoom(t)
			aID, bID := testIdentity(t, "alice", 0), testIdentity(t, "bob", 1)
			var logA, logB proveCounter
			bob := startClient(t, url, room, bID, clientOpts{role: RoleListen, pins: map[string]string{"alice": aID.PublicJWK},
				log: logB.logger(), noSigProof: oldListens,
				onQuestion: func(context.Context, *Peer, string, json.RawMessage) (any, error) { return "ok", nil }})
			alice := startClient(t, url, room, aID, clientOpts{role: RoleAsk, pins: map[string]string{"bob": bID.PublicJWK},
				log: logA.logger(), noSigProof: !oldListens})
			p, err := alice.Dial(ctxFor(t, 20*time.Second), "bob")
			if err != nil {
				t.Fatalf("Dial: %v", err)
			}
			if _, err := p.Ask(ctxFor(t, 10*time.Second), "x", 1); err != nil {
				t.Fatalf("Ask: %v", err)
			}
			if e := bob.waitEvent(t, EventVerified, 5*time.Second, nil); e.Bare != "alice" || !e.Bound {
				t.Fatalf("bob verified %+v", e)
			}
			older, current := &logB, &logA
			if !oldListens {
				older, current = &logA, &logB
			}
			if older.has("verified by the signed signaling") {
				t.Error("the older release took the signal proof")
			}
			if !current.has("verified by the signed signaling") {
				t.Error("the current release did not verify the older peer by its signed signaling")
			}
		})
	}
}
