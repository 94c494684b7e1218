package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// ---- data: deterministic pseudo-random streams, hashed as they flow ----

// prngReader yields n deterministic pseudo-random bytes for a seed and hashes what it gave.
type prngReader struct {
	src  *rand.ChaCha8
	left int64 // < 0: endless
	h    hash.Hash
	n    atomic.Int64 // bytes given
}

func newPRNG(seed byte, n int64) *prngReader {
	return &prngReader{src: rand.NewChaCha8([32]byte{seed, 'r', 't'}), left: n, h: sha256.New()}
}

func (r *prngReader) Read(p []byte) (int, error) {
	if r.left == 0 {
		return 0, io.EOF
	}
	if r.left > 0 && int64(len(p)) > r.left {
		p = p[:r.left]
	}
	n, _ := r.src.Read(p)
	r.h.Write(p[:n])
	if r.left > 0 {
		r.left -= int64(n)
	}
	r.n.Add(int64(n))
	return n, nil
}

func (r *prngReader) sum() string { return hex.EncodeToString(r.h.Sum(nil)) }

// expectedSum is the sha256 of the first n bytes of a seed's stream.
func expectedSum(seed byte, n int64) string {
	r := newPRNG(seed, n)
	_, _ = io.Copy(io.Discard, r)
	return r.sum()
}

// sink hashes what a process writes to stdout, counts it, optionally checks that it is a
// prefix of a seed's stream, and lets the test wait for a byte count.
type sink struct {
	mu     sync.Mutex
	cond   *sync.Cond
	h      hash.Hash
	n      int64
	check  *rand.ChaCha8 // nil: no prefix check
	bad    int64         // offset of the first byte that differs from the stream, -1 if none
	closed bool          // the writer side is gone (process ended)
}

func newSink() *sink {
	s := &sink{h: sha256.New(), bad: -1}
	s.cond = sync.NewCond(&s.mu)
	return s
}

// newPrefixSink also checks that every byte is the seed's stream at that offset.
func newPrefixSink(seed byte) *sink {
	s := newSink()
	s.check = rand.NewChaCha8([32]byte{seed, 'r', 't'})
	return s
}

func (s *sink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.h.Write(p)
	if s.check != nil && s.bad < 0 {
		want := make([]byte, len(p))
		_, _ = s.check.Read(want)
		if i := firstDiff(p, want); i >= 0 {
			s.bad = s.n + int64(i)
		}
	}
	s.n += int64(len(p))
	s.cond.Broadcast()
	return len(p), nil
}

func firstDiff(a, b []byte) int {
	for i := range a {
		if a[i] != b[i] {
			return i
		}
	}
	return -1
}

func (s *sink) count() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n
}

func (s *sink) sum() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return hex.EncodeToString(s.h.Sum(nil))
}

// waitCount blocks until at least n bytes arrived, or p ended, or ctx expired.
func (s *sink) waitCount(ctx context.Context, p *proc, n int64) error {
	stop := context.AfterFunc(ctx, func() { s.mu.Lock(); s.cond.Broadcast(); s.mu.Unlock() })
	defer stop()
	go func() {
		select {
		case <-p.done:
			s.mu.Lock()
			s.closed = true
			s.cond.Broadcast()
			s.mu.Unlock()
		case <-ctx.Done():
		}
	}()
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.n < n {
		if ctx.Err() != nil {
			return fmt.Errorf("waiting for %d bytes (have %d): %w", n, s.n, ctx.Err())
		}
		if s.closed {
			return fmt.Errorf("process ended after %d bytes, before %d", s.n, n)
		}
		s.cond.Wait()
	}
	return nil
}

// ---- processes ----

// startPipe runs `rtchat [flags] pipe PEER` as name with the given stdin and stdout (an
// *os.File is handed to the process as is; any other writer gets exec's copying pipe).
func (w *world) startPipe(name, peer string, stdin io.Reader, stdout io.Writer, flags ...string) *proc {
	w.t.Helper()
	return w.startTo(name, stdin, stdout, append(append([]string{}, flags...), "pipe", peer)...)
}

