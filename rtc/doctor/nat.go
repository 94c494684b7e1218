package doctor

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/pion/logging"
	"github.com/pion/stun/v4"
	"github.com/pion/turn/v5"

	"github.com/rtchat/rtchat/rtc/iceconf"
)

// Names of the network checks in this file.
const (
	CheckNAT       = "nat"
	CheckTURNRelay = "turn-relay"
)

// NAT kinds NATType reports.
const (
	NATNone        = "none"        // my address is public: nothing maps it
	NATIndependent = "independent" // one public port for every destination ("cone")
	NATSymmetric   = "symmetric"   // a new public port for each destination
	NATBlocked     = "udp-blocked" // no STUN server answered over UDP
	NATUnknown     = "unknown"     // fewer than two STUN addresses to compare
)

// NATResult is what NATType found.
type NATResult struct {
	Kind     string
	Local    string   // the local socket's address
	Mappings []string // the reflexive address each server saw, "server → mapped"
}

// NATChecks runs NAT and TURNRelay for an --ice value; nothing for none, loopback or a
// bad value (the ICE check reports those).
func NATChecks(ctx context.Context, list string, perServer time.Duration) []Result {
	cfg, err := iceconf.Parse(list)
	if err != nil || cfg.Mode == iceconf.ModeNone || cfg.Mode == iceconf.ModeLoopback {
		return nil
	}
	return append([]Result{NAT(ctx, list, perServer)}, TURNRelay(ctx, list, perServer)...)
}

// NAT says what kind of NAT this machine is behind, and so whether it will need TURN. One
// UDP socket sends STUN Binding requests to two STUN addresses of --ice (different servers,
// or one server's OTHER-ADDRESS) and compares the public addresses they saw: the same for
// both means an endpoint-independent mapping, which STUN alone gets through; different
// means a symmetric NAT, which only a TURN relay gets through when the peer's NAT is
// symmetric or filters by port too. No answer at all means UDP does not get out: only
// TURN over TCP or TLS will.
func NAT(ctx context.Context, list string, perServer time.Duration) Result {
	r := Result{Name: CheckNAT, Target: "--ice"}
	cfg, err := iceconf.Parse(list)
	if err != nil {
		r.Status, r.Detail = StatusFail, err.Error()
		return r
	}
	if cfg.Mode == iceconf.ModeNone || cfg.Mode == iceconf.ModeLoopback {
		r.Status = StatusOK
		r.Detail = "not checked: --ice " + cfg.Mode + " uses no STUN server (LAN or one machine only)"
		return r
	}
	var servers []string
	for _, s := range cfg.Servers {
		for _, raw := range s.URLs {
			u, err := stun.ParseURI(raw)
			if err != nil || u.Proto == stun.ProtoTypeTCP || u.Scheme == stun.SchemeTypeSTUNS || u.Scheme == stun.SchemeTypeTURNS {
				continue // STUN over UDP only: the mapping ICE uses
			}
			servers = append(servers, net.JoinHostPort(u.Host, strconv.Itoa(u.Port)))
		}
	}
	if perServer <= 0 {
		perServer = DefaultICETimeout
	}
	nr, err := NATType(ctx, servers, perServer)
	r.Target = nr.Local
	switch {
	case err != nil:
		r.Status, r.Detail = StatusWarn, "NAT type unknown: "+err.Error()
		r.Fix = "give two STUN servers in --ice to compare, e.g. stun:stun.l.google.com:19302,stun:stun1.l.google.com:19302"
	case nr.Kind == NATNone:
		r.Status = StatusOK
		r.Detail = fmt.Sprintf("no NAT: my address %s is public (%v); peers can reach me directly unless a firewall drops UDP", nr.Local, nr.Mappings)
	case nr.Kind == NATIndependent:
		r.Status = StatusOK
		r.Detail = fmt.Sprintf("endpoint-independent NAT (one public port for every destination: %v): STUN is enough, unless the peer is behind a symmetric NAT or UDP is blocked on its side", nr.Mappings)
	case nr.Kind == NATSymmetric:
		r.Status = StatusWarn
		r.Detail = fmt.Sprintf("symmetric NAT (a new public port for each destination: %v): a peer behind a NAT too can only be reached through a TURN relay", nr.Mappings)
		r.Fix = "add a TURN server to --ice, e.g. --ice 'stun:stun.l.google.com:19302,turn:USER:PASS@turn.example.org:3478' (coturn is in every distribution); rtchat doctor then tests it"
	case nr.Kind == NATBlocked:
		r.Status = StatusWarn
		r.Detail = "no STUN server answered over UDP: outgoing UDP seems blocked here"
		r.Fix = "use a TURN server over TCP or TLS, which passes most firewalls: --ice 'turns:USER:PASS@turn.example.org:443?transport=tcp'"
	default:
		r.Status = StatusWarn
		r.Detail = fmt.Sprintf("NAT type unknown: only one STUN address answered (%v)", nr.Mappings)
		r.Fix = "give two STUN servers in --ice to compare, e.g. stun:stun.l.google.com:19302,stun:stun1.l.google.com:19302"
	}
	return r
}

