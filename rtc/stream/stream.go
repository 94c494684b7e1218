// Package stream carries a reliable, ordered, half-closable byte stream with backpressure
// over one detached WebRTC data channel (rtchat-to-rtchat; see docs/rtchat-protocol.md, "rtchat
// pipe stream").
//
// Framing: every binary message is stream payload (no header); text messages are control
// messages: "eof" (I will send no more data), "ack" (your eof reached my reader: my Read
// returned io.EOF, so every byte you sent was consumed), "done" (your ack of my eof
// arrived, so you need not wait for your stack to confirm it) and "abort:<reason>" (I gave
// up; fail your writes). Unknown text messages are ignored; "moved" is never sent: the
// channel below may use it (rtc/direct.Switch moves the pipe to the direct path there).
//
// The channel must come from a PeerConnection built with detached data channels and
// blocking writes (iceconf does both): backpressure relies on the blocking detached
// Write, whose in-flight data is bounded by the peer's SCTP receive window. Note that
// pion blocks writes per association, not per channel: while this stream's writer waits
// for the window, writes on the other channels of the same PeerConnection wait too.
package stream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// MaxChunk is the largest data message Write sends (pion caps messages at 65,535 bytes
// when the remote SDP has no a=max-message-size).
const MaxChunk = 64000

// firstChunk is the largest first data message: one SCTP packet (pion's 1,191 bytes less
// the SCTP common and DATA chunk headers). Each further message may be twice as large, up to
// MaxChunk. A message reaches the peer's reader only whole, and a new association's
// congestion window starts at about 4 KB, so a first message of 64,000 bytes would arrive
// after 5–6 round trips of slow start instead of one half.
const firstChunk = 1100

// readBuf is the size of each receive buffer: at least the largest message we accept,
// because a detached read with a smaller buffer fails.
const readBuf = 65536

// queueLen bounds the messages received but not yet consumed by Read (queueLen*64 KiB on
// top of pion's SCTP receive buffer): a reader that does not read stops the sender.
const queueLen = 8

// closeGrace bounds how long Close waits for queued outgoing messages (e.g. the final ack)
// to be acknowledged by the peer's SCTP stack, and how long Abort tries to send its notice.
const closeGrace = 5 * time.Second

// Control messages (text frames).
const (
	ctlEOF   = "eof"
	ctlAck   = "ack"
	ctlDone  = "done"
	ctlAbort = "abort:"
)

// maxReason bounds the abort reason text sent to the peer.
const maxReason = 1000

var (
	// ErrAborted is wrapped by errors reporting an abort (by the peer or by us).
	ErrAborted = errors.New("stream aborted")
	// ErrLost is wrapped by errors reporting that the channel ended without a clean
	// end-of-stream (the connection dropped or the peer closed without an eof mark).
	ErrLost = errors.New("stream lost")
	// ErrClosed is returned by operations on a Stream after Close.
	ErrClosed = errors.New("stream closed")
	// ErrWriteClosed is returned by Write after CloseWrite.
	ErrWriteClosed = errors.New("stream: write after CloseWrite")
)

// AbortError reports an abort; it matches ErrAborted with errors.Is.
type AbortError struct {
	Reason string
	Remote bool // true: the peer aborted; false: we did (Abort)
}

func (e *AbortError) Error() string {
	who := "peer"
	if !e.Remote {
		who = "local"
	}
	if e.Reason == "" {
		return fmt.Sprintf("stream aborted by %s", who)
	}
	return fmt.Sprintf("stream aborted by %s: %s", who, e.Reason)
}

// Is makes errors.Is(err, ErrAborted) true.
func (e *AbortError) Is(target error) bool { return target == ErrAborted }

// Channel is what a Stream needs from a detached data channel; datachannel.ReadWriteCloser
// (from (*webrtc.DataChannel).Detach) satisfies it. If the value also has
// SetWriteDeadline(time.Time) error (DetachWithDeadline; the plain Detach value has it
// too) Abort, Close and a cancelled CloseWrite can interrupt a blocked Write; if it has
// BufferedAmount() uint64, Close waits for queued bytes to be acknowledged.
type Channel interface {
	ReadDataChannel(p []byte) (n int, isString bool, err error)
	WriteDataChannel(p []byte, isString bool) (n int, err error)
	Close() error
}

