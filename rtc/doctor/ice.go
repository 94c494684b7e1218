package doctor

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/pion/logging"
	"github.com/pion/stun/v4"
	"github.com/pion/turn/v5"
	"github.com/pion/webrtc/v4"

	"github.com/rtchat/rtchat/rtc/iceconf"
)

// DefaultICETimeout bounds the check of one ICE server.
const DefaultICETimeout = 3 * time.Second

// ICE checks every server of an --ice value (see iceconf.Parse) concurrently, each within
// perServer (0 means DefaultICETimeout), and returns one Result per server URL, in the order
// given. "none" and "loopback" give one informational Result; a bad value gives one failure.
//
// stun: a STUN Binding request over UDP (retransmitted, fresh transaction each time); the
// Result carries the server-reflexive address and the round trip. stuns: the same over TLS.
// turn:/turns: a STUN Binding to the same host and port (UDP transport only), then a TURN
// allocation with the given credentials (pion/turn client, over UDP, TCP or TLS as the URL
// says), released at once; the Result carries the relayed address.
func ICE(ctx context.Context, list string, perServer time.Duration) []Result {
	if perServer <= 0 {
		perServer = DefaultICETimeout
	}
	cfg, err := iceconf.Parse(list)
	if err != nil {
		return []Result{{Name: CheckICE, Target: "--ice", Status: StatusFail, Detail: err.Error(),
			Fix: "give --ice (or RTCHAT_ICE) as comma-separated stun:HOST:PORT / turn:USER:PASS@HOST:PORT URLs, or none, or loopback"}}
	}
	switch cfg.Mode {
	case iceconf.ModeNone:
		return []Result{{Name: CheckICE, Target: "none", Status: StatusOK,
			Detail: "no ICE servers: host candidates only (LAN / same machine)"}}
	case iceconf.ModeLoopback:
		return []Result{{Name: CheckICE, Target: "loopback", Status: StatusOK,
			Detail: "loopback: 127.0.0.1 host candidates only, no ICE servers, no mDNS (same machine only)"}}
	}
	type job struct {
		srv webrtc.ICEServer
		url string
	}
	var jobs []job
	for _, s := range cfg.Servers {
		for _, u := range s.URLs {
			jobs = append(jobs, job{s, u})
		}
	}
	out := make([]Result, len(jobs))
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = ICEServer(ctx, j.url, j.srv.Username, credential(j.srv), perServer)
		}()
	}
	wg.Wait()
	return judgeSTUN(out, cfg.Mode == iceconf.ModeDefault, hostAddresses())
}

// judgeSTUN turns STUN failures into warnings: STUN only adds the public (reflexive)
// candidate, and peers on this LAN or machine connect over host candidates without it, so
// ask, send and pipe still work there. A TURN failure stays a failure: whoever configured a
// relay needs it. hosts counts this machine's non-loopback addresses (the host candidates
// there are besides 127.0.0.1). def: the list is the web page's default one.
func judgeSTUN(out []Result, def bool, hosts int) []Result {
	failed, stunFailed := 0, 0
	for _, r := range out {
		if r.Failed() {
			failed++
			if isSTUN(r.Target) {
				stunFailed++
			}
		}
	}
	if failed == 0 {
		return out
	}
	if def && failed < len(out) {
		// One dead default server is not worth a word more: ICE uses the others.
		for i := range out {
			if out[i].Failed() {
				out[i].Status = StatusWarn
				out[i].Fix += " (the other default servers answer, so this alone does not stop connections)"
			}
		}
		return out
	}
	var fix string
	switch {
	case hosts == 0:
		fix = "this machine has no network address but loopback: peers on this machine connect with --ice loopback (RTCHAT_ICE=loopback); others need a network"
	case stunFailed == failed && failed == len(out):
		fix = "without STUN, peers on this LAN still connect over your local addresses (--ice none skips STUN; on one machine --ice loopback); peers on other networks need a STUN or TURN server that answers"
	default:
		fix = "peers on this LAN still connect over local addresses (--ice none skips STUN); peers on other networks need a STUN or TURN server that answers"
	}
	for i := range out {
		if out[i].Failed() && isSTUN(out[i].Target) {
			if out[i].Fix != "" {
				out[i].Fix += "; " + fix
			} else {
				out[i].Fix = fix
			}
			if hosts > 0 { // without a network, nothing but --ice loopback connects
				out[i].Status = StatusWarn
			}
		}
	}
	return out
}