// mustExit waits for p and fails the test unless it exits with code want.
func mustExit(t *testing.T, ctx context.Context, p *proc, who string, want int) {
	t.Helper()
	code, err := p.wait(ctx)
	if err != nil {
		t.Fatalf("%s: %v\nstderr: %s", who, err, p.stderr.String())
	}
	if code != want {
		t.Fatalf("%s exited %d, want %d\nstderr: %s", who, code, want, p.stderr.String())
	}
}

// hwmSampler records a process's peak RSS (VmHWM, KiB) while it runs: VmHWM is a high-water
// mark, so the last value read before the process exits is (nearly) its peak.
type hwmSampler struct {
	peak atomic.Int64
	done chan struct{}
}

func sampleHWM(p *proc) *hwmSampler {
	s := &hwmSampler{done: make(chan struct{})}
	pid := p.cmd.Process.Pid
	go func() {
		defer close(s.done)
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			if v := procStatusKiB(pid, "VmHWM:"); v > s.peak.Load() {
				s.peak.Store(v)
			}
			select {
			case <-p.done:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

func procStatusKiB(pid int, field string) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field); ok {
			v, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return v
		}
	}
	return 0
}

// feeder is a stdin the test writes to while the process runs.
type feeder struct {
	r, w *os.File
}

func newFeeder(t *testing.T) *feeder {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); w.Close() })
	return &feeder{r: r, w: w}
}

// ---- tests ----

// pipeBoth runs alice and bob piping to each other, alice sending na bytes and bob nb bytes
// at once, and checks that both sides received exactly what the other sent.
func pipeBoth(t *testing.T, w *world, a, b string, na, nb int64, startBFirst bool, flags ...string) (pa, pb *proc) {
	t.Helper()
	inA, inB := newPRNG(1, na), newPRNG(2, nb)
	outA, outB := newSink(), newSink()
	if startBFirst {
		pb = w.startPipe(b, a, inB, outB, flags...)
		pa = w.startPipe(a, b, inA, outA, flags...)
	} else {
		pa = w.startPipe(a, b, inA, outA, flags...)
		pb = w.startPipe(b, a, inB, outB, flags...)
	}
	mustExit(t, w.ctx, pa, a, 0)
	mustExit(t, w.ctx, pb, b, 0)
	if inA.n.Load() != na || inB.n.Load() != nb {
		t.Fatalf("stdin consumed: %s %d of %d, %s %d of %d", a, inA.n.Load(), na, b, inB.n.Load(), nb)
	}
	if got, want := outB.count(), na; got != want {
		t.Fatalf("%s -> %s: %d bytes arrived, want %d", a, b, got, want)
	}
	if got, want := outA.count(), nb; got != want {
		t.Fatalf("%s -> %s: %d bytes arrived, want %d", b, a, got, want)
	}
	if outB.sum() != inA.sum() || outA.sum() != inB.sum() {
		t.Fatalf("sha256 differs: %s sent %s, %s got %s; %s sent %s, %s got %s",
			a, inA.sum(), b, outB.sum(), b, inB.sum(), a, outA.sum())
	}
	return pa, pb
}

func TestPipeSizesBothWays(t *testing.T) {
	t.Parallel()
	for _, n := range []int64{0, 1, 1 << 20} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			w.friends("alice", "bob")
			// Different sizes each way too: the shorter direction ends first.
			pipeBoth(t, w, "alice", "bob", n, n/2+1, false)
			pipeBoth(t, w, "alice", "bob", n, n, false)
		})
	}
}

// TestPipeBig moves 256 MiB in both directions at once. Not parallel: it needs the CPU.
func TestPipeBig(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	w := newWorld(t)
	w.friends("alice", "bob")
	start := time.Now()
	pipeBoth(t, w, "alice", "bob", 256<<20, 256<<20, false)
	t.Logf("256 MiB each way in %.1fs", time.Since(start).Seconds())
}

