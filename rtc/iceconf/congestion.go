package iceconf

import (
	"os"

	"github.com/pion/sctp"
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

// Developer knob for measurements, not for users:
//
//	RTCHAT_SCTP_PACING=1  pace new SCTP DATA (default: off)
//
// Pacing (rtchat's patched pion/sctp, pacing.go) spreads the window over the round trip
// instead of sending it as fast as acknowledgements allow. It was meant to keep bursts
// from overflowing a TURN server's small relay socket (coturn's hold 64 KiB), but in the
// lab it did not reduce coturn's drops nor raise the rate through it, and cost some CPU:
// off until a measurement says otherwise (docs/benchmarks.md, "Pacing through TURN").
const envSCTPPacing = "RTCHAT_SCTP_PACING"

// pacing reports whether SCTP senders pace: only with RTCHAT_SCTP_PACING=1.
func pacing() bool { return os.Getenv(envSCTPPacing) == "1" }

// congestionControl is the SCTP congestion control rtchat uses: RTCHAT_SCTP_CC, else the
// loss-tolerant one.
func congestionControl() sctp.CongestionControl {
	if os.Getenv(envSCTPCC) == "reno" {
		return sctp.CongestionControlReno
	}
	return sctp.CongestionControlLossTolerant
}
