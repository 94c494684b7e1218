package signal

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/eclipse/paho.mqtt.golang/packets"
	"golang.org/x/net/proxy"
)

// Defaults of the MQTT client.
const (
	DefaultConnectTimeout = 10 * time.Second // the web client's connectTimeout (§7)
	KeepAlive             = 30 * time.Second
	MaxReconnectInterval  = 5 * time.Second
	MessageBuffer         = 256 // received payloads waiting in the normal lane; more are dropped
	PriorityBuffer        = 128 // received payloads waiting in the priority lane
	EventBuffer           = 16
	closePublishTimeout   = 2 * time.Second
	disconnectQuiesceMs   = 250
)

// Errors of the MQTT client.
var (
	ErrBadBrokerURL = errors.New("bad broker URL")
	ErrNotConnected = errors.New("not connected to the MQTT broker")
	ErrClosed       = errors.New("MQTT connection closed")
	// ErrRefused: the broker refused us, so waiting longer would not help: nothing listens
	// at its address, or it turned our credentials down.
	ErrRefused = errors.New("the broker refused the connection")
	// ErrUnresolvable: the broker's host name does not resolve (a typo, or offline): as
	// for a refusal, waiting out the timeout would not help.
	ErrUnresolvable = errors.New("the broker's host name does not resolve")
)

// refusedRetry is how long Dial keeps retrying a broker whose address refuses connections
// (it may be restarting) before it gives up with ErrRefused.
const refusedRetry = 2 * time.Second

// AcceptedSchemes lists the broker URL schemes Dial understands.
const AcceptedSchemes = "mqtt://, tcp://, mqtts://, ssl://, tls://, ws://, wss://"

// BrokerURL is a parsed --broker value.
type BrokerURL struct {
	Server    string // what paho dials: tcp://H:P, ssl://H:P, ws://H:P/path, wss://H:P/path
	Username  string
	Password  string
	HasAuth   bool // user (and maybe password) were given
	TLS       bool
	WebSocket bool
}

// String is the server URL with credentials left out.
func (b BrokerURL) String() string { return b.Server }

// ParseBrokerURL accepts every URL form of the CLI contract: mqtt:// and tcp:// (plain TCP,
// port 1883), mqtts://, ssl:// and tls:// (TLS with the system roots, port 8883), ws:// and
// wss:// (WebSocket, ports 80/443, path /mqtt unless one is given), with optional user:pass@.
func ParseBrokerURL(raw string) (BrokerURL, error) {
	var b BrokerURL
	bad := func(format string, a ...any) (BrokerURL, error) {
		return BrokerURL{}, fmt.Errorf("%w %q: %s (accepted: %s, e.g. mqtt://127.0.0.1:1883 or wss://broker.emqx.io:8084/mqtt)",
			ErrBadBrokerURL, RedactURL(raw), fmt.Sprintf(format, a...), AcceptedSchemes)
	}
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return bad("empty")
	}
	if !strings.Contains(raw, "://") {
		return bad("no scheme")
	}
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return bad("%v", err)
	}
	var scheme string
	var port int
	switch strings.ToLower(u.Scheme) {
	case "mqtt", "tcp":
		scheme, port = "tcp", 1883
	case "mqtts", "ssl", "tls":
		scheme, port, b.TLS = "ssl", 8883, true
	case "ws":
		scheme, port, b.WebSocket = "ws", 80, true
	case "wss":
		scheme, port, b.WebSocket, b.TLS = "wss", 443, true, true
	default:
		return bad("unsupported scheme %q", u.Scheme)
	}
	host := u.Hostname()
	if host == "" {
		return bad("no host")
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return bad("bad port %q", p)
		}
		port = n
	} else if strings.HasSuffix(u.Host, ":") {
		return bad("empty port")
	}
	if u.Fragment != "" {
		return bad("unexpected #fragment")
	}
	out := url.URL{Scheme: scheme, Host: net.JoinHostPort(host, strconv.Itoa(port))}
	if b.WebSocket {
		out.Path, out.RawPath = u.Path, u.RawPath
		if out.Path == "" || out.Path == "/" {
			out.Path, out.RawPath = "/mqtt", ""
		}
		out.RawQuery = u.RawQuery
	} else {
		if u.Path != "" && u.Path != "/" {
			return bad("a %s:// URL takes no path (%q)", u.Scheme, u.Path)
		}
		if u.RawQuery != "" {
			return bad("a %s:// URL takes no query", u.Scheme)
		}
	}
	if u.User != nil {
		b.HasAuth = true
		b.Username = u.User.Username()
		b.Password, _ = u.User.Password()
		if b.Username == "" {
			return bad("empty user name before @")
		}
	}
	b.Server = out.String()
	return b, nil
}