// TestPipeTieBreakOrders starts either side first, with names that sort both ways. The
// side that sees the other's presence offers at once, whatever the tie-break says; when
// both offer (glare), the tie-break decides: zzz, which sorts last, yields and answers aaa's
// offer. Either way exactly one connection is made.
func TestPipeTieBreakOrders(t *testing.T) {
	t.Parallel()
	for _, zFirst := range []bool{false, true} {
		t.Run(fmt.Sprintf("zzz-first=%v", zFirst), func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			w.friends("aaa", "zzz")
			pa, pz := pipeBoth(t, w, "aaa", "zzz", 300_000, 200_000, zFirst, "-v")
			offered, answered := map[string]bool{}, ""
			for name, p := range map[string]*proc{"aaa": pa, "zzz": pz} {
				log := p.stderr.String()
				offered[name] = strings.Contains(log, "offer sent")
				switch n := strings.Count(log, "answer sent"); {
				case n > 1 || (n == 1 && answered != ""):
					t.Errorf("more than one answer: %s answered %d times (and %q answered)", name, n, answered)
				case n == 1:
					answered = name
				}
			}
			t.Logf("offered %v, answered by %s", offered, answered)
			if answered == "" {
				t.Error("nobody answered an offer")
			}
			if offered["aaa"] && offered["zzz"] && answered != "zzz" {
				t.Errorf("in glare %s answered; the tie-break's non-initiator (zzz) must yield", answered)
			}
		})
	}
}

func TestPipeHalfClose(t *testing.T) {
	t.Parallel()
	t.Run("one side sends nothing", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		w.friends("alice", "bob")
		pipeBoth(t, w, "alice", "bob", 1<<20, 0, false)
		pipeBoth(t, w, "alice", "bob", 0, 1<<20, true)
	})
	t.Run("one side keeps sending after the other finished", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		w.friends("alice", "bob")
		inA := newPRNG(1, 1<<20)
		fb := newFeeder(t)
		outA, outB := newSink(), newSink()
		pa := w.startPipe("alice", "bob", inA, outA)
		pb := w.startPipe("bob", "alice", fb.r, outB)
		// alice's whole input reaches bob while bob has sent nothing yet.
		if err := outB.waitCount(w.ctx, pb, 1<<20); err != nil {
			t.Fatal(err)
		}
		// Then bob sends, in pieces, and only then ends.
		gen := newPRNG(2, 3<<20)
		piece := make([]byte, 256<<10)
		for i := 0; ; i++ {
			n, err := io.ReadFull(gen, piece)
			if n > 0 {
				if _, werr := fb.w.Write(piece[:n]); werr != nil {
					t.Fatal(werr)
				}
			}
			if err != nil {
				break
			}
			if i == 0 {
				// The first piece arrives while alice has long reached EOF on her stdin.
				if err := outA.waitCount(w.ctx, pa, int64(n)); err != nil {
					t.Fatal(err)
				}
			}
			select {
			case <-pa.done:
				t.Fatalf("alice exited while bob was still sending: %s", pa.stderr.String())
			default:
			}
		}
		fb.w.Close()
		mustExit(t, w.ctx, pa, "alice", 0)
		mustExit(t, w.ctx, pb, "bob", 0)
		if outB.sum() != inA.sum() || outA.sum() != gen.sum() || outA.count() != 3<<20 {
			t.Fatalf("data differs: bob got %d bytes (%s want %s), alice got %d (%s want %s)",
				outB.count(), outB.sum(), inA.sum(), outA.count(), outA.sum(), gen.sum())
		}
	})
}

// tokenBucket is a writer that accepts at most rate bytes/s (with a small burst).
type tokenBucket struct {
	w     io.Writer
	rate  float64
	burst float64
	tok   float64
	last  time.Time
	onW   func()
}

func (b *tokenBucket) Write(p []byte) (int, error) {
	done := 0
	for done < len(p) {
		now := time.Now()
		if b.last.IsZero() {
			b.last = now
		}
		b.tok = min(b.burst, b.tok+now.Sub(b.last).Seconds()*b.rate)
		b.last = now
		if b.tok < 1 {
			time.Sleep(time.Duration((1 - b.tok) / b.rate * float64(time.Second)))
			continue
		}
		n := min(len(p)-done, int(b.tok))
		if _, err := b.w.Write(p[done : done+n]); err != nil {
			return done, err
		}
		b.tok -= float64(n)
		done += n
		if b.onW != nil {
			b.onW()
		}
	}
	return done, nil
}

