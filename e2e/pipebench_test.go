package e2e

// The pipe benchmark (not a pass/fail timing test): it runs only with RTCHAT_BENCH=1, usually
// through scripts/bench-pipe.sh. Each run moves RTCHAT_BENCH_SIZE bytes (default 1GiB) one
// way over loopback with every contender in turn (interleaved, so that all see the same
// machine load) and prints min/median/max of RTCHAT_BENCH_RUNS runs (default 3) side by side:
// MB/s, CPU-seconds per GiB (user+system of every process of the contender), peak RSS, and
// per-run ratios.
//
//	RTCHAT_BENCH=1 go test ./e2e -run '^TestPipeBench$' -count=1 -v -timeout 3h
//
// Contenders (RTCHAT_BENCH_ONLY=comma list picks some; the default runs all that apply):
//
//	rtchat-webrtc  rtchat pipe --direct=false: the WebRTC data channel (two processes, embedded broker)
//	rtchat-direct  rtchat pipe: the verified direct TLS path when the peers reach each other
//	prev-webrtc    the same with RTCHAT_BENCH_PREV_BIN (an older build: each change's effect as
//	prev-direct    a ratio to the previous tree in the same run); prev-direct only with
//	               RTCHAT_BENCH_PREV_DIRECT=1 (older builds have no --direct flag)
//	barepion       bench/barepion: a bare detached pion data channel between two processes
//	tcpcopy        bench/tcpcopy: a plain TCP copy between two processes
//	croc           croc (RTCHAT_BENCH_CROC = path of a croc binary; scripts/bench-pipe.sh builds
//	               a pinned release) through its own relay on 127.0.0.1: 4 TCP streams, AES-GCM
//
// RTCHAT_BENCH_BASELINES=0 is RTCHAT_BENCH_ONLY=rtchat-webrtc,rtchat-direct.

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
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

// cpuSeconds is the user+system time of an exited process (and of the children it waited
// for: wait4 reports both, so a baseline's receiving child counts).
func cpuSeconds(ps *os.ProcessState) float64 {
	if ps == nil {
		return 0
	}
	return (ps.UserTime() + ps.SystemTime()).Seconds()
}

// benchResult is one transfer by one contender.
type benchResult struct {
	mbps     float64 // the contender's own throughput figure (rtchat: stream open -> acked)
	wallMBps float64 // from starting the processes to all of them exiting
	cpu      float64 // CPU-seconds of all its processes (croc: sender and receiver)
	extraCPU float64 // croc: its relay's CPU-seconds
	sendRSS  int64   // KiB
	recvRSS  int64
	rcvbuf   int64
	path     string // rtchat: which path carried the bytes (the summary's "transport")
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

func runBaseline(t *testing.T, ctx context.Context, bin string, n int64) benchResult {
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
	return benchResult{mbps: r.SendMBps, wallMBps: float64(n) / wall / 1e6, cpu: cpuSeconds(cmd.ProcessState),
		sendRSS: r.SendRSS, recvRSS: r.RecvRSS, rcvbuf: r.RcvbufDelta}
}

// benchSummary is the part of rtchat pipe's --json summary the benchmark reads.
type benchSummary struct {
	Type    string   `json:"type"`
	Sent    *int64   `json:"sent"`
	Seconds *float64 `json:"seconds"`
	Path    string   `json:"transport"`
}

func findBenchSummary(t *testing.T, stderr string) benchSummary {
	t.Helper()
	for _, line := range strings.Split(stderr, "\n") {
		var s benchSummary
		if json.Unmarshal([]byte(line), &s) == nil && s.Type == "summary" {
			return s
		}
	}
	t.Fatalf("no summary in:\n%s", stderr)
	return benchSummary{}
}

// startBin is world.startTo with another rtchat binary (an older build).
func (w *world) startBin(bin, name string, stdin io.Reader, stdout io.Writer, args ...string) *proc {
	w.t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = w.env(name)
	cmd.Stdin = stdin
	p := &proc{cmd: cmd, stdout: newSyncBuffer(), stderr: newSyncBuffer(), done: make(chan struct{})}
	if stdout == nil {
		stdout = p.stdout
	}
	cmd.Stdout, cmd.Stderr = stdout, p.stderr
	if err := cmd.Start(); err != nil {
		w.t.Fatalf("start %s %v: %v", bin, args, err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	w.t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGKILL)
		<-p.done
	})
	return p
}

