package rtc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"

	"github.com/rtchat/rtchat/rtc/direct"
	"github.com/rtchat/rtchat/rtc/stream"
)

// The direct path of `rtchat pipe` (docs/rtchat-protocol.md, "The direct path"): once both
// pipe processes verified each other, they try to move the pipe from the WebRTC data channel
// to a TLS 1.3 connection whose certificates they announce on the verified `rtchat` control
// channel. The WebRTC offerer decides; see package direct for why both sides then always
// agree on the path.

// Control frame types of the direct path.
const (
	ctlDirect    = "direct"     // {"type":"direct","v":1,"cert":…,"addrs":[…]}: an offer (no cert: declined)
	ctlDirectOff = "direct-off" // the decider took no direct connection: carry on over WebRTC
)

// Paths a pipe stream can take (Peer.StreamPath).
const (
	PathWebRTC = "webrtc"
	PathDirect = "direct"
)

const (
	// directOfferWait bounds the wait for the peer's offer: a peer that never sends one
	// (an rtchat without the direct path) costs this much once, then WebRTC carries on.
	directOfferWait = 3 * time.Second
	// directDecideWait bounds the decider's attempt once both offers are known: a blocked
	// or filtered path falls back to WebRTC after this long.
	directDecideWait = time.Second
	// punchRTTs and punchWaitMax: a hole punching attempt needs about 3 round trips after
	// the decider has both offers (the follower's offer may come half a round trip after
	// it has ours, then TCP, TLS and the markers), so the decider waits directDecideWait
	// plus punchRTTs round trips as ICE measured them, at most punchWaitMax.
	punchRTTs    = 4
	punchWaitMax = 4 * time.Second
)

// Punch modes (Config.DirectPunch).
const (
	PunchAuto   = ""       // punch when ICE connected through NATs that keep the peer's port
	PunchAlways = "always" // punch whenever ICE connected without a relay (tests: the fallback)
	PunchOff    = "off"    // never punch: only host ⇄ host pairs try the direct path
)

// directRoute is how a direct connection may be made.
type directRoute int

const (
	routeNone  directRoute = iota // no attempt
	routeLAN                      // listen on our host addresses, dial the peer's
	routePunch                    // TCP hole punching through both NATs
)

// directFrame is a direct path control frame on the rtchat channel.
type directFrame struct {
	Type string `json:"type"`
	direct.Offer
}

// directState is a pipe peer's direct path. Its zero value is ready: the owner goroutine
// delivers the peer's frames (onDirectFrame), the first Stream call negotiates.
type directState struct {
	mu     sync.Mutex
	offer  *direct.Offer // the peer's first offer
	got    chan struct{} // closed when offer is set
	off    chan struct{} // closed on the decider's direct-off
	offSet bool

	started bool
	ready   chan struct{} // closed when stream, path and err are set
	stream  *stream.Stream
	path    string
	err     error
	// sw is the pipe slot's Switch; early, that both sides announced Switch: the pipe
	// started on WebRTC at once and moves when the negotiation commits.
	sw    *direct.Switch
	early bool
}

// chans returns the state's channels, making them on first use. Callers hold mu.
func (d *directState) chans() (got, off chan struct{}) {
	if d.got == nil {
		d.got, d.off, d.ready = make(chan struct{}), make(chan struct{}), make(chan struct{})
	}
	return d.got, d.off
}

// startDirect begins the pipe's path negotiation as soon as the connection is verified
// both ways (owner goroutine, from establish), so that it overlaps whatever the
// application does before it asks for the stream, and both sides start together.
func (p *peer) startDirect() {
	if !p.withPipe {
		return
	}
	s := p.slots[labelPipe]
	d := &p.direct
	d.mu.Lock()
	d.chans()
	if d.started || s == nil || s.stream == nil {
		d.mu.Unlock()
		return
	}
	d.started = true
	d.sw = s.sw
	d.mu.Unlock()
	p.goWork(func() {
		st, path, err := p.negotiateDirect(p.ctx, s.stream)
		// Whatever happened, the Switch is settled now: if it did not commit, it never
		// moves (and a marker from the peer fails the stream rather than stalling it).
		s.sw.Settle(nil)
		d.mu.Lock()
		d.stream, d.path, d.err = st, path, err
		d.mu.Unlock()
		close(d.ready)
	})
}

