// SPDX-FileCopyrightText: 2026 The Pion community <https://pion.ly>
// SPDX-License-Identifier: MIT

package sctp

import (
	"math"
	"time"
)

// CongestionControl selects how an association's congestion window reacts to loss.
type CongestionControl int

const (
	// CongestionControlReno is RFC 9260's: the window halves on every loss episode and
	// grows by one MTU per round trip in congestion avoidance (the default).
	CongestionControlReno CongestionControl = iota

	// CongestionControlLossTolerant tells random loss from congestion by the delay that
	// came with it. A loss while the path has no standing queue (the smallest RTT of
	// the last round trips is within a few milliseconds of the path's minimum) is
	// repaired without shrinking the window: on a lossy link (Wi-Fi, mobile) halving on
	// every random loss caps a connection at the Reno rate 1.22·MSS/(RTT·√p), 0.4 MB/s
	// at 50 ms and 0.5 % loss. A loss with a queue behind it is congestion: the window
	// shrinks by CUBIC's factor 0.7 and grows back along CUBIC's curve (RFC 9438, with
	// its Reno-friendly region), so beside a TCP flow through a full bottleneck the
	// association backs off like one.
	CongestionControlLossTolerant
)

// congestionControlChooser lets a LoggerFactory pick the congestion control for the
// associations it logs for. It is a stand-in for a setting of pion/webrtc's
// SettingEngine, which builds the association's options itself and passes the logger
// factory through; an explicit WithCongestionControl wins.
type congestionControlChooser interface {
	SCTPCongestionControl() CongestionControl
}

// WithCongestionControl sets the association's congestion control.
func WithCongestionControl(cc CongestionControl) AssociationOption {
	return sharedOption(func(c *Config) error {
		if cc < CongestionControlReno || cc > CongestionControlLossTolerant {
			return errInvalidCongestionControl
		}
		c.CongestionControl = cc
		c.congestionControlSet = true

		return nil
	})
}

const (
	// A loss counts as congestion when the recent RTT exceeds the path's minimum by
	// more than minRTT/8, but at least ccQueueDelayFloor (timer and scheduling jitter of
	// a loaded host) and at most ccQueueDelayCeil.
	ccQueueDelayFloor = 5 * time.Millisecond
	ccQueueDelayCeil  = 25 * time.Millisecond

	cubicBeta = 0.7 // RFC 9438 β_cubic
	cubicC    = 0.4 // RFC 9438 C, in packets per second³
)

// lossTolerantState is the per-association state of CongestionControlLossTolerant.
type lossTolerantState struct {
	// the smallest RTT sample of the current and of the previous round trip
	roundStart   time.Time
	roundMin     time.Duration
	prevRoundMin time.Duration

	// recovering from a loss that was not treated as congestion: the window may grow
	randomRecovery bool

	// CUBIC epoch (RFC 9438 section 4): the window before the last congestion event, in
	// bytes, and when congestion avoidance started after it
	wMax       float64
	epochStart time.Time
	wEst       float64 // the Reno-friendly estimate, bytes

	flightBefore uint32  // bytes in flight before the SACK being processed
	growth       float64 // congestion avoidance growth not yet added to cwnd, bytes
}

func (a *Association) lossTolerant() bool {
	return a.congestionControl == CongestionControlLossTolerant
}

// ccOnRTTSample records the RTT of the newest chunk a SACK delivered.
// The caller should hold the lock.
func (a *Association) ccOnRTTSample(now time.Time, rtt time.Duration) {
	s := &a.lt
	round := max(time.Duration(a.SRTT()*float64(time.Millisecond)), time.Millisecond)
	if s.roundStart.IsZero() || now.Sub(s.roundStart) >= round {
		s.prevRoundMin = s.roundMin
		s.roundMin = rtt
		s.roundStart = now

		return
	}
	if rtt < s.roundMin {
		s.roundMin = rtt
	}
}

// ccQueueDelay is how far the recent RTT lies above the path's minimum, and the
// threshold above which a loss counts as congestion.
// The caller should hold the lock.
func (a *Association) ccQueueDelay(now time.Time) (queue, threshold time.Duration, ok bool) {
	s := &a.lt
	base := a.rack.rackMinRTTWnd.Min(now)
	recent := s.roundMin
	if s.prevRoundMin > 0 && (recent == 0 || s.prevRoundMin < recent) {
		recent = s.prevRoundMin
	}
	if base <= 0 || recent <= 0 {
		return 0, 0, false
	}
	threshold = min(max(base/8, ccQueueDelayFloor), ccQueueDelayCeil)

	return recent - base, threshold, true
}

