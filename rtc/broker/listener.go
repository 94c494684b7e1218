package broker

import (
	"container/list"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/mochi-mqtt/server/v2/listeners"
)

// listener is a mochi listeners.Listener over a socket we bound ourselves, so that bind
// errors come back from Start, port 0 works for WebSocket too, and Close waits for every
// goroutine it started (mochi's own listeners do neither). It also closes connections
// that send no CONNECT within connectTimeout, and admits only as many connections as the
// broker-wide connLimit allows.
type listener struct {
	kind           string // "tcp" or "ws"
	ln             net.Listener
	log            *slog.Logger
	http           *http.Server // ws only
	up             websocket.Upgrader
	connectTimeout time.Duration

	mu        sync.Mutex
	closed    bool
	conns     map[net.Conn]struct{}
	wg        sync.WaitGroup
	establish listeners.EstablishFn
}

var _ listeners.Listener = (*listener)(nil)

func newListener(kind string, ln net.Listener, log *slog.Logger, lim *connLimit, connectTimeout time.Duration) *listener {
	l := &listener{
		kind: kind, ln: &limitListener{Listener: ln, lim: lim}, log: log,
		connectTimeout: connectTimeout, conns: map[net.Conn]struct{}{},
	}
	if kind == "ws" {
		l.up = websocket.Upgrader{
			Subprotocols:    []string{"mqtt"},
			CheckOrigin:     func(*http.Request) bool { return true }, // web pages from any origin
			ReadBufferSize:  4096,
			WriteBufferSize: 4096,
		}
		// Until the upgrade, the HTTP timeouts play the CONNECT timeout's part.
		l.http = &http.Server{
			Handler:           http.HandlerFunc(l.serveHTTP),
			ReadHeaderTimeout: connectTimeout,
			ReadTimeout:       connectTimeout, // cleared by the upgrade (hijack)
			IdleTimeout:       connectTimeout,
			MaxHeaderBytes:    16 << 10,
			ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
		}
	}
	return l
}

func (l *listener) ID() string       { return l.kind }
func (l *listener) Address() string  { return l.ln.Addr().String() }
func (l *listener) Protocol() string { return l.kind }

func (l *listener) Init(*slog.Logger) error { return nil }

// track registers a goroutine and, if c is non-nil, a connection; false once closed.
func (l *listener) track(c net.Conn) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return false
	}
	l.wg.Add(1)
	if c != nil {
		l.conns[c] = struct{}{}
	}
	return true
}

func (l *listener) untrack(c net.Conn) {
	l.mu.Lock()
	if c != nil {
		delete(l.conns, c)
	}
	l.mu.Unlock()
	l.wg.Done()
}

func (l *listener) Serve(establish listeners.EstablishFn) {
	if !l.track(nil) {
		return
	}
	defer l.untrack(nil)
	l.mu.Lock()
	l.establish = establish
	l.mu.Unlock()
	if l.kind == "ws" {
		if err := l.http.Serve(l.ln); err != nil && !errors.Is(err, http.ErrServerClosed) && !l.isClosed() {
			l.log.Warn("mqtt broker: websocket listener stopped", "error", err)
		}
		return
	}
	for {
		c, err := l.ln.Accept()
		if err != nil {
			if !l.isClosed() {
				l.log.Warn("mqtt broker: tcp listener stopped", "error", err)
			}
			return
		}
		if !l.track(c) {
			_ = c.Close()
			return
		}
		// mochi replaces this deadline with the keepalive one once CONNECT is read.
		_ = c.SetReadDeadline(time.Now().Add(l.connectTimeout))
		go func() {
			defer l.untrack(c)
			if err := establish(l.kind, c); err != nil {
				l.log.Debug("mqtt broker: client ended", "remote", c.RemoteAddr().String(), "error", err)
			}
		}()
	}
}

func (l *listener) isClosed() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.closed
}