// RedactURL hides a password in a broker URL, for messages and display.
func RedactURL(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.User != nil {
		return u.Redacted()
	}
	if i := strings.Index(raw, "@"); i >= 0 {
		if j := strings.Index(raw, "://"); j >= 0 && j < i {
			return raw[:j+3] + "xxxxx" + raw[i:]
		}
	}
	return raw
}

// Lane is where a received payload waits for the reader.
type Lane int

// Lanes of received payloads. A flood of payloads that do not concern us fills only the
// normal lane, so what is addressed to us is never dropped for lack of room behind it.
const (
	LaneNormal   Lane = iota // Messages()
	LanePriority             // Priority()
	LaneDrop                 // not queued at all
)

// Config configures Dial.
type Config struct {
	BrokerURL      string        // any form ParseBrokerURL accepts
	Topic          string        // the room topic (see Topic); subscribed at QoS 0
	Logger         *slog.Logger  // nil discards
	ConnectTimeout time.Duration // how long Dial tries; 0 means DefaultConnectTimeout
	// Classify picks the lane of each received payload (at most MaxPayload bytes). It runs
	// on the MQTT client's goroutine, in arrival order: it must be quick and must not block.
	// Nil queues everything in the normal lane.
	Classify func(payload []byte) Lane
}

// Event reports a change of the broker connection. Connected=true arrives after every
// reconnect, once the topic is subscribed again: the moment to re-announce presence (§1.2).
// Connected=false carries why the connection was lost; paho then reconnects by itself.
type Event struct {
	Connected bool
	Err       error
}

// Conn is one MQTT connection subscribed to one topic.
//
// MQTT 3.1.1 has no "no-local": a Conn receives its own publications too. The caller must
// drop envelopes whose sender is its own full name (§1).
type Conn struct {
	cfg    Config
	broker BrokerURL
	log    *slog.Logger
	client paho.Client

	msgs   chan []byte
	prio   chan []byte
	events chan Event

	mu     sync.RWMutex // guards closed and sends on msgs/events
	closed bool
	done   chan struct{}
	wg     sync.WaitGroup // our goroutines (OnConnect subscribers)

	first     chan error // first subscribe result, for Dial
	firstDone atomic.Bool
	dropped   atomic.Uint64
	droppedP  atomic.Uint64
	closeOnce sync.Once

	netMu   sync.Mutex
	netConn net.Conn // the current connection to the broker (Check drops it)
}

