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
	// association backs off like one. Slow start starts at ten packets (RFC 6928),
	// grows on gap-acknowledged bytes too while a random loss is repaired, and ends by
	// HyStart++ (RFC 9406) when the RTT shows a queue, not only on loss.
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

	hystartMinSamples = 8 // RFC 9406 N_RTT_SAMPLE
	hystartCSSDivisor = 4 // RFC 9406 CSS_GROWTH_DIVISOR
	hystartCSSRounds  = 5 // RFC 9406 CSS_ROUNDS

	cubicBeta = 0.7 // RFC 9438 β_cubic
	cubicC    = 0.4 // RFC 9438 C, in packets per second³
)

// lossTolerantState is the per-association state of CongestionControlLossTolerant.
type lossTolerantState struct {
	// the smallest RTT sample of the current and of the previous round trip
	roundStart   time.Time
	roundMin     time.Duration
	roundSamples int
	prevRoundMin time.Duration
	rounds       int // round trips counted so far

	// HyStart++ conservative slow start (RFC 9406 4.3): entered when slow start saw a
	// queue; growth at a quarter; back to slow start if the RTT falls below cssBaseline
	// (the queue was a spike), on to congestion avoidance after hystartCSSRounds.
	css         bool
	cssBaseline time.Duration
	cssStart    int

	// recovering from a loss that was not treated as congestion: the window may grow
	randomRecovery bool
	// when the window was last reduced; losses of chunks sent before belong to that
	// episode (RFC 9260 7.2.3: one reduction per loss episode)
	lastReduction  time.Time
	recoveryLosses int // chunks found lost in that recovery

	// CUBIC epoch (RFC 9438 section 4): the window before the last congestion event, in
	// bytes, and when congestion avoidance started after it
	wMax       float64
	epochStart time.Time
	k          float64 // seconds from epochStart until the curve is back at wMax
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
		a.ccHyStartRoundEnd(now)
		s.prevRoundMin = s.roundMin
		s.roundMin = rtt
		s.roundStart = now
		s.roundSamples = 1
		s.rounds++

		return
	}
	s.roundSamples++
	if rtt < s.roundMin {
		s.roundMin = rtt
	}
}