func (l *listener) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if !websocket.IsWebSocketUpgrade(r) {
		http.Error(w, "rtchat broker: MQTT over WebSocket lives here (ws://HOST:PORT/mqtt, subprotocol mqtt)", http.StatusUpgradeRequired)
		return
	}
	ws, err := l.up.Upgrade(w, r, nil)
	if err != nil {
		l.log.Debug("mqtt broker: websocket upgrade failed", "remote", r.RemoteAddr, "error", err)
		return
	}
	c := &wsConn{Conn: ws.UnderlyingConn(), ws: ws}
	if !l.track(c) {
		_ = c.Close()
		return
	}
	_ = c.SetReadDeadline(time.Now().Add(l.connectTimeout))
	defer l.untrack(c)
	l.mu.Lock()
	establish := l.establish
	l.mu.Unlock()
	if err := establish(l.kind, c); err != nil {
		l.log.Debug("mqtt broker: client ended", "remote", r.RemoteAddr, "error", err)
	}
}

// Close stops accepting, lets mochi disconnect its clients, closes whatever connection has
// not said CONNECT yet and waits for all goroutines of this listener.
func (l *listener) Close(closeClients listeners.CloseFn) {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return
	}
	l.closed = true
	l.mu.Unlock()

	if l.http != nil {
		_ = l.http.Close() // closes the socket and every connection not yet upgraded
	} else {
		_ = l.ln.Close()
	}
	// Every connection first, and wait until mochi let go of each, so that closeClients
	// finds nothing left to race with. (mochi v2.7.9's GetByListener, behind closeClients,
	// took its read lock twice and deadlocked against a disconnecting client's Delete;
	// fixed in our copy, third_party/mochi-server patch 0001.)
	l.mu.Lock()
	for c := range l.conns {
		if c != nil {
			_ = c.Close()
		}
	}
	l.mu.Unlock()
	l.wg.Wait()
	closeClients(l.kind)
}

// wsConn is MQTT over binary WebSocket messages as a net.Conn (deadlines act on the
// underlying TCP connection).
type wsConn struct {
	net.Conn
	ws  *websocket.Conn
	r   io.Reader
	wmu sync.Mutex
}

func (c *wsConn) Read(p []byte) (int, error) {
	for {
		if c.r == nil {
			op, r, err := c.ws.NextReader()
			if err != nil {
				return 0, err
			}
			if op != websocket.BinaryMessage {
				return 0, errors.New("websocket: MQTT needs binary messages")
			}
			c.r = r
		}
		n, err := c.r.Read(p)
		if errors.Is(err, io.EOF) {
			c.r = nil
			if n == 0 {
				continue
			}
			err = nil
		}
		return n, err
	}
}

