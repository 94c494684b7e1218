package stream_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime/pprof"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/pion/datachannel"

	"github.com/rtchat/rtchat/rtc/iceconf/icetest"
	"github.com/rtchat/rtchat/rtc/stream"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

type pair struct {
	p    *icetest.Pair
	A, B *stream.Stream
}

// newRawPair connects two loopback PeerConnections with one detached channel.
func newRawPair(t testing.TB) *icetest.Pair {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	p, err := icetest.NewPair(ctx, nil, "pipe")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Logf("pair close: %v", err)
		}
	})
	return p
}

func newPair(t testing.TB) *pair {
	t.Helper()
	p := newRawPair(t)
	sp := &pair{p: p, A: stream.New(p.ChA), B: stream.New(p.ChB)}
	t.Cleanup(func() { // runs before the pair's cleanup (LIFO)
		_ = sp.A.Close()
		_ = sp.B.Close()
	})
	return sp
}

// source is a deterministic pseudo-random byte stream of n bytes.
func source(seed uint64, n int64) io.Reader {
	return io.LimitReader(rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8)}), n)
}

// send writes src to s in odd-sized writes (exercising the 64,000-byte split), then
// CloseWrite; it returns the sha256 of what it sent.
func send(ctx context.Context, s *stream.Stream, src io.Reader) ([]byte, error) {
	h := sha256.New()
	buf := make([]byte, 100_003)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			h.Write(buf[:n])
			if _, werr := s.Write(buf[:n]); werr != nil {
				return nil, werr
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	return h.Sum(nil), s.CloseWrite(ctx)
}

func recv(s *stream.Stream) ([]byte, int64, error) {
	h := sha256.New()
	n, err := io.CopyBuffer(h, s, make([]byte, 7_919))
	return h.Sum(nil), n, err
}

type result struct {
	sum []byte
	n   int64
	err error
}

// The deadlines in these tests bound hangs: they are generous because -race on a loaded
// machine (the packages' tests in parallel beside other work) took over a minute for 8 MiB
// each way.
func runBoth(t *testing.T, sp *pair, nA, nB int64, timeout time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	sentA, sentB := make(chan result, 1), make(chan result, 1)
	gotA, gotB := make(chan result, 1), make(chan result, 1)
	go func() { s, err := send(ctx, sp.A, source(1, nA)); sentA <- result{s, nA, err} }()
	go func() { s, err := send(ctx, sp.B, source(2, nB)); sentB <- result{s, nB, err} }()
	go func() { s, n, err := recv(sp.A); gotA <- result{s, n, err} }()
	go func() { s, n, err := recv(sp.B); gotB <- result{s, n, err} }()
	wait := func(c chan result, what string) result {
		select {
		case r := <-c:
			if r.err != nil {
				t.Fatalf("%s: %v", what, r.err)
			}
			return r
		case <-ctx.Done():
			// A stall is a bug to find: show where every goroutine waits.
			var dump strings.Builder
			_ = pprof.Lookup("goroutine").WriteTo(&dump, 2)
			t.Fatalf("%s: timed out (A %+v, B %+v); goroutines:\n%s", what, sp.A.Stats(), sp.B.Stats(), dump.String())
		}
		return result{}
	}
	sa, sb := wait(sentA, "A send"), wait(sentB, "B send")
	ra, rb := wait(gotA, "A recv"), wait(gotB, "B recv")
	if rb.n != nA || !bytes.Equal(rb.sum, sa.sum) {
		t.Errorf("A→B: got %d bytes sha %x, sent %d sha %x", rb.n, rb.sum, nA, sa.sum)
	}
	if ra.n != nB || !bytes.Equal(ra.sum, sb.sum) {
		t.Errorf("B→A: got %d bytes sha %x, sent %d sha %x", ra.n, ra.sum, nB, sb.sum)
	}
	if st := sp.A.Stats(); st.Sent != uint64(nA) || st.Received != uint64(nB) {
		t.Errorf("A stats %+v", st)
	}
}

// raceEnabled is set under -race, where the 64 MiB transfer is too slow.
var raceEnabled bool

func TestTransferBothWays(t *testing.T) {
	sizes := []int64{0, 1, 1 << 20, 64 << 20}
	if raceEnabled {
		sizes[3] = 8 << 20
	}
	for _, n := range sizes {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			sp := newPair(t)
			start := time.Now()
			runBoth(t, sp, n, n, 180*time.Second)
			if n >= 1<<20 {
				el := time.Since(start).Seconds()
				t.Logf("%d bytes each way in %.2fs (%.1f MB/s per direction)", n, el, float64(n)/el/1e6)
			}
		})
	}
}