func isSTUN(url string) bool {
	return strings.HasPrefix(url, "stun:") || strings.HasPrefix(url, "stuns:")
}

// hostAddresses counts the addresses of this machine's up, non-loopback interfaces: the
// host candidates a peer on the same network can reach.
func hostAddresses() int {
	ifs, err := net.Interfaces()
	if err != nil {
		return 1 // unknown: assume a network
	}
	n := 0
	for _, i := range ifs {
		if i.Flags&net.FlagUp == 0 || i.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, err := i.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok && !ipn.IP.IsLoopback() && !ipn.IP.IsLinkLocalUnicast() {
				n++
			}
		}
	}
	return n
}

func credential(s webrtc.ICEServer) string {
	if c, ok := s.Credential.(string); ok {
		return c
	}
	return ""
}

// ICEServer checks one stun:/stuns:/turn:/turns: URL (credentials given apart) within timeout.
func ICEServer(ctx context.Context, rawURL, user, pass string, timeout time.Duration) Result {
	r := Result{Name: CheckICE, Target: rawURL}
	uri, err := stun.ParseURI(rawURL)
	if err != nil {
		r.Status = StatusFail
		r.Detail = fmt.Sprintf("%s: %v", rawURL, err)
		r.Fix = "fix the URL in --ice"
		return r
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	hostport := net.JoinHostPort(uri.Host, strconv.Itoa(uri.Port))
	switch uri.Scheme {
	case stun.SchemeTypeSTUN, stun.SchemeTypeSTUNS:
		var refl net.Addr
		var rtt time.Duration
		if uri.Scheme == stun.SchemeTypeSTUN {
			refl, rtt, err = STUNBinding(ctx, hostport)
		} else {
			refl, rtt, err = stunOverTLS(ctx, uri.Host, hostport)
		}
		if err != nil {
			r.Status = StatusFail
			r.Detail, r.Fix = iceDiagnosis(rawURL, "STUN binding", timeout, err)
			return r
		}
		r.Status, r.RTT, r.Reflexive = StatusOK, rtt, refl.String()
		r.Detail = fmt.Sprintf("%s: reflexive address %s, round trip %s", rawURL, refl, Ms(rtt))
		return r
	case stun.SchemeTypeTURN, stun.SchemeTypeTURNS:
	default:
		r.Status = StatusWarn
		r.Detail = rawURL + ": unknown scheme, not checked"
		return r
	}
	var parts []string
	udp := uri.Scheme == stun.SchemeTypeTURN && uri.Proto != stun.ProtoTypeTCP
	if udp {
		refl, rtt, err := STUNBinding(ctx, hostport)
		if err != nil {
			r.Status = StatusFail
			r.Detail, r.Fix = iceDiagnosis(rawURL, "STUN binding to the TURN server", timeout, err)
			return r
		}
		r.RTT, r.Reflexive = rtt, refl.String()
		parts = append(parts, fmt.Sprintf("reflexive address %s, round trip %s", refl, Ms(rtt)))
	}
	relay, artt, err := turnAllocate(ctx, uri, hostport, user, pass)
	if err != nil {
		r.Status = StatusFail
		if isAuthError(err) {
			r.Detail = fmt.Sprintf("%s: TURN allocation refused: wrong credentials (%v)", rawURL, err)
			r.Fix = "check USER:PASS in turn:USER:PASS@HOST:PORT (percent-encode ':' as %3A and '@' as %40); time-limited TURN credentials may have expired"
			return r
		}
		r.Detail, r.Fix = iceDiagnosis(rawURL, "TURN allocation", timeout, err)
		if len(parts) > 0 {
			r.Detail += " (" + parts[0] + ")"
		}
		return r
	}
	if r.RTT == 0 {
		r.RTT = artt
	}
	r.Status, r.Relay = StatusOK, relay.String()
	parts = append(parts, fmt.Sprintf("allocation ok in %s, relay address %s", Ms(artt), relay))
	r.Detail = rawURL + ": " + strings.Join(parts, "; ")
	return r
}

// STUNBinding sends STUN Binding requests over UDP to hostport until one is answered or ctx
// ends (retransmitting after 250 ms, 500 ms, 1 s, …, each with a new transaction ID so the
// round trip is exact) and returns the XOR-MAPPED-ADDRESS (or MAPPED-ADDRESS) the server saw.
func STUNBinding(ctx context.Context, hostport string) (net.Addr, time.Duration, error) {
	conn, err := dialUDP(ctx, hostport)
	if err != nil {
		return nil, 0, err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { _ = conn.SetReadDeadline(time.Now()) })
	defer stop()

	res, rtt, err := bindingExchange(ctx, conn, nil)
	if err != nil {
		return nil, 0, err
	}
	addr, err := mappedAddress(res)
	return addr, rtt, err
}

// bindingExchange sends Binding requests on conn until one is answered or ctx ends
// (retransmitting after 250 ms, 500 ms, 1 s, …, each with a new transaction ID so the round
// trip is exact) and returns the decoded response and its round trip. A nil server means
// conn is connected; otherwise requests go to server and only its datagrams count.
func bindingExchange(ctx context.Context, conn *net.UDPConn, server *net.UDPAddr) (*stun.Message, time.Duration, error) {
	sent := map[[stun.TransactionIDSize]byte]time.Time{}
	buf := make([]byte, 1500)
	wait := 250 * time.Millisecond
	for {
		if err := ctx.Err(); err != nil {
			return nil, 0, err
		}
		m, err := stun.Build(stun.TransactionID, stun.BindingRequest, stun.Fingerprint)
		if err != nil {
			return nil, 0, err
		}
		sent[m.TransactionID] = time.Now()
		if server == nil {
			_, err = conn.Write(m.Raw)
		} else {
			_, err = conn.WriteToUDP(m.Raw, server)
		}
		if err != nil {
			return nil, 0, err
		}
		next := time.Now().Add(wait)
		wait = min(2*wait, 2*time.Second)
		for {
			dl := next
			if cdl, ok := ctx.Deadline(); ok && cdl.Before(dl) {
				dl = cdl
			}
			_ = conn.SetReadDeadline(dl)
			n, from, err := conn.ReadFromUDP(buf)
			if err != nil {
				if ctx.Err() != nil {
					return nil, 0, ctx.Err()
				}
				if isTimeout(err) {
					break // retransmit
				}
				return nil, 0, err
			}
			if server != nil && (!from.IP.Equal(server.IP) || from.Port != server.Port) {
				continue
			}
			if !stun.IsMessage(buf[:n]) {
				continue
			}
			res := &stun.Message{Raw: append([]byte(nil), buf[:n]...)}
			if res.Decode() != nil {
				continue
			}
			t0, ok := sent[res.TransactionID]
			if !ok {
				continue
			}
			return res, time.Since(t0), nil
		}
	}
}

// dialUDP connects a UDP socket to hostport, preferring IPv4. A connected socket reports
// ICMP port-unreachable as a read error (connection refused).
func dialUDP(ctx context.Context, hostport string) (*net.UDPConn, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "udp4", hostport)
	if err != nil {
		var dnsErr *net.DNSError
		var addrErr *net.AddrError
		if errors.As(err, &addrErr) || errors.As(err, &dnsErr) && !dnsErr.IsNotFound {
			c, err = d.DialContext(ctx, "udp", hostport)
		}
	}
	if err != nil {
		return nil, err
	}
	return c.(*net.UDPConn), nil
}

