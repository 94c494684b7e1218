package iceconf

import (
	"os"

	"github.com/pion/logging"
	"github.com/pion/sctp"
	"github.com/pion/webrtc/v4"
)

// Developer knob for measurements (scripts/bench-net.sh), not for users:
//
//	RTCHAT_SCTP_CC=reno|tolerant  SCTP congestion control (default: tolerant)
//
// "tolerant" is the loss-tolerant control of rtchat's patched pion/sctp
// (third_party/pion-sctp, README.rtchat.md): a loss without a standing queue keeps the
// window, a loss with one shrinks it by CUBIC's 0.7 and CUBIC grows it back; slow start
// ends on a queue (HyStart++). "reno" is pion's: the window halves on every loss.
// docs/benchmarks.md ("Loss-tolerant SCTP") has the measurements. The control is the
// sender's alone; nothing on the wire changes, so any peer (a browser) interoperates.
const envSCTPCC = "RTCHAT_SCTP_CC"

// ccFactory passes the congestion control to pion/sctp: webrtc's SettingEngine has no
// setting for it but hands its LoggerFactory to every association, and the patched sctp
// asks the factory.
type ccFactory struct {
	logging.LoggerFactory
	cc sctp.CongestionControl
}

// SCTPCongestionControl is what the patched pion/sctp asks a LoggerFactory for.
func (f ccFactory) SCTPCongestionControl() sctp.CongestionControl { return f.cc }

// congestionControl is the SCTP congestion control rtchat uses: RTCHAT_SCTP_CC, else the
// loss-tolerant one.
func congestionControl() sctp.CongestionControl {
	if os.Getenv(envSCTPCC) == "reno" {
		return sctp.CongestionControlReno
	}
	return sctp.CongestionControlLossTolerant
}

// chooseCongestionControl sets the SCTP congestion control of the setting engine's
// associations.
func chooseCongestionControl(se *webrtc.SettingEngine) {
	se.LoggerFactory = ccFactory{LoggerFactory: se.LoggerFactory, cc: congestionControl()}
}