func TestHalfClose(t *testing.T) {
	sp := newPair(t)
	// A sends nothing and closes its side at once; B keeps writing, then closes.
	runBoth(t, sp, 0, 3<<20, 90*time.Second)
	// Further reads keep reporting EOF; writes after CloseWrite are refused.
	if n, err := sp.A.Read(make([]byte, 10)); n != 0 || err != io.EOF {
		t.Errorf("read after EOF: %d %v", n, err)
	}
	if _, err := sp.A.Write([]byte("x")); !errors.Is(err, stream.ErrWriteClosed) {
		t.Errorf("write after CloseWrite: %v", err)
	}
}

// rateReader reads from r at about rate bytes per second.
type rateReader struct {
	r     io.Reader
	rate  float64
	start time.Time
	n     int64
}

func (rr *rateReader) Read(p []byte) (int, error) {
	if len(p) > 16<<10 {
		p = p[:16<<10]
	}
	due := rr.start.Add(time.Duration(float64(rr.n) / rr.rate * float64(time.Second)))
	if d := time.Until(due); d > 0 {
		time.Sleep(d)
	}
	n, err := rr.r.Read(p)
	rr.n += int64(n)
	return n, err
}

func TestSlowReaderBackpressure(t *testing.T) {
	sp := newPair(t)
	const total = 8 << 20
	const rate = 8 << 20 // bytes/s: the transfer takes about 1 s
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	sent := make(chan error, 1)
	go func() { _, err := send(ctx, sp.A, source(3, total)); sent <- err }()
	go func() { _ = sp.B.CloseWrite(ctx) }()
	got := make(chan result, 1)
	go func() {
		h := sha256.New()
		n, err := io.Copy(h, &rateReader{r: sp.B, rate: rate, start: time.Now()})
		got <- result{h.Sum(nil), n, err}
	}()
	// Sample how far the writer runs ahead of the reader while the transfer goes on.
	ba := sp.p.ChA.(interface{ BufferedAmount() uint64 })
	var maxAhead, maxBuffered uint64
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	var r result
loop:
	for {
		select {
		case r = <-got:
			break loop
		case <-tick.C:
			// Sent counts a message once its write returned, and the two reads are not
			// atomic, so the reader can be counted past the writer: that is 0 ahead, not
			// an unsigned wrap to 2^64.
			if sent, recvd := sp.A.Stats().Sent, sp.B.Stats().Received; sent > recvd && sent-recvd > maxAhead {
				maxAhead = sent - recvd
			}
			if b := ba.BufferedAmount(); b > maxBuffered {
				maxBuffered = b
			}
		case <-ctx.Done():
			t.Fatal("timed out")
		}
	}
	if r.err != nil || r.n != total {
		t.Fatalf("recv %d %v", r.n, r.err)
	}
	if err := <-sent; err != nil {
		t.Fatalf("send: %v", err)
	}
	t.Logf("writer ahead of reader at most %d bytes; BufferedAmount at most %d", maxAhead, maxBuffered)
	// Bound: pion's SCTP receive window (1 MiB) + our receive queue (8×64 KiB) + one pending
	// message + one odd-sized Write; generous factor 3.
	const bound = 3 * (1<<20 + 8*65536 + 2*100_003)
	if maxAhead > bound || maxBuffered > bound {
		t.Errorf("writer ran %d bytes ahead (buffered %d), bound %d: no backpressure", maxAhead, maxBuffered, bound)
	}
	if maxAhead < 256<<10 {
		t.Logf("note: writer never got far ahead (%d); the reader may not have been slow enough", maxAhead)
	}
}

