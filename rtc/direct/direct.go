// Package direct is rtchat's verified direct path: after two rtchat peers verified each other
// over WebRTC, a pipe may move to a TCP connection secured with TLS 1.3 whose certificates
// were exchanged over the verified data channel (docs/rtchat-protocol.md, "The direct
// path"). This package knows nothing of WebRTC: the caller carries each side's Offer over
// the verified channel and tells it which addresses it may listen on and dial.
//
// Each side makes a fresh self-signed certificate for one attempt, listens on its own host
// addresses and dials the peer's; every TLS handshake (either direction) must present
// exactly the certificate the peer announced, and we present ours, so a man in the middle
// gets no connection, in either role. Two one-byte markers then pick one connection
// without ambiguity: the follower writes Ready on each connection it verified, and the
// decider (the WebRTC offerer) answers Use on the first Ready it reads. The decider commits
// when it writes Use; the follower when it reads it. The decider that commits to nothing
// within its deadline says so over the verified channel ("off"), so the follower never
// guesses: it falls back only on that word, or when it never wrote Ready at all.
//
// Across NATs the listeners on host addresses cannot be reached, so a side may also punch
// (Config.Punch): it listens on one TCP port with SO_REUSEPORT, announces its public
// addresses with that port (a NAT that keeps the source port, as Linux masquerade and many
// home routers do, maps it to the same public port), and dials the peer's punch addresses
// from that port until a SYN crosses: a TCP simultaneous open, or an ordinary connection
// when one side's SYN comes second. Such a connection has no client and server by
// direction, so on it the decider is the TLS server and the follower the TLS client.
package direct

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// Version is the direct path's version in Offer.V.
const Version = 1

// alpn is the TLS application protocol both sides require, so that a connection to some
// unrelated TLS service is never mistaken for the peer's.
const alpn = "rtchat-direct/1"

// Markers on a verified connection (one byte each, before any stream frame).
const (
	markReady byte = 'R' // follower -> decider: I verified you on this connection
	markUse   byte = 'U' // decider -> follower: this connection carries the pipe
)

// Bounds: everything a stranger who reaches our listener can make us hold.
const (
	maxPending   = 8  // connections in handshake at once per attempt; more are closed
	maxAddrs     = 16 // addresses in an offer we dial or announce
	maxAddrBytes = 64 // of one address string
	// handshakeTimeout bounds a connection's TLS handshake (and the decider's wait for
	// Ready) when the attempt itself has no earlier deadline.
	handshakeTimeout = 5 * time.Second
)

var (
	// ErrDeclined: the direct path is not taken (the peer does not offer it, or the
	// decider said off); the caller carries on over WebRTC.
	ErrDeclined = errors.New("direct path declined")
	// ErrNoConnection: no verified connection came up in time.
	ErrNoConnection = errors.New("no direct connection")
)

// Offer is what one side announces over the verified channel. An Offer without Cert says
// that this side does not take the direct path.
type Offer struct {
	V     int      `json:"v"`
	Cert  string   `json:"cert,omitempty"`  // base64url (no padding) SHA-256 of our certificate, DER
	Addrs []string `json:"addrs,omitempty"` // host:port we accept connections on
	// Punch lists public IPv4:port we punch from: the peer dials them from its own punch
	// port (and only from it), as we dial its.
	Punch []string `json:"punch,omitempty"`
	// Switch says that this side can start the pipe on the WebRTC channel at once and move
	// it at a marker when the direct path commits (Switch). Both must say so; an older
	// peer does not, and then the pipe waits for the negotiation before its first byte.
	Switch bool `json:"switch,omitempty"`
}

// Enabled reports whether the offer proposes the direct path.
func (o Offer) Enabled() bool { return o.V == Version && o.Cert != "" }

// certSum decodes Cert.
func (o Offer) certSum() ([sha256.Size]byte, error) {
	var sum [sha256.Size]byte
	b, err := base64.RawURLEncoding.DecodeString(o.Cert)
	if err != nil || len(b) != sha256.Size {
		return sum, fmt.Errorf("bad certificate hash %q", o.Cert)
	}
	copy(sum[:], b)
	return sum, nil
}

