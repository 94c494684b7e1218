package iceconf

import (
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
)

// plant puts a loopback connection where Prewarm puts the spare (Prewarm builds none for
// loopback, and tests bind nothing but 127.0.0.1, so the refill after a take is off).
func plant(t *testing.T, c Config, age time.Duration) *Conn {
	t.Helper()
	t.Setenv(envICESpare, "0")
	conn, err := Loopback().newConn(nil, 1)
	if err != nil {
		t.Fatal(err)
	}
	s := &c.shared.spare
	s.mu.Lock()
	s.conns = append(s.conns, spareConn{conn: conn, at: time.Now().Add(-age)})
	s.mu.Unlock()
	return conn
}

func TestSpareTakenOnceBySNAP(t *testing.T) {
	c, err := Parse("stun:127.0.0.1:3478")
	if err != nil {
		t.Fatal(err)
	}
	spare := plant(t, c, 0)
	// A web page's connection (no SNAP) does not fit: SNAP is fixed at construction.
	if got := c.takeSpare(nil); got != nil {
		t.Fatal("a connection without SNAP took the spare")
	}
	rt := c
	rt.SNAP = true
	if got := rt.takeSpare(nil); got != spare {
		t.Fatalf("SNAP connection got %p, want the spare %p", got, spare)
	}
	if got := rt.takeSpare(nil); got != nil {
		t.Fatal("the spare was handed out twice")
	}
	_ = spare.Close()
	if err := c.Release(); err != nil {
		t.Fatal(err)
	}
}

// Two spares: the glare's loser answers on the second while the first carries its offer.
// Each is handed out once, the older first.
func TestSparesTakenOldestFirst(t *testing.T) {
	c, err := Parse("stun:127.0.0.1:3478")
	if err != nil {
		t.Fatal(err)
	}
	c.SNAP = true
	first := plant(t, c, time.Second)
	second := plant(t, c, 0)
	for i, want := range []*Conn{first, second, nil} {
		if got := c.takeSpare(nil); got != want {
			t.Fatalf("take %d: got %p, want %p", i+1, got, want)
		}
	}
	_ = first.Close()
	_ = second.Close()
	if err := c.Release(); err != nil {
		t.Fatal(err)
	}
}

func TestSpareTooOldIsClosed(t *testing.T) {
	c, err := Parse("stun:127.0.0.1:3478")
	if err != nil {
		t.Fatal(err)
	}
	c.SNAP = true
	old := plant(t, c, SpareMaxAge+time.Second)
	if got := c.takeSpare(nil); got != nil {
		t.Fatal("a spare older than SpareMaxAge was used (its NAT mapping may be gone)")
	}
	if old.PC.ConnectionState() != webrtc.PeerConnectionStateClosed {
		t.Fatalf("stale spare not closed: %v", old.PC.ConnectionState())
	}
}

func TestReleaseClosesSpareAndStopsPrewarm(t *testing.T) {
	c, err := Parse("stun:127.0.0.1:3478")
	if err != nil {
		t.Fatal(err)
	}
	spare := plant(t, c, 0)
	if err := c.Release(); err != nil {
		t.Fatal(err)
	}
	if spare.PC.ConnectionState() != webrtc.PeerConnectionStateClosed {
		t.Fatal("Release left the spare open")
	}
	c.Prewarm(nil) // after Release: builds nothing (it would leak past the client's Close)
	c.shared.spare.mu.Lock()
	defer c.shared.spare.mu.Unlock()
	if len(c.shared.spare.conns) != 0 || c.shared.spare.building != 0 {
		t.Fatal("Prewarm after Release built a spare")
	}
}

func TestPrewarmNotForLoopback(t *testing.T) {
	c := Loopback()
	c.Prewarm(nil)
	if len(c.shared.spare.conns) != 0 {
		t.Fatal("loopback built a spare")
	}
	if err := c.Release(); err != nil {
		t.Fatal(err)
	}
}