// TestPipeSlowReaderBackpressure: the receiver's stdout drains at 4 MiB/s. The sender must
// not read its stdin much further ahead than the receiver's output (backpressure), its
// memory stays bounded, and the data arrives intact.
func TestPipeSlowReaderBackpressure(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.friends("alice", "bob")
	const size = 40 << 20
	const maxAhead = 24 << 20 // bytes read from alice's stdin but not yet out of bob's stdout
	in := newPRNG(3, size)
	out := newSink()
	var ahead atomic.Int64
	slow := &tokenBucket{w: out, rate: 4 << 20, burst: 256 << 10}
	slow.onW = func() {
		if d := in.n.Load() - out.count(); d > ahead.Load() {
			ahead.Store(d)
		}
	}
	pb := w.startPipe("bob", "alice", strings.NewReader(""), slow)
	pa := w.startPipe("alice", "bob", in, nil)
	hwmA, hwmB := sampleHWM(pa), sampleHWM(pb)
	mustExit(t, w.ctx, pa, "alice", 0)
	mustExit(t, w.ctx, pb, "bob", 0)
	<-hwmA.done
	<-hwmB.done
	if out.count() != size || out.sum() != in.sum() {
		t.Fatalf("bob got %d bytes, sha %s; alice sent %d, sha %s", out.count(), out.sum(), in.n.Load(), in.sum())
	}
	t.Logf("peak RSS: sender %d KiB, receiver %d KiB; sender read ahead of the receiver's output by at most %.1f MiB",
		hwmA.peak.Load(), hwmB.peak.Load(), float64(ahead.Load())/(1<<20))
	if ahead.Load() > maxAhead {
		t.Errorf("the sender read %d bytes ahead of the slow receiver: no backpressure", ahead.Load())
	}
	if p := hwmA.peak.Load(); p == 0 || p > 200<<10 {
		t.Errorf("sender peak RSS %d KiB, want 0 < RSS < 200 MB", p)
	}
}

// endlessFeed writes seed's stream into f until writing fails (the process ended) or ctx ends.
func endlessFeed(ctx context.Context, f *feeder, gen *prngReader) {
	buf := make([]byte, 64<<10)
	for ctx.Err() == nil {
		n, _ := gen.Read(buf)
		if _, err := f.w.Write(buf[:n]); err != nil {
			return
		}
	}
}

func TestPipePeerKilled(t *testing.T) {
	t.Parallel()
	for _, killSender := range []bool{false, true} {
		name := "receiver killed"
		if killSender {
			name = "sender killed"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			w.friends("alice", "bob")
			fa := newFeeder(t)
			gen := newPRNG(4, -1)
			outB := newPrefixSink(4)
			// --reconnect 2s: a killed peer is indistinguishable from an outage; the survivor
			// gives up after the reconnect window (default 30 s) and exits 5.
			pa := w.startPipe("alice", "bob", fa.r, nil, "--timeout", "5s", "--reconnect", "2s")
			pb := w.startPipe("bob", "alice", strings.NewReader(""), outB, "--timeout", "5s", "--reconnect", "2s")
			ctx, cancel := context.WithCancel(w.ctx)
			defer cancel()
			fed := make(chan struct{})
			go func() { defer close(fed); endlessFeed(ctx, fa, gen) }()
			if err := outB.waitCount(w.ctx, pb, 2<<20); err != nil {
				t.Fatal(err)
			}
			victim, survivor, sname := pb, pa, "alice"
			if killSender {
				victim, survivor, sname = pa, pb, "bob"
			}
			_ = victim.cmd.Process.Signal(syscall.SIGKILL)
			start := time.Now()
			mustExit(t, w.ctx, survivor, sname, 5)
			t.Logf("%s noticed in %.1fs: %s", sname, time.Since(start).Seconds(), strings.TrimSpace(survivor.stderr.String()))
			if msg := survivor.stderr.String(); !strings.Contains(msg, "connection") && !strings.Contains(msg, "lost") {
				t.Errorf("%s's stderr does not say the connection was lost: %q", sname, msg)
			}
			cancel()
			fa.w.Close()
			<-fed
			outB.mu.Lock()
			defer outB.mu.Unlock()
			if outB.bad >= 0 {
				t.Fatalf("bob's output differs from alice's input at offset %d", outB.bad)
			}
		})
	}
}