type writeDeadliner interface{ SetWriteDeadline(time.Time) error }
type bufferedAmounter interface{ BufferedAmount() uint64 }

// Stats counts payload bytes (control messages excluded).
type Stats struct {
	Sent     uint64 // accepted by Write
	Received uint64 // returned by Read
}

// Stream is a byte stream over one detached data channel. Read may run concurrently with
// Write/CloseWrite; Abort and Close may be called from any goroutine.
type Stream struct {
	ch Channel

	q    chan []byte // received payload, closed when the receive side ends
	pool sync.Pool

	readMu  sync.Mutex
	cur     []byte // unread part of the current message
	curBuf  []byte
	ackOnce sync.Once

	wsem  chan struct{} // held while writing on the channel (data and control)
	chunk int           // the largest next data message (grows from firstChunk); under wsem

	mu          sync.Mutex
	recvEnd     error // why q was closed: io.EOF, *AbortError (peer), ErrLost-wrapped
	writeClosed bool  // CloseWrite sent eof
	peerAbort   *AbortError
	localAbort  *AbortError
	lost        error
	isClosed    bool

	ackCh   chan struct{} // closed when the peer's ack arrives
	doneCh  chan struct{} // closed when the peer's done arrives (it has our ack of its eof)
	abortCh chan struct{} // closed when the peer aborts
	lostCh  chan struct{} // closed when the channel ends (read error)
	closed  chan struct{} // closed by Close
	gaveUp  chan struct{} // closed by Abort
	// flags for closing the channels above once
	ackDone, abortDone, lostDone, peerDone atomic.Bool
	closeOnce                              sync.Once
	closeErr                               error

	ackWG       sync.WaitGroup // the ack sender
	doneStarted atomic.Bool    // the done sender was started; it closes doneSent
	doneSent    chan struct{}

	sent, received atomic.Uint64
}

// New starts a Stream over ch and its receive goroutine (which ends when the channel
// does: close the channel or its PeerConnection).
func New(ch Channel) *Stream {
	s := &Stream{
		ch:       ch,
		q:        make(chan []byte, queueLen),
		ackCh:    make(chan struct{}),
		doneCh:   make(chan struct{}),
		doneSent: make(chan struct{}),
		abortCh:  make(chan struct{}),
		lostCh:   make(chan struct{}),
		closed:   make(chan struct{}),
		wsem:     make(chan struct{}, 1),
		chunk:    firstChunk,
		gaveUp:   make(chan struct{}),
	}
	s.pool.New = func() any { b := make([]byte, readBuf); return &b }
	go s.recvLoop()
	return s
}

// Stats returns the payload byte counters.
func (s *Stream) Stats() Stats {
	return Stats{Sent: s.sent.Load(), Received: s.received.Load()}
}

func (s *Stream) getBuf() []byte { return *(s.pool.Get().(*[]byte)) }

func (s *Stream) putBuf(b []byte) {
	if cap(b) >= readBuf {
		b = b[:readBuf]
		s.pool.Put(&b)
	}
}