func TestAbortStopsWriter(t *testing.T) {
	sp := newPair(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	werr := make(chan error, 1)
	go func() {
		buf := make([]byte, 64000)
		for {
			if _, err := sp.A.Write(buf); err != nil {
				werr <- err
				return
			}
		}
	}()
	// B reads 1 MiB, then gives up without reading more (its window fills, A blocks).
	if _, err := io.CopyN(io.Discard, sp.B, 1<<20); err != nil {
		t.Fatal(err)
	}
	if err := sp.B.Abort("write /dev/stdout: broken pipe"); err != nil {
		t.Fatalf("abort: %v", err)
	}
	select {
	case err := <-werr:
		var ae *stream.AbortError
		if !errors.Is(err, stream.ErrAborted) || !errors.As(err, &ae) || !ae.Remote || ae.Reason != "write /dev/stdout: broken pipe" {
			t.Fatalf("writer error %v, want remote ErrAborted with reason", err)
		}
	case <-ctx.Done():
		t.Fatal("writer not stopped by abort")
	}
	if err := sp.A.CloseWrite(ctx); !errors.Is(err, stream.ErrAborted) {
		t.Errorf("CloseWrite after abort: %v", err)
	}
	if _, err := sp.A.Read(make([]byte, 10)); !errors.Is(err, stream.ErrAborted) {
		t.Errorf("A read after abort: %v", err)
	}
	if _, err := sp.B.Read(make([]byte, 10)); !errors.Is(err, stream.ErrAborted) {
		t.Errorf("B read after own abort: %v", err)
	}
	if _, err := sp.B.Write([]byte("x")); !errors.Is(err, stream.ErrAborted) {
		t.Errorf("B write after own abort: %v", err)
	}
}

func TestAbortWakesCloseWrite(t *testing.T) {
	sp := newPair(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if _, err := sp.A.Write([]byte("some data the reader will never consume")); err != nil {
		t.Fatal(err)
	}
	cw := make(chan error, 1)
	go func() { cw <- sp.A.CloseWrite(ctx) }()
	if err := sp.B.Abort("no thanks"); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-cw:
		if !errors.Is(err, stream.ErrAborted) {
			t.Fatalf("CloseWrite: %v, want ErrAborted", err)
		}
	case <-ctx.Done():
		t.Fatal("CloseWrite not woken by abort")
	}
}

func TestConnectionLost(t *testing.T) {
	sp := newPair(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	werr := make(chan error, 1)
	go func() {
		buf := make([]byte, 64000)
		for {
			if _, err := sp.A.Write(buf); err != nil {
				werr <- err
				return
			}
		}
	}()
	rerrA := make(chan error, 1)
	go func() { _, err := io.Copy(io.Discard, sp.A); rerrA <- err }()
	rerrB := make(chan error, 1)
	go func() {
		// B consumes 2 MiB, then its PeerConnection goes away mid-stream.
		if _, err := io.CopyN(io.Discard, sp.B, 2<<20); err != nil {
			rerrB <- err
			return
		}
		_ = sp.p.B.PC.Close()
		_, err := io.Copy(io.Discard, sp.B)
		rerrB <- err
	}()
	for name, c := range map[string]chan error{"A write": werr, "A read": rerrA, "B read": rerrB} {
		select {
		case err := <-c:
			if err == nil || errors.Is(err, io.EOF) || !errors.Is(err, stream.ErrLost) {
				t.Errorf("%s: %v, want ErrLost", name, err)
			} else {
				t.Logf("%s: %v", name, err)
			}
		case <-ctx.Done():
			t.Fatalf("%s: not ended after the PeerConnection closed", name)
		}
	}
}

func TestCloseWriteWaitsForReader(t *testing.T) {
	sp := newPair(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	msg := bytes.Repeat([]byte("0123456789"), 10_000)
	if _, err := sp.A.Write(msg); err != nil {
		t.Fatal(err)
	}
	// With a short bound and a reader that consumes nothing, CloseWrite gives up.
	short, cancelShort := context.WithTimeout(ctx, 300*time.Millisecond)
	err := sp.A.CloseWrite(short)
	cancelShort()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("CloseWrite with unread data: %v, want deadline exceeded", err)
	}
	cw := make(chan error, 1)
	go func() { cw <- sp.A.CloseWrite(ctx) }() // eof already sent: waits for the ack only
	// The reader consumes every byte but has not yet seen EOF: still no ack.
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(sp.B, got); err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("read: %v", err)
	}
	select {
	case err := <-cw:
		t.Fatalf("CloseWrite returned %v before the reader saw EOF", err)
	case <-time.After(300 * time.Millisecond): // observation window, not synchronization
	}
	if n, err := sp.B.Read(got); n != 0 || err != io.EOF {
		t.Fatalf("read at end: %d %v", n, err)
	}
	select {
	case err := <-cw:
		if err != nil {
			t.Fatalf("CloseWrite: %v", err)
		}
	case <-ctx.Done():
		t.Fatal("CloseWrite did not see the ack")
	}
}

func TestConcurrentCloseUnblocksRead(t *testing.T) {
	sp := newPair(t)
	done := make(chan error, 1)
	go func() { _, err := sp.A.Read(make([]byte, 10)); done <- err }()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); _ = sp.A.Close() }()
	select {
	case err := <-done:
		if !errors.Is(err, stream.ErrClosed) {
			t.Errorf("read after close: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Read not unblocked by Close")
	}
	wg.Wait()
}

