package signal_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"go.uber.org/goleak"

	"github.com/rtchat/rtchat/internal/testbroker"
	"github.com/rtchat/rtchat/rtc/broker"
	"github.com/rtchat/rtchat/rtc/signal"
)

// noLeaks checks for leftover goroutines after every other cleanup of t has run. paho's
// reconnect loop sleeps its backoff (up to a few seconds) without a way to interrupt it,
// so the check waits, bounded, for such goroutines to end before it fails.
func noLeaks(t *testing.T) {
	t.Cleanup(func() {
		deadline := time.Now().Add(8 * time.Second)
		for goleak.Find() != nil && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		goleak.VerifyNone(t)
	})
}

func testCtx(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return ctx
}

func startBroker(t *testing.T, ctx context.Context, o broker.Options) *broker.Broker {
	t.Helper()
	b, err := broker.Start(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func dial(t *testing.T, ctx context.Context, url, topic string) *signal.Conn {
	t.Helper()
	// Generous: under -race on a loaded machine the broker's password hash alone took over
	// 5 s. The test's ctx still bounds it.
	c, err := signal.Dial(ctx, signal.Config{BrokerURL: url, Topic: topic, ConnectTimeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

func publish(t *testing.T, ctx context.Context, c *signal.Conn, sender, subtopic string, data any) []byte {
	t.Helper()
	p, err := signal.Encode(sender, subtopic, data, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Publish(ctx, p); err != nil {
		t.Fatal(err)
	}
	return p
}

// next returns the next envelope on c, failing on timeout or a closed channel.
func next(t *testing.T, ctx context.Context, c *signal.Conn) signal.Envelope {
	t.Helper()
	select {
	case p, ok := <-c.Messages():
		if !ok {
			t.Fatal("Messages closed")
		}
		env, err := signal.Decode(p)
		if err != nil {
			t.Fatalf("decode %q: %v", p, err)
		}
		return env
	case <-ctx.Done():
		t.Fatalf("no message: %v", context.Cause(ctx))
	}
	panic("unreachable")
}

func expect(t *testing.T, ctx context.Context, c *signal.Conn, sender, subtopic string) {
	t.Helper()
	env := next(t, ctx, c)
	if env.Sender != sender || env.Subtopic != subtopic {
		t.Fatalf("got %s/%s, want %s/%s", env.Sender, env.Subtopic, sender, subtopic)
	}
}

func waitEvent(t *testing.T, ctx context.Context, c *signal.Conn, connected bool) signal.Event {
	t.Helper()
	for {
		select {
		case e, ok := <-c.Events():
			if !ok {
				t.Fatal("Events closed")
			}
			if e.Connected == connected {
				return e
			}
		case <-ctx.Done():
			t.Fatalf("no Connected=%v event: %v", connected, context.Cause(ctx))
		}
	}
}

// exchange checks that a and b (on one topic) see each other's envelopes and their own.
func exchange(t *testing.T, ctx context.Context, a, b *signal.Conn) {
	t.Helper()
	publish(t, ctx, a, "alice", signal.SubConnect, map[string]string{"publicKeyString": "k"})
	expect(t, ctx, b, "alice", signal.SubConnect)
	expect(t, ctx, a, "alice", signal.SubConnect) // no no-local in MQTT 3.1.1: the core drops its own by sender
	publish(t, ctx, b, "bob", signal.SubOffer, map[string]string{"type": "offer", "sdp": "v=0"})
	expect(t, ctx, a, "bob", signal.SubOffer)
	expect(t, ctx, b, "bob", signal.SubOffer)
}

func TestExchangeTCPAndWebSocket(t *testing.T) {
	noLeaks(t)
	ctx := testCtx(t, 30*time.Second)
	br := startBroker(t, ctx, broker.Options{TCP: "127.0.0.1:0", WS: "127.0.0.1:0"})
	urls := br.URLs()
	topic, _ := signal.Topic("go-test")
	a := dial(t, ctx, urls[0], topic)
	b := dial(t, ctx, urls[1], topic)
	if !strings.HasPrefix(b.Broker(), "ws://") || !strings.HasSuffix(b.Broker(), "/mqtt") {
		t.Fatalf("ws broker %q", b.Broker())
	}
	exchange(t, ctx, a, b)

	// Another room's message never arrives: publish there, then a marker here from the same
	// connection; the marker is the next thing b sees.
	otherTopic, _ := signal.Topic("other")
	o := dial(t, ctx, urls[0], otherTopic)
	publish(t, ctx, o, "eve", signal.SubConnect, nil)
	expect(t, ctx, o, "eve", signal.SubConnect)
	oc := rawClient(t, ctx, urls[0])
	pub(t, oc, otherTopic, []byte(`{"sender":"eve","subtopic":"connect"}`))
	pub(t, oc, topic, []byte(`{"sender":"marker","subtopic":"connect"}`))
	expect(t, ctx, b, "marker", signal.SubConnect)
	expect(t, ctx, a, "marker", signal.SubConnect)

	// Oversize: the broker relays it (its cap is larger), the Conn drops it and counts.
	big := bytes.Repeat([]byte{' '}, signal.MaxPayload+1)
	big[0] = '{'
	pub(t, oc, topic, big)
	pub(t, oc, topic, []byte(`{"sender":"marker2","subtopic":"connect"}`))
	expect(t, ctx, b, "marker2", signal.SubConnect)
	if b.Dropped() != 1 {
		t.Fatalf("b dropped %d, want 1", b.Dropped())
	}
	if err := a.Publish(ctx, big); err == nil {
		t.Fatal("Publish accepted an oversize payload")
	}
}

// rawClient is a bare paho client, for publishing what signal.Conn would refuse to.
func rawClient(t *testing.T, ctx context.Context, url string) paho.Client {
	t.Helper()
	bu, err := signal.ParseBrokerURL(url)
	if err != nil {
		t.Fatal(err)
	}
	c := paho.NewClient(paho.NewClientOptions().AddBroker(bu.Server).SetClientID("rtchat-test-raw").SetAutoReconnect(false))
	tok := c.Connect()
	select {
	case <-tok.Done():
	case <-ctx.Done():
		t.Fatal("raw connect timed out")
	}
	if tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	t.Cleanup(func() { c.Disconnect(100) })
	return c
}

func pub(t *testing.T, c paho.Client, topic string, p []byte) {
	t.Helper()
	tok := c.Publish(topic, 0, false, p)
	if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("raw publish: %v", tok.Error())
	}
}

func TestParseBrokerURL(t *testing.T) {
	for _, tc := range []struct {
		in, server, user, pass string
		tls, ws                bool
	}{
		{in: "mqtt://127.0.0.1", server: "tcp://127.0.0.1:1883"},
		{in: "tcp://localhost:1884", server: "tcp://localhost:1884"},
		{in: "MQTT://Host.example/", server: "tcp://Host.example:1883"},
		{in: "mqtts://broker.emqx.io", server: "ssl://broker.emqx.io:8883", tls: true},
		{in: "ssl://broker.emqx.io:8883", server: "ssl://broker.emqx.io:8883", tls: true},
		{in: "tls://h:9999", server: "ssl://h:9999", tls: true},
		{in: "ws://h", server: "ws://h:80/mqtt", ws: true},
		{in: "ws://h:8083/", server: "ws://h:8083/mqtt", ws: true},
		{in: "ws://h:8083/custom/path?x=1", server: "ws://h:8083/custom/path?x=1", ws: true},
		{in: "wss://broker.emqx.io:8084/mqtt", server: "wss://broker.emqx.io:8084/mqtt", tls: true, ws: true},
		{in: "wss://broker.emqx.io", server: "wss://broker.emqx.io:443/mqtt", tls: true, ws: true},
		{in: "wss://public:public@public.cloud.shiftr.io", server: "wss://public.cloud.shiftr.io:443/mqtt", user: "public", pass: "public", tls: true, ws: true},
		{in: "mqtt://al%40ice:p%3Ass@[::1]:1883", server: "tcp://[::1]:1883", user: "al@ice", pass: "p:ss"},
		{in: "mqtt://bob@h", server: "tcp://h:1883", user: "bob"},
		{in: "  mqtt://h:1  ", server: "tcp://h:1"},
	} {
		b, err := signal.ParseBrokerURL(tc.in)
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		if b.Server != tc.server || b.Username != tc.user || b.Password != tc.pass || b.TLS != tc.tls || b.WebSocket != tc.ws || b.HasAuth != (tc.user != "") {
			t.Errorf("%q: got %+v", tc.in, b)
		}
		if strings.Contains(b.String(), "@") {
			t.Errorf("%q: String() leaks credentials: %s", tc.in, b)
		}
	}
	for in, want := range map[string]string{
		"":                           "empty",
		"localhost:1883":             "no scheme",
		"127.0.0.1:1883":             "no scheme",
		"http://h:80":                `unsupported scheme "http"`,
		"mqtt://":                    "no host",
		"mqtt://:1883":               "no host",
		"mqtt://h:0":                 "bad port",
		"mqtt://h:70000":             "bad port",
		"mqtt://h:abc":               "",
		"mqtt://h:":                  "empty port",
		"mqtt://h:1883/room":         "takes no path",
		"tcp://h?x=1":                "takes no query",
		"ws://h/mqtt#frag":           "fragment",
		"mqtt://:secret@h":           "empty user name",
		"wss://u:topsecret@h:bad/mq": "",
	} {
		_, err := signal.ParseBrokerURL(in)
		if err == nil {
			t.Errorf("%q: accepted", in)
			continue
		}
		msg := err.Error()
		if !errors.Is(err, signal.ErrBadBrokerURL) || !strings.Contains(msg, want) || !strings.Contains(msg, "wss://") {
			t.Errorf("%q: unclear error %q (want %q and the scheme list)", in, msg, want)
		}
		if strings.Contains(msg, "secret") {
			t.Errorf("%q: error leaks the password: %s", in, msg)
		}
	}
}

func TestDialClosedPort(t *testing.T) {
	noLeaks(t)
	ctx := testCtx(t, 20*time.Second)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	start := time.Now()
	_, err = signal.Dial(ctx, signal.Config{BrokerURL: "mqtt://" + addr, Topic: "mrtchat/x", ConnectTimeout: time.Second})
	took := time.Since(start)
	if err == nil {
		t.Fatal("Dial to a closed port succeeded")
	}
	if took > 3*time.Second {
		t.Fatalf("Dial took %v with a 1s timeout", took)
	}
	msg := err.Error()
	if !strings.Contains(msg, "tcp://"+addr) || !strings.Contains(msg, "refused") || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("unclear error: %v", err)
	}
	if _, err := signal.Dial(ctx, signal.Config{BrokerURL: "http://x", Topic: "mrtchat/x"}); !errors.Is(err, signal.ErrBadBrokerURL) {
		t.Fatalf("bad URL: %v", err)
	}
}

func TestReconnect(t *testing.T) {
	noLeaks(t)
	ctx := testCtx(t, 40*time.Second)
	br := startBroker(t, ctx, broker.Options{TCP: "127.0.0.1:0"})
	addr, url := br.TCPAddr(), br.URLs()[0]
	topic, _ := signal.Topic("reconnect")
	a := dial(t, ctx, url, topic)

	br.Close()
	lost := waitEvent(t, ctx, a, false)
	if lost.Err == nil {
		t.Fatal("lost event without error")
	}
	if err := a.Publish(ctx, []byte(`{"sender":"a","subtopic":"x"}`)); !errors.Is(err, signal.ErrNotConnected) {
		t.Fatalf("Publish while down: %v", err)
	}

	br2 := startBroker(t, ctx, broker.Options{TCP: addr})
	if br2.TCPAddr() != addr {
		t.Fatalf("new broker on %s, want %s", br2.TCPAddr(), addr)
	}
	waitEvent(t, ctx, a, true) // re-subscribed: a fresh broker knows nothing of a's subscription
	b := dial(t, ctx, url, topic)
	exchange(t, ctx, a, b)
}

func TestCloseWithDeliversFinalPayload(t *testing.T) {
	noLeaks(t)
	ctx := testCtx(t, 20*time.Second)
	br, err := broker.Start(ctx, broker.Options{TCP: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer br.Close()
	topic, _ := signal.Topic("close")
	url := br.URLs()[0]
	a, err := signal.Dial(ctx, signal.Config{BrokerURL: url, Topic: topic})
	if err != nil {
		t.Fatal(err)
	}
	b, err := signal.Dial(ctx, signal.Config{BrokerURL: url, Topic: topic})
	if err != nil {
		t.Fatal(err)
	}
	unload, _ := signal.Encode("alice", signal.SubUnload, "disconnecting", time.Now())
	if err := a.CloseWith(ctx, unload); err != nil {
		t.Fatal(err)
	}
	if _, ok := <-a.Messages(); ok {
		// a may have received its own unload before closing; the channel must then be closed.
		for range a.Messages() {
		}
	}
	if err := a.Publish(ctx, unload); !errors.Is(err, signal.ErrClosed) {
		t.Fatalf("Publish after Close: %v", err)
	}
	if err := a.Close(ctx); err != nil { // idempotent
		t.Fatal(err)
	}
	expect(t, ctx, b, "alice", signal.SubUnload)
	if err := b.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := <-b.Events(); ok {
		t.Fatal("Events not closed")
	}
	br.Close()
}

func TestMosquitto(t *testing.T) {
	noLeaks(t)
	ctx := testCtx(t, 30*time.Second)
	url, stop, err := testbroker.StartMosquitto(ctx, t.TempDir())
	if errors.Is(err, testbroker.ErrNoMosquitto) {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI is set and %v", err)
		}
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	topic, _ := signal.Topic("mosquitto")
	a := dial(t, ctx, url, topic)
	b := dial(t, ctx, url, topic)
	exchange(t, ctx, a, b)
}

// TestDialRefusedFailsFast: a broker that refuses is not retried for the whole timeout:
// wrong credentials at once, a closed port after a short retry; both wrap ErrRefused.
func TestDialRefusedFailsFast(t *testing.T) {
	ctx := testCtx(t, 60*time.Second)
	line, err := broker.HashPassword("alice", []byte("right"))
	if err != nil {
		t.Fatal(err)
	}
	users, err := broker.ParseUsers(strings.NewReader(line + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	br := startBroker(t, ctx, broker.Options{TCP: "127.0.0.1:0", Users: users})
	topic, _ := signal.Topic("refused")
	for name, url := range map[string]string{
		"bad password": "mqtt://alice:wrong@" + br.TCPAddr(),
		"closed port":  "mqtt://127.0.0.1:1",
	} {
		start := time.Now()
		_, err := signal.Dial(ctx, signal.Config{BrokerURL: url, Topic: topic, ConnectTimeout: 30 * time.Second})
		if !errors.Is(err, signal.ErrRefused) {
			t.Fatalf("%s: %v, want ErrRefused", name, err)
		}
		// Not a timing assertion on speed, only that it did not wait for the 30 s timeout.
		if errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("%s: waited for the timeout: %v", name, err)
		}
		t.Logf("%s: %v after %v", name, err, time.Since(start).Round(time.Millisecond))
	}
	dial(t, ctx, "mqtt://alice:right@"+br.TCPAddr(), topic) // the right password works
}

// freezer is a TCP proxy to the broker whose connections can go silent: after freeze,
// what they carry is dropped both ways and nothing is closed, as when the host's address
// changed under an established connection. Connections made later pass.
type freezer struct {
	ln     net.Listener
	mu     sync.Mutex
	conns  []net.Conn
	frozen []*atomic.Bool
	wg     sync.WaitGroup
}

func newFreezer(t *testing.T, upstream string) *freezer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &freezer{ln: ln}
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			u, err := net.Dial("tcp", upstream)
			if err != nil {
				c.Close()
				continue
			}
			frozen := new(atomic.Bool)
			f.mu.Lock()
			f.conns = append(f.conns, c, u)
			f.frozen = append(f.frozen, frozen)
			f.mu.Unlock()
			f.wg.Add(2)
			go f.pipe(u, c, frozen)
			go f.pipe(c, u, frozen)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		f.mu.Lock()
		for _, c := range f.conns {
			c.Close()
		}
		f.mu.Unlock()
		f.wg.Wait()
	})
	return f
}

func (f *freezer) pipe(dst, src net.Conn, frozen *atomic.Bool) {
	defer f.wg.Done()
	defer dst.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if err != nil {
			return
		}
		if frozen.Load() {
			continue
		}
		if _, err := dst.Write(buf[:n]); err != nil {
			return
		}
	}
}

// freeze silences every connection made so far.
func (f *freezer) freeze() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, fr := range f.frozen {
		fr.Store(true)
	}
}

// TestCheckDropsASilentConnection: a broker connection that went silent without an error
// (the host's address changed) is dropped by Check and made again at once, long before
// paho's keepalive (30 s, then 10 s for the ping) would notice; a live one passes Check.
func TestCheckDropsASilentConnection(t *testing.T) {
	noLeaks(t)
	ctx := testCtx(t, 30*time.Second)
	br := startBroker(t, ctx, broker.Options{TCP: "127.0.0.1:0"})
	px := newFreezer(t, br.TCPAddr())
	topic, _ := signal.Topic("check")
	a := dial(t, ctx, "tcp://"+px.ln.Addr().String(), topic)
	if err := a.Check(ctx, 2*time.Second); err != nil {
		t.Fatalf("Check of a live connection: %v", err)
	}

	px.freeze()
	start := time.Now()
	if err := a.Check(ctx, time.Second); err == nil {
		t.Fatal("Check of a silent connection passed")
	}
	// A lost event, and a new connection subscribed again. paho runs its lost and connect
	// handlers on goroutines of their own, so the two events may come in either order.
	var sawLost, sawBack bool
	for !sawLost || !sawBack {
		select {
		case e, ok := <-a.Events():
			if !ok {
				t.Fatal("Events closed")
			}
			if !e.Connected && e.Err == nil {
				t.Fatal("lost event without error")
			}
			sawLost = sawLost || !e.Connected
			sawBack = sawBack || e.Connected
		case <-ctx.Done():
			t.Fatalf("lost event seen: %v, reconnected event seen: %v: %v", sawLost, sawBack, context.Cause(ctx))
		}
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("back after %v: not Check's doing", d)
	}
	if err := a.Check(ctx, 2*time.Second); err != nil {
		t.Fatalf("Check after the reconnect: %v", err)
	}
	b := dial(t, ctx, br.URLs()[0], topic)
	exchange(t, ctx, a, b)
}
