// Package broker is rtchat's embedded MQTT broker (mochi-mqtt v2): a self-hosted signaling
// server for a LAN or for tests, reachable over plain TCP and, optionally, over WebSocket at
// path /mqtt so that RTChat web pages can use it too.
//
// It is locked down for that one job by default: clients may use only the room topics
// (mrtchat/#), retained messages are off, and packet size, connections, per-client queues
// and the time to send CONNECT are bounded, so that a client on the network can neither
// make the broker grow without limit nor use it as a general-purpose relay. Authentication
// (a bcrypt password file) is optional: without it anyone who reaches the port may connect.
package broker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"syscall"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
)

// MaxPacket is the default largest MQTT packet the broker accepts: the 256 KiB signaling
// payloads rtchat allows (signal.MaxPayload) plus 16 KiB for topic and headers. Larger
// packets get the sending client disconnected.
const MaxPacket = 256<<10 + 16<<10

// Defaults of Limits.
const (
	DefaultMaxClients     = 128
	DefaultMaxQueue       = 2 << 20
	DefaultConnectTimeout = 10 * time.Second
)

// ErrBadOptions marks Start's errors about Options (limits, topic patterns), as opposed to
// the network.
var ErrBadOptions = errors.New("bad broker options")

type optionsError struct{ err error }

func (e optionsError) Error() string   { return e.err.Error() }
func (e optionsError) Unwrap() []error { return []error{e.err, ErrBadOptions} }

// WSPath is where the WebSocket listener is advertised (any path is accepted).
const WSPath = "/mqtt"

// Options says where the broker listens and whom it serves. The zero value of every field
// but TCP/WS is a safe default.
type Options struct {
	// TCP is the host:port of the plain MQTT listener, e.g. "127.0.0.1:1883"; port 0 picks a
	// free port. "" means no TCP listener.
	TCP string
	// WS is the host:port of the MQTT-over-WebSocket listener (path /mqtt), e.g.
	// "0.0.0.0:8083"; port 0 picks a free port. "" means no WebSocket listener.
	WS string
	// Logger receives the broker's diagnostics; mochi's own chatter is demoted one level
	// (its Info becomes Debug). Refused connections, topics and slow clients are logged at
	// Info. nil discards everything.
	Logger *slog.Logger
	// Users, if it has any, is who may connect (MQTT user name and password); nil or empty
	// lets anyone connect.
	Users *Users
	// Topics are the MQTT filters clients may publish and subscribe within; nil means
	// DefaultTopics (mrtchat/#).
	Topics []string
	// Limits bound what clients can make the broker hold.
	Limits Limits
}

// Limits bound the broker's resources. Zero fields take the defaults.
type Limits struct {
	// MaxPacket is the largest MQTT packet in bytes (default MaxPacket); a client sending
	// a larger one is disconnected.
	MaxPacket int
	// MaxClients caps concurrent connections, including those that have not sent CONNECT
	// yet (default DefaultMaxClients). Those that have not logged in hold at most three
	// quarters of the places; over that, or when all are taken, a new connection takes the
	// place of the oldest of them. When logged-in clients hold every place, more are closed
	// as soon as accepted.
	MaxClients int
	// MaxQueue is how many bytes of messages (each counted with its bookkeeping) may wait
	// for one client that does not read them (default DefaultMaxQueue, at least one
	// MaxPacket); messages that do not fit are dropped for that client only, which stays
	// connected.
	MaxQueue int
	// MaxRetained is how many topics may keep a retained message (each at most
	// MaxPacket); 0, the default, turns retained messages off: rtchat never uses them.
	MaxRetained int
	// ConnectTimeout closes connections that send no CONNECT in time (default
	// DefaultConnectTimeout).
	ConnectTimeout time.Duration
}