// Config is one side's part of an attempt.
type Config struct {
	// Decider: this side picks the connection (the WebRTC offerer); otherwise it follows.
	Decider bool
	// Listen lists the local addresses to accept connections on (port 0: any free port);
	// the caller takes them from its own ICE host candidates.
	Listen []netip.Addr
	// Punch lists our public IPv4 addresses (the caller takes them from its server-reflexive
	// ICE candidates) to announce with our punch port; empty: no hole punching.
	Punch []netip.Addr
	// PunchFrom is the local IPv4 address the punch port is bound to (invalid: every
	// address, so that the route to the peer picks the interface).
	PunchFrom netip.Addr
	// Congestion names the TCP congestion control of the chosen connection (Linux; "":
	// the kernel's default). For measurements.
	Congestion string
	// PathRTT is the round trip ICE measured on the path the punch takes (0: unknown); a
	// punched connection whose kernel saw a much shorter one is repaired (cc_linux.go).
	PathRTT time.Duration
	Log     *slog.Logger
}

// Session is one side of one attempt: a fresh certificate and the listeners.
type Session struct {
	cfg   Config
	cert  tls.Certificate
	sum   [sha256.Size]byte
	lns   []net.Listener
	addrs []string
	log   *slog.Logger
	// punchLn holds the punch port (nil: no punching); punch is what we announce with it.
	punchLn    net.Listener
	punch      []string
	punchDials atomic.Int32 // dials made from the punch port (tests)

	mu     sync.Mutex
	conns  map[net.Conn]bool // every connection not (yet) handed to the caller
	closed bool
	ready  bool // follower: we wrote Ready somewhere (so the decider may have committed)
	wg     sync.WaitGroup
}

// Listen makes a certificate for this attempt and listens on cfg.Listen. Addresses that
// cannot be listened on are skipped (the peer may still reach us the other way round).
func Listen(cfg Config) (*Session, error) {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	cert, sum, err := newCert()
	if err != nil {
		return nil, err
	}
	s := &Session{cfg: cfg, cert: cert, sum: sum, log: cfg.Log, conns: map[net.Conn]bool{}}
	for _, a := range cfg.Listen {
		if len(s.lns) >= maxAddrs {
			break
		}
		if !usable(a) {
			continue
		}
		ln, err := net.Listen("tcp", netip.AddrPortFrom(a, 0).String())
		if err != nil {
			s.log.Debug("direct: cannot listen", "addr", a, "err", err)
			continue
		}
		s.lns = append(s.lns, ln)
		s.addrs = append(s.addrs, ln.Addr().String())
	}
	if err := s.listenPunch(); err != nil {
		s.log.Debug("direct: cannot punch", "err", err)
	}
	return s, nil
}

// listenPunch takes a TCP port for hole punching and makes the punch addresses.
func (s *Session) listenPunch() error {
	var pub []netip.Addr
	for _, a := range s.cfg.Punch {
		if a = a.Unmap(); a.Is4() && usable(a) && len(pub) < maxAddrs {
			pub = append(pub, a)
		}
	}
	if len(pub) == 0 || !punchSupported {
		return nil
	}
	from := netip.IPv4Unspecified()
	if s.cfg.PunchFrom.Is4() {
		from = s.cfg.PunchFrom
	}
	lc := net.ListenConfig{Control: reuseControl}
	ln, err := lc.Listen(context.Background(), "tcp4", netip.AddrPortFrom(from, 0).String())
	if err != nil {
		return err
	}
	port := uint16(ln.Addr().(*net.TCPAddr).Port)
	s.punchLn = ln
	for _, a := range pub {
		s.punch = append(s.punch, netip.AddrPortFrom(a, port).String())
	}
	return nil
}

// usable: an address we can announce and dial without an interface zone.
func usable(a netip.Addr) bool {
	return a.IsValid() && !a.IsUnspecified() && !a.IsMulticast() && !a.IsLinkLocalUnicast() && a.Zone() == ""
}

// Offer is what this side announces.
func (s *Session) Offer() Offer {
	return Offer{V: Version, Cert: base64.RawURLEncoding.EncodeToString(s.sum[:]),
		Addrs: append([]string(nil), s.addrs...), Punch: append([]string(nil), s.punch...)}
}

