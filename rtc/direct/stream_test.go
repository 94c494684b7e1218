package direct

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/rtchat/rtchat/rtc/stream"
)

// streams runs an attempt and puts an rtc/stream on each end, as the pipe does.
func streams(t *testing.T) (a, b *stream.Stream) {
	t.Helper()
	dr, fr, _, _ := attempt(t, nil, nil, 10*time.Second)
	if dr.err != nil || fr.err != nil {
		t.Fatalf("decide: %v, follow: %v", dr.err, fr.err)
	}
	a, b = stream.New(NewChannel(dr.conn)), stream.New(NewChannel(fr.conn))
	t.Cleanup(func() { a.Close(); b.Close() })
	return a, b
}

// randomBytes is n pseudo-random bytes of a seed.
func randomBytes(seed uint64, n int) []byte {
	p := make([]byte, n)
	r := rand.New(rand.NewPCG(seed, seed))
	for i := range p {
		p[i] = byte(r.Uint32())
	}
	return p
}

// TestStreamBothWaysHalfClose: the pipe's stream semantics hold on the direct path: two
// directions at once, each ended on its own, every byte acknowledged before CloseWrite
// returns, then a clean close of both ends.
func TestStreamBothWaysHalfClose(t *testing.T) {
	a, b := streams(t)
	const n = 8 << 20
	da, db := randomBytes(1, n), randomBytes(2, n)
	send := func(s *stream.Stream, p []byte) chan error {
		ch := make(chan error, 1)
		go func() {
			if _, err := s.Write(p); err != nil {
				ch <- err
				return
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			ch <- s.CloseWrite(ctx)
		}()
		return ch
	}
	recv := func(s *stream.Stream) chan [32]byte {
		ch := make(chan [32]byte, 1)
		go func() {
			h := sha256.New()
			if _, err := io.CopyBuffer(h, s, make([]byte, 32<<10)); err != nil {
				t.Error(err)
			}
			var sum [32]byte
			copy(sum[:], h.Sum(nil))
			ch <- sum
		}()
		return ch
	}
	sa, sb := send(a, da), send(b, db)
	ra, rb := recv(a), recv(b)
	if got := <-rb; got != sha256.Sum256(da) {
		t.Fatal("b received other bytes than a sent")
	}
	if got := <-ra; got != sha256.Sum256(db) {
		t.Fatal("a received other bytes than b sent")
	}
	if err := <-sa; err != nil {
		t.Fatalf("a CloseWrite: %v", err)
	}
	if err := <-sb; err != nil {
		t.Fatalf("b CloseWrite: %v", err)
	}
	if a.Stats().Sent != n || b.Stats().Received != n {
		t.Fatalf("stats %+v %+v", a.Stats(), b.Stats())
	}
	done := make(chan error, 2)
	go func() { done <- a.Close() }()
	go func() { done <- b.Close() }()
	for range 2 {
		if err := <-done; err != nil {
			t.Fatalf("Close: %v", err)
		}
	}
}

// TestStreamAbortReachesWriter: a receiver that gives up (its output closed) stops a
// writer blocked by backpressure with its reason, as over WebRTC.
func TestStreamAbortReachesWriter(t *testing.T) {
	a, b := streams(t)
	werr := make(chan error, 1)
	go func() {
		chunk := bytes.Repeat([]byte{9}, 64000)
		for {
			if _, err := a.Write(chunk); err != nil {
				werr <- err
				return
			}
		}
	}()
	buf := make([]byte, 1<<20)
	if _, err := io.ReadFull(b, buf); err != nil {
		t.Fatal(err)
	}
	if err := b.Abort("the receiver's output closed early"); err != nil {
		t.Fatal(err)
	}
	err := <-werr
	var ae *stream.AbortError
	if !errors.As(err, &ae) || !ae.Remote || ae.Reason != "the receiver's output closed early" {
		t.Fatalf("writer got %v", err)
	}
}

// TestStreamLostWithoutEOF: a connection that ends without an end-of-stream mark is a
// loss, never a clean end of file.
func TestStreamLostWithoutEOF(t *testing.T) {
	dr, fr, _, _ := attempt(t, nil, nil, 10*time.Second)
	if dr.err != nil || fr.err != nil {
		t.Fatalf("decide: %v, follow: %v", dr.err, fr.err)
	}
	ca := NewChannel(dr.conn)
	b := stream.New(NewChannel(fr.conn))
	defer b.Close()
	a := stream.New(ca)
	if _, err := a.Write([]byte("partial")); err != nil {
		t.Fatal(err)
	}
	ca.Abort() // the connection dies (what happens when the verified connection ends)
	_, err := io.ReadAll(b)
	if !errors.Is(err, stream.ErrLost) {
		t.Fatalf("read after a dead connection: %v, want ErrLost", err)
	}
}
