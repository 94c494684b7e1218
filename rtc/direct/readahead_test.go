package direct

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"
)

// queueOf is the Switch's read-ahead (nil before Commit or when off).
func queueOf(s *Switch) *readQueue {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ra
}

// waitQueue waits until cond holds for r (checked under its lock), or fails the test
// after a deadline.
func waitQueue(t *testing.T, r *readQueue, what string, cond func(*readQueue) bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	stop := context.AfterFunc(ctx, func() { r.mu.Lock(); r.cond.Broadcast(); r.mu.Unlock() })
	defer stop()
	r.mu.Lock()
	defer r.mu.Unlock()
	for !cond(r) {
		if ctx.Err() != nil {
			t.Fatalf("waiting for %s: %v (queued %d bytes in %d messages, stopped %v, err %v)", what, ctx.Err(), r.bytes, len(r.q), r.stopped, r.err)
		}
		r.cond.Wait()
	}
}

// bulk is message i of a bulk transfer: MaxMessage bytes, its index first.
func bulk(i int) []byte {
	p := bytes.Repeat([]byte{byte(i)}, MaxMessage)
	binary.BigEndian.PutUint32(p, uint32(i))
	return p
}

// TestSwitchReadAheadInOrder: what the peer writes on the direct connection after its
// marker is read while our reader has not even read the messages before the marker (the
// point: the peer's TCP window stays open), and every message then arrives once, in order,
// across the queue and the handover to reading the connection itself.
func TestSwitchReadAheadInOrder(t *testing.T) {
	sp := newSwitchPair(t)
	const before, ahead, after = 300, 500, 2000
	if err := writeSeq(sp.a, 0, before); err != nil {
		t.Fatal(err)
	}
	sp.a.Commit(sp.ca)
	sp.b.Commit(sp.cb)
	if err := writeSeq(sp.a, before, before+ahead); err != nil {
		t.Fatal(err)
	}
	var want int
	for i := before; i < before+ahead; i++ {
		p, _ := msg(i)
		want += len(p) + msgCost
	}
	r := queueOf(sp.b)
	if r == nil {
		t.Fatal("no read-ahead after Commit")
	}
	waitQueue(t, r, "the messages after the marker to be read ahead", func(r *readQueue) bool { return r.bytes == want })
	errs := make(chan error, 2)
	go func() { errs <- writeSeq(sp.a, before+ahead, before+ahead+after) }()
	go func() { errs <- readSeq(sp.b, 0, before+ahead+after) }()
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	// The read-ahead may still wait in a read that began before the handover: the next
	// message ends it (it stops after queueing that one).
	if err := writeSeq(sp.a, before+ahead+after, before+ahead+after+1); err != nil {
		t.Fatal(err)
	}
	if err := readSeq(sp.b, before+ahead+after, before+ahead+after+1); err != nil {
		t.Fatal(err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.stopped || !r.handover || len(r.q) != 0 || r.err != nil {
		t.Fatalf("after the transfer: stopped %v handover %v queued %d err %v; want handed over", r.stopped, r.handover, len(r.q), r.err)
	}
}

// TestSwitchReadAheadBounded: a peer writing far more than the bound (and than loopback's
// socket buffers) fills the queue to its bound plus at most one message, and then waits:
// its writes do not finish until our reader reads. Then everything arrives in order.
func TestSwitchReadAheadBounded(t *testing.T) {
	sp := newSwitchPair(t)
	const limit = 256 << 10
	const n = 1024 // 64 MiB: more than the bound and every socket buffer together
	sp.b.SetReadAhead(limit)
	sp.a.Commit(sp.ca)
	sp.b.Commit(sp.cb)
	wrote := make(chan error, 1)
	go func() {
		for i := range n {
			if _, err := sp.a.WriteDataChannel(bulk(i), false); err != nil {
				wrote <- err
				return
			}
		}
		wrote <- nil
	}()
	r := queueOf(sp.b)
	waitQueue(t, r, "a full queue", func(r *readQueue) bool { return r.bytes >= limit })
	select {
	case err := <-wrote:
		t.Fatalf("the writer finished (%v) with nothing read: no backpressure", err)
	default:
	}
	buf := make([]byte, MaxMessage)
	for i := range n {
		m, text, err := sp.b.ReadDataChannel(buf)
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		if text || !bytes.Equal(buf[:m], bulk(i)) {
			t.Fatalf("message %d: got %d bytes (index %d), text %v", i, m, binary.BigEndian.Uint32(buf), text)
		}
	}
	if err := <-wrote; err != nil {
		t.Fatal(err)
	}
	r.mu.Lock()
	peak := r.peak
	r.mu.Unlock()
	if peak > limit+MaxMessage+msgCost {
		t.Fatalf("queued up to %d bytes, bound %d plus one message", peak, limit)
	}
	t.Logf("peak %d bytes queued (bound %d)", peak, limit)
}

// TestSwitchReadAheadEOF: the peer ends its direction of the direct connection (TLS
// close_notify, TCP FIN) after a few messages, before our reader reached its marker: the
// reader gets the messages before the marker, those after, then io.EOF, and io.EOF again.
func TestSwitchReadAheadEOF(t *testing.T) {
	sp := newSwitchPair(t)
	if err := writeSeq(sp.a, 0, 10); err != nil {
		t.Fatal(err)
	}
	sp.a.Commit(sp.ca)
	sp.b.Commit(sp.cb)
	if err := writeSeq(sp.a, 10, 50); err != nil {
		t.Fatal(err)
	}
	closed := make(chan error, 1)
	go func() { closed <- sp.ca.Close() }() // waits for our end until its grace: not here
	r := queueOf(sp.b)
	waitQueue(t, r, "the end of the connection", func(r *readQueue) bool { return r.stopped })
	if err := readSeq(sp.b, 0, 50); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, _, err := sp.b.ReadDataChannel(make([]byte, MaxMessage)); !errors.Is(err, io.EOF) {
			t.Fatalf("after the last message: %v, want io.EOF", err)
		}
	}
	sp.cb.Abort()
	<-closed
}

// TestSwitchReadAheadError: a corrupt frame on the direct connection after some messages
// fails the read-ahead; the reader gets exactly those messages, then the frame's error on
// every read; nothing after it is delivered.
func TestSwitchReadAheadError(t *testing.T) {
	sp := newSwitchPair(t)
	sp.a.Commit(sp.ca)
	sp.b.Commit(sp.cb)
	if err := writeSeq(sp.a, 0, 20); err != nil { // the marker, then 20 on the direct path
		t.Fatal(err)
	}
	if _, err := sp.ca.conn.Write([]byte{9, 0, 0, 0, 1, 'x'}); err != nil { // an unknown kind
		t.Fatal(err)
	}
	if err := writeSeq(sp.a, 20, 30); err != nil {
		t.Fatal(err)
	}
	r := queueOf(sp.b)
	waitQueue(t, r, "the read-ahead to fail", func(r *readQueue) bool { return r.stopped })
	if err := readSeq(sp.b, 0, 20); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		_, _, err := sp.b.ReadDataChannel(make([]byte, MaxMessage))
		if err == nil || err.Error() != fmt.Sprintf("direct: unknown frame kind %d", 9) {
			t.Fatalf("read past a corrupt frame: %v", err)
		}
	}
}

// TestSwitchReadAheadDrops: once dropping (what Close makes of the read-ahead of a
// reader that never moved, while the peer may still write until it sees our end), the
// read-ahead reads and discards: nothing piles up, and the peer's writes, far beyond the
// bound and the socket buffers, do not stall on a shut window.
func TestSwitchReadAheadDrops(t *testing.T) {
	sp := newSwitchPair(t)
	const limit = 256 << 10
	sp.b.SetReadAhead(limit)
	sp.a.Commit(sp.ca)
	sp.b.Commit(sp.cb)
	r := queueOf(sp.b)
	if !r.discard() {
		t.Fatal("the read-ahead stopped before anything happened")
	}
	wrote := make(chan error, 1)
	go func() {
		for i := range 1024 { // 64 MiB
			if _, err := sp.a.WriteDataChannel(bulk(i), false); err != nil {
				wrote <- err
				return
			}
		}
		wrote <- nil
	}()
	select {
	case err := <-wrote:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the peer's writes stalled")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.bytes != 0 || len(r.q) != 0 || r.peak != 0 {
		t.Fatalf("%d bytes queued while dropping (peak %d)", r.bytes, r.peak)
	}
}