// TestPipeReceiverOutputClosed: bob's stdout is closed after 1 MiB (like `| head -c 1M`).
// bob fails, and alice fails saying that the peer's output closed.
func TestPipeReceiverOutputClosed(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.friends("alice", "bob")
	fa := newFeeder(t)
	r, wr, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); wr.Close() })
	pa := w.startPipe("alice", "bob", fa.r, nil, "--timeout", "5s")
	pb := w.startPipe("bob", "alice", strings.NewReader(""), wr, "--timeout", "5s")
	wr.Close() // bob holds the only write end
	ctx, cancel := context.WithCancel(w.ctx)
	defer cancel()
	fed := make(chan struct{})
	go func() { defer close(fed); endlessFeed(ctx, fa, newPRNG(5, -1)) }()
	head := make([]byte, 1<<20)
	if _, err := io.ReadFull(r, head); err != nil {
		t.Fatalf("reading bob's first MiB: %v\n%s", err, pb.stderr.String())
	}
	r.Close()
	code, err := pb.wait(w.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if code == 0 {
		t.Fatalf("bob exited 0 although its output closed early")
	}
	t.Logf("bob: exit %d (%v), stderr %q", code, pb.err, strings.TrimSpace(pb.stderr.String()))
	mustExit(t, w.ctx, pa, "alice", 5)
	if msg := pa.stderr.String(); !strings.Contains(msg, "output closed") {
		t.Errorf("alice's stderr does not say that bob's output closed: %q", msg)
	}
	cancel()
	fa.w.Close()
	<-fed
	if !bytes.Equal(head, prngBytes(5, 1<<20)) {
		t.Errorf("bob's first MiB differs from alice's input")
	}
}

func prngBytes(seed byte, n int) []byte {
	b := make([]byte, n)
	_, _ = io.ReadFull(newPRNG(seed, int64(n)), b)
	return b
}

// TestPipeSurvivesBrokerLoss: once the stream is up, the broker going away changes nothing.
func TestPipeSurvivesBrokerLoss(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.friends("alice", "bob")
	fa, fb := newFeeder(t), newFeeder(t)
	outA, outB := newSink(), newSink()
	pa := w.startPipe("alice", "bob", fa.r, outA)
	pb := w.startPipe("bob", "alice", fb.r, outB)
	genA, genB := newPRNG(6, 8<<20), newPRNG(7, 8<<20)
	// Each side sends 4 MiB, the broker goes away, each side sends 4 MiB more.
	send := func(f *feeder, g *prngReader) chan error {
		errc := make(chan error, 1)
		go func() {
			_, err := io.CopyN(f.w, g, 4<<20)
			errc <- err
		}()
		return errc
	}
	both := func() {
		ea, eb := send(fa, genA), send(fb, genB)
		for _, e := range []chan error{ea, eb} {
			select {
			case err := <-e:
				if err != nil {
					t.Fatal(err)
				}
			case <-w.ctx.Done():
				t.Fatal(w.ctx.Err())
			}
		}
	}
	both()
	if err := outB.waitCount(w.ctx, pb, 4<<20); err != nil {
		t.Fatal(err)
	}
	if err := outA.waitCount(w.ctx, pa, 4<<20); err != nil {
		t.Fatal(err)
	}
	w.brk.Close() // no restart: the broker is gone for good
	w.brk = nil
	both()
	fa.w.Close()
	fb.w.Close()
	mustExit(t, w.ctx, pa, "alice", 0)
	mustExit(t, w.ctx, pb, "bob", 0)
	if outB.sum() != genA.sum() || outA.sum() != genB.sum() || outA.count() != 8<<20 || outB.count() != 8<<20 {
		t.Fatalf("data differs after losing the broker: bob got %d, alice got %d", outB.count(), outA.count())
	}
}

