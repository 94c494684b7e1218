package e2e

// The pipe benchmark (not a pass/fail timing test): it runs only with RTCHAT_BENCH=1, usually
// through scripts/bench-pipe.sh. Each run moves RTCHAT_BENCH_SIZE bytes (default 1GiB) one
// way over loopback with `rtchat pipe` (two processes, embedded broker), then with the bare
// pion baseline (bench/barepion) and a plain TCP copy (bench/tcpcopy), interleaved, and prints
// min/median/max of RTCHAT_BENCH_RUNS runs (default 3) side by side.
//
//	RTCHAT_BENCH=1 go test ./e2e -run '^TestPipeBench$' -count=1 -v -timeout 2h
//
// RTCHAT_BENCH_BASELINES=0 skips the baselines (e.g. for one transfer past 4 GiB).

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rtchat/rtchat/bench/benchutil"
)

// blockReader yields n bytes of the repeated block (cheap, like the baselines' senders).
type blockReader struct {
	b    []byte
	off  int
	left int64
}

func (r *blockReader) Read(p []byte) (int, error) {
	if r.left == 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > r.left {
		p = p[:r.left]
	}
	n := 0
	for n < len(p) {
		c := copy(p[n:], r.b[r.off:])
		n += c
		r.off = (r.off + c) % len(r.b)
	}
	r.left -= int64(n)
	return n, nil
}

func benchSum(n int64) string { return hex.EncodeToString(benchutil.ExpectedSum(n)) }

// newBenchWorld is newWorld with a deadline long enough for big transfers.
func newBenchWorld(t *testing.T, d time.Duration) *world {
	t.Helper()
	return newWorldDeadline(t, d)
}

func rcvbufErrors() int64 { return benchutil.RcvbufErrors() }

