package iceconf

import (
	"os"

	"github.com/pion/logging"
	"github.com/pion/sctp"
	"github.com/pion/webrtc/v4"
)

// Developer knob for measurements (scripts/bench-net.sh), not for users:
//
//	RTCHAT_SCTP_CC=reno|tolerant  SCTP congestion control (default: reno, pion's)
//
// "tolerant" is the loss-tolerant control of rtchat's patched pion/sctp
// (third_party/pion-sctp): a loss without a standing queue keeps the window, a loss
// with one shrinks it by CUBIC's 0.7 and CUBIC grows it back. docs/benchmarks.md
// ("Loss-tolerant SCTP") has the measurements.
const envSCTPCC = "RTCHAT_SCTP_CC"

// ccFactory passes the congestion control to pion/sctp: webrtc's SettingEngine has no
// setting for it but hands its LoggerFactory to every association, and the patched
// sctp asks the factory (sctp's congestionControlChooser).
type ccFactory struct {
	logging.LoggerFactory
	cc sctp.CongestionControl
}

func (f ccFactory) SCTPCongestionControl() sctp.CongestionControl { return f.cc }

// chooseCongestionControl applies RTCHAT_SCTP_CC to the setting engine.
func chooseCongestionControl(se *webrtc.SettingEngine) {
	if os.Getenv(envSCTPCC) == "tolerant" {
		se.LoggerFactory = ccFactory{LoggerFactory: se.LoggerFactory, cc: sctp.CongestionControlLossTolerant}
	}
}
