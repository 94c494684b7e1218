package lab_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rtchat/rtchat/lab"
)

// TestNetBench is the shaped-link throughput comparison behind scripts/bench-net.sh (it
// runs only with RTCHAT_BENCH=1). For each profile it builds two homes behind cone NATs,
// delays each access link by a quarter of the round trip (so host⇄host is the full round
// trip, host⇄internet half of it), drops packets and limits the rate at alice's router,
// forwards a TCP port to bob, and then, interleaved in each run, moves the same number of
// bytes alice→bob with: a Go TCP copy using the kernel's default congestion control, the
// same with CUBIC, and `rtchat pipe` once per variant (environment settings, e.g. the SCTP
// knobs of rtc/iceconf/window.go). It prints every measurement and, per profile, the ratios
// rtchat ÷ TCP (min/median/max over the runs), and appends JSON lines to RTCHAT_BENCH_OUT.
//
//	RTCHAT_BENCH_PROFILES  "50ms,50ms/0.5%,50ms/2%,50ms/100mbit,100ms,200ms" (RTT[/LOSS%][/RATE][/turn])
//
// A profile with /turn puts both homes behind symmetric NATs, so that rtchat (STUN and
// TURN over UDP configured, as in TestLabSymmetricTURN) must relay through the lab's
// coturn, and sends each TCP copy through a TCP relay at coturn's place (labtool tcprelay
// on the TURN server's address): both cross the same links and a userspace hop there. It
// also reports coturn's CPU seconds and UDP receive-buffer drops during each rtchat run.
//
//	RTCHAT_BENCH_RUNS      3
//	RTCHAT_BENCH_SIZE      bytes at 0% loss, "64MiB" (a quarter with ≥0.5% loss, a sixteenth with ≥2%)
//	RTCHAT_BENCH_VARIANTS  ";"-separated rtchat variants, each "name:K=V K=V --flag" ("default:" = as
//	                       shipped; words starting with "--" are arguments of both pipes, e.g.
//	                       "direct:;webrtc:--direct=false" measures both paths of the pipe)
//	RTCHAT_BENCH_CPU       1: also CPU per byte: every transfer's CPU seconds (sender +
//	                       receiver, from the processes' rusage) per GiB; each run adds a TCP
//	                       CUBIC copy without hashing ("tcp-plain", the copy alone) and each
//	                       variant one 0-byte pipe per profile, whose CPU (the set-up) is
//	                       subtracted for rtchat's per-byte figure
//	RTCHAT_BENCH_LOGDIR    a directory: each pipe's -v log is written there (HHMMSS.mmm-VARIANT-NAME.log)
func TestNetBench(t *testing.T) {
	if os.Getenv("RTCHAT_BENCH") != "1" {
		t.Skip("RTCHAT_BENCH=1 runs the network benchmark (scripts/bench-net.sh)")
	}
	profiles := strings.Split(envOr("RTCHAT_BENCH_PROFILES", "50ms,50ms/0.5%,50ms/2%,50ms/100mbit,100ms,200ms"), ",")
	runs, _ := strconv.Atoi(envOr("RTCHAT_BENCH_RUNS", "3"))
	size, err := parseSize(envOr("RTCHAT_BENCH_SIZE", "64MiB"))
	if err != nil {
		t.Fatal(err)
	}
	variants := parseVariants(envOr("RTCHAT_BENCH_VARIANTS", "default:"))
	var out *os.File
	if p := os.Getenv("RTCHAT_BENCH_OUT"); p != "" {
		if out, err = os.OpenFile(p, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644); err != nil {
			t.Fatal(err)
		}
		defer out.Close()
	}
	var report []string
	for _, prof := range profiles {
		pr, err := parseProfile(prof)
		if err != nil {
			t.Fatal(err)
		}
		n := size
		if pr.loss >= 2 {
			n = size / 16
		} else if pr.loss >= 0.5 {
			n = size / 4
		}
		t.Run(strings.NewReplacer("/", "_", "%", "pct").Replace(prof), func(t *testing.T) {
			res := benchProfile(t, pr, n, runs, variants, out)
			report = append(report, res...)
		})
	}
	t.Logf("\n%s", strings.Join(report, "\n"))
}

