package direct

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// punchPair makes a decider and a follower that only punch (no listeners on host
// addresses), from 127.0.0.1, announcing 127.0.0.1 as their public address.
func punchPair(t *testing.T) (d, f *Session) {
	t.Helper()
	if !punchSupported {
		t.Skip("no hole punching on this platform (no SO_REUSEPORT)")
	}
	lo := netip.MustParseAddr("127.0.0.1")
	var err error
	if d, err = Listen(Config{Decider: true, Punch: []netip.Addr{lo}, PunchFrom: lo}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	if f, err = Listen(Config{Punch: []netip.Addr{lo}, PunchFrom: lo}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	if len(d.Offer().Punch) != 1 || len(f.Offer().Punch) != 1 || len(d.Offer().Addrs) != 0 {
		t.Fatalf("offers %+v %+v: want one punch address each and no listeners", d.Offer(), f.Offer())
	}
	return d, f
}

// TestPunchConnects: two sides that only punch get one verified connection between their
// punch ports (each dials the other's from its own, so the connection is whichever SYN
// won, or a simultaneous open), the decider as TLS server.
func TestPunchConnects(t *testing.T) {
	d, f := punchPair(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var dc, fc net.Conn
	var derr, ferr error
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); dc, derr = d.Decide(ctx, f.Offer(), nil) }()
	go func() { defer wg.Done(); fc, ferr = f.Follow(ctx, d.Offer(), nil, nil) }()
	wg.Wait()
	if derr != nil || ferr != nil {
		t.Fatalf("decide: %v, follow: %v", derr, ferr)
	}
	defer dc.Close()
	defer fc.Close()
	if dc.LocalAddr().String() != d.Offer().Punch[0] || dc.RemoteAddr().String() != f.Offer().Punch[0] {
		t.Fatalf("decider's connection %s -> %s, want between the punch ports %s and %s",
			dc.LocalAddr(), dc.RemoteAddr(), d.Offer().Punch[0], f.Offer().Punch[0])
	}
	go func() { _, _ = dc.Write([]byte("ping")) }()
	b := make([]byte, 4)
	if _, err := io.ReadFull(fc, b); err != nil || string(b) != "ping" {
		t.Fatalf("follower read %q, %v", b, err)
	}
	if st := fc.(*tls.Conn).ConnectionState(); st.Version != tls.VersionTLS13 || st.NegotiatedProtocol != alpn {
		t.Fatalf("TLS %x %q", st.Version, st.NegotiatedProtocol)
	}
}

// TestPunchRetriesRefusedDial: the peer's punch port refuses the first dials (nothing
// listens there yet, as a NAT may reset a SYN that comes before the peer's own); the
// decider keeps dialling from its punch port and connects once the follower is there.
func TestPunchRetriesRefusedDial(t *testing.T) {
	d, f := punchPair(t)
	fo := f.Offer()
	// Free the follower's port until it follows: dials to it are refused meanwhile.
	f.punchLn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	type res struct {
		c   net.Conn
		err error
	}
	dr := make(chan res, 1)
	go func() { c, err := d.Decide(ctx, fo, nil); dr <- res{c, err} }()
	// The decider dials (and is refused) while the follower is away; no wait of ours
	// decides that: the follower comes back when the decider's dial count says so.
	deadline := time.Now().Add(5 * time.Second)
	for d.punchDials.Load() < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("the decider dialled %d times, want it to keep dialling", d.punchDials.Load())
		}
		time.Sleep(5 * time.Millisecond) // polling a counter, not synchronising on time
	}
	lc := net.ListenConfig{Control: reuseControl}
	ln, err := lc.Listen(context.Background(), "tcp4", fo.Punch[0])
	if err != nil {
		t.Fatal(err)
	}
	f.punchLn = ln
	fc, ferr := f.Follow(ctx, d.Offer(), nil, nil)
	r := <-dr
	if r.err != nil || ferr != nil {
		t.Fatalf("decide: %v, follow: %v", r.err, ferr)
	}
	r.c.Close()
	fc.Close()
}

// TestPunchImpostorRefused: whoever answers at a punch address without the announced
// certificate (here a TLS client with its own, as a follower would be on a punched
// connection) gets no connection from the decider, and no Ready is read from it.
func TestPunchImpostorRefused(t *testing.T) {
	d, f := punchPair(t)
	cert, _, err := newCert()
	if err != nil {
		t.Fatal(err)
	}
	var completed atomic.Int32
	ln, accepted := countingListener(t, func(c net.Conn) {
		defer c.Close()
		tc := tls.Client(c, &tls.Config{Certificates: []tls.Certificate{cert}, InsecureSkipVerify: true, //nolint:gosec
			MinVersion: tls.VersionTLS13, NextProtos: []string{alpn}})
		_ = tc.SetDeadline(time.Now().Add(5 * time.Second))
		if tc.Handshake() != nil {
			return
		}
		_, _ = tc.Write([]byte{markReady})
		var b [1]byte
		if _, err := tc.Read(b[:]); err == nil {
			completed.Add(1) // it read Use: the decider took it
		}
	})
	fo := f.Offer()
	fo.Punch = []string{ln.Addr().String()}
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	if _, err := d.Decide(ctx, fo, nil); !errors.Is(err, ErrNoConnection) {
		t.Fatalf("Decide: %v, want ErrNoConnection", err)
	}
	if accepted.Load() == 0 {
		t.Fatal("the impostor was never dialled: the test proves nothing")
	}
	if completed.Load() != 0 {
		t.Fatal("the decider took the impostor's connection")
	}
}

// TestPunchNotAllowedNotDialled: a punch address whose IP the caller does not allow is
// never dialled.
func TestPunchNotAllowedNotDialled(t *testing.T) {
	d, f := punchPair(t)
	ln, dialled := countingListener(t, func(c net.Conn) { c.Close() })
	fo := f.Offer()
	fo.Punch = []string{ln.Addr().String()}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if _, err := d.Decide(ctx, fo, func(netip.Addr) bool { return false }); !errors.Is(err, ErrNoConnection) {
		t.Fatalf("Decide: %v", err)
	}
	if dialled.Load() != 0 || d.punchDials.Load() != 0 {
		t.Fatalf("dialled a forbidden address (%d accepted, %d dials)", dialled.Load(), d.punchDials.Load())
	}
}