// recvLoop reads every message of the channel: payload goes to q (blocking when the
// application does not keep up, which is what stops the sender), control messages are
// handled at once.
func (s *Stream) recvLoop() {
	ended := false // q closed
	endRecv := func(err error) {
		if ended {
			return
		}
		ended = true
		s.mu.Lock()
		s.recvEnd = err
		s.mu.Unlock()
		close(s.q)
	}
	for {
		buf := s.getBuf()
		n, isString, err := s.ch.ReadDataChannel(buf)
		if err != nil {
			s.putBuf(buf)
			s.mu.Lock()
			s.lost = fmt.Errorf("%w: %w", ErrLost, err)
			lost := s.lost
			s.mu.Unlock()
			endRecv(lost) // no-op after eof/abort
			if s.lostDone.CompareAndSwap(false, true) {
				close(s.lostCh)
			}
			s.kickWriters()
			return
		}
		if isString {
			msg := string(buf[:n])
			s.putBuf(buf)
			switch {
			case msg == ctlEOF:
				endRecv(io.EOF)
			case msg == ctlAck:
				if s.ackDone.CompareAndSwap(false, true) {
					close(s.ackCh)
					// Tell the peer its ack arrived: its last message, which it would
					// otherwise wait for its SCTP stack to see acknowledged (a lone
					// message's SACK may be delayed 200 ms), needs no more waiting.
					s.doneStarted.Store(true)
					go func() {
						defer close(s.doneSent)
						_ = s.writeControl(ctlDone)
					}()
				}
			case msg == ctlDone:
				if s.peerDone.CompareAndSwap(false, true) {
					close(s.doneCh)
				}
			case len(msg) >= len(ctlAbort) && msg[:len(ctlAbort)] == ctlAbort:
				ae := &AbortError{Reason: msg[len(ctlAbort):], Remote: true}
				s.mu.Lock()
				if s.peerAbort == nil {
					s.peerAbort = ae
				}
				s.mu.Unlock()
				endRecv(ae)
				if s.abortDone.CompareAndSwap(false, true) {
					close(s.abortCh)
				}
				s.kickWriters()
			}
			continue
		}
		s.mu.Lock()
		drop := ended || s.localAbort != nil || s.isClosed
		s.mu.Unlock()
		if n == 0 || drop {
			// Empty message, data after eof/abort (protocol violation), or we gave up and
			// only drain so that the peer's writer is not stuck.
			s.putBuf(buf)
			continue
		}
		select {
		case s.q <- buf[:n]:
		case <-s.closed:
			s.putBuf(buf)
		case <-s.gaveUp:
			s.putBuf(buf)
		}
	}
}

// lockWrite takes the write lock, giving up when ctx ends or the stream closes.
func (s *Stream) lockWrite(ctx context.Context) error {
	select {
	case s.wsem <- struct{}{}:
		return nil
	default:
	}
	select {
	case s.wsem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-s.closed:
		return ErrClosed
	}
}

func (s *Stream) unlockWrite() { <-s.wsem }

// kickWriters interrupts a Write blocked on backpressure (it then reports the state).
func (s *Stream) kickWriters() {
	if d, ok := s.ch.(writeDeadliner); ok {
		_ = d.SetWriteDeadline(time.Now())
	}
}

// Read reads payload. It returns io.EOF after the peer's end-of-stream mark (and then
// acknowledges it to the peer), an error wrapping ErrAborted if the peer aborted (data
// sent before the abort is delivered first), or an error wrapping ErrLost if the channel
// ended without an end mark.
func (s *Stream) Read(p []byte) (int, error) {
	s.readMu.Lock()
	defer s.readMu.Unlock()
	if len(p) == 0 {
		return 0, nil
	}
	if err := s.localReadErr(); err != nil {
		return 0, err
	}
	if len(s.cur) == 0 {
		if s.curBuf != nil {
			s.putBuf(s.curBuf)
			s.curBuf, s.cur = nil, nil
		}
		var buf []byte
		var ok bool
		select {
		case buf, ok = <-s.q:
		case <-s.closed:
			return 0, ErrClosed
		}
		if !ok {
			return 0, s.endOfRead()
		}
		s.curBuf, s.cur = buf, buf
	}
	n := copy(p, s.cur)
	s.cur = s.cur[n:]
	s.received.Add(uint64(n))
	return n, nil
}

func (s *Stream) localReadErr() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.isClosed {
		return ErrClosed
	}
	if s.localAbort != nil {
		return s.localAbort
	}
	return nil
}

// endOfRead reports why the receive side ended; on a clean eof it sends the ack once.
func (s *Stream) endOfRead() error {
	s.mu.Lock()
	end := s.recvEnd
	s.mu.Unlock()
	if end == io.EOF {
		s.ackOnce.Do(func() {
			s.ackWG.Add(1)
			go func() {
				defer s.ackWG.Done()
				_ = s.writeControl(ctlAck)
			}()
		})
	}
	return end
}