// runRTChatPipe moves n bytes from alice to bob with rtchat pipe (bin), extra flags on both.
func runRTChatPipe(t *testing.T, w *world, bin string, n int64, flags ...string) benchResult {
	t.Helper()
	out := &limitSink{sink: newSink(), n: n}
	snmp0 := rcvbufErrors()
	start := time.Now()
	bobArgs := append(append([]string{}, flags...), "pipe", "alice")
	aliceArgs := append(append([]string{"--json"}, flags...), "pipe", "bob")
	pb := w.startBin(bin, "bob", strings.NewReader(""), out, bobArgs...)
	pa := w.startBin(bin, "alice", &blockReader{b: benchutil.Block(), left: n}, nil, aliceArgs...)
	ha, hb := sampleHWM(pa), sampleHWM(pb)
	mustExit(t, w.ctx, pa, "alice", 0)
	mustExit(t, w.ctx, pb, "bob", 0)
	el := time.Since(start).Seconds()
	<-ha.done
	<-hb.done
	sa := findBenchSummary(t, pa.stderr.String())
	if sa.Sent == nil || *sa.Sent != n || sa.Seconds == nil {
		t.Fatalf("alice's summary: %+v", sa)
	}
	if out.seen != n || out.sum() != benchSum(n) {
		t.Fatalf("bob got %d bytes, sha256 %s; want %d, %s", out.seen, out.sum(), n, benchSum(n))
	}
	return benchResult{mbps: float64(n) / *sa.Seconds / 1e6, wallMBps: float64(n) / el / 1e6,
		cpu:     cpuSeconds(pa.cmd.ProcessState) + cpuSeconds(pb.cmd.ProcessState),
		sendRSS: ha.peak.Load(), recvRSS: hb.peak.Load(), rcvbuf: rcvbufErrors() - snmp0, path: sa.Path}
}

// crocBench runs croc through its own relay on 127.0.0.1.
type crocBench struct {
	bin, dir, file string
}

