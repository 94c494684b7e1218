package iceconf_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rtchat/rtchat/rtc/iceconf/icetest"
)

// syncBuffer is a bytes.Buffer that pion's goroutines may log into concurrently.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// The congestion control reaches the SCTP associations of real peer connections (pion
// webrtc hands them the setting engine's logger factory, which carries the choice; a pion
// update that stopped doing so would silently bring Reno back), and RTCHAT_SCTP_CC=reno
// keeps pion's.
func TestPairCongestionControl(t *testing.T) {
	for _, tc := range []struct {
		env      string
		tolerant bool
	}{{"", true}, {"reno", false}} {
		t.Run("RTCHAT_SCTP_CC="+tc.env, func(t *testing.T) {
			t.Setenv("RTCHAT_SCTP_CC", tc.env)
			var logs syncBuffer
			log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug - 4}))
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			p, err := icetest.NewPair(ctx, log, "cc")
			if err != nil {
				t.Fatal(err)
			}
			if err := p.Close(); err != nil {
				t.Errorf("close: %v", err)
			}
			got := strings.Count(logs.String(), "congestion control: loss-tolerant")
			if tc.tolerant && got != 2 {
				t.Errorf("%d associations said they use the loss-tolerant control, want both", got)
			}
			if !tc.tolerant && got != 0 {
				t.Errorf("%d associations use the loss-tolerant control with RTCHAT_SCTP_CC=reno", got)
			}
		})
	}
}

// RTCHAT_SCTP_PACING=1 reaches the SCTP associations of real peer connections through the
// same logger factory, and without it they do not pace.
func TestPairPacing(t *testing.T) {
	for _, tc := range []struct {
		env  string
		want int
	}{{"", 0}, {"1", 2}} {
		t.Run("RTCHAT_SCTP_PACING="+tc.env, func(t *testing.T) {
			t.Setenv("RTCHAT_SCTP_PACING", tc.env)
			var logs syncBuffer
			log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug - 4}))
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			p, err := icetest.NewPair(ctx, log, "pacing")
			if err != nil {
				t.Fatal(err)
			}
			if err := p.Close(); err != nil {
				t.Errorf("close: %v", err)
			}
			if got := strings.Count(logs.String(), "pacing on"); got != tc.want {
				t.Errorf("%d associations pace, want %d", got, tc.want)
			}
		})
	}
}