// writeErr maps a write failure (or a refused write) to the stream's state.
func (s *Stream) writeState() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.localAbort != nil:
		return s.localAbort
	case s.peerAbort != nil:
		return s.peerAbort
	case s.isClosed:
		return ErrClosed
	case s.lost != nil:
		return s.lost
	}
	return nil
}

func (s *Stream) writeFailed(err error) error {
	if st := s.writeState(); st != nil {
		return st
	}
	return fmt.Errorf("%w: %w", ErrLost, err)
}

func (s *Stream) writeControl(msg string) error {
	if err := s.lockWrite(context.Background()); err != nil {
		return err
	}
	defer s.unlockWrite()
	if err := s.writeState(); err != nil {
		return err
	}
	if _, err := s.ch.WriteDataChannel([]byte(msg), true); err != nil {
		return s.writeFailed(err)
	}
	return nil
}

// Write sends p in messages of at most MaxChunk bytes (the stream's first ones smaller, so
// that the first bytes arrive without waiting for the congestion window). It blocks while the peer's
// receive window is full (a slow reader slows this writer down). It fails with an
// ErrAborted error once either side aborted and with ErrLost if the channel ended.
func (s *Stream) Write(p []byte) (int, error) {
	if err := s.lockWrite(context.Background()); err != nil {
		return 0, err
	}
	defer s.unlockWrite()
	if err := s.writeState(); err != nil {
		return 0, err
	}
	s.mu.Lock()
	wc := s.writeClosed
	s.mu.Unlock()
	if wc {
		return 0, ErrWriteClosed
	}
	total := 0
	for len(p) > 0 {
		c := p
		if len(c) > s.chunk {
			c = c[:s.chunk]
		}
		n, err := s.ch.WriteDataChannel(c, false)
		if err != nil {
			return total, s.writeFailed(err)
		}
		s.chunk = min(2*s.chunk, MaxChunk)
		total += n
		s.sent.Add(uint64(n))
		p = p[n:]
		// A write that slipped in just before an abort arrived still succeeds in
		// pion; report the abort on the next call at the latest.
	}
	return total, nil
}

// CloseWrite sends the end-of-stream mark and waits until the peer acknowledges that its
// reader consumed every byte (its Read returned io.EOF). ctx bounds both the send and the
// wait. The ack travels behind the peer's own data, so the application must keep reading
// (or have finished reading) while CloseWrite waits.
func (s *Stream) CloseWrite(ctx context.Context) error {
	if err := s.lockWrite(ctx); err != nil {
		return fmt.Errorf("stream: sending end of stream: %w", err)
	}
	if err := s.writeState(); err != nil {
		s.unlockWrite()
		return err
	}
	s.mu.Lock()
	already := s.writeClosed
	s.mu.Unlock()
	if !already {
		stop := context.AfterFunc(ctx, s.kickWriters)
		_, err := s.ch.WriteDataChannel([]byte(ctlEOF), true)
		if !stop() {
			// The deadline was kicked for ctx: clear it (we hold the write lock, so no other
			// write is in progress; terminal states are re-checked before each write).
			if d, ok := s.ch.(writeDeadliner); ok {
				_ = d.SetWriteDeadline(time.Time{})
			}
		}
		if err != nil {
			s.unlockWrite()
			if ctx.Err() != nil {
				return fmt.Errorf("stream: sending end of stream: %w", ctx.Err())
			}
			return s.writeFailed(err)
		}
		s.mu.Lock()
		s.writeClosed = true
		s.mu.Unlock()
	}
	s.unlockWrite()

	select {
	case <-s.ackCh:
		return nil
	default:
	}
	select {
	case <-s.ackCh:
		return nil
	case <-s.abortCh:
		return s.writeState()
	case <-s.lostCh:
		select {
		case <-s.ackCh: // the ack arrived just before the channel ended
			return nil
		default:
		}
		return s.writeState()
	case <-s.closed:
		return ErrClosed
	case <-ctx.Done():
		return fmt.Errorf("stream: waiting for the peer's acknowledgement: %w", ctx.Err())
	}
}