// newCrocBench writes the n-byte test file (the benchmark's repeated block) once.
func newCrocBench(t *testing.T, bin string, n int64) *crocBench {
	t.Helper()
	dir := t.TempDir()
	if st, err := os.Stat("/dev/shm"); err == nil && st.IsDir() {
		// tmpfs: neither side waits for a disk.
		d, err := os.MkdirTemp("/dev/shm", "rtchat-bench-")
		if err == nil {
			dir = d
			t.Cleanup(func() { os.RemoveAll(d) })
		}
	}
	c := &crocBench{bin: bin, dir: dir, file: filepath.Join(dir, "send", "data.bin")}
	if err := os.MkdirAll(filepath.Dir(c.file), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(c.file)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(f, &blockReader{b: benchutil.Block(), left: n}); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return c
}

func freePorts(t *testing.T, k int) []int {
	t.Helper()
	var ports []int
	var ls []net.Listener
	for len(ports) < k {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		l.Close()
	}
	return ports
}

// run is one croc transfer; croc's key exchange fails now and then when the two ends
// reach its relay close together ("could not secure channel"), so a failed transfer is
// tried again, twice at most (each attempt is logged).
func (c *crocBench) run(t *testing.T, ctx context.Context, n int64, round int) benchResult {
	t.Helper()
	for attempt := 1; ; attempt++ {
		r, err := c.try(t, ctx, n, round*10+attempt)
		if err == nil {
			return r
		}
		if attempt == 3 {
			t.Fatal(err)
		}
		t.Logf("croc attempt %d failed, trying again: %v", attempt, err)
	}
}

func (c *crocBench) try(t *testing.T, ctx context.Context, n int64, round int) (benchResult, error) {
	t.Helper()
	ports := freePorts(t, 5)
	var ps []string
	for _, p := range ports {
		ps = append(ps, strconv.Itoa(p))
	}
	home := filepath.Join(c.dir, "home")
	env := append(os.Environ(), "HOME="+home, "CROC_SECRET="+fmt.Sprintf("rtchat-bench-%d-%d", round, time.Now().UnixNano()))
	relay := exec.CommandContext(ctx, c.bin, "--pass", "rtchat-bench", "relay", "--host", "127.0.0.1", "--ports", strings.Join(ps, ","))
	relay.Env = env
	relayOut := newSyncBuffer()
	relay.Stdout, relay.Stderr = relayOut, relayOut
	if err := relay.Start(); err != nil {
		t.Fatal(err)
	}
	relayDone := make(chan struct{})
	go func() { _ = relay.Wait(); close(relayDone) }()
	defer func() { _ = relay.Process.Kill(); <-relayDone }()
	// The relay is up once its first port accepts.
	for i := 0; ; i++ {
		cn, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", ps[0]))
		if err == nil {
			cn.Close()
			break
		}
		if i > 500 {
			t.Fatalf("croc relay did not start: %s", relayOut.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	recvDir := filepath.Join(c.dir, fmt.Sprintf("recv%d", round))
	if err := os.MkdirAll(recvDir, 0o755); err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(recvDir)
	// --no-compress: the data is incompressible, and croc's default deflate pass would only
	// burn CPU; --quiet: no progress bars (the sender keeps its messages: the receiver
	// starts once it printed its code, that is, once it hashed the file and goes to the
	// relay). Both make croc faster, not slower.
	common := []string{"--relay", "127.0.0.1:" + ps[0], "--pass", "rtchat-bench", "--yes", "--no-compress"}
	send := exec.CommandContext(ctx, c.bin, append(common, "send", "--no-local", filepath.Base(c.file))...)
	send.Dir, send.Env = filepath.Dir(c.file), env
	recv := exec.CommandContext(ctx, c.bin, append(common, "--quiet")...)
	recv.Dir, recv.Env = recvDir, env
	sendOut, recvOut := newSyncBuffer(), newSyncBuffer()
	send.Stdout, send.Stderr = sendOut, sendOut
	recv.Stdout, recv.Stderr = recvOut, recvOut
	relay0 := procCPUTicks(relay.Process.Pid)
	start := time.Now()
	if err := send.Start(); err != nil {
		t.Fatal(err)
	}
	sp, rp := &proc{cmd: send, done: make(chan struct{})}, &proc{cmd: recv, done: make(chan struct{})}
	go func() { sp.err = send.Wait(); close(sp.done) }()
	hs := sampleHWM(sp)
	if err := sp.waitFor(ctx, sendOut, "Code is"); err != nil {
		<-sp.done
		return benchResult{}, fmt.Errorf("croc sender: %w: %s", err, sendOut.String())
	}
	if err := recv.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { rp.err = recv.Wait(); close(rp.done) }()
	hr := sampleHWM(rp)
	<-sp.done
	<-rp.done
	el := time.Since(start).Seconds()
	<-hs.done
	<-hr.done
	relayCPU := float64(procCPUTicks(relay.Process.Pid)-relay0) / 100 // USER_HZ
	if sp.err != nil || rp.err != nil {
		tail := func(s string) string { return s[max(0, len(s)-300):] }
		return benchResult{}, fmt.Errorf("croc: send %v, receive %v\nsend: %s\nreceive: %s", sp.err, rp.err, tail(sendOut.String()), tail(recvOut.String()))
	}
	got, err := fileSHA256(filepath.Join(recvDir, filepath.Base(c.file)))
	if err != nil || got != benchSum(n) {
		t.Fatalf("croc delivered sha256 %s (%v), want %s", got, err, benchSum(n))
	}
	return benchResult{mbps: float64(n) / el / 1e6, wallMBps: float64(n) / el / 1e6,
		cpu: cpuSeconds(send.ProcessState) + cpuSeconds(recv.ProcessState), extraCPU: relayCPU,
		sendRSS: hs.peak.Load(), recvRSS: hr.peak.Load()}, nil
}

// procCPUTicks is utime+stime of a running process in clock ticks (/proc/PID/stat).
func procCPUTicks(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 {
		s = s[i+2:]
	}
	f := strings.Fields(s)
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return u + st
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	s := newSink()
	if _, err := io.Copy(s, f); err != nil {
		return "", err
	}
	return s.sum(), nil
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
	prev := os.Getenv("RTCHAT_BENCH_PREV_BIN")
	crocBin := os.Getenv("RTCHAT_BENCH_CROC")
	names := []string{"rtchat-webrtc", "rtchat-direct"}
	if prev != "" {
		names = append(names, "prev-webrtc")
		if os.Getenv("RTCHAT_BENCH_PREV_DIRECT") == "1" {
			names = append(names, "prev-direct")
		}
	}
	if os.Getenv("RTCHAT_BENCH_BASELINES") != "0" {
		names = append(names, "barepion", "tcpcopy")
		if crocBin != "" {
			names = append(names, "croc")
		}
	}
	if only := os.Getenv("RTCHAT_BENCH_ONLY"); only != "" {
		names = strings.Split(only, ",")
	}
	w := newBenchWorld(t, 3*time.Hour)
	w.friends("alice", "bob")
	w.extraEnv = append(w.extraEnv, "RTCHAT_TIMEOUT=60s")

	dir := t.TempDir()
	bins := map[string]string{}
	var croc *crocBench
	for _, name := range names {
		switch name {
		case "barepion", "tcpcopy":
			bin := filepath.Join(dir, name)
			b := exec.Command("go", "build", "-o", bin, "../bench/"+name)
			b.Stdout, b.Stderr = os.Stderr, os.Stderr
			if err := b.Run(); err != nil {
				t.Fatalf("building %s: %v", name, err)
			}
			bins[name] = bin
		case "croc":
			if crocBin == "" {
				t.Fatal("croc: set RTCHAT_BENCH_CROC to a croc binary (scripts/bench-pipe.sh builds one)")
			}
			croc = newCrocBench(t, crocBin, n)
		case "prev-webrtc", "prev-direct":
			if prev == "" {
				t.Fatalf("%s: set RTCHAT_BENCH_PREV_BIN", name)
			}
		case "rtchat-webrtc", "rtchat-direct":
		default:
			t.Fatalf("unknown contender %q", name)
		}
	}
	res := map[string][]benchResult{}
	for i := 0; i < runs; i++ {
		// Rotate the order so that no contender always runs first (a warmer or colder machine).
		for j := range names {
			name := names[(i+j)%len(names)]
			var r benchResult
			switch name {
			case "rtchat-webrtc":
				r = runRTChatPipe(t, w, rtchatBin, n, "--direct=false")
			case "rtchat-direct":
				r = runRTChatPipe(t, w, rtchatBin, n)
			case "prev-webrtc":
				if os.Getenv("RTCHAT_BENCH_PREV_DIRECT") == "1" {
					r = runRTChatPipe(t, w, prev, n, "--direct=false")
				} else {
					r = runRTChatPipe(t, w, prev, n) // a tree before the direct path: WebRTC only
				}
			case "prev-direct":
				r = runRTChatPipe(t, w, prev, n)
			case "barepion", "tcpcopy":
				r = runBaseline(t, w.ctx, bins[name], n)
			case "croc":
				r = croc.run(t, w.ctx, n, i)
			}
			t.Logf("run %d: %-13s %7.1f MB/s (%7.1f wall incl. setup), %6.2f CPU-s (%5.2f per GiB)%s, peak RSS %d/%d KiB, RcvbufErrors +%d%s",
				i+1, name, r.mbps, r.wallMBps, r.cpu, r.cpu/(float64(n)/(1<<30)), map[bool]string{true: fmt.Sprintf(" +relay %.2f", r.extraCPU)}[r.extraCPU > 0],
				r.sendRSS, r.recvRSS, r.rcvbuf, map[bool]string{true: ", path " + r.path}[r.path != ""])
			res[name] = append(res[name], r)
		}
	}
	fmt.Println(benchTable(n, size, runs, names, res))
}

// benchTable renders the results: per contender min/median/max, then per-run ratios.
func benchTable(n int64, size string, runs int, names []string, res map[string][]benchResult) string {
	var sb strings.Builder
	gib := float64(n) / (1 << 30)
	row := func(name, unit string, v []float64, format string) {
		if len(v) == 0 {
			return
		}
		lo, med, hi := stats(v)
		fmt.Fprintf(&sb, "| %-58s | "+format+" | "+format+" | "+format+" | %s |\n", name, lo, med, hi, unit)
	}
	col := func(name string, f func(benchResult) float64) []float64 {
		var v []float64
		for _, r := range res[name] {
			v = append(v, f(r))
		}
		return v
	}
	ratio := func(a, b string, f func(benchResult) float64) []float64 {
		if len(res[a]) == 0 || len(res[b]) != len(res[a]) {
			return nil
		}
		var v []float64
		for i := range res[a] {
			v = append(v, f(res[a][i])/f(res[b][i]))
		}
		return v
	}
	mbps := func(r benchResult) float64 { return r.mbps }
	wall := func(r benchResult) float64 { return r.wallMBps }
	cpuGiB := func(r benchResult) float64 { return r.cpu / gib }
	fmt.Fprintf(&sb, "\n%d bytes (%s), %d runs, interleaved (%s per run, order rotating)\n\n", n, size, runs, strings.Join(names, ", "))
	fmt.Fprintf(&sb, "| %-58s | %8s | %8s | %8s | unit |\n|---|---:|---:|---:|---|\n", "measure", "min", "median", "max")
	for _, name := range names {
		label := name
		switch name {
		case "rtchat-webrtc", "rtchat-direct", "prev-webrtc", "prev-direct":
			row(label+", stream open -> acked (--json seconds)", "MB/s", col(name, mbps), "%8.1f")
			row(label+", wall clock incl. meeting/setup", "MB/s", col(name, wall), "%8.1f")
		case "croc":
			row(label+", wall clock incl. setup (send+receive processes)", "MB/s", col(name, mbps), "%8.1f")
		default:
			row(label, "MB/s", col(name, mbps), "%8.1f")
		}
		row(label+", CPU-seconds per GiB (all its processes)", "CPU-s", col(name, cpuGiB), "%8.2f")
		if name == "croc" {
			row("croc relay, CPU-seconds per GiB (not counted above)", "CPU-s", col(name, func(r benchResult) float64 { return r.extraCPU / gib }), "%8.2f")
		}
	}
	for _, name := range names {
		if len(res[name]) > 0 && res[name][0].path != "" {
			var paths []string
			for _, r := range res[name] {
				paths = append(paths, r.path)
			}
			fmt.Fprintf(&sb, "| %-58s | %s | | | |\n", name+": path in the summary", strings.Join(paths, ", "))
		}
	}
	ratios := []struct {
		label string
		a, b  string
		f     func(benchResult) float64
	}{
		{"rtchat-direct stream MB/s / croc MB/s", "rtchat-direct", "croc", mbps},
		{"rtchat-direct wall MB/s / croc MB/s", "rtchat-direct", "croc", wall},
		{"rtchat-webrtc CPU per byte / croc CPU per byte", "rtchat-webrtc", "croc", cpuGiB},
		{"rtchat-direct CPU per byte / croc CPU per byte", "rtchat-direct", "croc", cpuGiB},
		{"rtchat-webrtc stream MB/s / barepion MB/s", "rtchat-webrtc", "barepion", mbps},
		{"rtchat-webrtc CPU per byte / barepion CPU per byte", "rtchat-webrtc", "barepion", cpuGiB},
		{"rtchat-direct stream MB/s / tcpcopy MB/s", "rtchat-direct", "tcpcopy", mbps},
		{"rtchat-webrtc stream MB/s / prev-webrtc (this tree / previous)", "rtchat-webrtc", "prev-webrtc", mbps},
		{"rtchat-webrtc CPU per byte / prev-webrtc (this tree / previous)", "rtchat-webrtc", "prev-webrtc", cpuGiB},
		{"rtchat-webrtc wall MB/s / prev-webrtc (this tree / previous)", "rtchat-webrtc", "prev-webrtc", wall},
		{"rtchat-direct stream MB/s / prev-direct (this tree / previous)", "rtchat-direct", "prev-direct", mbps},
		{"rtchat-direct CPU per byte / prev-direct (this tree / previous)", "rtchat-direct", "prev-direct", cpuGiB},
	}
	for _, r := range ratios {
		row("ratio "+r.label+" (per run)", "", ratio(r.a, r.b, r.f), "%8.2f")
	}
	for _, name := range names {
		row(name+" peak RSS, sending process (VmHWM)", "KiB", col(name, func(r benchResult) float64 { return float64(r.sendRSS) }), "%8.0f")
		row(name+" peak RSS, receiving process (VmHWM)", "KiB", col(name, func(r benchResult) float64 { return float64(r.recvRSS) }), "%8.0f")
	}
	for _, name := range names {
		if name == "croc" || name == "tcpcopy" {
			continue
		}
		row("Udp RcvbufErrors delta, "+name, "", col(name, func(r benchResult) float64 { return float64(r.rcvbuf) }), "%8.0f")
	}
	return sb.String()
}