// newCert makes a fresh ECDSA P-256 self-signed certificate for one attempt.
func newCert() (tls.Certificate, [sha256.Size]byte, error) {
	var sum [sha256.Size]byte
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, sum, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		return tls.Certificate{}, sum, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		// Pinned by hash, never by name or chain: the validity only has to cover the attempt
		// with room for clock skew between the peers.
		NotBefore: now.Add(-24 * time.Hour),
		NotAfter:  now.Add(24 * time.Hour),
		KeyUsage:  x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{
			x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth,
		},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, sum, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, sha256.Sum256(der), nil
}

// tlsConfig pins the peer's certificate: the handshake fails unless the peer presents
// exactly the certificate whose hash it announced over the verified channel.
func (s *Session) tlsConfig(peer [sha256.Size]byte, server bool) *tls.Config {
	verify := func(raw [][]byte, _ [][]*x509.Certificate) error {
		if len(raw) != 1 {
			return errors.New("direct: the peer must present exactly one certificate")
		}
		got := sha256.Sum256(raw[0])
		if subtle.ConstantTimeCompare(got[:], peer[:]) != 1 {
			return errors.New("direct: the peer's certificate is not the one announced over the verified channel")
		}
		return nil
	}
	c := &tls.Config{
		Certificates:          []tls.Certificate{s.cert},
		MinVersion:            tls.VersionTLS13,
		NextProtos:            []string{alpn},
		VerifyPeerCertificate: verify,
		// The chain is checked by VerifyPeerCertificate above (the pin), not by a CA.
		InsecureSkipVerify: true, //nolint:gosec
		ServerName:         "rtchat-direct",
	}
	if server {
		c.ClientAuth = tls.RequireAnyClientCert
		// No resumption: a resumed session skips VerifyPeerCertificate, and every attempt
		// has its own certificates anyway.
		c.SessionTicketsDisabled = true
	}
	return c
}

// track adds a connection the session must close unless it is handed out; false when the
// session is closed or too many handshakes are pending.
func (s *Session) track(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || len(s.conns) >= maxPending {
		return false
	}
	s.conns[c] = true
	return true
}

// untrack hands c to the caller: Close will no longer close it.
func (s *Session) untrack(c net.Conn) {
	s.mu.Lock()
	delete(s.conns, rawConn(c))
	s.mu.Unlock()
}

// rawConn is the TCP connection under a TLS one (what track recorded).
func rawConn(c net.Conn) net.Conn {
	if t, ok := c.(*tls.Conn); ok {
		return t.NetConn()
	}
	return c
}

// Close stops listening and closes every connection not handed out. It waits for the
// session's goroutines.
func (s *Session) Close() {
	s.mu.Lock()
	s.closed = true
	for c := range s.conns {
		_ = c.Close()
	}
	s.conns = map[net.Conn]bool{}
	s.mu.Unlock()
	for _, ln := range s.lns {
		_ = ln.Close()
	}
	if s.punchLn != nil {
		_ = s.punchLn.Close()
	}
	s.wg.Wait()
}

// WroteReady reports whether this follower wrote Ready on some connection: only then may
// the decider have committed to the direct path.
func (s *Session) WroteReady() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ready
}

// verified is a connection whose TLS handshake (with the pin) succeeded.
type verified struct {
	conn *tls.Conn
}