// onDirectFrame takes a direct path control frame from the rtchat channel (owner
// goroutine). Only a peer we verified is listened to: the frame then comes from the very
// DTLS session its proof is bound to.
func (p *peer) onDirectFrame(typ string, frame []byte) {
	if !p.withPipe || !p.st.verified() {
		return
	}
	d := &p.direct
	d.mu.Lock()
	defer d.mu.Unlock()
	got, off := d.chans()
	switch typ {
	case ctlDirect:
		var f directFrame
		if d.offer != nil || json.Unmarshal(frame, &f) != nil {
			return
		}
		if len(f.Addrs) > 16 {
			f.Addrs = f.Addrs[:16]
		}
		if len(f.Punch) > 16 {
			f.Punch = f.Punch[:16]
		}
		d.offer = &f.Offer
		close(got)
	case ctlDirectOff:
		if !d.offSet {
			d.offSet = true
			close(off)
		}
	}
}

// pipeStream is the stream Peer.Stream returns. When both sides can move the stream
// (their offers say Switch), that is the WebRTC channel's at once, as soon as the peer's
// offer says so: it moves to the direct path if the negotiation commits. Otherwise it is
// the stream the negotiation settled on: the direct path when both sides take it, else
// the WebRTC channel's.
func (p *peer) pipeStream(ctx context.Context, s *slot) (*stream.Stream, error) {
	d := &p.direct
	d.mu.Lock()
	got, _ := d.chans()
	ready := d.ready
	d.mu.Unlock()
	if p.c.cfg.DirectWait {
		got = nil // never early: wait for the negotiation
	}
	for {
		select {
		case <-got:
			d.mu.Lock()
			early := p.earlyPipe(*d.offer)
			d.early = early
			d.mu.Unlock()
			if !early {
				got = nil // an older peer: wait for the negotiation
				continue
			}
			bulkHeap()
			return s.stream, nil
		case <-ready:
			d.mu.Lock()
			defer d.mu.Unlock()
			return d.stream, d.err
		case <-p.done:
			return nil, p.err
		case <-ctx.Done():
			return nil, fmt.Errorf("%w: waiting for the pipe stream of %s", ErrTimeout, p.remote)
		}
	}
}

// earlyPipe: both sides announced Switch (the peer's offer arrived and says so, and we
// did not turn it off), so the pipe runs on the slot's Switch.
func (p *peer) earlyPipe(peer direct.Offer) bool { return !p.c.cfg.DirectWait && peer.Switch }

// ourOffer is our offer with what this side supports besides.
func (p *peer) ourOffer(o direct.Offer) direct.Offer {
	o.Switch = !p.c.cfg.DirectWait
	return o
}

// StreamPath says which path carries the pipe stream: PathDirect or PathWebRTC ("" before
// Stream returned). A stream that started on WebRTC says PathDirect once either direction
// moved.
func (pr *Peer) StreamPath() string {
	d := &pr.p.direct
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.early && d.sw != nil {
		if d.sw.Moved() {
			return PathDirect
		}
		return PathWebRTC
	}
	return d.path
}

func (p *peer) setPath(path string) {
	p.direct.mu.Lock()
	p.direct.path = path
	p.direct.mu.Unlock()
}

