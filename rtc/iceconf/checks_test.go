package iceconf

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
)

func TestCheckIntervalPacing(t *testing.T) {
	for _, tc := range []struct {
		n    int
		want time.Duration
	}{{0, 25 * time.Millisecond}, {CheckFleet - 1, 25 * time.Millisecond}, {CheckFleet, 50 * time.Millisecond},
		{3 * CheckFleet, 100 * time.Millisecond}, {7 * CheckFleet, 200 * time.Millisecond}, {99, 200 * time.Millisecond}} {
		if got := checkInterval(CheckInterval, tc.n); got != tc.want {
			t.Errorf("checkInterval(25ms, %d connecting) = %v, want %v", tc.n, got, tc.want)
		}
	}
	// A developer's slower base (RTCHAT_ICE_CHECK) is not capped at pion's.
	if got := checkInterval(time.Second, 0); got != time.Second {
		t.Errorf("checkInterval(1s, 0) = %v", got)
	}
}

func TestMaxBindingRequestsKeepsBudget(t *testing.T) {
	for _, tc := range []struct {
		interval time.Duration
		want     uint16
	}{{25 * time.Millisecond, 64}, {50 * time.Millisecond, 32}, {200 * time.Millisecond, 8}, {time.Second, 7}, {time.Microsecond, 1000}} {
		if got := maxBindingRequests(tc.interval); got != tc.want {
			t.Errorf("maxBindingRequests(%v) = %d, want %d", tc.interval, got, tc.want)
		}
	}
}

func TestCheckPacerSharesRate(t *testing.T) {
	p := &checkPacer{}
	var dones []func()
	for i := range CheckFleet {
		d, done := p.start(CheckInterval)
		if d != CheckInterval {
			t.Fatalf("connection %d: %v, want %v", i+1, d, CheckInterval)
		}
		dones = append(dones, done)
	}
	d, done := p.start(CheckInterval)
	if d != 2*CheckInterval {
		t.Fatalf("connection %d connecting with %d others: %v, want %v", CheckFleet+1, CheckFleet, d, 2*CheckInterval)
	}
	done()
	done() // idempotent: Cleanup after the ICE state change
	for _, f := range dones {
		f()
	}
	if p.connecting != 0 {
		t.Fatalf("%d still connecting after all ended", p.connecting)
	}
	// A nil pacer (a Config literal) checks at the base interval.
	var none *checkPacer
	if d, _ := none.start(CheckInterval); d != CheckInterval {
		t.Fatalf("nil pacer: %v", d)
	}
}

func TestParseGivesPacer(t *testing.T) {
	for _, s := range []string{"", "none", "loopback", "stun:127.0.0.1:3478"} {
		c, err := Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		if c.shared == nil {
			t.Errorf("Parse(%q): no check pacer", s)
		}
	}
}

// A connection ends its turn in the pacer when ICE connects, not only at Cleanup: otherwise
// a process's long-lived connections would slow the checks of every later one.
func TestWatchConnectingEndsOnConnect(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg := Loopback()
	a, err := cfg.NewConn(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := cfg.NewConn(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	p := &checkPacer{}
	_, done := p.start(CheckInterval)
	ended := make(chan struct{})
	var once sync.Once
	watchConnecting(a.PC, func() { done(); once.Do(func() { close(ended) }) })

	if _, err := a.PC.CreateDataChannel("x", nil); err != nil {
		t.Fatal(err)
	}
	offer, err := a.PC.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered := webrtc.GatheringCompletePromise(a.PC)
	if err := a.PC.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	<-gathered
	if err := b.PC.SetRemoteDescription(*a.PC.LocalDescription()); err != nil {
		t.Fatal(err)
	}
	answer, err := b.PC.CreateAnswer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered = webrtc.GatheringCompletePromise(b.PC)
	if err := b.PC.SetLocalDescription(answer); err != nil {
		t.Fatal(err)
	}
	<-gathered
	if err := a.PC.SetRemoteDescription(*b.PC.LocalDescription()); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ended:
	case <-ctx.Done():
		t.Fatal("ICE connected but the connection still counts as connecting")
	}
	p.mu.Lock()
	n := p.connecting
	p.mu.Unlock()
	if n != 0 {
		t.Fatalf("connecting = %d after connect", n)
	}
}
