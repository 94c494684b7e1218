package iceconf

import (
	"os"
	"sync"
	"time"

	"github.com/pion/webrtc/v4"
)

// ICE connectivity checks while connecting. pion's agent checks every pair still in progress
// once per tick, every 200 ms: a first check that a NAT drops (the peer's NAT has no hole
// for it yet) waits a whole tick for the next one, 4 round trips on a 50 ms path. rtchat
// ticks every CheckInterval instead (pion/webrtc's SettingEngine has no setting for it:
// third_party/pion-webrtc adds SetICECheckInterval). Once connected, pion's keepalive
// interval applies unchanged.
//
// A pair fails after a number of unanswered checks (pion: 7, i.e. about 1.6 s at 200 ms);
// rtchat keeps that time, CheckBudget, whatever the interval, so a 200 ms path or a peer
// that starts checking late still succeeds: maxBindingRequests = CheckBudget ÷ interval.
//
// A check storm stays bounded: a tick sends one check per pair in progress, so a shorter
// interval multiplies the checks per second, not the checks of a pair (bounded by the
// time budget). A process that connects to many peers at once (a room of 100 joins 99
// connections) would multiply them by its connections: the connections that are connecting
// at the same time through one Config share the rate, each new one getting
// CheckInterval × ⌈connecting ÷ CheckFleet⌉ (at most pion's 200 ms). So the first
// CheckFleet connections check at 25 ms; a 99-peer join sends about twice the checks per
// second of pion's default, and only while connecting.
const (
	CheckInterval = 25 * time.Millisecond
	CheckBudget   = 1600 * time.Millisecond
	CheckFleet    = 8
	pionCheck     = 200 * time.Millisecond
)

// Developer knob (scripts/bench-net.sh variants): RTCHAT_ICE_CHECK=DURATION sets the check
// interval ("pion" for pion's 200 ms and 7 checks a pair).
const envICECheck = "RTCHAT_ICE_CHECK"

// checkPacer counts the connections of one Config that are still connecting.
type checkPacer struct {
	mu         sync.Mutex
	connecting int
}

// checkInterval is the interval for the (n+1)th connection connecting at the same time.
func checkInterval(base time.Duration, n int) time.Duration {
	d := base * time.Duration(1+n/CheckFleet)
	if d > pionCheck && base <= pionCheck {
		d = pionCheck
	}
	return d
}

// maxBindingRequests keeps a pair's checks going for CheckBudget at this interval.
func maxBindingRequests(interval time.Duration) uint16 {
	n := (CheckBudget + interval - 1) / interval
	if n < 7 {
		n = 7 // pion's default: never fewer
	}
	if n > 1000 {
		n = 1000
	}
	return uint16(n)
}

// start registers a connection that is about to connect and returns its check interval and
// a done func to call (idempotent) once it stops connecting.
func (p *checkPacer) start(base time.Duration) (time.Duration, func()) {
	if p == nil {
		return base, func() {}
	}
	p.mu.Lock()
	d := checkInterval(base, p.connecting)
	p.connecting++
	p.mu.Unlock()
	var once sync.Once
	return d, func() {
		once.Do(func() {
			p.mu.Lock()
			p.connecting--
			p.mu.Unlock()
		})
	}
}

// fastChecks sets the check interval and the checks per pair for a new connection. It
// returns the func that ends its turn as a connecting connection (nil when pion's defaults
// stay). Loopback keeps pion's: its host pairs answer the first check.
func (c Config) fastChecks(se *webrtc.SettingEngine) (time.Duration, func()) {
	base := CheckInterval
	switch v := os.Getenv(envICECheck); v {
	case "":
	case "pion":
		return 0, nil
	default:
		if d, err := time.ParseDuration(v); err == nil && d > 0 {
			base = d
		}
	}
	if c.Mode == ModeLoopback {
		return 0, nil
	}
	var pacer *checkPacer
	if c.shared != nil {
		pacer = &c.shared.pacer
	}
	d, done := pacer.start(base)
	se.SetICECheckInterval(d)
	se.SetICEMaxBindingRequests(maxBindingRequests(d))
	return d, done
}

// watchConnecting ends a connection's turn as connecting once ICE leaves new/checking.
func watchConnecting(pc *webrtc.PeerConnection, done func()) {
	pc.SCTP().Transport().ICETransport().OnConnectionStateChange(func(s webrtc.ICETransportState) {
		if s != webrtc.ICETransportStateNew && s != webrtc.ICETransportStateChecking {
			done()
		}
	})
}
