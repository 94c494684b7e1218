package direct

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"io"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var loopback = []netip.Addr{netip.MustParseAddr("127.0.0.1")}

// pair runs one attempt between a decider and a follower on loopback and returns both
// ends' connections (or errors).
type result struct {
	conn net.Conn
	err  error
}

func attempt(t *testing.T, dOffer, fOffer func(Offer) Offer, decideWait time.Duration) (dr, fr result, d, f *Session) {
	t.Helper()
	var err error
	d, err = Listen(Config{Decider: true, Listen: loopback})
	if err != nil {
		t.Fatal(err)
	}
	f, err = Listen(Config{Listen: loopback})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	t.Cleanup(f.Close)
	do, fo := d.Offer(), f.Offer()
	if dOffer != nil {
		do = dOffer(do)
	}
	if fOffer != nil {
		fo = fOffer(fo)
	}
	off := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), decideWait)
		defer cancel()
		dr.conn, dr.err = d.Decide(ctx, fo, nil)
		if dr.err != nil {
			close(off) // what the caller does: "off" over the verified channel
		}
	}()
	go func() {
		defer wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		fr.conn, fr.err = f.Follow(ctx, do, nil, off)
	}()
	wg.Wait()
	return dr, fr, d, f
}

// TestAttemptPicksOneConnection: both sides listen and dial, so two verified connections
// come up on loopback; the decider's Use makes both ends hold the same one.
func TestAttemptPicksOneConnection(t *testing.T) {
	dr, fr, _, _ := attempt(t, nil, nil, 10*time.Second)
	if dr.err != nil || fr.err != nil {
		t.Fatalf("decide: %v, follow: %v", dr.err, fr.err)
	}
	defer dr.conn.Close()
	defer fr.conn.Close()
	if dr.conn.LocalAddr().String() != fr.conn.RemoteAddr().String() || dr.conn.RemoteAddr().String() != fr.conn.LocalAddr().String() {
		t.Fatalf("different connections: decider %s->%s, follower %s->%s",
			dr.conn.LocalAddr(), dr.conn.RemoteAddr(), fr.conn.LocalAddr(), fr.conn.RemoteAddr())
	}
	// Bytes flow both ways on it, encrypted by TLS 1.3.
	go func() { _, _ = dr.conn.Write([]byte("ping")) }()
	b := make([]byte, 4)
	if _, err := io.ReadFull(fr.conn, b); err != nil || string(b) != "ping" {
		t.Fatalf("follower read %q, %v", b, err)
	}
	if v := dr.conn.(*tls.Conn).ConnectionState().Version; v != tls.VersionTLS13 {
		t.Fatalf("TLS version %x", v)
	}
}

// TestDeclinedOffer: an offer without a certificate declines the path on both sides.
func TestDeclinedOffer(t *testing.T) {
	noCert := func(o Offer) Offer { return Offer{V: Version} }
	dr, fr, _, f := attempt(t, nil, noCert, 5*time.Second)
	if !errors.Is(dr.err, ErrDeclined) {
		t.Fatalf("decider: %v, want ErrDeclined", dr.err)
	}
	if !errors.Is(fr.err, ErrDeclined) {
		t.Fatalf("follower: %v, want ErrDeclined", fr.err)
	}
	if f.WroteReady() {
		t.Fatal("the follower wrote Ready although nothing connected")
	}
}

// TestRefusingAddressFallsBack: the peer's announced address refuses connections (and the
// peer does not reach us either): the decider gives up at its deadline, the follower
// takes the "off" and never wrote Ready, so both carry on over WebRTC.
func TestRefusingAddressFallsBack(t *testing.T) {
	closed := closedPort(t)
	refuse := func(o Offer) Offer { o.Addrs = []string{closed}; return o }
	noAddrs := func(o Offer) Offer { o.Addrs = nil; return o }
	dr, fr, _, f := attempt(t, noAddrs, refuse, 300*time.Millisecond)
	if !errors.Is(dr.err, ErrNoConnection) {
		t.Fatalf("decider: %v, want ErrNoConnection", dr.err)
	}
	if !errors.Is(fr.err, ErrDeclined) || f.WroteReady() {
		t.Fatalf("follower: %v (wrote Ready: %v), want ErrDeclined without Ready", fr.err, f.WroteReady())
	}
}

// countingListener accepts on a loopback port until the test ends, counts the connections
// and hands each to serve on a goroutine of its own.
func countingListener(t *testing.T, serve func(net.Conn)) (net.Listener, *atomic.Int32) {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	var n atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			n.Add(1)
			go serve(c)
		}
	}()
	return ln, &n
}

func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a := l.Addr().String()
	l.Close()
	return a
}

// impostor is a TLS server at an address the victim dials, with its own certificate (a
// man in the middle on the path). It records what it got.
type impostor struct {
	ln        net.Listener
	accepted  atomic.Int32
	completed atomic.Int32 // handshakes that completed on the impostor's side
	appBytes  atomic.Int64 // decrypted application bytes it received
}

func newImpostor(t *testing.T, verifyClient bool) *impostor {
	t.Helper()
	cert, _, err := newCert()
	if err != nil {
		t.Fatal(err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS13, NextProtos: []string{alpn}}
	if verifyClient {
		cfg.ClientAuth = tls.RequireAnyClientCert
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	im := &impostor{ln: ln}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			im.accepted.Add(1)
			go func() {
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(5 * time.Second))
				if err := c.(*tls.Conn).Handshake(); err != nil {
					return
				}
				im.completed.Add(1)
				_, _ = c.Write([]byte{markReady}) // as a follower would
				n, _ := io.Copy(io.Discard, c)
				im.appBytes.Add(n)
			}()
		}
	}()
	return im
}