// Dial connects to the broker, subscribes to cfg.Topic and returns after the first SUBACK.
// It retries refused connections until ctx or cfg.ConnectTimeout runs out, then fails with
// an error naming the broker and wrapping the last cause. After Dial, paho reconnects by
// itself and the Conn subscribes again on every reconnect.
func Dial(ctx context.Context, cfg Config) (*Conn, error) {
	if cfg.Topic == "" {
		return nil, errors.New("mqtt: no topic")
	}
	if strings.ContainsAny(cfg.Topic, "+#") {
		return nil, fmt.Errorf("mqtt: topic %q contains a wildcard", cfg.Topic)
	}
	bu, err := ParseBrokerURL(cfg.BrokerURL)
	if err != nil {
		return nil, err
	}
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = DefaultConnectTimeout
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.ConnectTimeout)
	defer cancel()
	attempt := cfg.ConnectTimeout
	if dl, ok := ctx.Deadline(); ok {
		attempt = max(time.Until(dl), 100*time.Millisecond)
	}

	c := &Conn{
		cfg:    cfg,
		broker: bu,
		log:    log.With("broker", bu.String(), "topic", cfg.Topic),
		msgs:   make(chan []byte, MessageBuffer),
		prio:   make(chan []byte, PriorityBuffer),
		events: make(chan Event, EventBuffer),
		done:   make(chan struct{}),
		first:  make(chan error, 1),
	}
	opts := paho.NewClientOptions().
		AddBroker(bu.Server).
		SetClientID(randomClientID()).
		SetProtocolVersion(4).
		SetCleanSession(true).
		SetKeepAlive(KeepAlive).
		SetPingTimeout(10 * time.Second).
		SetConnectTimeout(attempt).
		SetWriteTimeout(10 * time.Second).
		SetAutoReconnect(true).
		SetMaxReconnectInterval(MaxReconnectInterval).
		SetConnectRetry(false). // Dial retries itself, interruptibly
		SetOrderMatters(true).
		SetDefaultPublishHandler(c.onMessage).
		SetOnConnectHandler(c.onConnect).
		SetConnectionLostHandler(c.onLost).
		SetReconnectingHandler(func(paho.Client, *paho.ClientOptions) { c.log.Debug("mqtt: reconnecting") }).
		SetCustomOpenConnectionFn(c.open)
	if bu.HasAuth {
		opts.SetUsername(bu.Username).SetPassword(bu.Password)
	}
	if bu.TLS {
		opts.SetTLSConfig(&tls.Config{MinVersion: tls.VersionTLS12, ServerName: tlsHost(bu.Server)})
	}
	c.client = paho.NewClient(opts)

	var lastErr error
	start := time.Now()
	for n := 1; ; n++ {
		tok := c.client.Connect()
		select {
		case <-tok.Done():
			lastErr = tok.Error()
		case <-ctx.Done():
			c.abort()
			return nil, c.dialError(ctx, lastErr)
		}
		if lastErr == nil && !c.client.IsConnected() {
			// paho reports success when a previous attempt was still winding down.
			lastErr = errors.New("connection not established")
		}
		if lastErr == nil {
			break
		}
		c.log.Debug("mqtt: connect failed", "attempt", n, "error", lastErr)
		if badCredentials(lastErr) || (errors.Is(lastErr, syscall.ECONNREFUSED) && time.Since(start) >= refusedRetry) {
			c.abort()
			return nil, fmt.Errorf("mqtt: %w: %s (%w)", ErrRefused, bu, lastErr)
		}
		if dnsErr := (*net.DNSError)(nil); errors.As(lastErr, &dnsErr) {
			c.abort()
			return nil, fmt.Errorf("mqtt: %w: %s (%w)", ErrUnresolvable, bu, lastErr)
		}
		select {
		case <-time.After(250 * time.Millisecond): // retry pause
		case <-ctx.Done():
			c.abort()
			return nil, c.dialError(ctx, lastErr)
		}
	}
	select {
	case err := <-c.first:
		if err != nil {
			c.abort()
			return nil, fmt.Errorf("mqtt: subscribe to %s on %s: %w", cfg.Topic, bu, err)
		}
	case <-ctx.Done():
		c.abort()
		return nil, c.dialError(ctx, errors.New("no SUBACK"))
	}
	c.log.Debug("mqtt: connected and subscribed")
	return c, nil
}

// open opens the network connection to the broker as paho's own openConnection does for
// the schemes ParseBrokerURL makes (tcp, ssl, ws, wss; ALL_PROXY honoured for the first
// two), and keeps it: Check must be able to drop a connection that died silently.
func (c *Conn) open(uri *url.URL, o paho.ClientOptions) (net.Conn, error) {
	var conn net.Conn
	var err error
	switch uri.Scheme {
	case "ws", "wss":
		u := *uri
		u.User = nil // gorilla refuses URLs with credentials (paho #623)
		var tlsc *tls.Config
		if uri.Scheme == "wss" {
			tlsc = o.TLSConfig
		}
		conn, err = paho.NewWebsocket(u.String(), tlsc, o.ConnectTimeout, o.HTTPHeaders, o.WebsocketOptions)
	case "tcp", "mqtt":
		conn, err = proxy.FromEnvironmentUsing(o.Dialer).Dial("tcp", uri.Host)
	case "ssl", "tls", "mqtts":
		if os.Getenv("all_proxy") == "" {
			conn, err = tls.DialWithDialer(o.Dialer, "tcp", uri.Host, o.TLSConfig)
			break
		}
		var raw net.Conn
		if raw, err = proxy.FromEnvironment().Dial("tcp", uri.Host); err != nil {
			break
		}
		tc := tls.Client(raw, o.TLSConfig)
		if err = tc.Handshake(); err != nil {
			_ = raw.Close()
			break
		}
		conn = tc
	default:
		err = fmt.Errorf("%w: scheme %q", ErrBadBrokerURL, uri.Scheme)
	}
	if err != nil {
		return nil, err
	}
	c.netMu.Lock()
	c.netConn = conn
	c.netMu.Unlock()
	return conn, nil
}

