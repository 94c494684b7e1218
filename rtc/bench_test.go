package rtc

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/rtchat/rtchat/keys"
	"github.com/rtchat/rtchat/rtc/signal"
)

// Signaling and ask latency on loopback with the embedded broker (docs/benchmarks.md):
//
//	go test ./rtc/ -run '^$' -bench 'BenchmarkAsk' -benchtime 20x
//
// BenchmarkAskLatency: from rtc.Start of a RoleAsk client to the answer of a RoleListen
// client (Dial + Ask), in process; also the MQTT payload bytes each side publishes per
// connection, counted by a raw subscriber on the room topic.
// BenchmarkAskBinary: the same with the real binary: from the start of an `rtchat ask`
// process to its answer line on stdout.

func median(d []time.Duration) float64 {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	if len(s) == 0 {
		return 0
	}
	m := s[len(s)/2]
	if len(s)%2 == 0 {
		m = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return float64(m) / float64(time.Millisecond)
}

func benchListener(b *testing.B, url, room string, askerKey string) *testClient {
	bID := testIdentity(b, "bob", 1)
	return startClient(b, url, room, bID, clientOpts{role: RoleListen, pins: map[string]string{"alice": askerKey},
		onQuestion: func(context.Context, *Peer, string, json.RawMessage) (any, error) { return "42", nil }})
}

func BenchmarkAskLatency(b *testing.B) {
	_, url := startBroker(b)
	room := uniqueRoom(b)
	aID := testIdentity(b, "alice", 0)
	bob := benchListener(b, url, room, aID.PublicJWK)
	sub := subscribe(b, url, room)
	time.Sleep(700 * time.Millisecond) // the listener's first announce is out
	_, before := sub.payloads()
	store := keys.Open(b.TempDir())
	if _, err := store.Pin("bob", bob.id.PublicJWK, false); err != nil {
		b.Fatal(err)
	}
	var samples []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		start := time.Now()
		c, err := Start(ctx, Config{Broker: url, Room: room, Identity: aID, Store: store, Trust: TrustKnown,
			ICE: bob.cfg.ICE, Role: RoleAsk})
		if err != nil {
			b.Fatal(err)
		}
		p, err := c.Dial(ctx, "bob")
		if err != nil {
			b.Fatal(err)
		}
		ans, err := p.Ask(ctx, "question", "what is the answer?")
		if err != nil || string(ans) != `"42"` {
			b.Fatalf("answer %s, %v", ans, err)
		}
		samples = append(samples, time.Since(start))
		b.StopTimer()
		_ = c.Close(ctx)
		cancel()
		time.Sleep(50 * time.Millisecond) // let the listener see the connection go
		b.StartTimer()
	}
	b.StopTimer()
	time.Sleep(200 * time.Millisecond) // the last publications reach the subscriber
	_, raws := sub.payloads()
	var asker, listener int
	for _, raw := range raws[len(before):] {
		env, err := signal.Decode(raw)
		switch {
		case err != nil:
			b.Fatalf("undecodable payload %q", raw)
		case env.Sender == bob.Name():
			listener += len(raw)
		default:
			asker += len(raw)
		}
	}
	b.ReportMetric(median(samples), "ms-median")
	b.ReportMetric(float64(asker)/float64(len(samples)), "asker-B/conn")
	b.ReportMetric(float64(listener)/float64(len(samples)), "listener-B/conn")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkAskBinary builds cmd/rtchat into a temp dir and times `rtchat ask` processes
// against an in-process listener.
func BenchmarkAskBinary(b *testing.B) {
	bin := filepath.Join(b.TempDir(), "rtchat")
	build := exec.Command("go", "build", "-o", bin, "../cmd/rtchat")
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	_, url := startBroker(b)
	room := uniqueRoom(b)
	aID := testIdentity(b, "alice", 0)
	bob := benchListener(b, url, room, aID.PublicJWK)
	dir := b.TempDir()
	store := keys.Open(dir)
	if err := store.SaveIdentity(aID, false); err != nil {
		b.Fatal(err)
	}
	if _, err := store.Pin("bob", bob.id.PublicJWK, false); err != nil {
		b.Fatal(err)
	}
	time.Sleep(700 * time.Millisecond)
	var samples []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		cmd := exec.CommandContext(ctx, bin, "--config-dir", dir, "--broker", url, "--room", room,
			"--ice", "loopback", "--trust", "known", "ask", "bob", "what", "is", "the", "answer?")
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, "RTCHAT_") {
				cmd.Env = append(cmd.Env, kv)
			}
		}
		out, err := cmd.StdoutPipe()
		if err != nil {
			b.Fatal(err)
		}
		var stderr strings.Builder
		cmd.Stderr = &stderr
		start := time.Now()
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		line, err := bufio.NewReader(out).ReadString('\n')
		d := time.Since(start)
		if err != nil || strings.TrimSpace(line) != "42" {
			_ = cmd.Wait()
			b.Fatalf("rtchat ask printed %q (%v); stderr: %s", line, err, stderr.String())
		}
		samples = append(samples, d)
		b.StopTimer()
		if err := cmd.Wait(); err != nil {
			b.Fatalf("rtchat ask: %v; stderr: %s", err, stderr.String())
		}
		cancel()
		time.Sleep(50 * time.Millisecond)
		b.StartTimer()
	}
	b.StopTimer()
	b.ReportMetric(median(samples), "ms-median")
	b.ReportMetric(0, "ns/op")
	if testing.Verbose() {
		fmt.Fprintf(os.Stderr, "rtchat ask samples: %v\n", samples)
	}
}