// unacked is a channel whose stack never reports its queued bytes acknowledged, like an
// SCTP peer that delays its SACK of a lone message (200 ms in pion, and a peer may take
// longer).
type unacked struct {
	datachannel.ReadWriteCloserDeadliner
}

func (unacked) BufferedAmount() uint64 { return 1 }

// After a clean end both ways, each side's done tells the other that its last message (the
// ack of our eof) arrived: Close does not wait for the stack's acknowledgement. On the old
// code both Closes waited out their 5-second grace.
func TestCloseAfterCleanEndDoesNotWaitForStack(t *testing.T) {
	p := newRawPair(t)
	sp := &pair{p: p, A: stream.New(unacked{p.ChA}), B: stream.New(unacked{p.ChB})}
	runBoth(t, sp, 1000, 0, 90*time.Second)
	closed := make(chan error, 2)
	go func() { closed <- sp.A.Close() }()
	go func() { closed <- sp.B.Close() }()
	deadline := time.After(3 * time.Second) // below the 5-second grace the old Close waited
	for range 2 {
		select {
		case err := <-closed:
			if err != nil {
				t.Errorf("close: %v", err)
			}
		case <-deadline:
			t.Fatal("Close waited for the stack's acknowledgement after a clean end")
		}
	}
}

// sizes records the length of every binary message written on a channel.
type sizes struct {
	datachannel.ReadWriteCloserDeadliner
	mu sync.Mutex
	n  []int
}

func (s *sizes) WriteDataChannel(p []byte, isString bool) (int, error) {
	if !isString {
		s.mu.Lock()
		s.n = append(s.n, len(p))
		s.mu.Unlock()
	}
	return s.ReadWriteCloserDeadliner.WriteDataChannel(p, isString)
}

// The first data message fits one SCTP packet and each next one is at most twice the last,
// up to 64,000 bytes: a message reaches the reader only whole, so a 64,000-byte first
// message would wait for several round trips of the new association's slow start. (The old
// code sent 64,000 bytes at once.)
func TestFirstMessagesRamp(t *testing.T) {
	p := newRawPair(t)
	rec := &sizes{ReadWriteCloserDeadliner: p.ChA}
	sp := &pair{p: p, A: stream.New(rec), B: stream.New(p.ChB)}
	t.Cleanup(func() { _ = sp.A.Close(); _ = sp.B.Close() })
	runBoth(t, sp, 1<<20, 0, 90*time.Second)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.n) == 0 || rec.n[0] > 1163 {
		t.Fatalf("first data message of %v bytes; want at most one SCTP packet's 1,163", rec.n[:min(1, len(rec.n))])
	}
	limit, reached := 1163, false
	for i, n := range rec.n {
		if n > min(limit, stream.MaxChunk) {
			t.Fatalf("message sizes %v: message %d is over %d", rec.n[:i+1], i, min(limit, stream.MaxChunk))
		}
		limit *= 2
		reached = reached || n == stream.MaxChunk
	}
	if !reached {
		t.Errorf("message sizes %v: the ramp should reach %d", rec.n, stream.MaxChunk)
	}
}