// Abort tells the peer we give up (for example our output closed): its Write and
// CloseWrite fail with ErrAborted and its Read returns an ErrAborted error after the data
// sent so far. Our own pending and later Write/Read calls fail with ErrAborted too; data
// still arriving is drained and discarded until Close. Abort waits at most a few seconds
// for the notice to be queued.
func (s *Stream) Abort(reason string) error {
	if len(reason) > maxReason {
		reason = reason[:maxReason]
	}
	s.mu.Lock()
	if s.isClosed {
		s.mu.Unlock()
		return ErrClosed
	}
	if s.localAbort != nil || s.peerAbort != nil || s.lost != nil {
		s.mu.Unlock()
		return nil
	}
	s.localAbort = &AbortError{Reason: reason}
	close(s.gaveUp)
	s.mu.Unlock()
	s.kickWriters() // unblock a Write waiting for the window; it returns ErrAborted
	ctx, cancel := context.WithTimeout(context.Background(), closeGrace)
	defer cancel()
	if err := s.lockWrite(ctx); err != nil {
		return fmt.Errorf("stream: sending abort: %w", err)
	}
	defer s.unlockWrite()
	d, hasDeadline := s.ch.(writeDeadliner)
	if hasDeadline {
		_ = d.SetWriteDeadline(time.Now().Add(closeGrace))
	}
	_, err := s.ch.WriteDataChannel([]byte(ctlAbort+reason), true)
	if hasDeadline {
		_ = d.SetWriteDeadline(time.Now()) // no more writes: keep later ones from blocking
	}
	if err != nil {
		return fmt.Errorf("stream: sending abort: %w", err)
	}
	return nil
}

// Close ends the stream: it waits (at most a few seconds) until queued outgoing messages,
// such as our final ack, were acknowledged by the peer's SCTP stack, so the caller can
// close the PeerConnection right after; then it closes the channel. Close does not send
// an end-of-stream mark: a peer that did not get one sees ErrLost. Pending Read/Write
// calls return ErrClosed.
func (s *Stream) Close() error {
	s.closeOnce.Do(func() {
		deadline := time.Now().Add(closeGrace)
		// Let the ack and done senders finish (bounded by the write deadline).
		if d, ok := s.ch.(writeDeadliner); ok {
			waitTimeout(&s.ackWG, time.Until(deadline), func() { _ = d.SetWriteDeadline(time.Now()) })
			if s.doneStarted.Load() {
				t := time.NewTimer(max(time.Until(deadline), 0))
				select {
				case <-s.doneSent:
				case <-t.C:
					_ = d.SetWriteDeadline(time.Now())
					<-s.doneSent
				}
				t.Stop()
			}
		}
		s.mu.Lock()
		// After our own Abort the notice itself must still reach the peer, so we wait for
		// it like for data; after a loss or the peer's abort nobody is listening.
		healthy := s.lost == nil && s.peerAbort == nil
		aborted := s.localAbort != nil
		s.isClosed = true
		s.mu.Unlock()
		if ba, ok := s.ch.(bufferedAmounter); ok && healthy {
			t := time.NewTicker(2 * time.Millisecond)
			for ba.BufferedAmount() > 0 && time.Now().Before(deadline) && !s.confirmed(aborted) {
				select {
				case <-t.C:
				case <-s.lostCh:
				case <-s.doneCh:
				}
				if s.lostDone.Load() {
					break
				}
			}
			t.Stop()
		}
		close(s.closed)
		s.kickWriters()
		s.closeErr = s.ch.Close()
	})
	return s.closeErr
}

// confirmed: the peer has every message we sent that it needs. Its ack covers our payload
// and eof; its done covers our ack of its eof, which we send after the last payload we
// read. What we may send after those (our own done) only saves the peer time. An abort of
// ours is never covered.
func (s *Stream) confirmed(aborted bool) bool {
	return !aborted && s.ackDone.Load() && s.peerDone.Load()
}

// waitTimeout waits for wg for at most d; on timeout it calls kick and waits again.
func waitTimeout(wg *sync.WaitGroup, d time.Duration, kick func()) {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	t := time.NewTimer(max(d, 0))
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		kick()
		<-done
	}
}
