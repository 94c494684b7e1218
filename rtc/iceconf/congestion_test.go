package iceconf

import (
	"testing"

	"github.com/pion/logging"
	"github.com/pion/sctp"
	"github.com/pion/webrtc/v4"
)

// The setting engine's logger factory carries the congestion control to pion/sctp, and
// RTCHAT_SCTP_CC=reno returns to pion's own.
func TestCongestionControlChoice(t *testing.T) {
	for _, tc := range []struct {
		env  string
		want sctp.CongestionControl
	}{
		{"", sctp.CongestionControlLossTolerant},
		{"tolerant", sctp.CongestionControlLossTolerant},
		{"reno", sctp.CongestionControlReno},
	} {
		t.Setenv(envSCTPCC, tc.env)
		se := webrtc.SettingEngine{LoggerFactory: logging.NewDefaultLoggerFactory()}
		chooseCongestionControl(&se)
		chooser, ok := se.LoggerFactory.(interface {
			SCTPCongestionControl() sctp.CongestionControl
		})
		if !ok {
			t.Fatalf("%s=%q: the logger factory does not choose a congestion control", envSCTPCC, tc.env)
		}
		if got := chooser.SCTPCongestionControl(); got != tc.want {
			t.Errorf("%s=%q: congestion control %d, want %d", envSCTPCC, tc.env, got, tc.want)
		}
		if se.LoggerFactory.NewLogger("sctp") == nil {
			t.Errorf("%s=%q: no logger", envSCTPCC, tc.env)
		}
	}
}
