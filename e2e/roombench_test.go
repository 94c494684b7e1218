package e2e

import (
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
)

// TestRoomMeshBench: n real rtchat processes ('rtchat connect --json', the room) start at
// once on one embedded broker; reports the time until every one has joined every other
// (n·(n-1)/2 connections), the MQTT payload bytes and messages published on the room's
// topic until then (counted by a subscriber of its own; bytes per peer), the time until a
// line from one reached all others once the room settled, the RSS of each process, and the
// CPU seconds each used until the mesh was full (and their sum per connection). A benchmark: run it with
// scripts/bench-room.sh (RTCHAT_BENCH=1; RTCHAT_BENCH_PEERS=5,10,20 by default).
func TestRoomMeshBench(t *testing.T) {
	if os.Getenv("RTCHAT_BENCH") != "1" {
		t.Skip("benchmark: set RTCHAT_BENCH=1 (or run scripts/bench-room.sh)")
	}
	sizes := []int{5, 10, 20}
	if v := os.Getenv("RTCHAT_BENCH_PEERS"); v != "" {
		sizes = nil
		for _, f := range strings.Split(v, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n < 2 {
				t.Fatalf("RTCHAT_BENCH_PEERS=%q: want numbers ≥ 2", v)
			}
			sizes = append(sizes, n)
		}
	}
	runs := 1
	if v := os.Getenv("RTCHAT_BENCH_RUNS"); v != "" {
		var err error
		if runs, err = strconv.Atoi(v); err != nil || runs < 1 {
			t.Fatalf("RTCHAT_BENCH_RUNS=%q", v)
		}
	}
	for _, n := range sizes {
		for run := 1; run <= runs; run++ {
			t.Run(fmt.Sprintf("peers=%d/run=%d", n, run), func(t *testing.T) { benchRoomMesh(t, n) })
		}
	}
}

// roomCounter counts what is published on the room's topic.
type roomCounter struct {
	msgs, bytes atomic.Int64
}

func benchRoomMesh(t *testing.T, n int) {
	w := newWorldDeadline(t, 5*time.Minute)
	names := roomNames(n)
	roomIdentities(t, w, names)

	var count roomCounter
	opts := mqtt.NewClientOptions().AddBroker("tcp://" + w.tcpAddr).SetClientID(fmt.Sprintf("bench-counter-%d", time.Now().UnixNano()))
	c := mqtt.NewClient(opts)
	if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("counter: connect: %v", tok.Error())
	}
	t.Cleanup(func() { c.Disconnect(0) })
	if tok := c.Subscribe("mrtchat/chat/#", 0, func(_ mqtt.Client, m mqtt.Message) {
		count.msgs.Add(1)
		count.bytes.Add(int64(len(m.Payload())))
	}); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("counter: subscribe: %v", tok.Error())
	}

	start := time.Now()
	procs := startRooms(t, w, names)
	for _, p := range procs {
		p.waitJoined(t, w.ctx, n-1)
	}
	mesh := time.Since(start)
	msgs, bytes := count.msgs.Load(), count.bytes.Load()
	var cpu []float64
	cpuSum := 0.0
	for _, p := range procs {
		s := roomCPUSeconds(t, p.cmd.Process.Pid)
		cpu, cpuSum = append(cpu, s), cpuSum+s
	}
	sort.Float64s(cpu)

	// The first line piped in waits out --settle (lines piped at once would reach nobody):
	// time the second.
	procs[0].say(t, "first")
	for _, p := range procs[1:] {
		p.waitMessage(t, w.ctx, names[0], "chat", "first")
	}
	start = time.Now()
	procs[0].say(t, "hello everyone")
	for _, p := range procs[1:] {
		p.waitMessage(t, w.ctx, names[0], "chat", "hello everyone")
	}
	fanout := time.Since(start)

	var rss []float64
	for _, p := range procs {
		rss = append(rss, float64(procRSS(t, p.cmd.Process.Pid))/(1<<20))
	}
	sort.Float64s(rss)
	t.Logf("RESULT peers=%d connections=%d mesh=%.2fs mqtt_msgs=%d mqtt_bytes_per_peer=%.0f line_to_all=%dms rss_MiB min/med/max=%.1f/%.1f/%.1f cpu_s_to_mesh min/med/max=%.2f/%.2f/%.2f cpu_ms_per_connection=%.0f load=%s",
		n, n*(n-1)/2, mesh.Seconds(), msgs, float64(bytes)/float64(n), fanout.Milliseconds(), rss[0], rss[len(rss)/2], rss[len(rss)-1],
		cpu[0], cpu[len(cpu)/2], cpu[len(cpu)-1], 1000*cpuSum/float64(n*(n-1)/2), loadavg())

	stopRooms(t, w, procs)
}

// procRSS is a process's resident set in bytes (VmRSS of /proc/PID/status).
func procRSS(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[0] == "VmRSS:" {
			kb, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil {
				t.Fatalf("VmRSS %q: %v", line, err)
			}
			return kb << 10
		}
	}
	t.Fatalf("no VmRSS in /proc/%d/status", pid)
	return 0
}
