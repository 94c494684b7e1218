package e2e

// The ask benchmark (not a pass/fail timing test): it runs only with RTCHAT_BENCH=1, usually
// through scripts/bench-ask.sh. Against a real `rtchat listen --exec 'echo 42'` process and
// the embedded broker on 127.0.0.1, it times RTCHAT_BENCH_RUNS (default 20) `rtchat ask`
// processes: process start -> answer line on stdout, and process start -> exit. With
// RTCHAT_BENCH_PREV_BIN (an older build) both binaries run interleaved, so each change is a
// ratio to the previous tree in the same run. It also times process start -> exit of
// `rtchat version` (an upper bound of start -> main) against a Go hello-world, and sums
// GODEBUG=inittrace=1's package initialisation per process.
//
//	RTCHAT_BENCH=1 go test ./e2e -run '^TestAskBench$' -count=1 -v

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// askTiming is one `rtchat ask` process.
type askTiming struct{ answer, exit time.Duration }

// timeAsk runs one ask process and times its answer line and its exit.
func timeAsk(t *testing.T, w *world, bin, room string) askTiming {
	t.Helper()
	cmd := exec.CommandContext(w.ctx, bin, "--room", room, "ask", "bob", "what", "is", "the", "answer?")
	cmd.Env = w.env("alice")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	answered := time.Since(start)
	if err != nil || strings.TrimSpace(line) != "42" {
		_ = cmd.Wait()
		t.Fatalf("%s ask printed %q (%v); stderr: %s", bin, line, err, stderr.String())
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("%s ask: %v; stderr: %s", bin, err, stderr.String())
	}
	return askTiming{answer: answered, exit: time.Since(start)}
}

// timeRun is the wall time of one process run to completion.
func timeRun(t *testing.T, env []string, bin string, args ...string) time.Duration {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	start := time.Now()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v\n%s", bin, args, err, out)
	}
	return time.Since(start)
}

// initTrace sums the package initialisation GODEBUG=inittrace=1 reports for one process,
// and returns the time of each package.
func initTrace(t *testing.T, env []string, bin string, args ...string) (float64, map[string]float64) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(slices.Clone(env), "GODEBUG=inittrace=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %v: %v", bin, args, err)
	}
	total, per := 0.0, map[string]float64{}
	for _, line := range strings.Split(stderr.String(), "\n") {
		// init PKG @X ms, Y ms clock, B bytes, A allocs
		f := strings.Fields(line)
		if len(f) < 7 || f[0] != "init" || f[6] != "clock," {
			continue
		}
		ms, err := strconv.ParseFloat(f[4], 64)
		if err != nil {
			continue
		}
		total += ms
		per[f[1]] += ms
	}
	return total, per
}

func msStats(d []time.Duration) (lo, med, hi float64) {
	v := make([]float64, len(d))
	for i, x := range d {
		v[i] = float64(x) / float64(time.Millisecond)
	}
	return stats(v)
}