// TestImpostorCertificateRefused: the decider dials an address where a man in the middle
// answers with its own certificate. The handshake fails on our side, the impostor never
// completes one and reads nothing, and no direct connection is made.
func TestImpostorCertificateRefused(t *testing.T) {
	for _, verifyClient := range []bool{false, true} {
		im := newImpostor(t, verifyClient)
		mitm := func(o Offer) Offer { o.Addrs = []string{im.ln.Addr().String()}; return o }
		noAddrs := func(o Offer) Offer { o.Addrs = nil; return o }
		dr, fr, _, f := attempt(t, noAddrs, mitm, 500*time.Millisecond)
		if !errors.Is(dr.err, ErrNoConnection) || !errors.Is(fr.err, ErrDeclined) || f.WroteReady() {
			t.Fatalf("decider %v, follower %v (Ready %v): want no direct connection", dr.err, fr.err, f.WroteReady())
		}
		if im.accepted.Load() == 0 {
			t.Fatal("the impostor was never dialled: the test proves nothing")
		}
		if im.completed.Load() != 0 || im.appBytes.Load() != 0 {
			t.Fatalf("impostor completed %d handshakes and read %d bytes", im.completed.Load(), im.appBytes.Load())
		}
	}
}

// TestStrangerCannotConnect: someone who reaches our listener (a LAN neighbour) but does
// not hold the certificate the peer announced gets no handshake, hence nothing.
func TestStrangerCannotConnect(t *testing.T) {
	f, err := Listen(Config{Listen: loopback})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d, err := Listen(Config{Decider: true})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { _, err := f.Follow(ctx, d.Offer(), nil, nil); done <- err }()
	// The stranger has a certificate of its own; it knows the follower's address (the port
	// is on the LAN to see), not the decider's key.
	stranger, _, err := newCert()
	if err != nil {
		t.Fatal(err)
	}
	addr := f.Offer().Addrs[0]
	c, err := tls.Dial("tcp", addr, &tls.Config{Certificates: []tls.Certificate{stranger}, InsecureSkipVerify: true, //nolint:gosec
		MinVersion: tls.VersionTLS13, NextProtos: []string{alpn}})
	if err == nil {
		// TLS 1.3: the client finishes before the server checked its certificate; the
		// server's refusal shows on the first read.
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		var b [1]byte
		_, err = c.Read(b[:])
		c.Close()
	}
	if err == nil {
		t.Fatal("the stranger read from the follower")
	}
	if f.WroteReady() {
		t.Fatal("the follower wrote Ready to a stranger")
	}
	cancel()
	<-done
}

// TestOfferHashIsTheCertificate: the announced hash is the SHA-256 of the certificate the
// session presents.
func TestOfferHashIsTheCertificate(t *testing.T) {
	s, err := Listen(Config{Listen: loopback})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	sum := sha256.Sum256(s.cert.Certificate[0])
	if got := s.Offer().Cert; got != base64.RawURLEncoding.EncodeToString(sum[:]) {
		t.Fatalf("offer cert %s", got)
	}
	if !s.Offer().Enabled() || len(s.Offer().Addrs) != 1 {
		t.Fatalf("offer %+v", s.Offer())
	}
}

// TestNotAllowedNotDialled: an address the caller does not allow (not among the peer's ICE
// candidates) is never dialled.
func TestNotAllowedNotDialled(t *testing.T) {
	ln, dialled := countingListener(t, func(c net.Conn) { c.Close() })
	d, err := Listen(Config{Decider: true})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	f, err := Listen(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	o := f.Offer()
	o.Addrs = []string{ln.Addr().String()}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if _, err := d.Decide(ctx, o, func(netip.Addr) bool { return false }); !errors.Is(err, ErrNoConnection) {
		t.Fatalf("Decide: %v", err)
	}
	if dialled.Load() != 0 {
		t.Fatalf("dialled a forbidden address %d times", dialled.Load())
	}
}

// TestChannelFrames: messages keep their kind and boundaries; an oversized frame is
// refused.
func TestChannelFrames(t *testing.T) {
	a, b := net.Pipe()
	ca, cb := NewChannel(a), NewChannel(b)
	msgs := []struct {
		data []byte
		text bool
	}{{[]byte("eof"), true}, {bytes.Repeat([]byte{7}, 64000), false}, {[]byte{}, false}, {bytes.Repeat([]byte{1}, MaxMessage), false}}
	go func() {
		for _, m := range msgs {
			if _, err := ca.WriteDataChannel(m.data, m.text); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	buf := make([]byte, MaxMessage)
	for i, m := range msgs {
		n, text, err := cb.ReadDataChannel(buf)
		if err != nil || text != m.text || !bytes.Equal(buf[:n], m.data) {
			t.Fatalf("message %d: %d bytes text=%v err=%v", i, n, text, err)
		}
	}
	if _, err := ca.WriteDataChannel(make([]byte, MaxMessage+1), false); !errors.Is(err, ErrTooBig) {
		t.Fatalf("oversized write: %v", err)
	}
	// A forged header announcing more than the limit is refused before reading the body.
	go func() { _, _ = a.Write([]byte{kindBinary, 0, 2, 0, 1}) }()
	if _, _, err := cb.ReadDataChannel(buf); !errors.Is(err, ErrTooBig) {
		t.Fatalf("oversized frame: %v", err)
	}
	a.Close()
	b.Close()
}
