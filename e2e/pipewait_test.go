package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rtchat/rtchat/bench/benchutil"
)

// pipeWait is one pipe's fixed waits, as a user of two processes sees them.
type pipeWait struct {
	firstByte time.Duration // the later process's start → bob's first byte on stdout
	lastToEOF time.Duration // bob's last byte → EOF on bob's stdout
	lastToEnd time.Duration // bob's last byte → both processes exited
	total     time.Duration // the later process's start → both processes exited
	path      string
}

// timedSink is the read end of a receiver's stdout: it times the first byte, the last
// byte and the EOF.
type timedSink struct {
	first, last, eof time.Time
	n                int64
	done             chan struct{}
}

func newTimedSink(r *os.File) *timedSink {
	s := &timedSink{done: make(chan struct{})}
	go func() {
		defer close(s.done)
		defer r.Close()
		buf := make([]byte, 1<<16)
		for {
			n, err := r.Read(buf)
			if n > 0 {
				now := time.Now()
				if s.n == 0 {
					s.first = now
				}
				s.last = now
				s.n += int64(n)
			}
			if err != nil {
				s.eof = time.Now()
				return
			}
		}
	}()
	return s
}

// runPipeWait pipes n bytes from alice to bob with bin. bobFirst says which process starts
// first; the other starts gap later.
func runPipeWait(t *testing.T, w *world, bin string, n int64, bobFirst bool, gap time.Duration, flags ...string) pipeWait {
	t.Helper()
	r, wr, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	sink := newTimedSink(r)
	startBob := func() *proc {
		p := w.startBin(bin, "bob", strings.NewReader(""), wr, append(append([]string{}, flags...), "pipe", "alice")...)
		_ = wr.Close() // the child holds the write end now
		return p
	}
	startAlice := func() *proc {
		return w.startBin(bin, "alice", &blockReader{b: benchutil.Block(), left: n}, nil,
			append(append([]string{"--json"}, flags...), "pipe", "bob")...)
	}
	var pa, pb *proc
	if bobFirst {
		pb = startBob()
		time.Sleep(gap) // the benchmark's schedule, not synchronisation
		pa = startAlice()
	} else {
		pa = startAlice()
		time.Sleep(gap)
		pb = startBob()
	}
	later := time.Now()
	mustExit(t, w.ctx, pa, "alice", 0)
	exitA := time.Now()
	mustExit(t, w.ctx, pb, "bob", 0)
	exitB := time.Now()
	select {
	case <-sink.done:
	case <-w.ctx.Done():
		t.Fatal("bob's stdout never ended")
	}
	if sink.n != n {
		t.Fatalf("bob got %d bytes, want %d", sink.n, n)
	}
	end := exitA
	if exitB.After(end) {
		end = exitB
	}
	pw := pipeWait{total: end.Sub(later), path: findBenchSummary(t, pa.stderr.String()).Path}
	if slow := os.Getenv("RTCHAT_BENCH_SLOW"); slow != "" {
		// RTCHAT_BENCH_SLOW=200ms (with -v in RTCHAT_BENCH_FLAGS): both logs of a slower run.
		if d, err := time.ParseDuration(slow); err == nil && pw.total > d {
			t.Logf("slow run (%v), later start %s:\nalice:\n%s\nbob:\n%s", pw.total, later.UTC().Format("15:04:05.000"), pa.stderr.String(), pb.stderr.String())
		}
	}
	if n > 0 {
		pw.firstByte = sink.first.Sub(later)
		pw.lastToEOF = sink.eof.Sub(sink.last)
		pw.lastToEnd = end.Sub(sink.last)
	}
	return pw
}