func (l Limits) withDefaults() (Limits, error) {
	if l.MaxPacket < 0 || l.MaxClients < 0 || l.MaxQueue < 0 || l.MaxRetained < 0 || l.ConnectTimeout < 0 {
		return l, errors.New("negative limit")
	}
	if l.MaxPacket == 0 {
		l.MaxPacket = MaxPacket
	}
	if l.MaxPacket < 1024 || l.MaxPacket > 256<<20 {
		return l, fmt.Errorf("max packet size %d bytes: want 1 KiB to 256 MiB", l.MaxPacket)
	}
	if l.MaxClients == 0 {
		l.MaxClients = DefaultMaxClients
	}
	if l.MaxQueue == 0 {
		l.MaxQueue = max(DefaultMaxQueue, l.MaxPacket+int(packetOverhead))
	}
	if l.MaxQueue < l.MaxPacket+int(packetOverhead) {
		return l, fmt.Errorf("max queue %d bytes is below the max packet size %d: one message would not fit", l.MaxQueue, l.MaxPacket)
	}
	if l.ConnectTimeout == 0 {
		l.ConnectTimeout = DefaultConnectTimeout
	}
	return l, nil
}

// Broker is a running embedded broker. Close it.
type Broker struct {
	srv       *mqtt.Server
	guard     *guard
	tcp, ws   *listener
	closeOnce sync.Once
}

// Start binds the listeners and starts serving. It returns once both listeners accept
// connections, or the bind error (e.g. port in use). ctx only bounds the start-up: the
// broker runs until Close.
func Start(ctx context.Context, o Options) (*Broker, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if o.TCP == "" && o.WS == "" {
		return nil, errors.New("broker: no listener: give a TCP or a WebSocket address")
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	lim, err := o.Limits.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("broker: %w", optionsError{err})
	}
	patterns := o.Topics
	if patterns == nil {
		patterns = DefaultTopics()
	}
	topics, err := parseTopics(patterns)
	if err != nil {
		return nil, fmt.Errorf("broker: %w", optionsError{err})
	}
	conns := newConnLimit(int64(lim.MaxClients), log)
	b := &Broker{}
	if o.TCP != "" {
		if b.tcp, err = listen("tcp", o.TCP, log, conns, lim.ConnectTimeout); err != nil {
			return nil, err
		}
	}
	if o.WS != "" {
		if b.ws, err = listen("ws", o.WS, log, conns, lim.ConnectTimeout); err != nil {
			if b.tcp != nil {
				_ = b.tcp.ln.Close()
			}
			return nil, err
		}
	}

	caps := mqtt.NewDefaultServerCapabilities()
	caps.MaximumPacketSize = uint32(lim.MaxPacket)
	// connLimit is the cap; mochi's own count lags behind the connections it closes to
	// make room, so its check must not refuse the login that took a place.
	caps.MaximumClients = 2 * int64(lim.MaxClients)
	caps.MaximumClientWritesPending = maxPending
	caps.MaximumInflight = maxInflight
	caps.ReceiveMaximum = maxInflight
	caps.MaximumSessionExpiryInterval = 0 // no sessions kept for disconnected clients
	caps.TopicAliasMaximum = 0            // an alias table per client is memory for nothing
	caps.SharedSubAvailable = 0
	caps.RetainAvailable = 0
	if lim.MaxRetained > 0 {
		caps.RetainAvailable = 1
	}
	b.srv = mqtt.New(&mqtt.Options{
		Capabilities:           caps,
		Logger:                 slog.New(demote{log.Handler()}),
		SysTopicResendInterval: 30,
	})
	g := newGuard(log, o.Users, topics, lim)
	g.srv = b.srv
	b.guard = g
	fail := func(err error) (*Broker, error) {
		for _, l := range []*listener{b.tcp, b.ws} {
			if l != nil {
				_ = l.ln.Close()
			}
		}
		return nil, fmt.Errorf("broker: %w", err)
	}
	if err := b.srv.AddHook(g, nil); err != nil {
		return fail(err)
	}
	for _, l := range []*listener{b.tcp, b.ws} {
		if l == nil {
			continue
		}
		if err := b.srv.AddListener(l); err != nil {
			return fail(err)
		}
	}
	if err := b.srv.Serve(); err != nil {
		_ = b.srv.Close()
		return nil, fmt.Errorf("broker: %w", err)
	}
	log.Debug("broker started", "urls", b.URLs(), "users", o.Users.Len(), "topics", []string(topics),
		"max_packet", lim.MaxPacket, "max_clients", lim.MaxClients, "max_queue", lim.MaxQueue,
		"max_retained", lim.MaxRetained, "connect_timeout", lim.ConnectTimeout)
	return b, nil
}