// mappedAddress reads the reflexive address from a Binding response.
func mappedAddress(m *stun.Message) (net.Addr, error) {
	if m.Type.Class == stun.ClassErrorResponse {
		var ec stun.ErrorCodeAttribute
		if ec.GetFrom(m) == nil {
			return nil, fmt.Errorf("server answered with error %s", ec)
		}
		return nil, errors.New("server answered with an error")
	}
	if m.Type != stun.BindingSuccess {
		return nil, fmt.Errorf("unexpected STUN answer %s", m.Type)
	}
	var xa stun.XORMappedAddress
	if err := xa.GetFrom(m); err == nil {
		return &net.UDPAddr{IP: xa.IP, Port: xa.Port}, nil
	}
	var ma stun.MappedAddress
	if err := ma.GetFrom(m); err == nil {
		return &net.UDPAddr{IP: ma.IP, Port: ma.Port}, nil
	}
	return nil, errors.New("the Binding response has no (XOR-)MAPPED-ADDRESS")
}

// stunOverTLS does one Binding request over a TLS stream (stuns:).
func stunOverTLS(ctx context.Context, host, hostport string) (net.Addr, time.Duration, error) {
	d := tls.Dialer{Config: turnTLSConfig(host)}
	c, err := d.DialContext(ctx, "tcp", hostport)
	if err != nil {
		return nil, 0, err
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { _ = c.SetDeadline(time.Now()) })
	defer stop()
	m, err := stun.Build(stun.TransactionID, stun.BindingRequest, stun.Fingerprint)
	if err != nil {
		return nil, 0, err
	}
	t0 := time.Now()
	if _, err := c.Write(m.Raw); err != nil {
		return nil, 0, err
	}
	for {
		hdr := make([]byte, 20)
		if _, err := io.ReadFull(c, hdr); err != nil {
			return nil, 0, ctxErr(ctx, err)
		}
		body := make([]byte, binary.BigEndian.Uint16(hdr[2:4]))
		if _, err := io.ReadFull(c, body); err != nil {
			return nil, 0, ctxErr(ctx, err)
		}
		res := &stun.Message{Raw: append(hdr, body...)}
		if err := res.Decode(); err != nil {
			return nil, 0, err
		}
		if res.TransactionID != m.TransactionID {
			continue
		}
		addr, err := mappedAddress(res)
		return addr, time.Since(t0), err
	}
}

