package rtc

import (
	"crypto/sha256"
	"errors"
	"io"
	"math/rand/v2"
	"net/netip"
	"runtime"
	"runtime/metrics"
	"testing"
	"time"

	"github.com/rtchat/rtchat/keys"
	"github.com/rtchat/rtchat/rtc/iceconf"
	"github.com/rtchat/rtchat/rtc/stream"
)

// startPipeClient is a RolePipe client toward pipeTo (pinned with key) with the direct
// path on or off.
func startPipeClient(t *testing.T, url, room string, id *keys.Identity, pipeTo, key string, direct bool, tune ...func(*Config)) *Client {
	t.Helper()
	store := keys.Open(t.TempDir())
	if _, err := store.Pin(pipeTo, key, false); err != nil {
		t.Fatal(err)
	}
	cfg := Config{Broker: url, Room: room, Identity: id, Store: store,
		Trust: TrustKnown, ICE: iceconf.Loopback(), Role: RolePipe, PipeTo: pipeTo, Direct: direct,
		VerifyTimeout: 10 * time.Second}
	for _, f := range tune {
		f(&cfg)
	}
	c, err := Start(ctxFor(t, 10*time.Second), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close(ctxFor(t, 10*time.Second)) })
	return c
}

// pipePair dials both ways and returns both ends' peers and streams.
func pipePair(t *testing.T, directA, directB bool, tune ...func(*Config)) (pa, pb *Peer, sa, sb *stream.Stream) {
	t.Helper()
	_, url := startBroker(t)
	room := uniqueRoom(t)
	aID, bID := testIdentity(t, "alice", 0), testIdentity(t, "bob", 1)
	a := startPipeClient(t, url, room, aID, "bob", bID.PublicJWK, directA, tune...)
	b := startPipeClient(t, url, room, bID, "alice", aID.PublicJWK, directB, tune...)
	type res struct {
		p   *Peer
		s   *stream.Stream
		err error
	}
	open := func(c *Client, name string, out chan<- res) {
		p, err := c.Dial(ctxFor(t, 20*time.Second), name)
		if err != nil {
			out <- res{err: err}
			return
		}
		s, err := p.Stream(ctxFor(t, 20*time.Second))
		out <- res{p, s, err}
	}
	ra, rb := make(chan res, 1), make(chan res, 1)
	go open(a, "bob", ra)
	go open(b, "alice", rb)
	xa, xb := <-ra, <-rb
	if xa.err != nil || xb.err != nil {
		t.Fatalf("alice: %v, bob: %v", xa.err, xb.err)
	}
	return xa.p, xb.p, xa.s, xb.s
}

// seededBytes is n pseudo-random bytes of a seed.
func seededBytes(seed, seed2 uint64, n int) []byte {
	p := make([]byte, n)
	r := rand.New(rand.NewPCG(seed, seed2))
	for i := range p {
		p[i] = byte(r.Uint32())
	}
	return p
}