// Connect accepts on our listeners and dials the peer's addresses that allowed admits,
// until ctx ends; each connection whose handshake presents the pinned certificate is
// passed to found. It returns at once; the goroutines end with ctx or Close.
func (s *Session) connect(ctx context.Context, peer Offer, allowed func(netip.Addr) bool, found func(verified)) error {
	sum, err := peer.certSum()
	if err != nil {
		return err
	}
	for _, ln := range s.lns {
		s.accept(ctx, ln, func(c net.Conn) *tls.Conn { return tls.Server(c, s.tlsConfig(sum, true)) }, found)
	}
	if s.punchLn != nil {
		s.accept(ctx, s.punchLn, func(c net.Conn) *tls.Conn { return s.punchTLS(c, sum) }, found)
		for _, ap := range dialable(peer.Punch, allowed, s.log) {
			if !ap.Addr().Is4() {
				continue // our punch port is IPv4
			}
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				s.punchDial(ctx, ap, sum, found)
			}()
		}
	}
	for _, ap := range dialable(peer.Addrs, allowed, s.log) {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			var d net.Dialer
			c, err := d.DialContext(ctx, "tcp", ap.String())
			if err != nil {
				s.log.Debug("direct: dial failed", "addr", ap, "err", err)
				return
			}
			if !s.track(c) {
				_ = c.Close()
				return
			}
			s.handshake(ctx, tls.Client(c, s.tlsConfig(sum, false)), found)
		}()
	}
	return nil
}

// dialable are the addresses of list that we may dial: at most maxAddrs well-formed ones
// whose IP allowed admits (the caller's: the peer's signed ICE candidates).
func dialable(list []string, allowed func(netip.Addr) bool, log *slog.Logger) []netip.AddrPort {
	var out []netip.AddrPort
	for _, a := range list {
		if len(out) >= maxAddrs {
			break
		}
		if len(a) > maxAddrBytes {
			continue
		}
		ap, err := netip.ParseAddrPort(a)
		if err != nil || !usable(ap.Addr()) || ap.Port() == 0 || (allowed != nil && !allowed(ap.Addr())) {
			log.Debug("direct: not dialling", "addr", a)
			continue
		}
		out = append(out, netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()))
	}
	return out
}

// accept hands each connection ln accepts, wrapped by wrap, to a handshake, until ln closes.
func (s *Session) accept(ctx context.Context, ln net.Listener, wrap func(net.Conn) *tls.Conn, found func(verified)) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return // closed
			}
			if !s.track(c) {
				_ = c.Close()
				continue
			}
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				s.handshake(ctx, wrap(c), found)
			}()
		}
	}()
}

// punchTLS: on a connection of the punch port the decider is the TLS server and the
// follower the client, whoever's SYN came first (a simultaneous open has no accepting
// side). This way round the follower's Ready travels with its last handshake flight.
func (s *Session) punchTLS(c net.Conn, sum [sha256.Size]byte) *tls.Conn {
	if s.cfg.Decider {
		return tls.Server(c, s.tlsConfig(sum, true))
	}
	return tls.Client(c, s.tlsConfig(sum, false))
}

// Backoff between dials of one punch address: a NAT may answer a SYN that reaches it
// before the peer's own SYN opened its mapping with a reset, and the dial must then be
// repeated soon, while the peer's NAT still expects us.
const (
	punchBackoffMin = 20 * time.Millisecond
	punchBackoffMax = 250 * time.Millisecond
)

// punchDial dials ap from the punch port until a connection forms or ctx ends. A SYN the
// peer's NAT drops needs no repeat: the peer's own SYN then crosses ours (the kernel
// answers it on our half-open socket); only a dial that fails is repeated.
func (s *Session) punchDial(ctx context.Context, ap netip.AddrPort, sum [sha256.Size]byte, found func(verified)) {
	d := net.Dialer{LocalAddr: s.punchLn.Addr(), Control: reuseControl}
	back := punchBackoffMin
	for tries := 1; ; tries++ {
		s.punchDials.Add(1)
		c, err := d.DialContext(ctx, "tcp4", ap.String())
		if err == nil {
			s.log.Debug("direct: punched", "remote", ap, "dials", tries)
			if !s.track(c) {
				_ = c.Close()
				return
			}
			s.handshake(ctx, s.punchTLS(c, sum), found)
			return
		}
		if ctx.Err() != nil {
			return
		}
		s.log.Debug("direct: punch dial failed", "remote", ap, "err", err)
		t := time.NewTimer(back)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return
		}
		back = min(2*back, punchBackoffMax)
	}
}