func TestAskBench(t *testing.T) {
	if os.Getenv("RTCHAT_BENCH") != "1" {
		t.Skip("benchmark: set RTCHAT_BENCH=1 (or run scripts/bench-ask.sh)")
	}
	runs := 20
	if v := os.Getenv("RTCHAT_BENCH_RUNS"); v != "" {
		var err error
		if runs, err = strconv.Atoi(v); err != nil || runs < 1 {
			t.Fatalf("RTCHAT_BENCH_RUNS=%q", v)
		}
	}
	bins := []string{rtchatBin}
	labels := []string{"this tree"}
	if prev := os.Getenv("RTCHAT_BENCH_PREV_BIN"); prev != "" {
		bins, labels = append(bins, prev), append(labels, "previous tree")
	}
	w := newWorld(t)
	w.friends("alice", "bob")
	// Each build asks a listener of the same build, in a room of its own: trees of
	// different protocol versions need not talk to each other.
	rooms := make([]string, len(bins))
	for i, bin := range bins {
		rooms[i] = fmt.Sprintf("askbench%d", i)
		l := w.startBin(bin, "bob", nil, nil, "--room", rooms[i], "listen", "--exec", "echo 42")
		if err := l.waitFor(w.ctx, l.stderr, "listening in room"); err != nil {
			t.Fatalf("%s listen: %v\n%s", bin, err, l.stderr.String())
		}
	}

	// A Go hello-world: what starting any Go program costs on this machine.
	hello := filepath.Join(t.TempDir(), "hello")
	src := filepath.Join(t.TempDir(), "hello.go")
	if err := os.WriteFile(src, []byte("package main\n\nimport \"os\"\n\nfunc main() { os.Stdout.WriteString(\"hi\\n\") }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("go", "build", "-o", hello, src).CombinedOutput(); err != nil {
		t.Fatalf("build hello: %v\n%s", err, out)
	}

	asks := make([][]askTiming, len(bins))
	versions := make([][]time.Duration, len(bins))
	inits := make([][]float64, len(bins))
	perPkg := make([]map[string][]float64, len(bins))
	var hellos []time.Duration
	env := w.env("alice")
	for i := range bins {
		timeAsk(t, w, bins[i], rooms[i]) // warm the page cache and the listener
		perPkg[i] = map[string][]float64{}
	}
	// What each ask costs on the topic (every payload of the room, while only the asks run).
	taps := make([]*topicTap, len(bins))
	for i := range bins {
		taps[i] = tapTopic(t, w, rooms[i])
	}
	for r := 0; r < runs; r++ {
		for k := range bins {
			i := (r + k) % len(bins)
			asks[i] = append(asks[i], timeAsk(t, w, bins[i], rooms[i]))
			versions[i] = append(versions[i], timeRun(t, env, bins[i], "version"))
			total, per := initTrace(t, env, bins[i], "version")
			inits[i] = append(inits[i], total)
			for p, ms := range per {
				perPkg[i][p] = append(perPkg[i][p], ms)
			}
		}
		hellos = append(hellos, timeRun(t, env, hello))
	}

	var sb strings.Builder
	row := func(name string, lo, med, hi float64) {
		fmt.Fprintf(&sb, "| %-62s | %7.1f | %7.1f | %7.1f |\n", name, lo, med, hi)
	}
	fmt.Fprintf(&sb, "\n`rtchat ask` against a `rtchat listen --exec 'echo 42'` process, embedded broker, --ice loopback; %d runs each, interleaved\n\n", runs)
	fmt.Fprintf(&sb, "| %-62s | %7s | %7s | %7s |\n|---|---:|---:|---:|\n", "ms", "min", "median", "max")
	for i, l := range labels {
		var ans, ext, gap []time.Duration
		for _, a := range asks[i] {
			ans, ext, gap = append(ans, a.answer), append(ext, a.exit), append(gap, a.exit-a.answer)
		}
		lo, med, hi := msStats(ans)
		row(l+": ask, process start -> answer printed", lo, med, hi)
		lo, med, hi = msStats(ext)
		row(l+": ask, process start -> exit", lo, med, hi)
		lo, med, hi = msStats(gap)
		row(l+": ask, answer printed -> exit", lo, med, hi)
		lo, med, hi = msStats(versions[i])
		row(l+": `rtchat version`, process start -> exit", lo, med, hi)
		lo, med, hi = stats(inits[i])
		row(l+": package initialisation (inittrace sum)", lo, med, hi)
	}
	lo, med, hi := msStats(hellos)
	row("Go hello-world, process start -> exit", lo, med, hi)
	for i, l := range labels {
		all, sig := taps[i].bytes(t)
		fmt.Fprintf(&sb, "| %-62s | %7s | %7.0f | %7s |\n", l+": bytes on the topic per ask (all payloads)", "", float64(all)/float64(runs), "")
		fmt.Fprintf(&sb, "| %-62s | %7s | %7.0f | %7s |\n", l+": of which offer + answer", "", float64(sig)/float64(runs), "")
	}
	if len(bins) == 2 {
		var a, e []float64
		for r := range asks[0] {
			a = append(a, float64(asks[0][r].answer)/float64(asks[1][r].answer))
			e = append(e, float64(asks[0][r].exit)/float64(asks[1][r].exit))
		}
		lo, med, hi := stats(a)
		fmt.Fprintf(&sb, "| %-62s | %7.2f | %7.2f | %7.2f |\n", "ratio this/previous: start -> answer (per run)", lo, med, hi)
		lo, med, hi = stats(e)
		fmt.Fprintf(&sb, "| %-62s | %7.2f | %7.2f | %7.2f |\n", "ratio this/previous: start -> exit (per run)", lo, med, hi)
	}
	for i, l := range labels {
		type pkg struct {
			name string
			ms   float64
		}
		var ps []pkg
		for p, v := range perPkg[i] {
			_, med, _ := stats(v)
			ps = append(ps, pkg{p, med})
		}
		slices.SortFunc(ps, func(a, b pkg) int {
			switch {
			case a.ms > b.ms:
				return -1
			case a.ms < b.ms:
				return 1
			}
			return strings.Compare(a.name, b.name)
		})
		fmt.Fprintf(&sb, "\n%s: the slowest package initialisations (median ms of %d processes):", l, runs)
		for _, p := range ps[:min(12, len(ps))] {
			fmt.Fprintf(&sb, " %s %.2f;", p.name, p.ms)
		}
		fmt.Fprintln(&sb)
	}
	fmt.Println(sb.String())
}
