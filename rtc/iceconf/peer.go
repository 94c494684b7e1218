package iceconf

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"syscall"

	"github.com/pion/ice/v4"
	"github.com/pion/logging"
	"github.com/pion/transport/v5"
	"github.com/pion/transport/v5/stdnet"
	"github.com/pion/webrtc/v4"
)

// SocketBuffer is the SO_RCVBUF/SO_SNDBUF size requested for every ICE UDP socket.
// With the kernel default (about 208 KiB) hundreds of datagrams drop per 256 MiB of
// data-channel traffic; 4 MiB gave zero drops (docs/benchmarks.md).
const SocketBuffer = 4 << 20

// Conn is a PeerConnection together with the UDP sockets it owns.
type Conn struct {
	PC *webrtc.PeerConnection
	// RecvBuffer and SendBuffer are the smallest SO_RCVBUF / SO_SNDBUF the kernel granted
	// over the ICE sockets, as getsockopt reports them. Linux doubles the requested value
	// for its bookkeeping, so an uncapped 4 MiB request reads back as 8 MiB; a request
	// capped by net.core.rmem_max reads back as 2*rmem_max. 0 = unknown.
	RecvBuffer int
	SendBuffer int

	mux ice.UDPMux
	// doneConnecting ends this connection's turn in its Config's check pacer (checks.go).
	doneConnecting func()
	closeMu        sync.Mutex
	closed         bool
}

// BufferCapped reports whether the kernel granted less receive buffer than requested
// (net.core.rmem_max below 4 MiB): throughput then suffers from UDP drops. Linux reports
// twice the granted request, hence the comparison with 2*SocketBuffer.
func (c *Conn) BufferCapped() bool { return c.RecvBuffer > 0 && c.RecvBuffer < 2*SocketBuffer }

// Cleanup closes the ICE UDP mux. Call it after PC.Close/GracefulClose. Idempotent.
func (c *Conn) Cleanup() error {
	c.closeMu.Lock()
	defer c.closeMu.Unlock()
	if c.doneConnecting != nil {
		c.doneConnecting()
	}
	if c.closed || c.mux == nil {
		return nil
	}
	c.closed = true
	return c.mux.Close()
}

// Close gracefully closes the PeerConnection (waiting for pion's goroutines) and then
// the UDP mux.
func (c *Conn) Close() error {
	err := c.PC.GracefulClose()
	return errors.Join(err, c.Cleanup())
}

// NewPeerConnection builds a PeerConnection for this configuration. Call cleanup after
// pc.Close / pc.GracefulClose: it closes the ICE UDP socket(s).
// See NewConn for the effective socket buffer sizes.
func (c Config) NewPeerConnection(log *slog.Logger) (*webrtc.PeerConnection, func() error, error) {
	conn, err := c.NewConn(log)
	if err != nil {
		return nil, nil, err
	}
	return conn.PC, conn.Cleanup, nil
}

// NewConn builds a PeerConnection and reports the socket buffers the kernel granted.
//
// Settings: all data channels detached (the caller must Detach in OnOpen), blocking
// detached writes (backpressure), a UDP mux with 4 MiB buffers. Loopback mode binds
// 127.0.0.1:0, UDP4 only, loopback candidates only, mDNS disabled. The other modes bind one
// socket per non-loopback interface address (random ports), keep mDNS in QueryOnly mode
// and use the configured servers. pion gathers server-reflexive (STUN) candidates on
// sockets of their own and opens one per TURN client; those get the 4 MiB buffers too.
func (c Config) NewConn(log *slog.Logger) (*Conn, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if conn := c.takeSpare(log); conn != nil {
		return conn, nil
	}
	return c.newConn(log, 0)
}

// newConn is NewConn without the spare; pool 1 gathers at once (ICECandidatePoolSize), before
// the offer or answer is set.
func (c Config) newConn(log *slog.Logger, pool uint8) (*Conn, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	lf := slogFactory{log: log}
	se := webrtc.SettingEngine{LoggerFactory: lf}
	se.DetachDataChannels()
	se.EnableDataChannelBlockWrite(true)

	rec := &recordingNet{}
	var mux ice.UDPMux
	switch c.Mode {
	case ModeLoopback:
		udp, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			return nil, fmt.Errorf("ice socket: %w", err)
		}
		_ = udp.SetReadBuffer(SocketBuffer)
		_ = udp.SetWriteBuffer(SocketBuffer)
		rec.add(udp)
		mux = ice.NewUDPMuxDefault(ice.UDPMuxParams{Logger: lf.NewLogger("ice-mux"), UDPConn: batchUDP(udp)})
		se.SetIncludeLoopbackCandidate(true)
		se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
		se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
		se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	case ModeNone, ModeDefault, ModeServers:
		std, err := stdnet.NewNet()
		if err != nil {
			return nil, fmt.Errorf("ice network: %w", err)
		}
		rec.Net = std
		m, err := ice.NewMultiUDPMuxFromPort(0,
			ice.UDPMuxFromPortWithNet(rec),
			ice.UDPMuxFromPortWithIPFilter(bindable),
			ice.UDPMuxFromPortWithReadBufferSize(SocketBuffer),
			ice.UDPMuxFromPortWithWriteBufferSize(SocketBuffer),
			ice.UDPMuxFromPortWithLogger(lf.NewLogger("ice-mux")),
		)
		if err != nil {
			return nil, fmt.Errorf("ice sockets: %w", err)
		}
		mux = m
		se.SetNet(rec) // srflx and TURN sockets get the large buffers too (recordingNet.enlarge)
		se.SetICEMulticastDNSMode(ice.MulticastDNSModeQueryOnly)
	default:
		return nil, fmt.Errorf("%w: unknown mode %q", ErrBadICE, c.Mode)
	}
	se.SetICEUDPMux(mux)
	if d := c.newTCPDialer(func(msg string, args ...any) { log.Info(msg, args...) }); d != nil {
		se.SetICEProxyDialer(d)
	}

	rcv, _ := rec.buffers()
	window := sizeSCTPWindow(&se, c.Mode, rcv)
	choosePatches(&se)
	fastConnect(&se, c, log)
	interval, doneConnecting := c.fastChecks(&se)

	api := webrtc.NewAPI(webrtc.WithSettingEngine(se))
	pc, err := api.NewPeerConnection(webrtc.Configuration{ICEServers: c.Servers, ICECandidatePoolSize: pool})
	if err != nil {
		if doneConnecting != nil {
			doneConnecting()
		}
		_ = mux.Close()
		return nil, err
	}
	conn := &Conn{PC: pc, mux: mux, doneConnecting: doneConnecting}
	if doneConnecting != nil {
		watchConnecting(pc, doneConnecting)
	}
	logPairs(pc, log)
	conn.RecvBuffer, conn.SendBuffer = rec.buffers()
	log.Debug("ice sockets", "mode", c.Mode, "check_interval", interval, "rcvbuf", conn.RecvBuffer, "sndbuf", conn.SendBuffer, "sctp_window", window)
	return conn, nil
}