// negotiateDirect runs one attempt within ctx (the connection's life). Every way it can end is safe: the decider commits only
// after the follower verified it (Ready) and tells "off" otherwise; the follower falls back
// only on "off" or when it never wrote Ready (so the decider cannot have committed).
func (p *peer) negotiateDirect(ctx context.Context, fallback *stream.Stream) (*stream.Stream, string, error) {
	webrtcPath := func() (*stream.Stream, string, error) {
		p.setPath(PathWebRTC)
		bulkHeap()
		return fallback, PathWebRTC, nil
	}
	if !p.c.cfg.Direct {
		// Tell the peer at once, so it does not wait for an offer.
		_ = p.sendFrame(labelControl, directFrame{Type: ctlDirect, Offer: p.ourOffer(direct.Offer{V: direct.Version})})
		return webrtcPath()
	}
	decline := func(why ...any) (*stream.Stream, string, error) {
		// Declining costs nothing: the peer goes on over WebRTC as soon as it reads this,
		// and we need not wait for its offer (no connection can be made without ours).
		p.log.Debug("direct: no attempt", why...)
		_ = p.sendFrame(labelControl, directFrame{Type: ctlDirect, Offer: p.ourOffer(direct.Offer{V: direct.Version})})
		return webrtcPath()
	}
	route, why, pair := p.directRoute()
	if route == routeNone {
		return decline("why", why)
	}
	cfg := direct.Config{Decider: p.offerer, Congestion: p.c.cfg.DirectCC, Log: p.log}
	decideWait := directDecideWait
	if route == routeLAN {
		cfg.Listen = p.hostAddrs()
	} else {
		cfg.Punch = p.punchAddrs()
		if a, ok := punchBase(pair); ok {
			cfg.PunchFrom = a
		}
		if path, ok := (&Peer{p: p}).Path(); ok && path.RTT > 0 {
			decideWait = min(directDecideWait+punchRTTs*path.RTT, punchWaitMax)
			cfg.PathRTT = path.RTT
		}
	}
	sess, err := direct.Listen(cfg)
	if err != nil {
		return decline("err", err)
	}
	defer sess.Close()
	if route == routePunch && len(sess.Offer().Punch) == 0 {
		return decline("why", "no port to punch from (no public IPv4 address, or no SO_REUSEPORT here)")
	}
	p.log.Debug("direct: attempt", "route", map[directRoute]string{routeLAN: "lan", routePunch: "punch"}[route],
		"offer", sess.Offer(), "decide_wait", decideWait)
	if err := p.sendFrame(labelControl, directFrame{Type: ctlDirect, Offer: p.ourOffer(sess.Offer())}); err != nil {
		return nil, "", err
	}
	d := &p.direct
	d.mu.Lock()
	got, off := d.chans()
	d.mu.Unlock()
	wait := time.NewTimer(directOfferWait)
	defer wait.Stop()
	select {
	case <-got:
	case <-off:
		return webrtcPath()
	case <-wait.C:
		// No offer: a peer without the direct path (or a very slow one). Both sides must
		// agree: a decider says so; a follower wrote no Ready, so no decider committed.
		p.log.Debug("direct: the peer sent no offer")
		if p.offerer {
			_ = p.sendFrame(labelControl, directFrame{Type: ctlDirectOff})
		}
		return webrtcPath()
	case <-ctx.Done(): // the connection ended
		return nil, "", p.lostErr()
	}
	d.mu.Lock()
	peerOffer := *d.offer
	d.mu.Unlock()
	if !peerOffer.Enabled() {
		return webrtcPath() // the peer declined: it knows we carry on over WebRTC too
	}
	early := p.earlyPipe(peerOffer)
	d.mu.Lock()
	d.early = early
	d.mu.Unlock()
	if h := p.c.cfg.directHold; h != nil {
		select {
		case <-h:
		case <-ctx.Done():
			return nil, "", p.lostErr()
		}
	}
	allowed := p.remoteAddrs()
	var ch *direct.Channel
	if p.offerer {
		dctx, cancel := context.WithTimeout(ctx, decideWait)
		c, err := sess.Decide(dctx, peerOffer, func(a netip.Addr) bool { return allowed[a] })
		cancel()
		if err != nil {
			p.log.Debug("direct: no connection, carrying on over WebRTC", "err", err)
			_ = p.sendFrame(labelControl, directFrame{Type: ctlDirectOff})
			return webrtcPath()
		}
		ch = direct.NewChannel(c)
	} else {
		// No deadline of our own once both offers are known: the decider answers within
		// its own, or says off; only the end of the connection ends the wait.
		c, err := sess.Follow(ctx, peerOffer, func(a netip.Addr) bool { return allowed[a] }, off)
		switch {
		case err == nil:
			ch = direct.NewChannel(c)
		case errors.Is(err, direct.ErrDeclined) || !sess.WroteReady():
			return webrtcPath()
		case early:
			// We told the decider we were ready and then lost track of it. It may have
			// committed: then its marker fails our reading side (the Switch was settled
			// without a connection), never a silent gap; if it did not, nothing changes.
			p.log.Debug("direct: lost track of the decider after Ready; not moving", "err", err)
			return webrtcPath()
		default:
			// We told the decider we were ready and then lost track of it: it may have
			// committed, so guessing WebRTC could split the pipe. Fail instead.
			select {
			case <-p.done:
				return nil, "", p.lostErr()
			default:
			}
			return nil, "", fmt.Errorf("%w: the direct path to %s did not settle: %w", ErrConnectionLost, p.remote, err)
		}
	}
	p.log.Debug("pipe on the direct path", "remote", ch.RemoteAddr())
	// The direct connection lives as long as the verified connection: if that ends, so
	// does the direct one (its stream then reports the loss, explained by the peer's error).
	p.goWork(func() {
		<-p.done
		ch.Abort()
	})
	p.setPath(PathDirect)
	if early {
		// The pipe already runs on the Switch: it moves at its next message boundary.
		d.sw.Commit(ch)
		return fallback, PathDirect, nil
	}
	return stream.New(ch), PathDirect, nil
}

