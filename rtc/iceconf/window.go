package iceconf

import (
	"os"
	"strconv"
	"time"

	"github.com/pion/webrtc/v4"
)

// SCTPWindow is the SCTP receive window rtchat advertises (pion's default is 1 MiB). A
// window caps throughput at window ÷ round trip: 1 MiB allows about 20 MB/s at 50 ms and
// 5 MB/s at 200 ms; TCP's autotuned window grows to several MiB on such paths.
// docs/benchmarks.md ("Across real networks") has the measurements.
//
// Memory: pion holds at most this much received-but-unread data per connection, and only
// when the reader is slower than the network or while a loss is being repaired; an
// idle or keeping-up connection holds little. The window is capped by the UDP socket buffer
// the kernel granted (Conn.RecvBuffer), since a window larger than the socket buffer
// only turns a burst into drops.
const SCTPWindow = 4 << 20

// Developer knobs for measurements (scripts/bench-net.sh), not for users:
//
//	RTCHAT_SCTP_RCVBUF=BYTES    the SCTP receive window (0: pion's default, 1 MiB)
//	RTCHAT_SCTP_CASTEP=BYTES    congestion avoidance: cwnd growth per round trip (pion: 1 MTU)
//	RTCHAT_SCTP_RTOMAX=DURATION the largest retransmission timeout (pion: 60 s)
//	RTCHAT_SCTP_MINCWND=BYTES   never shrink the congestion window below this
const (
	envSCTPWindow  = "RTCHAT_SCTP_RCVBUF"
	envSCTPCAStep  = "RTCHAT_SCTP_CASTEP"
	envSCTPRTOMax  = "RTCHAT_SCTP_RTOMAX"
	envSCTPMinCwnd = "RTCHAT_SCTP_MINCWND"
)

// sizeSCTPWindow sets the SCTP receive window and the developer knobs. grantedRcv is the
// SO_RCVBUF read back from the ICE socket (Linux reports twice the grant; 0: unknown). On
// loopback (one machine: no round trip to cover) pion's 1 MiB default stays.
func sizeSCTPWindow(se *webrtc.SettingEngine, mode string, grantedRcv int) (window uint32) {
	w := SCTPWindow
	if mode == ModeLoopback {
		w = 0
	} else if grantedRcv > 0 && grantedRcv/2 < w {
		w = max(grantedRcv/2, 1<<20)
	}
	if v, ok := envInt(envSCTPWindow); ok {
		w = v
	}
	if w > 0 {
		se.SetSCTPMaxReceiveBufferSize(uint32(w))
	}
	if v, ok := envInt(envSCTPCAStep); ok && v > 0 {
		se.SetSCTPCwndCAStep(uint32(v))
	}
	if v, ok := envInt(envSCTPMinCwnd); ok && v > 0 {
		se.SetSCTPMinCwnd(uint32(v))
	}
	if d, err := time.ParseDuration(os.Getenv(envSCTPRTOMax)); err == nil && d > 0 {
		se.SetSCTPRTOMax(d)
	}
	return uint32(max(w, 0))
}

func envInt(name string) (int, bool) {
	s := os.Getenv(name)
	if s == "" {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil && n >= 0
}
