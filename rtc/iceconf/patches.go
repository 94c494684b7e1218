package iceconf

import (
	"github.com/pion/logging"
	"github.com/pion/sctp"
	"github.com/pion/webrtc/v4"
)

// patchFactory carries rtchat's choices to its patched pion modules (third_party): the
// setting engine has no setting for them, but hands its LoggerFactory to every SCTP
// association and, through pion/ice, to every TURN client, and the patched modules ask
// the factory they were given.
type patchFactory struct {
	logging.LoggerFactory
	cc         sctp.CongestionControl
	pacing     bool
	turnNoWait bool
}

// SCTPCongestionControl is what the patched pion/sctp asks for (congestion.go).
func (f patchFactory) SCTPCongestionControl() sctp.CongestionControl { return f.cc }

// SCTPPacing is what the patched pion/sctp asks for to pace its sender (congestion.go).
func (f patchFactory) SCTPPacing() bool { return f.pacing }

// TURNPermissionsWithoutWait is what the patched pion/turn asks for (turn.go).
func (f patchFactory) TURNPermissionsWithoutWait() bool { return f.turnNoWait }

// choosePatches sets the setting engine's answers from the developer knobs.
func choosePatches(se *webrtc.SettingEngine) {
	se.LoggerFactory = patchFactory{
		LoggerFactory: se.LoggerFactory,
		cc:            congestionControl(),
		pacing:        pacing(),
		turnNoWait:    turnPermissionsWithoutWait(),
	}
}
