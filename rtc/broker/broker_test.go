package broker

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestStartPortZeroAndClose(t *testing.T) {
	defer goleak.VerifyNone(t)
	ctx := testCtx(t)
	b, err := Start(ctx, Options{TCP: "127.0.0.1:0", WS: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	tcp, ws := b.TCPAddr(), b.WSAddr()
	if strings.HasSuffix(tcp, ":0") || strings.HasSuffix(ws, ":0") || tcp == "" || ws == "" {
		t.Fatalf("addresses not resolved: tcp %q ws %q", tcp, ws)
	}
	urls := b.URLs()
	if len(urls) != 2 || urls[0] != "mqtt://"+tcp || urls[1] != "ws://"+ws+"/mqtt" {
		t.Fatalf("URLs = %q", urls)
	}

	// A connection that never says CONNECT must not keep Close waiting.
	d := net.Dialer{Timeout: 5 * time.Second}
	idle, err := d.DialContext(ctx, "tcp", tcp)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()

	// A plain HTTP GET on the WebSocket port gets a hint, not a hang.
	req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+ws+"/mqtt", nil)
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUpgradeRequired || !strings.Contains(string(body), "WebSocket") {
		t.Fatalf("GET: %d %q", resp.StatusCode, body)
	}

	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil { // idempotent
		t.Fatal(err)
	}
	// The idle connection was closed by the broker.
	_ = idle.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := idle.Read(make([]byte, 1)); err == nil {
		t.Fatal("idle connection still open after Close")
	}
	if _, err := d.DialContext(ctx, "tcp", tcp); err == nil {
		t.Fatal("TCP port still accepting after Close")
	}
}

func TestStartPortInUse(t *testing.T) {
	ctx := testCtx(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	addr := ln.Addr().String()
	for _, o := range []Options{{TCP: addr}, {TCP: "127.0.0.1:0", WS: addr}} {
		b, err := Start(ctx, o)
		if err == nil {
			b.Close()
			t.Fatalf("Start(%+v) succeeded on a used port", o)
		}
		msg := err.Error()
		if !strings.Contains(msg, addr) || !strings.Contains(msg, "already uses that port") {
			t.Fatalf("unclear error: %v", err)
		}
	}
}

func TestStartNoListener(t *testing.T) {
	if _, err := Start(testCtx(t), Options{}); err == nil {
		t.Fatal("Start without listeners succeeded")
	}
}

func TestIsWildcard(t *testing.T) {
	for in, want := range map[string]bool{
		"0.0.0.0:1883": true, "[::]:1883": true, ":1883": true,
		"127.0.0.1:1883": false, "192.168.1.2:1883": false, "bad": false,
	} {
		if got := IsWildcard(in); got != want {
			t.Errorf("IsWildcard(%q) = %v", in, got)
		}
	}
}
