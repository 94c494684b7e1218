package direct

import (
	"errors"
	"sync"
	"time"
)

// SwitchMarker is the one message a Switch writes on the first channel to say "everything
// after this comes on the direct connection". It is a text message that rtc/stream never
// sends (its text messages are eof, ack, done and abort:…; the name is reserved there).
const SwitchMarker = "moved"

// MessageChannel is the message channel a Switch starts on (a detached WebRTC data
// channel): rtc/stream's Channel. SetWriteDeadline and BufferedAmount are used when the
// value has them, as rtc/stream does.
type MessageChannel interface {
	ReadDataChannel(p []byte) (n int, isString bool, err error)
	WriteDataChannel(p []byte, isString bool) (n int, err error)
	Close() error
}

// ErrNotSettled: the peer moved its side of the stream to a direct connection that did
// not come up on our side (it committed after we lost track of it): its data after the
// marker cannot be read.
var ErrNotSettled = errors.New("direct: the peer moved to a direct connection we do not have")

// errSwitchClosed is what a reader waiting for the committed connection gets after Close.
var errSwitchClosed = errors.New("direct: switch closed")

// Switch carries a pipe stream's messages over a first channel (WebRTC) until the direct
// path commits, then over the direct connection, moving each direction at a message
// boundary on its own (docs/rtchat-protocol.md, "The direct path"):
//   - the writer, at its first write after Commit, writes SwitchMarker on the first
//     channel and from then on writes only on the direct connection;
//   - the reader reads the first channel until it reads the peer's marker, then only the
//     direct connection (waiting for Commit if the negotiation has not settled here yet).
//
// Each channel is in order and reliable, so nothing is lost, duplicated or reordered.
// Settle(nil) says the direct path will never come: the writer stays, and a marker from
// the peer then fails the reader (ErrNotSettled) instead of waiting forever.
type Switch struct {
	first MessageChannel

	wmu sync.Mutex // serialises writes (and the move of the writer)

	mu        sync.Mutex
	direct    *Channel // the committed connection (nil until Commit)
	settled   bool     // Commit or Settle ran
	settledCh chan struct{}
	wMoved    bool      // our marker was written: writes go to direct
	rMoved    bool      // the peer's marker was read: reads come from direct
	deadline  time.Time // the last write deadline set, applied to direct at Commit
	closed    bool
	closedCh  chan struct{}
	closeOnce sync.Once
	closeErr  error
}

// NewSwitch starts a Switch on first.
func NewSwitch(first MessageChannel) *Switch {
	return &Switch{first: first, settledCh: make(chan struct{}), closedCh: make(chan struct{})}
}

// Commit hands over the connection this side committed to (the decider after writing Use,
// the follower after reading it). After Close, or a second settle, it aborts ch.
func (s *Switch) Commit(ch *Channel) { s.settle(ch) }

// Settle ends the negotiation without a direct connection (ch nil) or with one.
func (s *Switch) Settle(ch *Channel) { s.settle(ch) }

func (s *Switch) settle(ch *Channel) {
	s.mu.Lock()
	if s.settled || s.closed {
		s.mu.Unlock()
		if ch != nil {
			ch.Abort()
		}
		return
	}
	s.settled = true
	s.direct = ch
	if ch != nil && !s.deadline.IsZero() {
		_ = ch.SetWriteDeadline(s.deadline)
	}
	close(s.settledCh)
	s.mu.Unlock()
}

// Moved reports whether either direction moved to the direct connection.
func (s *Switch) Moved() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.wMoved || s.rMoved
}

// ReadDataChannel reads the next message, from the first channel until the peer's marker,
// then from the direct connection. One reader at a time (rtc/stream has one).
func (s *Switch) ReadDataChannel(p []byte) (int, bool, error) {
	s.mu.Lock()
	moved, d := s.rMoved, s.direct
	s.mu.Unlock()
	if moved {
		return d.ReadDataChannel(p)
	}
	n, isString, err := s.first.ReadDataChannel(p)
	if err != nil || !isString || string(p[:n]) != SwitchMarker {
		return n, isString, err
	}
	select {
	case <-s.settledCh:
	case <-s.closedCh:
		return 0, false, errSwitchClosed
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return 0, false, errSwitchClosed
	}
	d = s.direct
	if d == nil {
		s.mu.Unlock()
		return 0, false, ErrNotSettled
	}
	s.rMoved = true
	s.mu.Unlock()
	return d.ReadDataChannel(p)
}

// WriteDataChannel writes one message: on the first channel until this side committed,
// then (after the marker) on the direct connection.
func (s *Switch) WriteDataChannel(p []byte, isString bool) (int, error) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.mu.Lock()
	moved, d := s.wMoved, s.direct
	s.mu.Unlock()
	if !moved && d != nil {
		// A failed marker write moves nothing: a later write tries again, and the peer
		// has read nothing of it (a message arrives whole or not at all).
		if _, err := s.first.WriteDataChannel([]byte(SwitchMarker), true); err != nil {
			return 0, err
		}
		s.mu.Lock()
		s.wMoved, moved = true, true
		s.mu.Unlock()
	}
	if moved {
		return d.WriteDataChannel(p, isString)
	}
	return s.first.WriteDataChannel(p, isString)
}

// SetWriteDeadline sets the deadline of writes on both channels (the stream uses it to
// interrupt a blocked write), and remembers it for a connection committed later.
func (s *Switch) SetWriteDeadline(t time.Time) error {
	s.mu.Lock()
	s.deadline = t
	d := s.direct
	s.mu.Unlock()
	var err error
	if wd, ok := s.first.(interface{ SetWriteDeadline(time.Time) error }); ok {
		err = wd.SetWriteDeadline(t)
	}
	if d != nil {
		if e := d.SetWriteDeadline(t); err == nil {
			err = e
		}
	}
	return err
}

// BufferedAmount is what the first channel still holds (our marker, or everything before
// the move); the direct connection's Close waits for its own data.
func (s *Switch) BufferedAmount() uint64 {
	if ba, ok := s.first.(interface{ BufferedAmount() uint64 }); ok {
		return ba.BufferedAmount()
	}
	return 0
}

// Close closes both channels. The direct connection is closed gracefully if either
// direction moved (if only our writer did, a drain reads the peer's end of it so that the
// close need not wait), else aborted; a connection committed later is aborted.
func (s *Switch) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		close(s.closedCh)
		d, wMoved, rMoved := s.direct, s.wMoved, s.rMoved
		s.mu.Unlock()
		if d != nil {
			switch {
			case wMoved || rMoved:
				if !rMoved {
					go drain(d)
				}
				s.closeErr = d.Close()
			default:
				d.Abort()
			}
		}
		if err := s.first.Close(); s.closeErr == nil {
			s.closeErr = err
		}
	})
	return s.closeErr
}

// drain reads and discards until the connection ends.
func drain(c *Channel) {
	buf := make([]byte, MaxMessage)
	for {
		if _, _, err := c.ReadDataChannel(buf); err != nil {
			return
		}
	}
}