// handshake runs TLS on c (the pin is in its config) within ctx.
func (s *Session) handshake(ctx context.Context, c *tls.Conn, found func(verified)) {
	dl := time.Now().Add(handshakeTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(dl) {
		dl = d
	}
	_ = c.SetDeadline(dl)
	if err := c.HandshakeContext(ctx); err != nil {
		s.log.Debug("direct: handshake failed", "remote", c.RemoteAddr(), "err", err)
		s.drop(c)
		return
	}
	if c.ConnectionState().NegotiatedProtocol != alpn {
		s.log.Debug("direct: wrong application protocol", "remote", c.RemoteAddr())
		s.drop(c)
		return
	}
	if err := setCongestion(c, s.cfg.Congestion); err != nil {
		s.log.Debug("direct: congestion control not set", "cc", s.cfg.Congestion, "err", err)
	}
	if did, err := fixSimultaneousOpenRTT(c, s.cfg.PathRTT); did != "" || err != nil {
		s.log.Debug("direct: simultaneous open", "repaired", did, "err", err)
	}
	found(verified{conn: c})
}

func (s *Session) drop(c net.Conn) {
	s.mu.Lock()
	delete(s.conns, rawConn(c))
	s.mu.Unlock()
	_ = c.Close()
}

// Decide is the decider's side: it connects to the peer both ways and returns the first
// connection on which the follower wrote Ready, after writing Use on it (from then on the
// decider is committed: the caller must carry the pipe on it). It returns ErrNoConnection
// when ctx ends first (the caller then tells the follower "off" over the verified channel)
// and ErrDeclined when the peer's offer does not propose the direct path.
func (s *Session) Decide(ctx context.Context, peer Offer, allowed func(netip.Addr) bool) (net.Conn, error) {
	if !s.cfg.Decider {
		return nil, errors.New("direct: Decide on a follower")
	}
	if !peer.Enabled() {
		return nil, ErrDeclined
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	readyCh := make(chan *tls.Conn)
	err := s.connect(ctx, peer, allowed, func(v verified) {
		var b [1]byte
		if _, err := io.ReadFull(v.conn, b[:]); err != nil || b[0] != markReady {
			s.drop(v.conn)
			return
		}
		select {
		case readyCh <- v.conn:
		case <-ctx.Done():
			s.drop(v.conn)
		}
	})
	if err != nil {
		return nil, err
	}
	for {
		select {
		case c := <-readyCh:
			if _, err := c.Write([]byte{markUse}); err != nil {
				s.drop(c)
				continue
			}
			_ = c.SetDeadline(time.Time{})
			s.untrack(c)
			return c, nil
		case <-ctx.Done():
			return nil, fmt.Errorf("%w: %w", ErrNoConnection, ctx.Err())
		}
	}
}

// Follow is the follower's side: it connects to the peer both ways, writes Ready on every
// verified connection and returns the one on which the decider wrote Use. It returns
// ErrDeclined when off is closed first (the decider said "off" over the verified channel)
// or when the peer's offer does not propose the direct path, and ctx's error when ctx ends
// first; after an error WroteReady says whether the decider may have committed.
func (s *Session) Follow(ctx context.Context, peer Offer, allowed func(netip.Addr) bool, off <-chan struct{}) (net.Conn, error) {
	if s.cfg.Decider {
		return nil, errors.New("direct: Follow on a decider")
	}
	if !peer.Enabled() {
		return nil, ErrDeclined
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	useCh := make(chan *tls.Conn)
	err := s.connect(ctx, peer, allowed, func(v verified) {
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			_ = v.conn.Close()
			return
		}
		s.ready = true
		s.mu.Unlock()
		// The decider may read Ready and commit from here on; it answers at once.
		_ = v.conn.SetDeadline(time.Time{})
		if _, err := v.conn.Write([]byte{markReady}); err != nil {
			s.drop(v.conn)
			return
		}
		var b [1]byte
		if _, err := io.ReadFull(v.conn, b[:]); err != nil || b[0] != markUse {
			s.drop(v.conn)
			return
		}
		select {
		case useCh <- v.conn:
		case <-ctx.Done():
			s.drop(v.conn)
		}
	})
	if err != nil {
		return nil, err
	}
	select {
	case c := <-useCh:
		s.untrack(c)
		return c, nil
	case <-off:
		return nil, ErrDeclined
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