type profile struct {
	name string
	rtt  time.Duration
	loss float64 // percent, at alice's router, each direction
	rate string
	turn bool // relayed: symmetric NATs, TURN for rtchat, labtool tcprelay for TCP
}

func parseProfile(s string) (profile, error) {
	p := profile{name: s}
	for i, part := range strings.Split(s, "/") {
		switch {
		case i == 0:
			d, err := time.ParseDuration(part)
			if err != nil {
				return p, fmt.Errorf("profile %q: %v", s, err)
			}
			p.rtt = d
		case strings.HasSuffix(part, "%"):
			v, err := strconv.ParseFloat(strings.TrimSuffix(part, "%"), 64)
			if err != nil {
				return p, fmt.Errorf("profile %q: %v", s, err)
			}
			p.loss = v
		case part == "turn":
			p.turn = true
		default:
			p.rate = part
		}
	}
	return p, nil
}

type variant struct {
	name string
	env  []string
	args []string // pipe arguments (words starting with "--")
}

func parseVariants(s string) []variant {
	var vs []variant
	for _, item := range strings.Split(s, ";") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		name, kv, _ := strings.Cut(item, ":")
		v := variant{name: name}
		for _, f := range strings.Fields(kv) {
			if strings.HasPrefix(f, "--") {
				v.args = append(v.args, f)
			} else {
				v.env = append(v.env, f)
			}
		}
		vs = append(vs, v)
	}
	return vs
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func parseSize(s string) (int64, error) {
	mult := int64(1)
	for _, u := range []struct {
		suf string
		m   int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if strings.HasSuffix(s, u.suf) {
			s, mult = strings.TrimSuffix(s, u.suf), u.m
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n * mult, err
}

// measurement is one transfer.
type measurement struct {
	Profile string  `json:"profile"`
	Run     int     `json:"run"`
	Tool    string  `json:"tool"` // tcp-default, tcp-cubic, rtchat:VARIANT
	Bytes   int64   `json:"bytes"`
	Seconds float64 `json:"seconds"`
	MBps    float64 `json:"mbps"`
	// rtchat only: time from starting both processes to the first byte at the receiver,
	// and that in round trips of the path.
	FirstByte    float64 `json:"first_byte_s,omitempty"`
	FirstByteRTT float64 `json:"first_byte_rtts,omitempty"`
	Path         string  `json:"path,omitempty"`
	// rtchat only: datagrams the receiving host's kernel dropped because the ICE socket's
	// receive buffer was full (Udp RcvbufErrors in bob's namespace over the run).
	RcvbufDrops int64 `json:"rcvbuf_drops"`
	// /turn profiles, rtchat only: coturn's CPU seconds (user+system) and the internet
	// namespace's Udp RcvbufErrors (coturn's sockets) over the run.
	RelayCPU   float64 `json:"relay_cpu_s,omitempty"`
	RelayDrops int64   `json:"relay_rcvbuf_drops,omitempty"`
	Error      string  `json:"error,omitempty"`
	// CPU seconds (user + system) of the sending and the receiving process together, and
	// that per GiB moved (rtchat: the whole process, set-up included).
	CPU       float64 `json:"cpu_s,omitempty"`
	CPUPerGiB float64 `json:"cpu_s_per_gib,omitempty"`
	// Transport is what carried an rtchat pipe, as its summary says (direct, webrtc).
	Transport string `json:"transport,omitempty"`
}

// cpuOf is a finished process's CPU seconds (user + system), 0 if unknown.
func cpuOf(st *os.ProcessState) float64 {
	if st == nil {
		return 0
	}
	return (st.UserTime() + st.SystemTime()).Seconds()
}

func benchProfile(t *testing.T, pr profile, n int64, runs int, variants []variant, out *os.File) []string {
	link := lab.Link{Delay: pr.rtt / 4}
	linkA := link
	linkA.Loss, linkA.Rate = pr.loss, pr.rate
	nat := lab.Cone
	if pr.turn {
		nat = lab.Symmetric
	}
	w := newWorld(t, time.Duration(runs)*(4+2*time.Duration(len(variants)))*time.Minute,
		lab.Home{Name: "a", NAT: nat, Link: linkA}, lab.Home{Name: "b", NAT: nat, Link: link})
	w.benchTURN = pr.turn
	if err := w.lab.ForwardTCP(w.ctx, "b", 0, 5001); err != nil {
		t.Fatal(err)
	}
	all := map[string][]measurement{}
	emit := func(m measurement) {
		m.Profile, m.Bytes = pr.name, n
		if m.Seconds > 0 {
			m.MBps = float64(n) / m.Seconds / 1e6
		}
		if m.CPU > 0 && m.Bytes > 0 {
			m.CPUPerGiB = m.CPU / (float64(m.Bytes) / (1 << 30))
		}
		all[m.Tool] = append(all[m.Tool], m)
		relay := ""
		if pr.turn && strings.HasPrefix(m.Tool, "rtchat") {
			relay = fmt.Sprintf(", coturn %.2f CPU-s, %d drops", m.RelayCPU, m.RelayDrops)
		}
		t.Logf("%s run %d %-22s %7.2f MB/s  %s %s rcvbuf drops %d%s, cpu %.3f s (%.1f s/GiB)%s", pr.name, m.Run, m.Tool, m.MBps, m.Path, m.Transport,
			m.RcvbufDrops, relay, m.CPU, m.CPUPerGiB, m.Error)
		if out != nil {
			b, _ := json.Marshal(m)
			fmt.Fprintln(out, string(b))
		}
	}
	withCPU := os.Getenv("RTCHAT_BENCH_CPU") == "1"
	setupCPU := map[string]float64{}
	if withCPU {
		// The set-up's CPU (keys, MQTT, ICE, DTLS, the proof, the direct path's attempt): one
		// 0-byte pipe per variant, subtracted below so that rtchat's figure is per byte.
		for _, v := range variants {
			m := w.rtchatRun(0, v, pr.rtt)
			setupCPU[v.name] = m.CPU
			t.Logf("%s %-22s set-up cpu %.3f s (0-byte pipe, %s)%s", pr.name, "rtchat:"+v.name, m.CPU, m.Transport, m.Error)
		}
	}
	for run := 1; run <= runs; run++ {
		for _, cc := range []string{"", "cubic"} {
			m := w.tcpRun(n, cc)
			m.Run = run
			emit(m)
		}
		if withCPU {
			m := w.tcpRunPlain(n, "cubic", true)
			m.Run = run
			emit(m)
		}
		for _, v := range variants {
			m := w.rtchatRun(n, v, pr.rtt)
			m.Run = run
			emit(m)
		}
	}
	t.Logf("links after the runs:\n%s\n%s", w.lab.LinkStats(w.ctx, "a"), w.lab.LinkStats(w.ctx, "b"))
	// Ratios per run against each TCP, then min/median/max.
	var lines []string
	for _, v := range variants {
		tool := "rtchat:" + v.name
		for _, base := range []string{"tcp-default", "tcp-cubic"} {
			var ratios []float64
			for i := range all[tool] {
				if i < len(all[base]) && all[base][i].MBps > 0 {
					ratios = append(ratios, all[tool][i].MBps/all[base][i].MBps)
				}
			}
			lines = append(lines, fmt.Sprintf("%-14s %-26s ÷ %-11s %s   (%s: %s; %s: %s)", pr.name, tool, base, minMedMax(ratios),
				tool, minMedMax(mbps(all[tool])), base, minMedMax(mbps(all[base]))))
		}
		var rtts []float64
		for _, m := range all[tool] {
			if m.FirstByteRTT > 0 {
				rtts = append(rtts, m.FirstByteRTT)
			}
		}
		lines = append(lines, fmt.Sprintf("%-14s %-26s first byte after %s round trips", pr.name, tool, minMedMax(rtts)))
		if withCPU {
			var per, ratios []float64
			for i, m := range all[tool] {
				if m.CPU <= 0 || m.Error != "" {
					continue
				}
				c := (m.CPU - setupCPU[v.name]) / (float64(m.Bytes) / (1 << 30))
				per = append(per, c)
				if i < len(all["tcp-plain"]) && all["tcp-plain"][i].CPUPerGiB > 0 {
					ratios = append(ratios, c/all["tcp-plain"][i].CPUPerGiB)
				}
			}
			var transports []string
			for _, m := range all[tool] {
				transports = append(transports, m.Transport)
			}
			lines = append(lines, fmt.Sprintf("%-14s %-26s cpu per byte %s CPU-s/GiB (set-up %.2f CPU-s subtracted), ÷ tcp-plain %s (tcp-plain %s CPU-s/GiB); transport %v",
				pr.name, tool, minMedMax(per), setupCPU[v.name], minMedMax(ratios), minMedMax(cpuPerGiB(all["tcp-plain"])), transports))
		}
	}
	return lines
}

func cpuPerGiB(ms []measurement) []float64 {
	var v []float64
	for _, m := range ms {
		if m.CPUPerGiB > 0 {
			v = append(v, m.CPUPerGiB)
		}
	}
	return v
}

func mbps(ms []measurement) []float64 {
	var v []float64
	for _, m := range ms {
		v = append(v, m.MBps)
	}
	return v
}

func minMedMax(v []float64) string {
	if len(v) == 0 {
		return "n/a"
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return fmt.Sprintf("%.2f/%.2f/%.2f", s[0], s[len(s)/2], s[len(s)-1])
}

// tcpRun moves n bytes from alice's host to bob's over TCP (bob's router forwards 5001).
func (w *world) tcpRun(n int64, cc string) measurement { return w.tcpRunPlain(n, cc, false) }

// tcpRunPlain is tcpRun; plain sends zeros and hashes nothing (tool "tcp-plain"), so
// that its CPU is the copy's alone.
func (w *world) tcpRunPlain(n int64, cc string, plain bool) (m measurement) {
	tool := "tcp-default"
	if cc != "" {
		tool = "tcp-" + cc
	}
	var plainArg []string
	if plain {
		tool, plainArg = "tcp-plain", []string{"-plain"}
	}
	m = measurement{Tool: tool}
	recv, err := w.lab.StartProc(w.ctx, w.lab.Host("b", 0), toolBin, append([]string{"tcprecv", "-listen", ":5001"}, plainArg...)...)
	if err != nil {
		m.Error = err.Error()
		return m
	}
	defer recv.Kill()
	if err := recv.WaitOutput(w.ctx, "ready"); err != nil {
		m.Error = err.Error()
		return m
	}
	to := w.lab.Public("b") + ":5001"
	if w.benchTURN {
		// Through a TCP relay where coturn runs (see TestNetBench), onward with the same
		// congestion control.
		relay, err := w.lab.StartProc(w.ctx, w.lab.Inet(), toolBin, "tcprelay", "-listen", lab.ServerIP+":5002", "-to", to, "-cc", cc)
		if err != nil {
			m.Error = err.Error()
			return m
		}
		defer relay.Kill()
		if err := relay.WaitOutput(w.ctx, "ready"); err != nil {
			m.Error = err.Error()
			return m
		}
		to = lab.ServerIP + ":5002"
	}
	ctx, cancel := context.WithTimeout(w.ctx, 10*time.Minute)
	defer cancel()
	cmd := lab.Command(ctx, w.lab.Host("a", 0), toolBin, append([]string{"tcpsend", "-to", to, "-n", strconv.FormatInt(n, 10), "-cc", cc}, plainArg...)...)
	b, err := cmd.Output()
	if err != nil {
		m.Error = fmt.Sprint(err, string(errText(err)))
		return m
	}
	// The receiver ends once it sent its digest.
	if code, err := recv.Wait(ctx); err == nil && code == 0 {
		m.CPU = cpuOf(cmd.ProcessState) + cpuOf(recv.Cmd.ProcessState)
	}
	var rep struct {
		Seconds float64 `json:"seconds"`
		CC      string  `json:"cc"`
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		m.Error = err.Error()
		return m
	}
	m.Seconds = rep.Seconds
	m.Path = rep.CC
	return m
}

func errText(err error) []byte {
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.Stderr
	}
	return nil
}

// rtchatRun moves n bytes alice→bob with rtchat pipe (bob sends nothing).
func (w *world) rtchatRun(n int64, v variant, rtt time.Duration) (m measurement) {
	m = measurement{Tool: "rtchat:" + v.name}
	ice := lab.STUN(false)
	if w.benchTURN {
		ice += "," + lab.TURNURL("udp")
		cpu0, drops0 := w.turnCPU(), w.rcvbufErrors(w.lab.Inet())
		defer func() { m.RelayCPU, m.RelayDrops = w.turnCPU()-cpu0, w.rcvbufErrors(w.lab.Inet())-drops0 }()
	}
	a := &pipeEnd{name: "alice", peer: "bob", ns: w.lab.Host("a", 0), ice: ice, seed: 1, size: n}
	b := &pipeEnd{name: "bob", peer: "alice", ns: w.lab.Host("b", 0), ice: ice, seed: 2, size: 0}
	drops0 := w.rcvbufErrors(w.lab.Host("b", 0))
	defer func() { m.RcvbufDrops = w.rcvbufErrors(w.lab.Host("b", 0)) - drops0 }()
	saved := w.extraEnv
	w.extraEnv = append(append([]string(nil), saved...), v.env...)
	defer func() { w.extraEnv = saved }()
	start := time.Now()
	w.startPipe(a, b, append([]string{"--timeout", "60s"}, v.args...)...)
	if err := b.sink.waitBytes(w.ctx, 1, b.proc); err == nil {
		m.FirstByte = time.Since(start).Seconds()
		m.FirstByteRTT = m.FirstByte / rtt.Seconds()
	}
	r := w.waitPipe(a, b)
	if dir := os.Getenv("RTCHAT_BENCH_LOGDIR"); dir != "" {
		// Debugging the set-up: both processes' -v logs, named by the start time, to lay
		// beside a capture (RTCHAT_LAB_PCAP) or coturn's log.
		for i, e := range []*pipeEnd{a, b} {
			name := fmt.Sprintf("%s-%s-%s.log", start.UTC().Format("150405.000"), v.name, e.name)
			_ = os.WriteFile(filepath.Join(dir, name), []byte(r.stderr[i]), 0o600)
		}
	}
	got, k := b.sink.result()
	if r.codes[0] != 0 || r.codes[1] != 0 || got != expectedSum(1, n) || k != n {
		m.Error = fmt.Sprintf(" FAILED: exit %v, %d bytes", r.codes, k)
		return m
	}
	if s := r.summary[0]; s != nil {
		m.Seconds, _ = s["seconds"].(float64)
		m.Transport, _ = s["transport"].(string)
	}
	m.CPU = cpuOf(a.proc.Cmd.ProcessState) + cpuOf(b.proc.Cmd.ProcessState)
	if p := jsonObject(r.stderr[0], "path"); p != nil {
		m.Path = fmt.Sprintf("%v⇄%v", p["local"], p["remote"])
	}
	return m
}

// turnCPU is coturn's CPU time so far (user+system seconds, /proc/PID/stat; `ip netns
// exec` execs coturn, so the process is the one started).
func (w *world) turnCPU() float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", w.turn.Proc.Cmd.Process.Pid))
	if err != nil {
		return 0
	}
	// Fields after the command name in parentheses: state is field 3, utime 14, stime 15.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (ut + st) / 100 // USER_HZ
}

// rcvbufErrors reads Udp RcvbufErrors of a namespace.
func (w *world) rcvbufErrors(ns string) int64 {
	out, err := w.lab.Output(w.ctx, ns, "cat", "/proc/net/snmp")
	if err != nil {
		return 0
	}
	var names []string
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || f[0] != "Udp:" {
			continue
		}
		if names == nil {
			names = f
			continue
		}
		for i, n := range names {
			if n == "RcvbufErrors" && i < len(f) {
				v, _ := strconv.ParseInt(f[i], 10, 64)
				return v
			}
		}
	}
	return 0
}