// NATType classifies the NAT from the mappings two STUN servers see for one local socket.
// servers are host:port; the first two distinct addresses that answer are compared (a
// server's OTHER-ADDRESS counts as a second one).
func NATType(ctx context.Context, servers []string, perServer time.Duration) (NATResult, error) {
	var res NATResult
	conn, err := net.ListenUDP("udp4", nil)
	if err != nil {
		return res, err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { _ = conn.SetReadDeadline(time.Now()) })
	defer stop()
	var mapped []*net.UDPAddr
	var localIP net.IP
	tried := map[string]bool{}
	answered := 0
	for i := 0; i < len(servers) && len(mapped) < 2; i++ {
		addr, err := net.ResolveUDPAddr("udp4", servers[i])
		if err != nil || tried[addr.String()] {
			continue
		}
		tried[addr.String()] = true
		sctx, cancel := context.WithTimeout(ctx, perServer)
		m, other, err := bindingFrom(sctx, conn, addr)
		cancel()
		if err != nil {
			continue
		}
		answered++
		mapped = append(mapped, m)
		res.Mappings = append(res.Mappings, addr.String()+" → "+m.String())
		if localIP == nil {
			localIP = routeIP(addr)
		}
		if other != nil && len(mapped) < 2 && !tried[other.String()] {
			servers = append(servers[:i+1], append([]string{other.String()}, servers[i+1:]...)...)
		}
	}
	res.Local = conn.LocalAddr().String()
	if localIP != nil {
		res.Local = net.JoinHostPort(localIP.String(), strconv.Itoa(conn.LocalAddr().(*net.UDPAddr).Port))
	}
	switch {
	case answered == 0 && len(tried) > 0:
		res.Kind = NATBlocked
	case answered == 0:
		return res, errors.New("no STUN server over UDP in --ice")
	case localIP != nil && mapped[0].IP.Equal(localIP) && mapped[0].Port == conn.LocalAddr().(*net.UDPAddr).Port:
		res.Kind = NATNone
	case len(mapped) < 2:
		res.Kind = NATUnknown
	case mapped[0].String() == mapped[1].String():
		res.Kind = NATIndependent
	default:
		res.Kind = NATSymmetric
	}
	return res, nil
}

// routeIP is the local address the kernel would use toward addr.
func routeIP(addr *net.UDPAddr) net.IP {
	c, err := net.DialUDP("udp4", nil, addr)
	if err != nil {
		return nil
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).IP
}

// bindingFrom sends Binding requests from an unconnected socket to server (retransmitting
// after 250 ms, 500 ms, …) and returns the mapped address and the OTHER-ADDRESS, if any.
func bindingFrom(ctx context.Context, conn *net.UDPConn, server *net.UDPAddr) (mapped, other *net.UDPAddr, err error) {
	res, _, err := bindingExchange(ctx, conn, server)
	if err != nil {
		return nil, nil, err
	}
	a, err := mappedAddress(res)
	if err != nil {
		return nil, nil, err
	}
	ua, _ := a.(*net.UDPAddr)
	var oa stun.OtherAddress
	if oa.GetFrom(res) == nil && oa.IP != nil && !oa.IP.IsUnspecified() {
		other = &net.UDPAddr{IP: oa.IP, Port: oa.Port}
	}
	return ua, other, nil
}

