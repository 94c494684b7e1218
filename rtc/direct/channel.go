package direct

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// Frames on the direct connection, after the markers: a 1-byte kind and a 4-byte
// big-endian length, then the message. They carry the same messages as the WebRTC pipe
// channel (binary payload, text control), so rtc/stream runs unchanged on top.
const (
	kindBinary byte = 0
	kindText   byte = 1
	headerLen       = 5
	// MaxMessage is the largest message a peer may send (as on the data channel).
	MaxMessage = 65536
)

// closeGrace bounds how long Close waits for the peer to end its side.
const closeGrace = 2 * time.Second

// Channel is a message channel over a verified direct connection. It has the methods
// rtc/stream's Channel needs, and SetWriteDeadline, so that the stream's Abort and Close
// can interrupt a write blocked by the peer's receive window.
type Channel struct {
	conn net.Conn

	rmu  sync.Mutex
	hdr  [headerLen]byte
	eof  chan struct{} // closed when a read failed (the peer ended its side, or the conn)
	eofO sync.Once

	wmu  sync.Mutex
	wbuf []byte

	// dmu orders the stream's deadline kicks with Close: once Close began, its own
	// deadline holds, so that a kick (the stream's reader sees the peer end its side and
	// kicks our writers) cannot fail the close_notify Close is sending.
	dmu     sync.Mutex
	closing bool

	closeOnce sync.Once
	closeErr  error
}

// NewChannel frames messages on conn (the connection Decide or Follow returned).
func NewChannel(conn net.Conn) *Channel {
	return &Channel{conn: conn, eof: make(chan struct{})}
}

// ErrTooBig is a frame longer than MaxMessage (or than the reader's buffer): the
// connection is not used any further.
var ErrTooBig = errors.New("direct: message too big")

// ReadDataChannel reads one message into p, like a detached data channel: p must hold the
// largest message the peer may send.
func (c *Channel) ReadDataChannel(p []byte) (int, bool, error) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	n, isString, err := c.read(p)
	if err != nil {
		c.eofO.Do(func() { close(c.eof) })
	}
	return n, isString, err
}

func (c *Channel) read(p []byte) (int, bool, error) {
	if _, err := io.ReadFull(c.conn, c.hdr[:]); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			err = fmt.Errorf("direct: connection ended inside a frame: %w", err)
		}
		return 0, false, err
	}
	kind, n := c.hdr[0], binary.BigEndian.Uint32(c.hdr[1:])
	if kind != kindBinary && kind != kindText {
		return 0, false, fmt.Errorf("direct: unknown frame kind %d", kind)
	}
	if n > MaxMessage || int(n) > len(p) {
		return 0, false, fmt.Errorf("%w: %d bytes", ErrTooBig, n)
	}
	if _, err := io.ReadFull(c.conn, p[:n]); err != nil {
		return 0, false, fmt.Errorf("direct: connection ended inside a frame: %w", err)
	}
	return int(n), kind == kindText, nil
}

// WriteDataChannel writes one message (header and body in one write: one TLS record
// sequence, no tiny record for the header).
func (c *Channel) WriteDataChannel(p []byte, isString bool) (int, error) {
	if len(p) > MaxMessage {
		return 0, fmt.Errorf("%w: %d bytes", ErrTooBig, len(p))
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	need := headerLen + len(p)
	if cap(c.wbuf) < need {
		c.wbuf = make([]byte, need, headerLen+MaxMessage)
	}
	b := c.wbuf[:need]
	b[0] = kindBinary
	if isString {
		b[0] = kindText
	}
	binary.BigEndian.PutUint32(b[1:headerLen], uint32(len(p)))
	copy(b[headerLen:], p)
	if _, err := c.conn.Write(b); err != nil {
		return 0, err
	}
	return len(p), nil
}

// SetWriteDeadline interrupts a blocked write (the stream uses it to abort and close).
// After Close began it does nothing: Close bounds its own writes.
func (c *Channel) SetWriteDeadline(t time.Time) error {
	c.dmu.Lock()
	defer c.dmu.Unlock()
	if c.closing {
		return nil
	}
	return c.conn.SetWriteDeadline(t)
}

// closeWriter is what TLS and TCP connections offer to end only our direction.
type closeWriter interface{ CloseWrite() error }

// Close ends our direction first (TLS close_notify, then the TCP FIN), waits briefly until
// the peer has ended its own (so that nothing unread is left to turn our close into a
// reset that could destroy what we sent last), then closes the connection.
func (c *Channel) Close() error {
	c.closeOnce.Do(func() {
		c.dmu.Lock()
		c.closing = true
		c.dmu.Unlock()
		if cw, ok := c.conn.(closeWriter); ok {
			_ = c.conn.SetWriteDeadline(time.Now().Add(closeGrace))
			_ = cw.CloseWrite()
			if u, ok := c.conn.(interface{ NetConn() net.Conn }); ok {
				if tcw, ok := u.NetConn().(closeWriter); ok {
					_ = tcw.CloseWrite()
				}
			}
			t := time.NewTimer(closeGrace)
			select {
			case <-c.eof:
			case <-t.C:
			}
			t.Stop()
		}
		c.closeErr = c.conn.Close()
	})
	return c.closeErr
}

// Abort closes the connection at once (the verified WebRTC connection behind it ended).
func (c *Channel) Abort() {
	c.closeOnce.Do(func() { c.closeErr = c.conn.Close() })
}

// RemoteAddr is the peer's address on the direct connection.
func (c *Channel) RemoteAddr() net.Addr { return c.conn.RemoteAddr() }