func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// turnAllocate makes one TURN allocation with the pion/turn client and releases it.
func turnAllocate(ctx context.Context, uri *stun.URI, hostport, user, pass string) (net.Addr, time.Duration, error) {
	var pc net.PacketConn
	switch {
	case uri.Scheme == stun.SchemeTypeTURNS:
		d := tls.Dialer{Config: turnTLSConfig(uri.Host)}
		c, err := d.DialContext(ctx, "tcp", hostport)
		if err != nil {
			return nil, 0, err
		}
		pc = turn.NewSTUNConn(c)
	case uri.Proto == stun.ProtoTypeTCP:
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", hostport)
		if err != nil {
			return nil, 0, err
		}
		pc = turn.NewSTUNConn(c)
	default:
		// Bind to the local address the route to the server uses (127.0.0.1 for a local
		// server), not to every interface.
		probe, err := dialUDP(ctx, hostport)
		if err != nil {
			return nil, 0, err
		}
		local := probe.LocalAddr().(*net.UDPAddr)
		hostport = probe.RemoteAddr().String()
		probe.Close()
		uc, err := net.ListenUDP("udp", &net.UDPAddr{IP: local.IP})
		if err != nil {
			return nil, 0, err
		}
		pc = uc
	}
	defer pc.Close()
	client, err := turn.NewClient(&turn.ClientConfig{
		STUNServerAddr: hostport,
		TURNServerAddr: hostport,
		Username:       user,
		Password:       pass,
		Conn:           pc,
		LoggerFactory:  &logging.DefaultLoggerFactory{Writer: io.Discard, DefaultLogLevel: logging.LogLevelDisabled},
	})
	if err != nil {
		return nil, 0, err
	}
	defer client.Close()
	if err := client.Listen(); err != nil {
		return nil, 0, err
	}
	t0 := time.Now()
	relay, err := client.AllocateWithContext(ctx)
	if err != nil {
		return nil, 0, ctxErr(ctx, err)
	}
	rtt := time.Since(t0)
	addr := relay.LocalAddr()
	_ = relay.Close()
	return addr, rtt, nil
}

func isAuthError(err error) bool {
	s := err.Error()
	return strings.Contains(s, "401") || strings.Contains(s, "Unauthorized") || strings.Contains(s, "integrity")
}

// iceDiagnosis explains a failed STUN/TURN exchange.
func iceDiagnosis(url, what string, timeout time.Duration, err error) (detail, fix string) {
	var dnsErr *net.DNSError
	switch {
	case errors.As(err, &dnsErr):
		return fmt.Sprintf("%s: cannot resolve %s: %v", url, dnsErr.Name, dnsErr.Err),
			"check the host name and your DNS / network connection"
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Sprintf("%s: %s refused (nothing listens on that port)", url, what),
			"check the port in --ice; is the server running?"
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		return fmt.Sprintf("%s: %s timed out: no answer within %v", url, what, timeout),
			"outgoing UDP may be blocked (firewall, corporate network) or the server is down; try another server, or a TURN server over TCP/TLS: turns:USER:PASS@HOST:443?transport=tcp"
	}
	return fmt.Sprintf("%s: %s failed: %v", url, what, err),
		"check the URL in --ice and your network"
}
