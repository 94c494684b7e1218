// SPDX-FileCopyrightText: 2026 The Pion community <https://pion.ly>
// SPDX-License-Identifier: MIT

package sctp

import (
	"math"
	"testing"
	"time"

	"github.com/pion/logging"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type ccChooserFactory struct {
	logging.LoggerFactory
	cc CongestionControl
}

func (f ccChooserFactory) SCTPCongestionControl() CongestionControl { return f.cc }

// newCCTestAssoc is an established association with 100 chunks in flight (TSN 100…199),
// a 100-MTU window, a 50 ms minimum RTT and a recent RTT of minRTT+queue.
func newCCTestAssoc(t *testing.T, cc CongestionControl, queue time.Duration) *Association {
	t.Helper()
	assoc := newRackTestAssoc(t)
	assoc.congestionControl = cc
	now := time.Now()
	for tsn := uint32(100); tsn < 200; tsn++ {
		c := mkChunk(tsn, now.Add(-10*time.Millisecond))
		c.userData = make([]byte, 1000)
		assoc.inflightQueue.pushNoCheck(c)
	}
	assoc.myNextTSN = 200
	assoc.setCWND(100 * assoc.MTU())
	assoc.ssthresh = 50 * assoc.MTU()
	assoc.rack.rackMinRTTWnd.Push(now.Add(-time.Second), 50*time.Millisecond)
	assoc.srtt.Store(float64(50))
	assoc.ccOnRTTSample(now.Add(-60*time.Millisecond), 50*time.Millisecond+queue)
	assoc.ccOnRTTSample(now, 50*time.Millisecond+queue)

	return assoc
}

// cumAckAdvanced is the growth on a SACK that moved the cumulative ack by n bytes, under
// the lock as in the association; the T3-rtx timer it starts is stopped again.
func cumAckAdvanced(assoc *Association, n int) {
	assoc.lock.Lock()
	defer assoc.lock.Unlock()
	assoc.onCumulativeTSNAckPointAdvanced(n)
	assoc.t3RTX.stop()
}

// loseFirst reports TSN 100 missing three times (TSN 101…110 arrive), the classic fast
// retransmit trigger.
func loseFirst(t *testing.T, assoc *Association) {
	t.Helper()
	assoc.lock.Lock()
	defer assoc.lock.Unlock()
	for tsn := uint32(101); tsn <= 110; tsn++ {
		assoc.inflightQueue.markAsAcked(tsn)
	}
	gaps := []gapAckBlock{{start: 2, end: 11}}
	for range 3 {
		require.NoError(t, assoc.processFastRetransmission(99, gaps, 110, false))
	}
	require.True(t, assoc.inFastRecovery)
	require.True(t, assoc.willRetransmitFast, "the lost chunk is retransmitted either way")
}

func TestRenoHalvesOnRandomLoss(t *testing.T) {
	assoc := newCCTestAssoc(t, CongestionControlReno, time.Millisecond)
	loseFirst(t, assoc)
	assert.Equal(t, 50*assoc.MTU(), assoc.CWND())
}

func TestLossTolerantKeepsWindowOnLossWithoutQueue(t *testing.T) {
	assoc := newCCTestAssoc(t, CongestionControlLossTolerant, time.Millisecond)
	loseFirst(t, assoc)
	assert.Equal(t, 100*assoc.MTU(), assoc.CWND())
	assert.True(t, assoc.lt.randomRecovery)
}

func TestLossTolerantShrinksBy07OnLossWithQueue(t *testing.T) {
	// 20 ms above a 50 ms minimum: more than the 6.25 ms threshold.
	assoc := newCCTestAssoc(t, CongestionControlLossTolerant, 20*time.Millisecond)
	loseFirst(t, assoc)
	assert.Equal(t, uint32(float64(100*assoc.MTU())*0.7), assoc.CWND())
	assert.Equal(t, assoc.CWND(), assoc.ssthresh)
	assert.False(t, assoc.lt.randomRecovery)
}

func TestLossTolerantWithoutRTTSamplesIsCongestion(t *testing.T) {
	assoc := newRackTestAssoc(t)
	assoc.congestionControl = CongestionControlLossTolerant
	assert.True(t, assoc.ccLossIsCongestion(time.Now()))
}

func TestLossTolerantQueueThreshold(t *testing.T) {
	for _, tc := range []struct {
		minRTT, want time.Duration
	}{
		{10 * time.Millisecond, ccQueueDelayFloor},
		{80 * time.Millisecond, 10 * time.Millisecond},
		{400 * time.Millisecond, ccQueueDelayCeil},
	} {
		assoc := newRackTestAssoc(t)
		now := time.Now()
		assoc.rack.rackMinRTTWnd.Push(now, tc.minRTT)
		assoc.ccOnRTTSample(now, tc.minRTT+3*time.Millisecond)
		queue, threshold, ok := assoc.ccQueueDelay(now)
		require.True(t, ok)
		assert.Equal(t, 3*time.Millisecond, queue)
		assert.Equal(t, tc.want, threshold, "min RTT %v", tc.minRTT)
	}
}

// The recent RTT is the smallest sample of the last two rounds: one delayed sample (a
// busy host) does not make a loss look like congestion.
func TestLossTolerantRecentRTTIsAMinimum(t *testing.T) {
	assoc := newCCTestAssoc(t, CongestionControlLossTolerant, time.Millisecond)
	assoc.ccOnRTTSample(time.Now(), 120*time.Millisecond)
	assert.False(t, assoc.ccLossIsCongestion(time.Now()))
	loseFirst(t, assoc)
	assert.Equal(t, 100*assoc.MTU(), assoc.CWND())
}

// A timeout restarts at one MTU with ssthresh at 0.7 of the window (Reno: half).
func TestLossTolerantTimeout(t *testing.T) {
	for _, queue := range []time.Duration{time.Millisecond, 30 * time.Millisecond} {
		assoc := newCCTestAssoc(t, CongestionControlLossTolerant, queue)
		assoc.onRetransmissionTimeout(timerT3RTX, 1)
		assert.Equal(t, assoc.MTU(), assoc.CWND())
		assert.Equal(t, uint32(float64(100*assoc.MTU())*0.7), assoc.ssthresh)
	}
	reno := newCCTestAssoc(t, CongestionControlReno, time.Millisecond)
	reno.onRetransmissionTimeout(timerT3RTX, 1)
	assert.Equal(t, 50*reno.MTU(), reno.ssthresh)
}

// A recovery that looked random but loses many chunks (a shallow buffer overflowing
// without a queue in the RTT) is congestion after all.
func TestLossTolerantBurstIsCongestion(t *testing.T) {
	assoc := newCCTestAssoc(t, CongestionControlLossTolerant, time.Millisecond)
	assoc.lock.Lock()
	// TSN 100…105 lost, 106…120 arrive.
	for tsn := uint32(106); tsn <= 120; tsn++ {
		assoc.inflightQueue.markAsAcked(tsn)
	}
	for range 3 {
		require.NoError(t, assoc.processFastRetransmission(99, []gapAckBlock{{start: 7, end: 21}}, 120, false))
	}
	assoc.lock.Unlock()
	assert.True(t, assoc.inFastRecovery)
	assert.False(t, assoc.lt.randomRecovery)
	assert.Equal(t, uint32(float64(100*assoc.MTU())*0.7), assoc.CWND(), "six losses in a 100-packet window")
}

// A window that the sender did not fill (receiver- or application-limited) does not grow.
func TestLossTolerantGrowsOnlyAFullWindow(t *testing.T) {
	assoc := newCCTestAssoc(t, CongestionControlLossTolerant, time.Millisecond)
	assoc.ssthresh = 1 << 30 // slow start
	assoc.pendingQueue.push(mkChunk(300, time.Now()))
	assoc.lt.flightBefore = 10 * assoc.MTU()
	cumAckAdvanced(assoc, 5000)
	assert.Equal(t, 100*assoc.MTU(), assoc.CWND())

	assoc.lt.flightBefore = 100 * assoc.MTU()
	cumAckAdvanced(assoc, 5000)
	assert.Equal(t, 100*assoc.MTU()+5000, assoc.CWND())
}

// After a random loss the window keeps growing during the recovery; after congestion it
// does not (RFC 9260 7.2.1).
func TestLossTolerantGrowthDuringRecovery(t *testing.T) {
	random := newCCTestAssoc(t, CongestionControlLossTolerant, time.Millisecond)
	random.ssthresh = 1 << 30
	loseFirst(t, random)
	random.pendingQueue.push(mkChunk(300, time.Now()))
	random.lt.flightBefore = random.CWND()
	cumAckAdvanced(random, 5000)
	assert.Equal(t, 100*random.MTU()+5000, random.CWND())

	congested := newCCTestAssoc(t, CongestionControlLossTolerant, 30*time.Millisecond)
	loseFirst(t, congested)
	congested.pendingQueue.push(mkChunk(300, time.Now()))
	congested.lt.flightBefore = congested.CWND()
	before := congested.CWND()
	cumAckAdvanced(congested, 5000)
	assert.Equal(t, before, congested.CWND())
}

// After congestion the window follows CUBIC: slow near the old maximum, back at it after
// K seconds, and faster beyond it.
func TestLossTolerantCubicRegrowth(t *testing.T) {
	assoc := newCCTestAssoc(t, CongestionControlLossTolerant, 30*time.Millisecond)
	loseFirst(t, assoc)
	assoc.inFastRecovery = false
	wMax := float64(100 * assoc.MTU())
	require.InDelta(t, wMax, assoc.lt.wMax, 1)

	now := time.Now()
	ackWindow := func() { // one window's worth of SACKs, 10 chunks each
		for acked := uint32(0); acked < assoc.CWND(); acked += 10 * 1200 {
			assoc.ccCongestionAvoidance(now, 10*1200)
		}
	}
	ackWindow()
	early := assoc.CWND()
	assert.Greater(t, early, uint32(0.7*wMax), "grows right after the decrease")
	assert.Less(t, float64(early), 0.8*wMax, "but not back to the old maximum at once")

	k := math.Cbrt(100 * 0.3 / 0.4) // s
	now = now.Add(time.Duration(k * float64(time.Second)))
	for range 3 {
		ackWindow()
	}
	assert.InDelta(t, wMax, float64(assoc.CWND()), 0.1*wMax, "back at the old maximum after K")

	now = now.Add(5 * time.Second)
	for range 10 {
		ackWindow()
	}
	// C·(t−K)³ = 0.4·5³ = 50 packets above the old maximum
	assert.InDelta(t, 1.5*wMax, float64(assoc.CWND()), 0.1*wMax, "probes beyond it")
}

func TestCongestionControlChoice(t *testing.T) {
	assoc := createTestAssociation(t, Config{})
	assert.Equal(t, CongestionControlReno, assoc.congestionControl, "default")

	lf := ccChooserFactory{LoggerFactory: logging.NewDefaultLoggerFactory(), cc: CongestionControlLossTolerant}
	assoc = createTestAssociation(t, Config{LoggerFactory: lf})
	assert.Equal(t, CongestionControlLossTolerant, assoc.congestionControl, "from the logger factory")

	assoc = createTestAssociationWithOptions(t, Config{LoggerFactory: lf}, WithCongestionControl(CongestionControlReno))
	assert.Equal(t, CongestionControlReno, assoc.congestionControl, "an explicit option wins")

	assoc = createTestAssociation(t, Config{CongestionControl: CongestionControlLossTolerant})
	assert.Equal(t, CongestionControlLossTolerant, assoc.congestionControl, "from Config")

	_, err := buildServerConfig(WithCongestionControl(CongestionControl(7)))
	assert.ErrorIs(t, err, errInvalidCongestionControl)
}

func TestLossTolerantInitialWindow(t *testing.T) {
	reno := createTestAssociation(t, Config{})
	assert.Equal(t, min32(4*reno.MTU(), max32(2*reno.MTU(), 4380)), reno.CWND())
	tolerant := createTestAssociation(t, Config{CongestionControl: CongestionControlLossTolerant})
	assert.Equal(t, 10*tolerant.MTU(), tolerant.CWND())
}

// While a random loss is repaired the cumulative ack stands still; the bytes that gap
// blocks acknowledge grow the window (Reno's does not grow until the hole is filled).
func TestLossTolerantGrowsOnGapAcks(t *testing.T) {
	for _, cc := range []CongestionControl{CongestionControlReno, CongestionControlLossTolerant} {
		assoc := newCCTestAssoc(t, cc, time.Millisecond)
		assoc.ssthresh = 1 << 30
		assoc.pendingQueue.push(mkChunk(300, time.Now()))
		before := assoc.CWND()
		assoc.lock.Lock()
		assoc.createStream(1, false) // the stream the chunks belong to
		// TSN 100 missing, 101…110 arrive.
		_, err := assoc.processAcknowledgement(&chunkSelectiveAck{
			cumulativeTSNAck:               99,
			advertisedReceiverWindowCredit: 1 << 20,
			gapAckBlocks:                   []gapAckBlock{{start: 2, end: 11}},
		})
		assoc.lock.Unlock()
		require.NoError(t, err)
		if cc == CongestionControlReno {
			assert.Equal(t, before, assoc.CWND())
		} else {
			assert.Equal(t, before+10*1000, assoc.CWND())
		}
	}
}

// feedRound gives the association n RTT samples spread over one round trip of 50 ms,
// the smallest being rtt, and starts the next round.
func feedRound(assoc *Association, start time.Time, rtt time.Duration, n int) time.Time {
	for i := range n {
		assoc.ccOnRTTSample(start.Add(time.Duration(i)*time.Millisecond), rtt+time.Duration(i)*time.Microsecond)
	}

	return start.Add(50 * time.Millisecond)
}

// HyStart++: a round with a queue (RTT 50 → 70 ms) makes slow start conservative (a
// quarter of the growth); five such rounds end it; a round back below the RTT that
// started it was a spike and resumes slow start.
func TestLossTolerantHyStart(t *testing.T) {
	assoc := newCCTestAssoc(t, CongestionControlLossTolerant, 0)
	assoc.ssthresh = 1 << 30
	assoc.pendingQueue.push(mkChunk(300, time.Now()))
	assoc.lt.flightBefore = assoc.CWND()
	now := time.Now().Add(time.Second)
	now = feedRound(assoc, now, 50*time.Millisecond, 10)
	now = feedRound(assoc, now, 70*time.Millisecond, 10)
	assoc.ccOnRTTSample(now, 70*time.Millisecond) // the round ends
	require.True(t, assoc.lt.css, "a queue of 20 ms enters conservative slow start")

	before := assoc.CWND()
	assoc.ccGrow(4000)
	assert.Equal(t, before+1000, assoc.CWND(), "a quarter of slow start's growth")

	// A spike: the next round is back at 50 ms.
	now = feedRound(assoc, now.Add(50*time.Millisecond), 50*time.Millisecond, 10)
	assoc.ccOnRTTSample(now, 50*time.Millisecond)
	require.False(t, assoc.lt.css, "back below the RTT that started it: slow start again")

	// A lasting queue.
	for range 2 + hystartCSSRounds {
		now = feedRound(assoc, now, 70*time.Millisecond, 10)
	}
	assoc.ccOnRTTSample(now, 70*time.Millisecond)
	assert.False(t, assoc.lt.css)
	assert.Equal(t, assoc.CWND(), assoc.ssthresh, "slow start ended at the window it had")

	// A round with too few samples decides nothing.
	other := newCCTestAssoc(t, CongestionControlLossTolerant, 0)
	other.ssthresh = 1 << 30
	now = feedRound(other, time.Now().Add(time.Second), 70*time.Millisecond, 3)
	other.ccOnRTTSample(now, 70*time.Millisecond)
	assert.False(t, other.lt.css)
}

// Losses of chunks sent before the last reduction (a timeout here) belong to that loss
// episode: no second reduction, which after a timeout would leave ssthresh at four
// packets and congestion avoidance crawling from there.
func TestLossTolerantOneReductionPerEpisode(t *testing.T) {
	assoc := newCCTestAssoc(t, CongestionControlLossTolerant, 30*time.Millisecond)
	assoc.onRetransmissionTimeout(timerT3RTX, 1)
	ssthresh := assoc.ssthresh
	require.Equal(t, uint32(float64(100*assoc.MTU())*0.7), ssthresh)
	for tsn := uint32(100); tsn < 200; tsn++ { // sent before the timeout, not retransmitted yet
		c, ok := assoc.inflightQueue.get(tsn)
		require.True(t, ok)
		c.retransmit = false
	}
	loseFirst(t, assoc)
	assert.Equal(t, ssthresh, assoc.ssthresh, "the chunks were sent before the timeout")
	assert.Equal(t, assoc.MTU(), assoc.CWND())

	// A chunk sent after the reduction that is lost again is a new episode.
	fresh := newCCTestAssoc(t, CongestionControlLossTolerant, 30*time.Millisecond)
	fresh.lt.lastReduction = time.Now().Add(-time.Second)
	loseFirst(t, fresh)
	assert.Equal(t, uint32(float64(100*fresh.MTU())*0.7), fresh.CWND())
}