// transfer moves n pseudo-random bytes each way at once and checks them.
func transfer(t *testing.T, sa, sb *stream.Stream, n int) {
	t.Helper()
	da, db := seededBytes(1, 7, n), seededBytes(2, 7, n)
	errs := make(chan error, 4)
	sums := make(chan [2][32]byte, 2)
	for _, x := range []struct {
		s    *stream.Stream
		data []byte
		id   int
	}{{sa, da, 0}, {sb, db, 1}} {
		go func() {
			if _, err := x.s.Write(x.data); err != nil {
				errs <- err
				return
			}
			errs <- x.s.CloseWrite(ctxFor(t, 30*time.Second))
		}()
		go func() {
			h := sha256.New()
			_, err := io.CopyBuffer(h, x.s, make([]byte, 32<<10))
			var sum [32]byte
			copy(sum[:], h.Sum(nil))
			errs <- err
			sums <- [2][32]byte{{byte(x.id)}, sum}
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for range 2 {
		s := <-sums
		want := sha256.Sum256(db) // alice (0) receives bob's bytes
		if s[0][0] == 1 {
			want = sha256.Sum256(da)
		}
		if s[1] != want {
			t.Fatalf("side %d received other bytes than were sent", s[0][0])
		}
	}
}

// TestDirectPathTaken: two pipe processes that reach each other move the stream to the
// verified direct connection, both agree on it, and the bytes arrive intact both ways.
func TestDirectPathTaken(t *testing.T) {
	pa, pb, sa, sb := pipePair(t, true, true)
	waitSettled(t, pa, pb)
	transfer(t, sa, sb, 4<<20)
	if pa.StreamPath() != PathDirect || pb.StreamPath() != PathDirect {
		t.Fatalf("paths: alice %q, bob %q", pa.StreamPath(), pb.StreamPath())
	}
	// Each side closes on its own (as two pipe processes do); a direct stream's Close waits
	// for the peer's, so that nothing unread turns our close into a reset.
	closeBoth(t, sa, sb)
}

// closeBoth closes both ends at once, as two pipe processes do.
func closeBoth(t *testing.T, sa, sb *stream.Stream) {
	t.Helper()
	errs := make(chan error, 2)
	go func() { errs <- sa.Close() }()
	go func() { errs <- sb.Close() }()
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

// negotiated is closed when a peer's direct path negotiation ended.
func negotiated(p *Peer) <-chan struct{} {
	d := &p.p.direct
	d.mu.Lock()
	defer d.mu.Unlock()
	d.chans()
	return d.ready
}

// waitSettled waits until both peers' direct path negotiations ended.
func waitSettled(t *testing.T, peers ...*Peer) {
	t.Helper()
	for _, p := range peers {
		select {
		case <-negotiated(p):
		case <-time.After(20 * time.Second):
			t.Fatal("the direct path's negotiation did not end")
		}
	}
}

// settled reports whether a peer's direct path negotiation ended.
func settled(p *Peer) bool {
	select {
	case <-negotiated(p):
		return true
	default:
		return false
	}
}

// TestPipeStartsBeforeDirectPath: the pipe's bytes flow both ways while the direct path's
// negotiation is still held (before, Stream waited for it: this test then failed in
// pipePair), and once it commits the stream moves mid-transfer with every byte intact.
func TestPipeStartsBeforeDirectPath(t *testing.T) {
	hold := make(chan struct{})
	released := false
	release := func() {
		if !released {
			released = true
			close(hold)
		}
	}
	t.Cleanup(release)
	pa, pb, sa, sb := pipePair(t, true, true, func(c *Config) { c.directHold = hold })
	const n, first = 2 << 20, 100_000
	da, db := seededBytes(1, 9, n), seededBytes(2, 9, n)
	type got struct {
		sum [32]byte
		err error
	}
	recv := func(s *stream.Stream, firstDone chan<- struct{}) <-chan got {
		out := make(chan got, 1)
		go func() {
			h := sha256.New()
			if _, err := io.CopyN(h, s, first); err != nil {
				out <- got{err: err}
				return
			}
			close(firstDone)
			_, err := io.Copy(h, s)
			out <- got{[32]byte(h.Sum(nil)), err}
		}()
		return out
	}
	fa, fb := make(chan struct{}), make(chan struct{})
	ra, rb := recv(sa, fa), recv(sb, fb)
	wa, wb := make(chan error, 1), make(chan error, 1)
	go func() { _, err := sa.Write(da[:first]); wa <- err }()
	go func() { _, err := sb.Write(db[:first]); wb <- err }()
	for _, c := range []chan struct{}{fa, fb} {
		select {
		case <-c:
		case <-time.After(20 * time.Second):
			t.Fatal("the first bytes did not arrive while the negotiation was held")
		}
	}
	if err := errors.Join(<-wa, <-wb); err != nil {
		t.Fatal(err)
	}
	if settled(pa) || settled(pb) {
		t.Fatal("the negotiation ended although it was held")
	}
	if pa.StreamPath() != PathWebRTC || pb.StreamPath() != PathWebRTC {
		t.Fatalf("paths before the move: alice %q, bob %q", pa.StreamPath(), pb.StreamPath())
	}
	release()
	waitSettled(t, pa, pb)
	send := func(s *stream.Stream, p []byte, out chan<- error) {
		if _, err := s.Write(p); err != nil {
			out <- err
			return
		}
		out <- s.CloseWrite(ctxFor(t, 30*time.Second))
	}
	go send(sa, da[first:], wa)
	go send(sb, db[first:], wb)
	if err := errors.Join(<-wa, <-wb); err != nil {
		t.Fatal(err)
	}
	xa, xb := <-ra, <-rb
	if xa.err != nil || xb.err != nil {
		t.Fatalf("alice read: %v, bob read: %v", xa.err, xb.err)
	}
	if xa.sum != sha256.Sum256(db) || xb.sum != sha256.Sum256(da) {
		t.Fatal("received other bytes than were sent")
	}
	if pa.StreamPath() != PathDirect || pb.StreamPath() != PathDirect {
		t.Fatalf("paths after the move: alice %q, bob %q", pa.StreamPath(), pb.StreamPath())
	}
	closeBoth(t, sa, sb)
}

// TestDirectPathDeclined: one side with the direct path off: both carry on over WebRTC.
func TestDirectPathDeclined(t *testing.T) {
	for _, c := range []struct{ a, b bool }{{true, false}, {false, true}, {false, false}} {
		pa, pb, sa, sb := pipePair(t, c.a, c.b)
		if pa.StreamPath() != PathWebRTC || pb.StreamPath() != PathWebRTC {
			t.Fatalf("direct %v/%v: paths alice %q, bob %q", c.a, c.b, pa.StreamPath(), pb.StreamPath())
		}
		transfer(t, sa, sb, 1<<20)
	}
}

// TestDirectPathEndsWithConnection: the direct connection lives no longer than the
// verified WebRTC connection behind it: when that ends, the stream reports the loss
// instead of hanging on a connection nobody verifies any more.
func TestDirectPathEndsWithConnection(t *testing.T) {
	pa, pb, sa, sb := pipePair(t, true, true)
	waitSettled(t, pa, pb)
	if _, err := sa.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	if pa.StreamPath() != PathDirect {
		t.Fatalf("path %q", pa.StreamPath())
	}
	buf := make([]byte, 5)
	if _, err := io.ReadFull(sb, buf); err != nil {
		t.Fatal(err)
	}
	pa.p.requestClose(errors.New("test: the connection failed"))
	<-pa.Done()
	// Bob's read fails as a loss: ErrLost when his reader sees the direct connection end
	// first, ErrClosed when alice's ABORT already made his own connection close the stream
	// (both are "connection lost", exit 5, for pipe); never a clean EOF, never a hang.
	if _, err := io.ReadAll(sb); !errors.Is(err, stream.ErrLost) && !errors.Is(err, stream.ErrClosed) {
		t.Fatalf("bob's read after alice's connection ended: %v, want ErrLost or ErrClosed", err)
	}
	select {
	case <-pb.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("bob's connection is still up")
	}
}

// TestBulkHeapRaisesGoal: once a pipe runs over WebRTC the collector's heap goal counts the
// ballast, so it runs less often (the goal would otherwise be about twice the live heap).
func TestBulkHeapRaisesGoal(t *testing.T) {
	bulkHeap()
	runtime.GC()
	s := []metrics.Sample{{Name: "/gc/heap/goal:bytes"}}
	metrics.Read(s)
	if goal := s[0].Value.Uint64(); goal < 2*ballastBytes {
		t.Fatalf("heap goal %d bytes, want at least twice the %d-byte ballast", goal, ballastBytes)
	}
	if len(heapBallast) != ballastBytes {
		t.Fatalf("ballast of %d bytes", len(heapBallast))
	}
}

// TestCandidatesOfSDP: the direct path reads addresses, ports and types from the signed
// SDP's candidate lines (hole punching needs the srflx ports); hostnames and malformed
// lines are skipped.
func TestCandidatesOfSDP(t *testing.T) {
	sdpText := "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n" +
		"m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\n" +
		"a=candidate:1 1 udp 2130706431 192.168.1.10 40000 typ host\r\n" +
		"a=candidate:2 1 udp 1694498815 203.0.113.6 41000 typ srflx raddr 192.168.1.10 rport 40000\r\n" +
		"a=candidate:3 1 udp 2130706431 abc.local 40001 typ host\r\n" +
		"a=candidate:4 1 udp 16777215 198.51.100.2 50000 typ relay raddr 203.0.113.6 rport 41001\r\n" +
		"a=candidate:5 1 udp 2130706431 ::ffff:10.0.0.1 99999 typ host\r\n" +
		"a=candidate:6 1 udp 2130706431 2001:db8::1 40002 typ host\r\n"
	got := map[string]string{}
	for _, c := range candidates(sdpText) {
		got[c.at.String()] = c.typ
	}
	want := map[string]string{
		"192.168.1.10:40000": "host", "203.0.113.6:41000": "srflx", "198.51.100.2:50000": "relay", "[2001:db8::1]:40002": "host",
	}
	if len(got) != len(want) {
		t.Fatalf("candidates %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("candidates %v, want %v", got, want)
		}
	}
	if a := candidateAddrs(sdpText); a[netip.MustParseAddr("203.0.113.6")] != "srflx" || len(a) != 4 {
		t.Fatalf("candidateAddrs %v", a)
	}
}

// TestRemoteMapsLikeSTUN: the punch is tried toward a peer whose NAT mapped the path ICE
// took as its STUN server saw it (a srflx pair), or kept a host socket's port on its
// server-reflexive address (a prflx pair through a port-preserving NAT, common with TURN
// configured); never toward a mapping that matches neither (a symmetric NAT's new port).
func TestRemoteMapsLikeSTUN(t *testing.T) {
	sdpText := "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n" +
		"m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\n" +
		"a=candidate:1 1 udp 2130706431 192.168.1.10 40000 typ host\r\n" +
		"a=candidate:2 1 udp 1694498815 203.0.113.6 41000 typ srflx raddr 192.168.1.10 rport 41000\r\n" +
		"a=candidate:4 1 udp 16777215 198.51.100.2 50000 typ relay raddr 203.0.113.6 rport 41001\r\n"
	cands := candidates(sdpText)
	for at, want := range map[string]bool{
		"203.0.113.6:41000":  true,  // srflx
		"203.0.113.6:40000":  true,  // prflx: the host socket's port kept
		"203.0.113.6:51234":  false, // prflx: a port of the NAT's own (symmetric)
		"203.0.113.7:40000":  false, // prflx from another public address than STUN saw
		"198.51.100.2:50000": false, // the relay's address is not the peer's NAT
	} {
		if got := remoteMapsLikeSTUN(netip.MustParseAddrPort(at), cands); got != want {
			t.Errorf("remoteMapsLikeSTUN(%s) = %v, want %v", at, got, want)
		}
	}
	if remoteMapsLikeSTUN(netip.MustParseAddrPort("203.0.113.6:40000"), candidates("")) {
		t.Error("a peer without candidates passes")
	}
}