// recordingNet wraps pion's stdnet to remember the sockets the mux opens, so their
// granted buffer sizes can be read back.
type recordingNet struct {
	*stdnet.Net
	mu    sync.Mutex
	conns []syscall.Conn
}

func (r *recordingNet) ListenUDP(network string, laddr *net.UDPAddr) (transport.UDPConn, error) {
	c, err := r.Net.ListenUDP(network, laddr)
	if err == nil {
		r.enlarge(c)
		c = batchUDP(c) // tuning.go
	}
	return c, err
}

// ListenPacket is how pion opens the socket of a TURN client over UDP.
func (r *recordingNet) ListenPacket(network, address string) (net.PacketConn, error) {
	c, err := r.Net.ListenPacket(network, address)
	if err == nil {
		r.enlarge(c)
	}
	return c, err
}

// enlarge gives every UDP socket pion opens through this Net the 4 MiB buffers: the mux's
// host sockets, and also the sockets of server-reflexive candidates (pion gathers them on
// sockets of their own) and of TURN clients. Across NATs the selected pair is usually
// server-reflexive or relayed, so before this all of a pipe's data went through a socket
// with the kernel's 208 KiB default, which overflowed (Udp RcvbufErrors) whenever the
// receiver fell behind for a moment, and every drop halved SCTP's congestion window.
func (r *recordingNet) enlarge(c any) {
	type buffered interface {
		SetReadBuffer(int) error
		SetWriteBuffer(int) error
	}
	if b, ok := c.(buffered); ok {
		_ = b.SetReadBuffer(SocketBuffer)
		_ = b.SetWriteBuffer(SocketBuffer)
	}
	if sc, ok := c.(syscall.Conn); ok {
		r.add(sc)
	}
}

func (r *recordingNet) add(c syscall.Conn) {
	r.mu.Lock()
	r.conns = append(r.conns, c)
	r.mu.Unlock()
}

func (r *recordingNet) buffers() (rcv, snd int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.conns {
		a, b, err := SocketBuffers(c)
		if err != nil {
			continue
		}
		if rcv == 0 || a < rcv {
			rcv = a
		}
		if snd == 0 || b < snd {
			snd = b
		}
	}
	return rcv, snd
}

// LevelStack is the slog level of the WebRTC stack's own debug output, below rtchat's
// Debug: `-v` shows rtchat's diagnostics (about a dozen lines for an ask), `-vv` pion's too.
const LevelStack = slog.LevelDebug - 4

// slogFactory routes pion's logs to slog. pion is chatty about benign conditions, so its
// levels are shifted down: Trace is dropped and the rest becomes LevelStack, so nothing of
// pion's reaches a user who did not ask for -vv (rtchat reports what went wrong itself;
// pion warns about benign conditions such as reads on a socket it is closing). Every
// record carries pion=<scope>.
type slogFactory struct{ log *slog.Logger }

func (f slogFactory) NewLogger(scope string) logging.LeveledLogger {
	return slogLogger{log: f.log.With("pion", scope)}
}

type slogLogger struct{ log *slog.Logger }

func (l slogLogger) emit(level slog.Level, msg string) {
	l.log.Log(context.Background(), level, msg)
}

func (l slogLogger) enabled(level slog.Level) bool {
	return l.log.Enabled(context.Background(), level)
}

func (l slogLogger) logf(level slog.Level, format string, args ...any) {
	if l.enabled(level) {
		l.emit(level, fmt.Sprintf(format, args...))
	}
}

func (slogLogger) Trace(string)          {}
func (slogLogger) Tracef(string, ...any) {}
func (l slogLogger) Debug(msg string)    { l.emit(LevelStack, msg) }
func (l slogLogger) Debugf(f string, a ...any) {
	l.logf(LevelStack, f, a...)
}
func (l slogLogger) Info(msg string)          { l.emit(LevelStack, msg) }
func (l slogLogger) Infof(f string, a ...any) { l.logf(LevelStack, f, a...) }
func (l slogLogger) Warn(msg string)          { l.emit(LevelStack, msg) }
func (l slogLogger) Warnf(f string, a ...any) { l.logf(LevelStack, f, a...) }
func (l slogLogger) Error(msg string)         { l.emit(LevelStack, msg) }
func (l slogLogger) Errorf(f string, a ...any) {
	l.logf(LevelStack, f, a...)
}
