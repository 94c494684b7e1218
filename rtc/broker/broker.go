// Package broker is rtchat's embedded MQTT broker (mochi-mqtt v2): a self-hosted signaling
// server for a LAN or for tests, reachable over plain TCP and, optionally, over WebSocket at
// path /mqtt so that RTChat web pages can use it too. Every client may connect and use every
// topic (allow-all auth): it relays signaling only, which is public by design (protocol §8).
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

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/hooks/auth"
)

// MaxPacket is the largest MQTT packet the broker accepts: room for the 256 KiB signaling
// payloads rtchat allows (signal.MaxPayload) plus topic and headers. Larger packets get the
// sending client disconnected.
const MaxPacket = 1 << 20

// WSPath is where the WebSocket listener is advertised (any path is accepted).
const WSPath = "/mqtt"

// Options says where the broker listens.
type Options struct {
	// TCP is the host:port of the plain MQTT listener, e.g. "127.0.0.1:1883"; port 0 picks a
	// free port. "" means no TCP listener.
	TCP string
	// WS is the host:port of the MQTT-over-WebSocket listener (path /mqtt), e.g.
	// "0.0.0.0:8083"; port 0 picks a free port. "" means no WebSocket listener.
	WS string
	// Logger receives the broker's diagnostics; mochi's own chatter is demoted one level
	// (its Info becomes Debug). nil discards everything.
	Logger *slog.Logger
}

// Broker is a running embedded broker. Close it.
type Broker struct {
	srv       *mqtt.Server
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
	b := &Broker{}
	var err error
	if o.TCP != "" {
		if b.tcp, err = listen("tcp", o.TCP, log); err != nil {
			return nil, err
		}
	}
	if o.WS != "" {
		if b.ws, err = listen("ws", o.WS, log); err != nil {
			if b.tcp != nil {
				_ = b.tcp.ln.Close()
			}
			return nil, err
		}
	}

	caps := mqtt.NewDefaultServerCapabilities()
	caps.MaximumPacketSize = MaxPacket
	b.srv = mqtt.New(&mqtt.Options{
		Capabilities:           caps,
		Logger:                 slog.New(demote{log.Handler()}),
		SysTopicResendInterval: 30,
	})
	fail := func(err error) (*Broker, error) {
		for _, l := range []*listener{b.tcp, b.ws} {
			if l != nil {
				_ = l.ln.Close()
			}
		}
		return nil, fmt.Errorf("broker: %w", err)
	}
	if err := b.srv.AddHook(new(auth.AllowHook), nil); err != nil {
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
	log.Debug("broker started", "urls", b.URLs())
	return b, nil
}

func listen(kind, addr string, log *slog.Logger) (*listener, error) {
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
	return newListener(kind, ln, log), nil
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
