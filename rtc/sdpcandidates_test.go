package rtc

import (
	"slices"
	"testing"
)

// TestSDPCandidates: the -v log of an ICE restart names each candidate by type, address
// and transport (a stale address in it explains a restart that never connects).
func TestSDPCandidates(t *testing.T) {
	sdp := "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n" +
		"m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\n" +
		"a=candidate:1 1 udp 2130706431 192.168.1.10 51334 typ host\r\n" +
		"a=candidate:2 1 UDP 1694498815 203.0.113.6 57125 typ srflx raddr 0.0.0.0 rport 57125\r\n" +
		"a=candidate:short\r\n" +
		"a=end-of-candidates\r\n"
	got := sdpCandidates(sdp)
	want := []string{"host 192.168.1.10:51334 udp", "srflx 203.0.113.6:57125 udp", "short"}
	if !slices.Equal(got, want) {
		t.Fatalf("sdpCandidates = %q, want %q", got, want)
	}
}
