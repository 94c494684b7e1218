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
		choosePatches(&se)
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

// Pacing is off unless RTCHAT_SCTP_PACING=1 (a measurement knob: it did not help through
// TURN, docs/benchmarks.md "Pacing through TURN"), and the same factory carries it.
func TestPacingChoice(t *testing.T) {
	for _, tc := range []struct {
		env  string
		want bool
	}{{"", false}, {"0", false}, {"1", true}} {
		t.Setenv(envSCTPPacing, tc.env)
		se := webrtc.SettingEngine{LoggerFactory: logging.NewDefaultLoggerFactory()}
		choosePatches(&se)
		chooser, ok := se.LoggerFactory.(interface{ SCTPPacing() bool })
		if !ok {
			t.Fatalf("%s=%q: the logger factory does not choose pacing", envSCTPPacing, tc.env)
		}
		if got := chooser.SCTPPacing(); got != tc.want {
			t.Errorf("%s=%q: pacing %v, want %v", envSCTPPacing, tc.env, got, tc.want)
		}
	}
}