// hostAddrs are the addresses of our own host candidates (what we may listen on).
func (p *peer) hostAddrs() []netip.Addr {
	var out []netip.Addr
	if ld := p.pc.LocalDescription(); ld != nil {
		for a, typ := range candidateAddrs(ld.SDP) {
			if typ == "host" {
				out = append(out, a)
			}
		}
	}
	return out
}

// directRoute says how a direct connection may come up, from the pair ICE selected, or
// why it would almost surely not (then trying would only hold the pipe's first byte for
// the decider's wait):
//   - host ⇄ host (or unknown): the peers reach each other's host addresses (routeLAN);
//   - through a TURN relay: nothing but the relay gets through (routeNone);
//   - through NATs (srflx, prflx): hole punching (routePunch), if the peer's NAT maps
//     endpoint-independently (remoteMapsLikeSTUN). A symmetric NAT gives every
//     destination a new port, so its public port for us is one the STUN server never saw
//     and no host port of the peer's either, and a punch toward a guessed TCP port would
//     fail after the whole wait.
//
// Each end checks the other's NAT, and either declining is enough, so the attempt is made
// only when both NATs look endpoint-independent.
func (p *peer) directRoute() (directRoute, string, *webrtc.ICECandidatePair) {
	sctp := p.pc.SCTP()
	if sctp == nil || sctp.Transport() == nil {
		return routeLAN, "", nil
	}
	pair, err := sctp.Transport().ICETransport().GetSelectedCandidatePair()
	if err != nil || pair == nil || pair.Local == nil || pair.Remote == nil {
		return routeLAN, "", nil // unknown: try
	}
	if pair.Local.Typ == webrtc.ICECandidateTypeHost && pair.Remote.Typ == webrtc.ICECandidateTypeHost {
		return routeLAN, "", pair
	}
	how := fmt.Sprintf("ICE connected %s ⇄ %s", pair.Local.Typ, pair.Remote.Typ)
	switch {
	case pair.Local.Typ == webrtc.ICECandidateTypeRelay || pair.Remote.Typ == webrtc.ICECandidateTypeRelay:
		return routeNone, how + " (relayed)", pair
	case p.c.cfg.DirectPunch == PunchOff:
		return routeNone, how + ", not between host addresses (punching off)", pair
	case p.c.cfg.DirectPunch == PunchAlways:
		return routePunch, "", pair
	}
	remote, err := netip.ParseAddr(pair.Remote.Address)
	if err != nil {
		return routeNone, how, pair
	}
	at := netip.AddrPortFrom(remote.Unmap(), pair.Remote.Port)
	var sdpText string
	if rd := p.pc.RemoteDescription(); rd != nil {
		sdpText = rd.SDP
	}
	if !remoteMapsLikeSTUN(at, candidates(sdpText)) {
		return routeNone, fmt.Sprintf("%s: the peer's NAT maps it to %s, neither its server-reflexive address nor its own port (a symmetric NAT)", how, at), pair
	}
	return routePunch, "", pair
}

// remoteMapsLikeSTUN says whether at, the address ICE reaches the peer at through its NAT
// (a server-reflexive candidate of the peer, or a peer-reflexive one learned from the
// checks), shows an endpoint-independent mapping, judged by the peer's signed candidates:
//   - at is one of its server-reflexive candidates: the NAT mapped the socket for us as it
//     did for the STUN server;
//   - or at has the public address of one of its server-reflexive candidates and the port
//     of one of its host candidates: the NAT kept the host socket's port, as a
//     port-preserving NAT does for every destination. ICE often connects that way (host ⇄
//     prflx) when a TURN server is configured besides STUN: pion gathers the
//     server-reflexive candidates on sockets of their own, so the host socket's mapping
//     is never a server-reflexive candidate, yet it is as good a hint. A symmetric NAT
//     that picks a new port per destination matches neither (but by a 1 in 64,000
//     chance, which costs one failed attempt, never a weaker check: the direct
//     connection is verified whatever route made it).
func remoteMapsLikeSTUN(at netip.AddrPort, cands []sdpCandidate) bool {
	var public, hostPort bool
	for _, c := range cands {
		switch c.typ {
		case "srflx":
			if c.at == at {
				return true
			}
			public = public || c.at.Addr() == at.Addr()
		case "host":
			hostPort = hostPort || c.at.Port() == at.Port()
		}
	}
	return public && hostPort
}