// TestPipeUnverifiedPeerGetsNothing: alice has not pinned carol (or pinned another key for
// her): neither side pipes a byte. Alice exits 3 (an unpinned name at once, before any
// connection; a key mismatch once carol's sealing key fails the pin); carol only times out
// (exit 4): under sealed signaling alice never answers her nor seals to her, so carol is
// told that nothing was answered and to compare fingerprints, not to blame the network.
func TestPipeUnverifiedPeerGetsNothing(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"not pinned", "key mismatch"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			w.identity("alice")
			w.identity("carol")
			w.pin("carol", "alice")
			if mode == "key mismatch" {
				w.identity("mallory")
				_, mkey, _ := strings.Cut(w.ids["mallory"], "|")
				w.mustRun("alice", "keys", "register", "carol", mkey)
			}
			inA, inC := newPRNG(8, 1<<20), newPRNG(9, 1<<20)
			outA, outC := newSink(), newSink()
			pa := w.startPipe("alice", "carol", inA, outA, "--timeout", "5s")
			pc := w.startPipe("carol", "alice", inC, outC, "--timeout", "5s")
			mustExit(t, w.ctx, pa, "alice", 3)
			if mode == "not pinned" {
				if !strings.Contains(pa.stderr.String(), "not a pinned peer") {
					t.Errorf("alice does not say carol is not pinned: %s", pa.stderr.String())
				}
				mustExit(t, w.ctx, pc, "carol", 4)
			} else {
				mustExit(t, w.ctx, pc, "carol", 4)
				if errs := pc.stderr.String(); !strings.Contains(errs, "never answered our offer nor sent one") || strings.Contains(errs, "TURN") {
					t.Errorf("carol's timeout does not say that nothing was answered (or blames the network): %s", errs)
				}
			}
			if outC.count() != 0 || outA.count() != 0 {
				t.Fatalf("bytes crossed without verification: carol got %d, alice got %d", outC.count(), outA.count())
			}
			t.Logf("alice: %s", strings.TrimSpace(pa.stderr.String()))
			t.Logf("carol: %s", strings.TrimSpace(pc.stderr.String()))
		})
	}
}

// pipeSummary is the --json summary object of a pipe (NDJSON on stderr, docs/json.md).
type pipeSummary struct {
	Type       string   `json:"type"`
	Sent       *int64   `json:"sent"`
	Received   *int64   `json:"received"`
	Seconds    *float64 `json:"seconds"`
	Connection string   `json:"connection"`
	Name       string   `json:"name"`
}

// findSummary returns the one type=summary object among a pipe's NDJSON stderr lines.
func findSummary(t *testing.T, stderr string) pipeSummary {
	t.Helper()
	var found []pipeSummary
	for _, line := range strings.Split(stderr, "\n") {
		var s pipeSummary
		if json.Unmarshal([]byte(line), &s) == nil && s.Type == "summary" {
			found = append(found, s)
		}
	}
	if len(found) != 1 {
		t.Fatalf("want exactly one summary object on stderr, found %d in:\n%s", len(found), stderr)
	}
	return found[0]
}

// TestPipeJSONSummary: with --json stdout still carries exactly the peer's bytes; the NDJSON
// (events and the final summary) goes to stderr.
func TestPipeJSONSummary(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.friends("alice", "bob")
	inA := newPRNG(10, 1<<20)
	outB := newSink()
	want := prngBytes(11, 1000)
	pa := w.startPipe("alice", "bob", inA, nil, "--json")
	pb := w.startPipe("bob", "alice", bytes.NewReader(want), outB)
	mustExit(t, w.ctx, pa, "alice", 0)
	mustExit(t, w.ctx, pb, "bob", 0)
	if outB.sum() != inA.sum() {
		t.Fatal("alice -> bob data differs")
	}
	if out := pa.stdout.String(); out != string(want) {
		t.Fatalf("alice's stdout (%d bytes) is not exactly bob's %d bytes", len(out), len(want))
	}
	sum := findSummary(t, pa.stderr.String())
	if sum.Sent == nil || *sum.Sent != 1<<20 || sum.Received == nil || *sum.Received != 1000 ||
		sum.Seconds == nil || *sum.Seconds <= 0 || sum.Connection != "host" || sum.Name != "bob" {
		t.Fatalf("summary %+v\n%s", sum, pa.stderr.String())
	}
}