// TURNRelay checks that each turn:/turns: server of --ice relays between two of its own
// allocations, which is what two peers behind symmetric NATs need: two allocations are
// made with the given credentials, the first sends a datagram to the second's relayed
// address (the client asks for the permission), and the second must receive it.
func TURNRelay(ctx context.Context, list string, perServer time.Duration) []Result {
	cfg, err := iceconf.Parse(list)
	if err != nil {
		return nil
	}
	if perServer <= 0 {
		perServer = DefaultICETimeout
	}
	var out []Result
	for _, s := range cfg.Servers {
		for _, raw := range s.URLs {
			u, err := stun.ParseURI(raw)
			if err != nil || (u.Scheme != stun.SchemeTypeTURN && u.Scheme != stun.SchemeTypeTURNS) {
				continue
			}
			r := Result{Name: CheckTURNRelay, Target: raw}
			sctx, cancel := context.WithTimeout(ctx, perServer)
			rtt, err := relayLoop(sctx, cfg, u, s.Username, credential(s))
			cancel()
			if err != nil {
				r.Status = StatusFail
				r.Detail = fmt.Sprintf("%s: %v", raw, err)
				r.Fix = "the TURN server must relay between its own relay addresses: check its allowed/denied-peer-ip and relay-ip settings and that it has a default route; a CA it uses must be trusted (" + iceconf.CAEnv + "=FILE)"
				if h := iceconf.TLSHint(err); h != "" {
					r.Fix = h
				}
			} else {
				r.Status, r.RTT = StatusOK, rtt
				r.Detail = fmt.Sprintf("%s: relays between two allocations (a datagram crossed from one to the other in %s)", raw, Ms(rtt))
			}
			out = append(out, r)
		}
	}
	return out
}

// relayLoop makes two allocations and sends one datagram from the first to the second.
func relayLoop(ctx context.Context, cfg iceconf.Config, u *stun.URI, user, pass string) (time.Duration, error) {
	hostport := net.JoinHostPort(u.Host, strconv.Itoa(u.Port))
	var relays [2]net.PacketConn
	for i := range relays {
		pc, err := turnConn(ctx, cfg, u, hostport)
		if err != nil {
			return 0, err
		}
		defer pc.Close()
		client, err := turn.NewClient(&turn.ClientConfig{
			STUNServerAddr: hostport, TURNServerAddr: hostport,
			Username: user, Password: pass, Conn: pc,
			LoggerFactory: &logging.DefaultLoggerFactory{Writer: io.Discard, DefaultLogLevel: logging.LogLevelDisabled},
		})
		if err != nil {
			return 0, err
		}
		defer client.Close()
		if err := client.Listen(); err != nil {
			return 0, err
		}
		relay, err := client.AllocateWithContext(ctx)
		if err != nil {
			return 0, fmt.Errorf("allocation %d: %w", i+1, ctxErr(ctx, err))
		}
		defer relay.Close()
		relays[i] = relay
	}
	stop := context.AfterFunc(ctx, func() { _ = relays[1].SetReadDeadline(time.Now()) })
	defer stop()
	// The receiver must permit the sender's relayed address too (TURN filters by peer).
	if _, err := relays[1].WriteTo([]byte("rtchat doctor: permission"), relays[0].LocalAddr()); err != nil {
		return 0, fmt.Errorf("permission on the second allocation: %w", err)
	}
	msg := []byte("rtchat doctor relay check " + randomHex(8))
	buf := make([]byte, 1500)
	t0 := time.Now()
	wait := 250 * time.Millisecond
	for {
		if _, err := relays[0].WriteTo(msg, relays[1].LocalAddr()); err != nil {
			return 0, fmt.Errorf("sending through the first allocation: %w", err)
		}
		_ = relays[1].SetReadDeadline(time.Now().Add(wait))
		wait = min(2*wait, 2*time.Second)
		n, _, err := relays[1].ReadFrom(buf)
		if err == nil && string(buf[:n]) == string(msg) {
			return time.Since(t0), nil
		}
		if ctx.Err() != nil {
			return 0, fmt.Errorf("a datagram sent from relay %s to relay %s never arrived", relays[0].LocalAddr(), relays[1].LocalAddr())
		}
	}
}

// turnConn opens the transport to a TURN server as the URL says (UDP, TCP or TLS).
func turnConn(ctx context.Context, cfg iceconf.Config, u *stun.URI, hostport string) (net.PacketConn, error) {
	switch {
	case u.Scheme == stun.SchemeTypeTURNS:
		tc, err := cfg.TLSConfig(u.Host)
		if err != nil {
			return nil, err
		}
		d := tls.Dialer{Config: tc}
		c, err := d.DialContext(ctx, "tcp", hostport)
		if err != nil {
			return nil, err
		}
		return turn.NewSTUNConn(c), nil
	case u.Proto == stun.ProtoTypeTCP:
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", hostport)
		if err != nil {
			return nil, err
		}
		return turn.NewSTUNConn(c), nil
	}
	return net.ListenUDP("udp4", nil)
}

// turnTLSConfig is the TLS configuration of the ICE check's turns: and stuns: connections:
// the system's roots plus RTCHAT_ICE_CA.
func turnTLSConfig(host string) *tls.Config {
	tc, err := iceconf.Config{CAFile: os.Getenv(iceconf.CAEnv)}.TLSConfig(host)
	if err != nil {
		return &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	}
	return tc
}