// BenchmarkMesh: n processes that stay in the room (RoleRoom, all pinned to each other)
// join at once; reports the time until every one verified every other (n·(n-1)/2
// connections), the MQTT bytes each published, and the MQTT messages each received.
//
//	go test ./rtc -run '^$' -bench BenchmarkMesh -benchtime 1x
func BenchmarkMesh(b *testing.B) {
	for _, n := range []int{5, 10, 20} {
		b.Run(fmt.Sprintf("peers=%d", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				benchMesh(b, n)
			}
		})
	}
}

func benchMesh(b *testing.B, n int) {
	b.StopTimer()
	_, url := startBroker(b)
	room := uniqueRoom(b)
	sub := subscribe(b, url, room)
	names := make([]string, n)
	ids := map[string]string{}
	for i := range names {
		names[i] = fmt.Sprintf("p%02d", i)
		ids[names[i]] = testIdentity(b, names[i], i%3).PublicJWK
	}
	b.StartTimer()
	start := time.Now()
	var clients []*testClient
	for i, name := range names {
		pins := map[string]string{}
		for _, o := range names {
			if o != name {
				pins[o] = ids[o]
			}
		}
		clients = append(clients, startClient(b, url, room, testIdentity(b, name, i%3), clientOpts{role: RoleRoom, pins: pins}))
	}
	deadline := time.Now().Add(2 * time.Minute)
	for _, c := range clients {
		for len(c.Peers()) < n-1 {
			if time.Now().After(deadline) {
				b.Fatalf("%s verified %d of %d peers", c.Name(), len(c.Peers()), n-1)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	mesh := time.Since(start)
	b.StopTimer()
	time.Sleep(300 * time.Millisecond) // the last publications reach the subscriber
	envs, raws := sub.payloads()
	bytes := 0
	for _, r := range raws {
		bytes += len(r)
	}
	b.ReportMetric(mesh.Seconds(), "s-to-mesh")
	b.ReportMetric(float64(bytes)/float64(n), "MQTT-B-published/peer")
	b.ReportMetric(float64(len(envs)), "MQTT-msgs-in-room")
	b.ReportMetric(0, "ns/op")
	for _, c := range clients {
		_ = c.Close(ctxFor(b, 10*time.Second))
	}
}