// Check makes sure the broker still answers: it subscribes to the topic again (which
// changes nothing) and waits for the SUBACK. When none comes within timeout, it drops the
// connection, and paho reconnects at once (a lost event, then a connected one) instead of
// noticing after its keepalive, 30 s without a packet plus 10 s for the ping's answer. A
// connection can die without an error: after the host's address changed, its packets
// leave from an address that no longer exists, and TCP retries for minutes. The core
// checks when a peer's transport went, since what cut the peer off may have cut the
// broker off too, and the ICE restart needs the broker within the reconnect window.
func (c *Conn) Check(ctx context.Context, timeout time.Duration) error {
	c.mu.RLock()
	closed := c.closed
	c.mu.RUnlock()
	if closed {
		return ErrClosed
	}
	if !c.client.IsConnectionOpen() {
		return fmt.Errorf("mqtt: check %s: %w", c.broker, ErrNotConnected) // paho is at it already
	}
	c.netMu.Lock()
	conn := c.netConn
	c.netMu.Unlock()
	tok := c.client.Subscribe(c.cfg.Topic, 0, c.onMessage)
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-tok.Done():
		if err := tok.Error(); err != nil {
			return fmt.Errorf("mqtt: check %s: %w", c.broker, err)
		}
		return nil
	case <-t.C:
	case <-ctx.Done():
		return fmt.Errorf("mqtt: check %s: %w", c.broker, ctx.Err())
	case <-c.done:
		return ErrClosed
	}
	c.log.Info("mqtt: no answer from the broker: reconnecting", "waited", timeout)
	if conn != nil {
		// Only the connection the check went out on (paho may have made a new one). Its
		// read fails with a timeout, which paho takes for a lost connection; it ignores
		// the error of a closed one (it assumes it closed it itself).
		_ = conn.SetReadDeadline(time.Now())
	}
	return fmt.Errorf("mqtt: check %s: no answer in %v", c.broker, timeout)
}

// badCredentials: the broker answered CONNECT with "bad user name or password" or "not
// authorised".
func badCredentials(err error) bool {
	return errors.Is(err, packets.ErrorRefusedBadUsernameOrPassword) || errors.Is(err, packets.ErrorRefusedNotAuthorised)
}

func tlsHost(server string) string {
	u, err := url.Parse(server)
	if err != nil {
		return ""
	}
	return u.Hostname()
}

func (c *Conn) dialError(ctx context.Context, last error) error {
	if last == nil {
		return fmt.Errorf("mqtt: cannot reach broker %s within %v: %w", c.broker, c.cfg.ConnectTimeout, ctx.Err())
	}
	return fmt.Errorf("mqtt: cannot reach broker %s within %v: %w (last attempt: %w)", c.broker, c.cfg.ConnectTimeout, ctx.Err(), last)
}

func (c *Conn) abort() {
	c.shutdown(0)
}

func randomClientID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return "rtchat-go-" + hex.EncodeToString(b[:])
}

// onConnect runs (on its own goroutine, started by paho) after every successful connect:
// subscribe, wait for the SUBACK, then tell Dial or emit a Connected event.
func (c *Conn) onConnect(cl paho.Client) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.wg.Add(1)
	c.mu.Unlock()
	defer c.wg.Done()

	tok := cl.Subscribe(c.cfg.Topic, 0, c.onMessage)
	var err error
	select {
	case <-tok.Done():
		err = tok.Error()
		if err == nil {
			if st, ok := tok.(*paho.SubscribeToken); ok {
				if rc := st.Result()[c.cfg.Topic]; rc >= 0x80 {
					err = fmt.Errorf("broker refused the subscription (return code %#x)", rc)
				}
			}
		}
	case <-c.done:
		return
	case <-time.After(c.cfg.ConnectTimeout):
		err = errors.New("no SUBACK in time")
	}
	if !c.firstDone.Swap(true) {
		c.first <- err
		return
	}
	if err != nil {
		c.log.Warn("mqtt: re-subscribe after reconnect failed", "error", err)
		c.emit(Event{Connected: false, Err: fmt.Errorf("re-subscribe to %s: %w", c.cfg.Topic, err)})
		return
	}
	c.log.Debug("mqtt: reconnected and subscribed")
	c.emit(Event{Connected: true})
}

func (c *Conn) onLost(_ paho.Client, err error) {
	c.log.Debug("mqtt: connection lost", "error", err)
	if err == nil {
		err = errors.New("connection lost")
	}
	c.emit(Event{Connected: false, Err: fmt.Errorf("mqtt: lost connection to %s: %w", c.broker, err)})
}