// punchBase is the local address our punch port binds to: the base of the selected pair's
// local candidate (the address our NAT maps), if it is an IPv4 one.
func punchBase(pair *webrtc.ICECandidatePair) (netip.Addr, bool) {
	if pair == nil || pair.Local == nil {
		return netip.Addr{}, false
	}
	base := pair.Local.Address // a host candidate is its own base
	if pair.Local.Typ != webrtc.ICECandidateTypeHost {
		base = pair.Local.RelatedAddress
	}
	a, err := netip.ParseAddr(base)
	if err != nil || !a.Unmap().Is4() || a.IsUnspecified() {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

// punchAddrs are the IPv4 addresses of our own server-reflexive candidates: where the
// peer's SYNs must go.
func (p *peer) punchAddrs() []netip.Addr {
	var out []netip.Addr
	seen := map[netip.Addr]bool{}
	if ld := p.pc.LocalDescription(); ld != nil {
		for _, c := range candidates(ld.SDP) {
			if a := c.at.Addr(); c.typ == "srflx" && a.Is4() && !seen[a] {
				seen[a] = true
				out = append(out, a)
			}
		}
	}
	return out
}

// remoteAddrs are the addresses of the peer's candidates in its verified (signed) SDP,
// except relays: we dial only where the peer's own ICE said it is.
func (p *peer) remoteAddrs() map[netip.Addr]bool {
	out := map[netip.Addr]bool{}
	if rd := p.pc.RemoteDescription(); rd != nil {
		for a, typ := range candidateAddrs(rd.SDP) {
			if typ != "relay" {
				out[a] = true
			}
		}
	}
	return out
}

// candidateAddrs returns the IP address and type of every candidate in an SDP
// ("foundation component transport priority address port typ TYPE …"); hostnames (mDNS)
// are skipped.
func candidateAddrs(text string) map[netip.Addr]string {
	out := map[netip.Addr]string{}
	for _, c := range candidates(text) {
		ip := c.at.Addr()
		if _, seen := out[ip]; !seen || c.typ == "host" {
			out[ip] = c.typ
		}
	}
	return out
}

// sdpCandidate is one candidate line's address, port and type.
type sdpCandidate struct {
	at  netip.AddrPort
	typ string
}

// candidates returns the candidates of an SDP with an IP address (mDNS hostnames and lines
// pion's candidate parser refuses are skipped).
func candidates(text string) []sdpCandidate {
	var out []sdpCandidate
	for _, v := range candidateLines(text) {
		c, err := ice.UnmarshalCandidate(v)
		if err != nil {
			continue
		}
		ip, err := netip.ParseAddr(c.Address())
		if err != nil {
			continue
		}
		out = append(out, sdpCandidate{at: netip.AddrPortFrom(ip.Unmap(), uint16(c.Port())), typ: c.Type().String()})
	}
	return out
}

// heapBallast is never read or written: it only raises the garbage collector's heap goal.
var (
	heapBallast     []byte
	heapBallastOnce sync.Once
)

// bulkHeap makes the garbage collector run less often while a pipe moves bulk data over
// WebRTC: pion allocates several short-lived objects for every 1,191-byte packet, so with
// the default goal (twice the live heap, about 10 MB here) the collector and the
// scavenger that returns its freed pages to the kernel took over a tenth of the CPU. A
// ballast of ballastBytes counts as live heap without ever being touched (fresh pages stay
// unmapped, and it holds no pointers to scan), so the goal becomes twice (live + ballast):
// the garbage allowed between two collections grows by twice the ballast, peak RSS by
// somewhat less, and the goal still follows the live heap if that grows
// (no collector thrashing, unlike a fixed memory limit). Process-wide, once.
func bulkHeap() {
	heapBallastOnce.Do(func() { heapBallast = make([]byte, ballastBytes) })
}

// ballastBytes: 10 MiB took about a fifth off the CPU per byte of a WebRTC pipe for
// about +10 MB of peak RSS (docs/benchmarks.md).
const ballastBytes = 10 << 20
