// SPDX-FileCopyrightText: 2026 The Pion community <https://pion.ly>
// SPDX-License-Identifier: MIT

package sctp

import (
	"math"
	"sync"
	"time"
)

// Pacing spreads new DATA over the round trip instead of sending whatever the window
// allows at once. Without it a sender puts a whole window's growth (slow start) or a
// batch of acknowledged bytes (a late or compressed SACK) on the wire back to back, and
// a hop with a small socket buffer on the way (a TURN server's relay socket: coturn's
// hold 64 KiB) drops the tail of every such burst although the path's rate is far from
// reached. The rate is the window per smoothed RTT times a gain, as Linux's TCP paces
// (2 in slow start, 1.2 after, here 1.25); a burst of at most pacingQuantum at that rate
// (at least pacingMinBurst packets) may go at once, so a timer wakes the sender about
// once per quantum, not once per packet. Retransmissions and control chunks are not
// paced.
const (
	pacingQuantum       = 2 * time.Millisecond
	pacingMinBurst      = 4 // packets
	pacingGainSlowStart = 2.0
	pacingGainCA        = 1.25
)

// pacingChooser lets a LoggerFactory turn pacing on for the associations it logs for,
// like congestionControlChooser (a stand-in for a pion/webrtc SettingEngine setting);
// an explicit WithPacing wins.
type pacingChooser interface {
	SCTPPacing() bool
}

// WithPacing turns pacing of new DATA on or off (default off).
func WithPacing(enabled bool) AssociationOption {
	return sharedOption(func(c *Config) error {
		c.Pacing = enabled
		c.pacingSet = true

		return nil
	})
}

// pacerState is an association's token bucket. tokens and last are guarded by the
// association's lock; the timer by mu, since the association closes its timers
// without holding its lock.
type pacerState struct {
	tokens float64 // bytes that may go now; negative: sent ahead of the rate
	last   time.Time

	mu     sync.Mutex
	timer  *time.Timer
	armed  bool
	closed bool
}

// pacingRateLocked is the pacing rate in bytes per second; 0 means not paced (pacing
// off, or no RTT measured yet). The caller should hold the lock.
func (a *Association) pacingRateLocked() float64 {
	if !a.pacing {
		return 0
	}
	srtt := a.SRTT() // milliseconds
	if srtt <= 0 {
		return 0
	}
	gain := pacingGainCA
	if a.CWND() < a.ssthresh {
		gain = pacingGainSlowStart
	}

	return gain * float64(a.CWND()) / (srtt / 1000)
}

// pacingAllowLocked reports whether n more bytes of new data may be sent at now, and
// takes them from the bucket if so. If not, it arms the timer that wakes the write loop
// when half a burst has accumulated. The caller should hold the lock.
func (a *Association) pacingAllowLocked(now time.Time, n int) bool {
	rate := a.pacingRateLocked()
	if rate == 0 {
		return true
	}
	p := &a.pacer
	burst := math.Max(rate*pacingQuantum.Seconds(), pacingMinBurst*float64(a.MTU()))
	if p.last.IsZero() {
		p.tokens = burst
	} else if elapsed := now.Sub(p.last); elapsed > 0 {
		p.tokens = math.Min(burst, p.tokens+rate*elapsed.Seconds())
	}
	p.last = now
	if p.tokens > 0 {
		p.tokens -= float64(n)

		return true
	}
	a.armPacingTimer(time.Duration((burst/2 - p.tokens) / rate * float64(time.Second)))

	return false
}

func (a *Association) armPacingTimer(d time.Duration) {
	p := &a.pacer
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.armed || p.closed {
		return
	}
	p.armed = true
	if p.timer == nil {
		p.timer = time.AfterFunc(d, a.onPacingTimer)
	} else {
		p.timer.Reset(d)
	}
}

func (a *Association) onPacingTimer() {
	p := &a.pacer
	p.mu.Lock()
	p.armed = false
	p.mu.Unlock()
	a.awakeWriteLoop()
}

func (a *Association) stopPacingTimer() {
	p := &a.pacer
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	if p.timer != nil {
		p.timer.Stop()
	}
}