// onMessage runs on paho's router goroutine: never block.
func (c *Conn) onMessage(_ paho.Client, m paho.Message) {
	if m.Topic() != c.cfg.Topic {
		c.log.Debug("mqtt: dropped message on another topic", "got", m.Topic())
		return
	}
	p := m.Payload()
	if len(p) > MaxPayload {
		n := c.dropped.Add(1)
		c.log.Debug("mqtt: dropped oversize payload", "bytes", len(p), "max", MaxPayload, "dropped", n)
		return
	}
	lane := LaneNormal
	if c.cfg.Classify != nil {
		lane = c.cfg.Classify(p)
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.closed {
		return
	}
	switch lane {
	case LaneDrop:
		return
	case LanePriority:
		select {
		case c.prio <- p:
		default:
			n := c.droppedP.Add(1)
			c.log.Debug("mqtt: priority lane full, dropped a payload", "dropped", n)
		}
	default:
		select {
		case c.msgs <- p:
		default:
			n := c.dropped.Add(1)
			c.log.Debug("mqtt: receive buffer full, dropped a payload", "dropped", n)
		}
	}
}

// emit delivers an event without blocking; when the buffer is full the oldest event goes.
func (c *Conn) emit(e Event) {
	c.mu.Lock() // exclusive: drop-oldest then send must not interleave with other emits
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	for {
		select {
		case c.events <- e:
			return
		default:
		}
		select {
		case <-c.events:
		default:
		}
	}
}

// Messages delivers the raw payloads received on the topic (own publications included),
// at most MaxPayload bytes each, in the normal lane. It is closed by Close.
func (c *Conn) Messages() <-chan []byte { return c.msgs }

// Priority delivers the payloads Classify put in the priority lane. It is closed by Close.
func (c *Conn) Priority() <-chan []byte { return c.prio }

// Events delivers connection lost / reconnected notifications. It is closed by Close.
func (c *Conn) Events() <-chan Event { return c.events }

// Dropped counts payloads dropped because they were too large or the reader was too slow.
func (c *Conn) Dropped() uint64 { return c.dropped.Load() + c.droppedP.Load() }

// DroppedPriority counts priority-lane payloads dropped because the reader was too slow.
func (c *Conn) DroppedPriority() uint64 { return c.droppedP.Load() }

// Broker is the broker URL in use (no credentials).
func (c *Conn) Broker() string { return c.broker.String() }

// Topic is the subscribed topic.
func (c *Conn) Topic() string { return c.cfg.Topic }

// Publish sends payload to the topic at QoS 0, not retained. It returns once paho wrote it
// to the connection, ErrNotConnected while the connection is down, or ctx's error.
func (c *Conn) Publish(ctx context.Context, payload []byte) error {
	c.mu.RLock()
	closed := c.closed
	c.mu.RUnlock()
	if closed {
		return ErrClosed
	}
	if len(payload) > MaxPayload {
		return fmt.Errorf("mqtt: payload of %d bytes is over the %d-byte cap", len(payload), MaxPayload)
	}
	if !c.client.IsConnectionOpen() {
		return fmt.Errorf("mqtt: publish to %s: %w", c.broker, ErrNotConnected)
	}
	tok := c.client.Publish(c.cfg.Topic, 0, false, append([]byte(nil), payload...))
	select {
	case <-tok.Done():
		if err := tok.Error(); err != nil {
			return fmt.Errorf("mqtt: publish to %s: %w", c.broker, err)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("mqtt: publish to %s: %w", c.broker, ctx.Err())
	case <-c.done:
		return ErrClosed
	}
}

// Close disconnects and waits for the Conn's goroutines. Idempotent.
func (c *Conn) Close(ctx context.Context) error {
	return c.CloseWith(ctx, nil)
}

// CloseWith publishes payload (if not nil; e.g. an unload envelope) and waits until it is
// written, at most 2 s or until ctx ends, then disconnects like Close. The publish error,
// if any, is returned; the Conn is closed in any case.
func (c *Conn) CloseWith(ctx context.Context, payload []byte) error {
	var err error
	if payload != nil {
		pctx, cancel := context.WithTimeout(ctx, closePublishTimeout)
		err = c.Publish(pctx, payload)
		cancel()
	}
	c.shutdown(disconnectQuiesceMs)
	return err
}

func (c *Conn) shutdown(quiesce uint) {
	c.closeOnce.Do(func() {
		c.mu.Lock()
		c.closed = true
		close(c.done)
		c.mu.Unlock()
		c.client.Disconnect(quiesce)
		c.wg.Wait()
		c.mu.Lock()
		close(c.msgs)
		close(c.prio)
		close(c.events)
		c.mu.Unlock()
	})
}