// TestPipeWaitBench measures the fixed waits of `rtchat pipe` on loopback (issue 20): the
// first byte after the later of the two processes started, the last byte → EOF at the
// receiver and → both exited, a 0-byte pipe, against a plain TCP copy in the same run.
// scripts/bench-pipe.sh --waits runs it.
func TestPipeWaitBench(t *testing.T) {
	if os.Getenv("RTCHAT_BENCH") != "1" {
		t.Skip("benchmark: set RTCHAT_BENCH=1 (or run scripts/bench-pipe.sh --waits)")
	}
	runs := 5
	if v := os.Getenv("RTCHAT_BENCH_RUNS"); v != "" {
		var err error
		if runs, err = strconv.Atoi(v); err != nil || runs < 1 {
			t.Fatalf("RTCHAT_BENCH_RUNS=%q", v)
		}
	}
	size := os.Getenv("RTCHAT_BENCH_SIZE")
	if size == "" {
		size = "1MiB"
	}
	n, err := parseSize(size)
	if err != nil || n <= 0 {
		t.Fatalf("RTCHAT_BENCH_SIZE=%q: %v", size, err)
	}
	type build struct{ label, bin string }
	builds := []build{{"this", rtchatBin}}
	if prev := os.Getenv("RTCHAT_BENCH_PREV_BIN"); prev != "" {
		builds = append(builds, build{"prev", prev})
	}
	w := newBenchWorld(t, time.Hour)
	w.friends("alice", "bob")
	tcp := filepath.Join(t.TempDir(), "tcpcopy")
	if out, err := exec.Command("go", "build", "-o", tcp, "../bench/tcpcopy").CombinedOutput(); err != nil {
		t.Fatalf("building tcpcopy: %v\n%s", err, out)
	}
	// Which process starts first and how much later the other one does: the waits depend
	// on where the later start falls in the earlier process's announcement schedule.
	gaps := []time.Duration{50 * time.Millisecond, 250 * time.Millisecond, 700 * time.Millisecond}
	type key struct{ build, variant string }
	res := map[key][]pipeWait{}
	var tcpWall []time.Duration
	variants := []struct {
		name  string
		n     int64
		flags []string
	}{{"direct", n, nil}, {"webrtc", n, []string{"--direct=false"}}, {"0-byte", 0, nil}}
	if extra := os.Getenv("RTCHAT_BENCH_FLAGS"); extra != "" {
		for i := range variants {
			variants[i].flags = append(strings.Fields(extra), variants[i].flags...)
		}
	}
	for i := 0; i < runs; i++ {
		bobFirst, gap := i%2 == 0, gaps[i%len(gaps)]
		for k := range builds {
			b := builds[(i+k)%len(builds)]
			for _, v := range variants {
				r := runPipeWait(t, w, b.bin, v.n, bobFirst, gap, v.flags...)
				t.Logf("run %d %s %-6s (%s first, +%v): first byte %6.1f ms, last byte→EOF %6.1f, last byte→exit %6.1f, total %6.1f ms, path %s",
					i+1, b.label, v.name, map[bool]string{true: "bob", false: "alice"}[bobFirst], gap,
					ms(r.firstByte), ms(r.lastToEOF), ms(r.lastToEnd), ms(r.total), r.path)
				res[key{b.label, v.name}] = append(res[key{b.label, v.name}], r)
			}
		}
		start := time.Now()
		if out, err := exec.CommandContext(w.ctx, tcp, "-n", fmt.Sprint(n)).Output(); err != nil {
			t.Fatalf("tcpcopy: %v: %s", err, out)
		}
		tcpWall = append(tcpWall, time.Since(start))
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "\n`rtchat pipe` fixed waits, %s one way over 127.0.0.1, embedded broker, --ice loopback, %d runs (order and gap rotating)\n\n", size, runs)
	fmt.Fprintf(&sb, "| %-52s | %7s | %7s | %7s |\n|---|---:|---:|---:|\n", "ms", "min", "median", "max")
	row := func(name string, d []time.Duration) {
		lo, med, hi := msStats(d)
		fmt.Fprintf(&sb, "| %-52s | %7.1f | %7.1f | %7.1f |\n", name, lo, med, hi)
	}
	for _, b := range builds {
		for _, v := range variants {
			rs := res[key{b.label, v.name}]
			pick := func(f func(pipeWait) time.Duration) []time.Duration {
				var d []time.Duration
				for _, r := range rs {
					d = append(d, f(r))
				}
				return d
			}
			p := b.label + " " + v.name
			if v.n == 0 {
				row(p+": later start → both exited", pick(func(r pipeWait) time.Duration { return r.total }))
				continue
			}
			row(p+": later start → first byte", pick(func(r pipeWait) time.Duration { return r.firstByte }))
			row(p+": last byte → EOF at the receiver", pick(func(r pipeWait) time.Duration { return r.lastToEOF }))
			row(p+": last byte → both exited", pick(func(r pipeWait) time.Duration { return r.lastToEnd }))
			row(p+": later start → both exited", pick(func(r pipeWait) time.Duration { return r.total }))
		}
	}
	row("tcpcopy (bench/tcpcopy, 2 processes): start → exit", tcpWall)
	fmt.Println(sb.String())
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