// TestNetShare measures what a variant of rtchat costs other traffic: over one bottleneck
// (alice's access link, RTCHAT_SHARE_PROFILE, default 50ms/20mbit: congestion, no random loss), a TCP CUBIC copy
// and `rtchat pipe` move the same bytes at the same time, RTCHAT_BENCH_RUNS times per
// variant; it prints each one's MB/s and rtchat's share of the sum. Runs with
// RTCHAT_BENCH=1 and RTCHAT_BENCH_SHARE=1 (scripts/bench-net.sh --share).
func TestNetShare(t *testing.T) {
	if os.Getenv("RTCHAT_BENCH") != "1" || os.Getenv("RTCHAT_BENCH_SHARE") != "1" {
		t.Skip("RTCHAT_BENCH=1 RTCHAT_BENCH_SHARE=1 runs the sharing benchmark")
	}
	pr, err := parseProfile(envOr("RTCHAT_SHARE_PROFILE", "50ms/20mbit"))
	if err != nil {
		t.Fatal(err)
	}
	runs, _ := strconv.Atoi(envOr("RTCHAT_BENCH_RUNS", "3"))
	n, err := parseSize(envOr("RTCHAT_BENCH_SIZE", "16MiB"))
	if err != nil {
		t.Fatal(err)
	}
	variants := parseVariants(envOr("RTCHAT_BENCH_VARIANTS", "default:"))
	link := lab.Link{Delay: pr.rtt / 4}
	linkA := lab.Link{Delay: pr.rtt / 4, Loss: pr.loss, Rate: pr.rate}
	w := newWorld(t, time.Duration(runs*len(variants))*5*time.Minute,
		lab.Home{Name: "a", NAT: lab.Cone, Link: linkA}, lab.Home{Name: "b", NAT: lab.Cone, Link: link})
	if err := w.lab.ForwardTCP(w.ctx, "b", 0, 5001); err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, v := range variants {
		var shares []float64
		for run := 1; run <= runs; run++ {
			tcpDone := make(chan measurement, 1)
			go func() { tcpDone <- w.tcpRun(n, "cubic") }()
			rm := w.rtchatRun(n, v, pr.rtt)
			tm := <-tcpDone
			rt, tt := float64(n)/rm.Seconds/1e6, float64(n)/tm.Seconds/1e6
			if rm.Seconds <= 0 || tm.Seconds <= 0 {
				t.Logf("run %d %s: failed: %s %s", run, v.name, rm.Error, tm.Error)
				continue
			}
			shares = append(shares, rt/(rt+tt))
			t.Logf("%s run %d rtchat:%s %.2f MB/s beside tcp-cubic %.2f MB/s (rtchat's share %.2f)", pr.name, run, v.name, rt, tt, rt/(rt+tt))
		}
		lines = append(lines, fmt.Sprintf("%s rtchat:%s share of the bottleneck beside one CUBIC flow: %s", pr.name, v.name, minMedMax(shares)))
	}
	t.Logf("\n%s", strings.Join(lines, "\n"))
}