// ccHyStartRoundEnd is HyStart++ (RFC 9406), evaluated at the end of each round trip
// of slow start: a round whose smallest RTT (from at least hystartMinSamples samples)
// lies above the path's minimum by more than the congestion threshold starts
// conservative slow start, instead of doubling until the bottleneck's buffer
// overflows (after a random loss that kept the window, that overflow would cost a
// burst of losses and a timeout); a later round below the RTT that started it ends
// it as a spike; hystartCSSRounds of it end slow start.
// The caller should hold the lock.
func (a *Association) ccHyStartRoundEnd(now time.Time) {
	s := &a.lt
	if a.CWND() >= a.ssthresh || s.roundSamples < hystartMinSamples {
		return
	}
	base := a.rack.rackMinRTTWnd.Min(now)
	if base <= 0 {
		return
	}
	threshold := min(max(base/8, ccQueueDelayFloor), ccQueueDelayCeil)
	switch {
	case !s.css && s.roundMin-base > threshold:
		s.css = true
		s.cssBaseline = s.roundMin
		s.cssStart = s.rounds
	case s.css && s.roundMin < s.cssBaseline:
		s.css = false
	case s.css && s.rounds-s.cssStart >= hystartCSSRounds:
		s.css = false
		a.ssthresh = a.CWND()
		s.wMax = float64(a.CWND())
		s.epochStart = time.Time{}
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
func (a *Association) ccOnLoss(now, sent time.Time) {
	s := &a.lt
	if sent.Before(s.lastReduction) {
		// Sent before the window was last reduced (by a timeout or congestion): the same
		// loss episode, whose reduction has been made.
		s.randomRecovery = false

		return
	}
	if !a.ccLossIsCongestion(now) {
		s.randomRecovery = true
		s.recoveryLosses = 1
		a.log.Tracef("[%s] loss without a queue: cwnd=%d kept", a.name, a.CWND())

		return
	}
	a.ccCongestion()
}

// ccOnFurtherLoss counts a chunk found lost during fast recovery. Random loss loses a
// chunk here and there; a recovery from a loss that looked random but loses more than
// max(4, 1/25 of the window) is an overflowing buffer (a shallow one, whose queue never
// showed in the RTT) and is treated as congestion after all.
// The caller should hold the lock.
func (a *Association) ccOnFurtherLoss(sent time.Time) {
	s := &a.lt
	if !s.randomRecovery || sent.Before(s.lastReduction) {
		return
	}
	s.recoveryLosses++
	if s.recoveryLosses > max(4, int(a.CWND()/a.MTU()/25)) {
		a.ccCongestion()
	}
}

// ccCongestion shrinks the window by CUBIC's factor and starts a new CUBIC epoch.
// The caller should hold the lock.
func (a *Association) ccCongestion() {
	s := &a.lt
	s.randomRecovery = false
	s.css = false
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
	s.lastReduction = time.Now()
	a.log.Tracef("[%s] congestion: cwnd=%d wmax=%.0f", a.name, a.CWND(), s.wMax)
}

// ccOnTimeout adjusts ssthresh on a T3-rtx timeout (the window then restarts at one MTU
// as RFC 9260 requires): CUBIC's 0.7 of the window, whatever the RTT said. A timeout
// is rare on a lossy link (a lost retransmission) but the rule after a slow start that
// overflowed a buffer, and the RTT samples are stale by then.
// The caller should hold the lock.
func (a *Association) ccOnTimeout() {
	s := &a.lt
	cwnd := a.CWND()
	s.wMax = float64(cwnd)
	a.ssthresh = max32(uint32(float64(cwnd)*cubicBeta), 4*a.MTU())
	s.lastReduction = time.Now()
	s.randomRecovery = false
	s.css = false
	s.epochStart = time.Time{}
}

// initialCWND is RFC 9260's initial window, or for the loss-tolerant control ten
// packets, as TCP (RFC 6928) and QUIC (RFC 9002) start.
func (a *Association) initialCWND() uint32 {
	if a.lossTolerant() {
		return 10 * a.MTU()
	}

	return min32(4*a.MTU(), max32(2*a.MTU(), 4380))
}

// ccMayGrow tells whether the window may grow on this SACK: it must have been used
// (RFC 9260 7.2.1: "only if the current congestion window is being fully utilized"; as
// Linux does, at least half of it), otherwise a window limited by the receiver or the
// application grows without bound and means nothing when congestion comes.
// The caller should hold the lock.
func (a *Association) ccMayGrow() bool {
	return 2*a.lt.flightBefore >= a.CWND()
}

// ccGrow grows the window on a SACK that acknowledged bytesAcked new bytes (by the
// cumulative ack or by gap blocks): slow start below ssthresh, CUBIC above. Not during
// the recovery from congestion, nor when the window was not used.
// The caller should hold the lock.
func (a *Association) ccGrow(bytesAcked int) {
	if bytesAcked <= 0 || (a.inFastRecovery && !a.lt.randomRecovery) ||
		a.pendingQueue.size() == 0 || !a.ccMayGrow() {
		return
	}
	acked := uint32(bytesAcked) //nolint:gosec // G115
	// Slow start while below ssthresh; at it (after a congestion event or HyStart's
	// exit) congestion avoidance.
	if a.CWND() < a.ssthresh {
		a.ccSlowStart(acked)

		return
	}
	a.ccCongestionAvoidance(time.Now(), acked)
}

// ccSlowStart grows the window in slow start, at a quarter of the rate in HyStart++'s
// conservative slow start.
// The caller should hold the lock.
func (a *Association) ccSlowStart(acked uint32) {
	s := &a.lt
	inc := min32(acked, a.CWND())
	if s.css {
		s.growth += float64(inc) / hystartCSSDivisor
		inc = uint32(s.growth)
		s.growth -= float64(inc)
	}
	a.setCWND(a.CWND() + inc)
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
		// K: when the curve returns to wMax, in seconds (windows in packets; RFC 9438 4.2)
		s.k = math.Cbrt((s.wMax - cwnd) / mtu / cubicC)
	}
	minRTT := a.rack.rackMinRTTWnd.Min(now)
	if minRTT <= 0 {
		minRTT = time.Duration(a.SRTT() * float64(time.Millisecond))
	}
	t := now.Sub(s.epochStart).Seconds() + minRTT.Seconds()
	target := (cubicC*math.Pow(t-s.k, 3) + s.wMax/mtu) * mtu
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
