package iceconf

import (
	"testing"

	"github.com/pion/logging"
	"github.com/pion/sctp"
	"github.com/pion/webrtc/v4"
)

// The setting engine's logger factory tells the patched pion/turn to send permissions
// without waiting (RTCHAT_TURN_PERMISSION_WAIT=1: wait, as pion did), and still tells
// pion/sctp its congestion control.
func TestTURNPermissionsChoice(t *testing.T) {
	for _, tc := range []struct {
		env    string
		noWait bool
	}{
		{"", true},
		{"0", true},
		{"1", false},
	} {
		t.Setenv(envTURNPermissionWait, tc.env)
		se := webrtc.SettingEngine{LoggerFactory: logging.NewDefaultLoggerFactory()}
		choosePatches(&se)
		turn, ok := se.LoggerFactory.(interface{ TURNPermissionsWithoutWait() bool })
		if !ok {
			t.Fatalf("%s=%q: the logger factory does not choose how TURN permissions are asked", envTURNPermissionWait, tc.env)
		}
		if got := turn.TURNPermissionsWithoutWait(); got != tc.noWait {
			t.Errorf("%s=%q: without wait %v, want %v", envTURNPermissionWait, tc.env, got, tc.noWait)
		}
		if _, ok := se.LoggerFactory.(interface {
			SCTPCongestionControl() sctp.CongestionControl
		}); !ok {
			t.Errorf("%s=%q: the congestion control's question got lost", envTURNPermissionWait, tc.env)
		}
		if se.LoggerFactory.NewLogger("turnc") == nil {
			t.Errorf("%s=%q: no logger", envTURNPermissionWait, tc.env)
		}
	}
}
