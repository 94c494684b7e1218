package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestFleetBench: `ask --all` to a fleet of listeners, each its own pinned identity, on one
// embedded broker (--ice loopback): for each size (RTCHAT_BENCH_PEERS, default 25,50,100)
// RTCHAT_BENCH_RUNS (default 3) fresh `rtchat ask --all --json` processes, timed from
// process start to exit (every answer is printed by then), with the answers counted and
// the asker's CPU seconds and peak RSS. The listeners stay up and grow from one size to
// the next. With RTCHAT_BENCH_PREV_BIN an older build asks too, interleaved, against the
// same listeners. A benchmark: run it with scripts/bench-fleet.sh (RTCHAT_BENCH=1).
func TestFleetBench(t *testing.T) {
	if os.Getenv("RTCHAT_BENCH") != "1" {
		t.Skip("benchmark: set RTCHAT_BENCH=1 (or run scripts/bench-fleet.sh)")
	}
	sizes := []int{25, 50, 100}
	if v := os.Getenv("RTCHAT_BENCH_PEERS"); v != "" {
		sizes = nil
		for _, f := range strings.Split(v, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n < 1 || (len(sizes) > 0 && n <= sizes[len(sizes)-1]) {
				t.Fatalf("RTCHAT_BENCH_PEERS=%q: want growing numbers ≥ 1", v)
			}
			sizes = append(sizes, n)
		}
	}
	runs := 3
	if v := os.Getenv("RTCHAT_BENCH_RUNS"); v != "" {
		var err error
		if runs, err = strconv.Atoi(v); err != nil || runs < 1 {
			t.Fatalf("RTCHAT_BENCH_RUNS=%q", v)
		}
	}
	bins, labels := []string{rtchatBin}, []string{"this tree"}
	if prev := os.Getenv("RTCHAT_BENCH_PREV_BIN"); prev != "" {
		bins, labels = append(bins, prev), append(labels, "previous tree")
	}
	w := newWorldDeadline(t, 60*time.Minute)
	names := []string{"asker"}
	for i := range sizes[len(sizes)-1] {
		names = append(names, fmt.Sprintf("l%03d", i))
	}
	start := time.Now()
	fleetIdentities(t, w, names[0], names[1:])
	t.Logf("%d identities made and pinned in %v", len(names), time.Since(start).Round(time.Millisecond))
	up := 0
	for _, n := range sizes {
		start := time.Now()
		var wg sync.WaitGroup
		for _, name := range names[1+up : 1+n] {
			wg.Add(1)
			go func() { defer wg.Done(); w.listening(name, "--exec", "echo 42") }()
		}
		wg.Wait()
		t.Logf("listeners %d..%d up in %v", up+1, n, time.Since(start).Round(time.Millisecond))
		up = n
		for r := 0; r < runs; r++ {
			for k := range bins {
				i := (r + k) % len(bins)
				a := fleetAsk(t, w, bins[i])
				t.Logf("RESULT listeners=%d tree=%q run=%d answered=%d/%d wall=%.2fs cpu=%.2fs maxrss=%.0fMiB load=%s",
					n, labels[i], r+1, a.answered, n, a.wall.Seconds(), a.cpu, a.maxRSS, loadavg())
			}
		}
	}
}

type fleetResult struct {
	answered int
	wall     time.Duration
	cpu      float64 // seconds
	maxRSS   float64 // MiB
}

func fleetAsk(t *testing.T, w *world, bin string) fleetResult {
	t.Helper()
	cmd := exec.CommandContext(w.ctx, bin, "ask", "--all", "--json", "--timeout", "120s", "x")
	cmd.Env = w.env("asker")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	r := fleetResult{wall: time.Since(start)}
	if err != nil {
		t.Logf("%s ask --all: %v; stderr: %s", bin, err, errb.String())
	}
	why := map[string]int{}
	for _, o := range of(ndjson(t, "ask --all", out.String()), "result", "") {
		if o["ok"] == true && o["answer"] == "42" {
			r.answered++
		} else if e, _ := o["error"].(string); e != "" {
			// The reason without the peer's name, so that failures group.
			why[regexp.MustCompile(`l\d{3}(\([0-9a-f]+\))?`).ReplaceAllString(e, "NAME")]++
		}
	}
	for e, n := range why {
		t.Logf("%d × %s", n, e)
	}
	if ps := cmd.ProcessState; ps != nil {
		r.cpu = (ps.UserTime() + ps.SystemTime()).Seconds()
		if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
			r.maxRSS = float64(ru.Maxrss) / 1024
		}
	}
	return r
}

func loadavg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	return strings.Join(strings.Fields(string(b))[:min(3, len(strings.Fields(string(b))))], "/")
}

// fleetIdentities makes an identity for the asker and every listener; the asker pins every
// listener and each listener only the asker (listeners pinned to each other would also
// connect to each other: a room, not a fleet).
func fleetIdentities(t *testing.T, w *world, asker string, listeners []string) {
	t.Helper()
	all := append([]string{asker}, listeners...)
	ids := make([]string, len(all))
	errs := make([]string, len(all))
	run := func(i int, name string, stdin string, args ...string) {
		out, stderr, code := w.run(name, strings.NewReader(stdin), args...)
		if code != 0 {
			errs[i] = fmt.Sprintf("%v as %s: exit %d: %s", args, name, code, stderr)
		}
		if args[1] == "gen" {
			ids[i] = strings.TrimSpace(out)
		}
	}
	var wg sync.WaitGroup
	for i, name := range all {
		wg.Add(1)
		go func() { defer wg.Done(); run(i, name, "", "keys", "gen", "--name", name) }()
	}
	wg.Wait()
	for i, name := range all {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i == 0 {
				run(i, name, strings.Join(ids[1:], "\n")+"\n", "keys", "register", "-")
			} else {
				run(i, name, ids[0]+"\n", "keys", "register", "-")
			}
		}()
	}
	wg.Wait()
	for _, e := range errs {
		if e != "" {
			t.Fatal(e)
		}
	}
}