func (c *wsConn) Write(p []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := c.ws.WriteMessage(websocket.BinaryMessage, p); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (c *wsConn) Close() error { return c.Conn.Close() }

// connLimit caps the broker's concurrent connections, over all listeners and whether or
// not they have logged in yet: each costs buffers, goroutines and a file descriptor.
//
// Connections that have not logged in (no CONNECT yet, or not accepted) cost an attacker
// nothing but a TCP handshake, so they must not be able to lock the logged-in users out:
// they may hold at most max - reserve places (the reserve is a quarter, kept for logged-in
// clients), and when no place is free a new connection takes the place of the oldest one
// that has not logged in, which is closed: first those that sent no CONNECT yet, and only
// when there are none, those whose CONNECT is being checked. A legitimate client sends its
// CONNECT within milliseconds of connecting; its password check (bcrypt: 0.1 s here, more
// on a small device or a busy broker) may take longer than an attacker needs to open the
// connections that would otherwise push it out (96 at 40 per second: 2.4 s). One that has
// logged in is never pushed out.
type connLimit struct {
	max     int64
	reserve int64 // places only logged-in connections may use
	log     *slog.Logger

	mu         sync.Mutex
	n          int64        // connections holding a place
	idle       *list.List   // of *countedConn that sent no CONNECT yet, oldest first
	connecting *list.List   // of *countedConn whose CONNECT is being checked, oldest first
	evicted    atomic.Int64 // connections closed to make room (for tests and logs)
}

func newConnLimit(max int64, log *slog.Logger) *connLimit {
	return &connLimit{max: max, reserve: max / 4, log: log, idle: list.New(), connecting: list.New()}
}

// admit gives c a place, closing the oldest connection that has not logged in when there
// is none free; false when every place is held by logged-in clients.
func (l *connLimit) admit(c net.Conn) (*countedConn, bool) {
	for {
		l.mu.Lock()
		if l.n < l.max && int64(l.idle.Len()+l.connecting.Len()) < l.max-l.reserve {
			l.n++
			cc := &countedConn{Conn: c, lim: l, in: l.idle}
			cc.elem = l.idle.PushBack(cc)
			l.mu.Unlock()
			return cc, true
		}
		var victim *countedConn
		if e := l.idle.Front(); e != nil {
			victim = e.Value.(*countedConn)
		} else if e := l.connecting.Front(); e != nil {
			victim = e.Value.(*countedConn)
		}
		l.mu.Unlock()
		if victim == nil {
			return nil, false
		}
		l.evicted.Add(1)
		l.log.Info("mqtt broker: closed a connection that had not logged in, to make room", "remote", victim.RemoteAddr().String(), "for", c.RemoteAddr().String())
		_ = victim.Close() // gives its place back
	}
}

// count is how many connections hold a place.
func (l *connLimit) count() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.n
}

// connectSent moves c behind the connections that sent no CONNECT, in the order of
// pushing out.
func (l *connLimit) connectSent(c *countedConn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if c.in == l.idle {
		l.idle.Remove(c.elem)
		c.in, c.elem = l.connecting, l.connecting.PushBack(c)
	}
}

// loggedIn moves c out of the connections that can be pushed out.
func (l *connLimit) loggedIn(c *countedConn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c.unlist()
}

func (l *connLimit) release(c *countedConn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c.unlist()
	l.n--
}

// limitListener closes, right after accepting, the connections the limit has no place for.
type limitListener struct {
	net.Listener
	lim *connLimit
}

func (ll *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := ll.Listener.Accept()
		if err != nil {
			return nil, err
		}
		cc, ok := ll.lim.admit(c)
		if !ok {
			ll.lim.log.Info("mqtt broker: refused connection: connection limit reached", "remote", c.RemoteAddr().String(), "max", ll.lim.max)
			_ = c.Close()
			continue
		}
		return cc, nil
	}
}

// countedConn gives its place back to the limit when closed.
type countedConn struct {
	net.Conn
	lim  *connLimit
	once sync.Once
	in   *list.List    // lim.idle, lim.connecting, or nil once logged in; guarded by lim.mu
	elem *list.Element // c's element of in
}

// unlist takes c out of the connections that can be pushed out. lim.mu held.
func (c *countedConn) unlist() {
	if c.in != nil {
		c.in.Remove(c.elem)
		c.in, c.elem = nil, nil
	}
}

func (c *countedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.lim.release(c) })
	return err
}

// counted is the countedConn under conn (as mochi has it), or nil.
func counted(conn net.Conn) *countedConn {
	if ws, ok := conn.(*wsConn); ok {
		conn = ws.Conn
	}
	cc, _ := conn.(*countedConn)
	return cc
}

// markConnectSent tells the connection limit that the client on conn sent its CONNECT:
// connections that sent none are pushed out before it.
func markConnectSent(conn net.Conn) {
	if cc := counted(conn); cc != nil {
		cc.lim.connectSent(cc)
	}
}

// markLoggedIn tells the connection limit that the client on conn logged in, so newer
// connections can no longer push it out.
func markLoggedIn(conn net.Conn) {
	if cc := counted(conn); cc != nil {
		cc.lim.loggedIn(cc)
	}
}