func listen(kind, addr string, log *slog.Logger, lim *connLimit, connectTimeout time.Duration) (*listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		what := "MQTT TCP"
		if kind == "ws" {
			what = "MQTT WebSocket"
		}
		hint := ""
		if errors.Is(err, syscall.EADDRINUSE) {
			hint = " (another broker or program already uses that port: choose another address)"
		}
		return nil, fmt.Errorf("broker: cannot listen for %s on %q: %w%s", what, addr, err, hint)
	}
	return newListener(kind, ln, log, lim, connectTimeout), nil
}

// TCPAddr is the actual host:port of the TCP listener, or "" if there is none.
func (b *Broker) TCPAddr() string {
	if b.tcp == nil {
		return ""
	}
	return b.tcp.Address()
}

// WSAddr is the actual host:port of the WebSocket listener, or "" if there is none.
func (b *Broker) WSAddr() string {
	if b.ws == nil {
		return ""
	}
	return b.ws.Address()
}

// URLs are the broker's client URLs: "mqtt://HOST:PORT" and/or "ws://HOST:PORT/mqtt".
// A wildcard listener (0.0.0.0, ::) keeps its wildcard host: clients elsewhere must use this
// machine's address instead.
func (b *Broker) URLs() []string {
	var urls []string
	if a := b.TCPAddr(); a != "" {
		urls = append(urls, "mqtt://"+a)
	}
	if a := b.WSAddr(); a != "" {
		urls = append(urls, "ws://"+a+WSPath)
	}
	return urls
}

// Close stops the listeners, disconnects every client and waits for the broker's goroutines.
// It is idempotent.
func (b *Broker) Close() error {
	b.closeOnce.Do(func() {
		_ = b.srv.Close() // closes our listeners (which wait for their connections) and clients
	})
	return nil
}

// IsWildcard reports whether a host:port listens on all interfaces.
func IsWildcard(hostport string) bool {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		return false
	}
	host = strings.Trim(host, "[]")
	ip := net.ParseIP(host)
	return host == "" || (ip != nil && ip.IsUnspecified())
}

// demote lowers mochi's log levels by one step (Info→Debug, Warn→Info, Error→Warn) and
// hides its Debug entirely below Debug, so a default (Warn) logger stays quiet.
type demote struct{ h slog.Handler }

func (d demote) level(l slog.Level) slog.Level {
	switch {
	case l >= slog.LevelError:
		return slog.LevelWarn
	case l >= slog.LevelWarn:
		return slog.LevelInfo
	case l >= slog.LevelInfo:
		return slog.LevelDebug
	default:
		return slog.LevelDebug - 4
	}
}

func (d demote) Enabled(ctx context.Context, l slog.Level) bool {
	return d.h.Enabled(ctx, d.level(l))
}

func (d demote) Handle(ctx context.Context, r slog.Record) error {
	r2 := slog.NewRecord(r.Time, d.level(r.Level), "mqtt broker: "+r.Message, r.PC)
	r.Attrs(func(a slog.Attr) bool { r2.AddAttrs(a); return true })
	return d.h.Handle(ctx, r2)
}

func (d demote) WithAttrs(as []slog.Attr) slog.Handler { return demote{d.h.WithAttrs(as)} }
func (d demote) WithGroup(n string) slog.Handler       { return demote{d.h.WithGroup(n)} }