func parseSize(s string) (int64, error) {
	mult := int64(1)
	for _, u := range []struct {
		suf string
		m   int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if v, ok := strings.CutSuffix(s, u.suf); ok {
			s, mult = v, u.m
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n * mult, err
}

type pipeRun struct {
	streamMBps, wallMBps float64
	sendRSS, recvRSS     int64 // KiB
	rcvbufErrs           int64
	seconds, wall        float64
}

// limitSink hashes only the first n bytes written to it (the data before the summary).
type limitSink struct {
	*sink
	n    int64
	seen int64
	rest strings.Builder
}

func (l *limitSink) Write(p []byte) (int, error) {
	data := p
	if l.seen+int64(len(p)) > l.n {
		data = p[:max(0, l.n-l.seen)]
		l.rest.Write(p[len(data):])
	}
	l.seen += int64(len(p))
	if len(data) > 0 {
		_, _ = l.sink.Write(data)
	}
	return len(p), nil
}

func stats(v []float64) (lo, med, hi float64) {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[0], s[len(s)/2], s[len(s)-1]
}

type baselineLine struct {
	OK          bool    `json:"ok"`
	SendMBps    float64 `json:"send_mbps"`
	RecvMBps    float64 `json:"recv_mbps"`
	SendRSS     int64   `json:"send_peak_rss_kib"`
	RecvRSS     int64   `json:"recv_peak_rss_kib"`
	RcvbufDelta int64   `json:"rcvbuf_errors_delta"`
	Error       string  `json:"error"`
}

func runBaseline(t *testing.T, ctx context.Context, bin string, n int64) (baselineLine, float64) {
	t.Helper()
	start := time.Now()
	cmd := exec.CommandContext(ctx, bin, "-n", fmt.Sprint(n))
	cmd.Stderr = os.Stderr
	outb, err := cmd.Output()
	wall := time.Since(start).Seconds()
	if err != nil {
		t.Fatalf("%s: %v: %s", bin, err, outb)
	}
	var r baselineLine
	if err := json.Unmarshal(outb, &r); err != nil || !r.OK {
		t.Fatalf("%s: %v: %s", bin, err, outb)
	}
	return r, wall
}

func TestPipeBench(t *testing.T) {
	if os.Getenv("RTCHAT_BENCH") != "1" {
		t.Skip("benchmark: set RTCHAT_BENCH=1 (or run scripts/bench-pipe.sh)")
	}
	size := os.Getenv("RTCHAT_BENCH_SIZE")
	if size == "" {
		size = "1GiB"
	}
	n, err := parseSize(size)
	if err != nil || n <= 0 {
		t.Fatalf("RTCHAT_BENCH_SIZE=%q: %v", size, err)
	}
	runs := 3
	if v := os.Getenv("RTCHAT_BENCH_RUNS"); v != "" {
		if runs, err = strconv.Atoi(v); err != nil || runs < 1 {
			t.Fatalf("RTCHAT_BENCH_RUNS=%q", v)
		}
	}
	baselines := os.Getenv("RTCHAT_BENCH_BASELINES") != "0"
	w := newBenchWorld(t, 3*time.Hour)
	w.friends("alice", "bob")
	w.extraEnv = append(w.extraEnv, "RTCHAT_TIMEOUT=60s")

	var bare, tcp string
	if baselines {
		dir := t.TempDir()
		bare, tcp = filepath.Join(dir, "barepion"), filepath.Join(dir, "tcpcopy")
		for bin, pkg := range map[string]string{bare: "../bench/barepion", tcp: "../bench/tcpcopy"} {
			b := exec.Command("go", "build", "-o", bin, pkg)
			b.Stdout, b.Stderr = os.Stderr, os.Stderr
			if err := b.Run(); err != nil {
				t.Fatalf("building %s: %v", pkg, err)
			}
		}
	}
	want := benchSum(n)
	var (
		stream, wall, sendRSS, recvRSS, rcvb                                                      []float64
		bareM, bareWall, bareSendRSS, bareRecvRSS, bareRcvb, tcpM, ratioBare, ratioTCP, ratioWall []float64
	)
	for i := 0; i < runs; i++ {
		// rtchat pipe
		out := &limitSink{sink: newSink(), n: n}
		snmp0 := rcvbufErrors()
		start := time.Now()
		pb := w.startPipe("bob", "alice", strings.NewReader(""), out)
		pa := w.startPipe("alice", "bob", &blockReader{b: benchutil.Block(), left: n}, nil, "--json")
		ha, hb := sampleHWM(pa), sampleHWM(pb)
		mustExit(t, w.ctx, pa, "alice", 0)
		mustExit(t, w.ctx, pb, "bob", 0)
		el := time.Since(start).Seconds()
		<-ha.done
		<-hb.done
		snmp1 := rcvbufErrors()
		sa := findSummary(t, pa.stderr.String())
		if sa.Sent == nil || *sa.Sent != n || sa.Seconds == nil {
			t.Fatalf("alice's summary: %+v", sa)
		}
		if out.seen != n || out.sum() != want {
			t.Fatalf("bob got %d bytes, sha256 %s; want %d, %s", out.seen, out.sum(), n, want)
		}
		r := pipeRun{streamMBps: float64(n) / *sa.Seconds / 1e6, wallMBps: float64(n) / el / 1e6,
			sendRSS: ha.peak.Load(), recvRSS: hb.peak.Load(), rcvbufErrs: snmp1 - snmp0, seconds: *sa.Seconds, wall: el}
		t.Logf("run %d: rtchat pipe %d bytes: %.1f MB/s stream (%.2fs), %.1f MB/s wall incl. setup (%.2fs), peak RSS send %d KiB recv %d KiB, RcvbufErrors +%d, sha256 ok",
			i+1, n, r.streamMBps, r.seconds, r.wallMBps, r.wall, r.sendRSS, r.recvRSS, r.rcvbufErrs)
		stream = append(stream, r.streamMBps)
		wall = append(wall, r.wallMBps)
		sendRSS = append(sendRSS, float64(r.sendRSS))
		recvRSS = append(recvRSS, float64(r.recvRSS))
		rcvb = append(rcvb, float64(r.rcvbufErrs))
		if !baselines {
			continue
		}
		b, bw := runBaseline(t, w.ctx, bare, n)
		t.Logf("run %d: barepion %.1f MB/s (%.1f wall incl. process start and setup), peak RSS send %d recv %d KiB, RcvbufErrors +%d",
			i+1, b.SendMBps, float64(n)/bw/1e6, b.SendRSS, b.RecvRSS, b.RcvbufDelta)
		c, _ := runBaseline(t, w.ctx, tcp, n)
		t.Logf("run %d: tcpcopy %.1f MB/s", i+1, c.SendMBps)
		bareM = append(bareM, b.SendMBps)
		bareWall = append(bareWall, float64(n)/bw/1e6)
		bareSendRSS = append(bareSendRSS, float64(b.SendRSS))
		bareRecvRSS = append(bareRecvRSS, float64(b.RecvRSS))
		bareRcvb = append(bareRcvb, float64(b.RcvbufDelta))
		tcpM = append(tcpM, c.SendMBps)
		ratioBare = append(ratioBare, r.streamMBps/b.SendMBps)
		ratioWall = append(ratioWall, r.wallMBps/(float64(n)/bw/1e6))
		ratioTCP = append(ratioTCP, r.streamMBps/c.SendMBps)
	}

	var sb strings.Builder
	row := func(name, unit string, v []float64, format string) {
		if len(v) == 0 {
			return
		}
		lo, med, hi := stats(v)
		fmt.Fprintf(&sb, "| %-50s | "+format+" | "+format+" | "+format+" | %s |\n", name, lo, med, hi, unit)
	}
	fmt.Fprintf(&sb, "\n%d bytes (%s), %d runs, interleaved (rtchat, barepion, tcpcopy per run)\n\n", n, size, runs)
	fmt.Fprintf(&sb, "| %-50s | %8s | %8s | %8s | unit |\n|---|---:|---:|---:|---|\n", "measure", "min", "median", "max")
	row("rtchat pipe, stream open -> acked (--json seconds)", "MB/s", stream, "%8.1f")
	row("rtchat pipe, wall clock incl. meeting/setup", "MB/s", wall, "%8.1f")
	row("bare pion data channel (barepion)", "MB/s", bareM, "%8.1f")
	row("bare pion, wall clock incl. process start/setup", "MB/s", bareWall, "%8.1f")
	row("TCP copy (tcpcopy)", "MB/s", tcpM, "%8.1f")
	row("ratio rtchat stream / barepion (per run)", "", ratioBare, "%8.2f")
	row("ratio rtchat wall / barepion wall (per run)", "", ratioWall, "%8.2f")
	row("ratio rtchat stream / TCP (per run)", "", ratioTCP, "%8.3f")
	row("rtchat peak RSS, sending process (VmHWM)", "KiB", sendRSS, "%8.0f")
	row("rtchat peak RSS, receiving process (VmHWM)", "KiB", recvRSS, "%8.0f")
	row("barepion peak RSS, sender", "KiB", bareSendRSS, "%8.0f")
	row("barepion peak RSS, receiver", "KiB", bareRecvRSS, "%8.0f")
	row("Udp RcvbufErrors delta, rtchat run", "", rcvb, "%8.0f")
	row("Udp RcvbufErrors delta, barepion run", "", bareRcvb, "%8.0f")
	fmt.Println(sb.String())
}