// ccLossIsCongestion tells whether a newly detected loss comes with a standing queue.
// Without RTT samples yet it counts as congestion.
// The caller should hold the lock.
func (a *Association) ccLossIsCongestion(now time.Time) bool {
	queue, threshold, ok := a.ccQueueDelay(now)

	return !ok || queue > threshold
}

// ccOnLoss is the reaction to a loss episode entering fast recovery, for the
// loss-tolerant control.
// The caller should hold the lock.
func (a *Association) ccOnLoss(now time.Time) {
	s := &a.lt
	if !a.ccLossIsCongestion(now) {
		s.randomRecovery = true
		a.log.Tracef("[%s] loss without a queue: cwnd=%d kept", a.name, a.CWND())

		return
	}
	s.randomRecovery = false
	cwnd := float64(a.CWND())
	// RFC 9438 4.7 fast convergence: a flow whose window shrank since its last
	// congestion event gives up more, leaving room for newer flows.
	if cwnd < s.wMax {
		s.wMax = cwnd * (1 + cubicBeta) / 2
	} else {
		s.wMax = cwnd
	}
	a.ssthresh = max32(uint32(cwnd*cubicBeta), 4*a.MTU())
	a.setCWND(a.ssthresh)
	s.epochStart = time.Time{}
	a.log.Tracef("[%s] congestion: cwnd=%d wmax=%.0f", a.name, a.CWND(), s.wMax)
}

// ccOnTimeout adjusts ssthresh on a T3-rtx timeout (the window then restarts at one MTU
// as RFC 9260 requires): a timeout without a standing queue, typically a lost
// retransmission on a lossy link, lets slow start return to the window it had.
// The caller should hold the lock.
func (a *Association) ccOnTimeout(now time.Time) {
	s := &a.lt
	cwnd := a.CWND()
	if a.ccLossIsCongestion(now) {
		s.wMax = float64(cwnd)
		a.ssthresh = max32(uint32(float64(cwnd)*cubicBeta), 4*a.MTU())
	} else {
		a.ssthresh = max32(cwnd, 4*a.MTU())
	}
	s.randomRecovery = false
	s.epochStart = time.Time{}
}

// ccMayGrow tells whether the window may grow on this SACK: it must have been filled
// (RFC 9260 7.2.1: "only if the current congestion window is being fully utilized"),
// otherwise a window limited by the receiver or the application grows without bound
// and means nothing when congestion comes.
// The caller should hold the lock.
func (a *Association) ccMayGrow() bool {
	return a.lt.flightBefore+a.MTU() >= a.CWND()
}

// ccCongestionAvoidance grows the window along CUBIC's curve, or at least as fast as
// Reno with CUBIC's factor would (RFC 9438 4.2 and 4.3), on a SACK that acknowledged
// bytesAcked new bytes.
// The caller should hold the lock.
func (a *Association) ccCongestionAvoidance(now time.Time, bytesAcked uint32) {
	s := &a.lt
	mtu := float64(a.MTU())
	cwnd := float64(a.CWND())
	if s.epochStart.IsZero() {
		s.epochStart = now
		s.wEst = cwnd
		if s.wMax < cwnd {
			s.wMax = cwnd
		}
	}
	minRTT := a.rack.rackMinRTTWnd.Min(now)
	if minRTT <= 0 {
		minRTT = time.Duration(a.SRTT() * float64(time.Millisecond))
	}
	// K: when the curve returns to wMax, in seconds (window in packets).
	wMaxPkts := s.wMax / mtu
	k := math.Cbrt(wMaxPkts * (1 - cubicBeta) / cubicC)
	t := now.Sub(s.epochStart).Seconds() + minRTT.Seconds()
	target := (cubicC*math.Pow(t-k, 3) + wMaxPkts) * mtu
	// Reno-friendly estimate: 3(1-β)/(1+β) MTU per window acknowledged.
	s.wEst += 3 * (1 - cubicBeta) / (1 + cubicBeta) * mtu * float64(bytesAcked) / cwnd
	target = max(target, s.wEst)
	// At most 1.5× per round trip (RFC 9438 4.2).
	target = min(target, 1.5*cwnd)
	if target <= cwnd {
		return
	}
	s.growth += (target - cwnd) * float64(bytesAcked) / cwnd
	if s.growth >= 1 {
		inc := uint32(s.growth)
		s.growth -= float64(inc)
		a.setCWND(a.CWND() + inc)
	}
}

// ccEndRecovery is called when fast recovery ends.
func (a *Association) ccEndRecovery() {
	a.lt.randomRecovery = false
}
