// SPDX-FileCopyrightText: 2026 The Pion community <https://pion.ly>
// SPDX-License-Identifier: MIT

package sctp

import (
	"testing"
	"time"

	"github.com/pion/logging"
	"github.com/stretchr/testify/assert"
)

type pacingChooserFactory struct {
	logging.LoggerFactory
	pacing bool
}

func (f pacingChooserFactory) SCTPPacing() bool { return f.pacing }

// newPacingTestAssoc is an established association with a 100-MTU window in congestion
// avoidance, a 50 ms smoothed RTT and n one-MTU messages pending.
func newPacingTestAssoc(t *testing.T, pacing bool, n int) *Association {
	t.Helper()
	assoc, peer := newTLRAssociationForTest(t)
	t.Cleanup(func() { shutdownTLRAssociationForTest(assoc, peer) })
	assoc.pacing = pacing
	assoc.setCWND(100 * assoc.MTU())
	assoc.ssthresh = 50 * assoc.MTU()
	assoc.setRWND(1 << 30)
	assoc.srtt.Store(float64(50))
	pushPendingFullPacketChunks(t, assoc, n)

	return assoc
}

// popBytes is what one pass of the write loop takes from the pending queue.
func popBytes(assoc *Association) int {
	assoc.lock.Lock()
	defer assoc.lock.Unlock()
	chunks, _ := assoc.popPendingDataChunksToSend(nil, nil)
	n := 0
	for _, c := range chunks {
		n += len(c.userData)
	}

	return n
}

// assertWholeWindow checks that one pass sent the whole window.
func assertWholeWindow(t *testing.T, assoc *Association, msg string) {
	t.Helper()
	payload := int(maxPayloadSizeForMTU(assoc.MTU(), false))
	n := popBytes(assoc)
	assert.LessOrEqual(t, n, int(assoc.CWND()), msg)
	assert.Greater(t, n, int(assoc.CWND())-payload, msg)
}

func TestPacingOffSendsTheWindow(t *testing.T) {
	assertWholeWindow(t, newPacingTestAssoc(t, false, 200), "without pacing the whole window goes at once")
}

// With pacing a pass sends one burst (2 ms at 1.25 × cwnd/srtt: 5 MTU of a 100-MTU window
// at 50 ms), not the window; the timer wakes the write loop for the next.
func TestPacingSendsABurstAndArmsTheTimer(t *testing.T) {
	assoc := newPacingTestAssoc(t, true, 200)
	payload := int(maxPayloadSizeForMTU(assoc.MTU(), false))
	first := popBytes(assoc)
	assert.GreaterOrEqual(t, first, 4*payload)
	assert.LessOrEqual(t, first, 7*payload, "one burst, not the 100-MTU window")
	assert.Equal(t, 0, popBytes(assoc), "nothing more before the bucket refills")

	select {
	case <-assoc.awakeWriteLoopCh:
	case <-time.After(5 * time.Second):
		t.Fatal("the pacing timer did not wake the write loop")
	}
	assert.Greater(t, popBytes(assoc), 0, "the next burst after the wake")
}

// The rate is the window per RTT: over a simulated round trip the bucket lets through
// about 1.25 windows in congestion avoidance and 2 in slow start.
func TestPacingRate(t *testing.T) {
	for _, tc := range []struct {
		name     string
		ssthresh uint32
		gain     float64
	}{{"congestion avoidance", 50, pacingGainCA}, {"slow start", 1000, pacingGainSlowStart}} {
		t.Run(tc.name, func(t *testing.T) {
			assoc := newPacingTestAssoc(t, true, 0)
			assoc.ssthresh = tc.ssthresh * assoc.MTU()
			assoc.lock.Lock()
			defer assoc.lock.Unlock()
			start := time.Now()
			sent := 0
			for ms := 0; ms < 50; ms++ { // one 50 ms round trip in 1 ms steps
				now := start.Add(time.Duration(ms) * time.Millisecond)
				for assoc.pacingAllowLocked(now, int(assoc.MTU())) {
					sent += int(assoc.MTU())
				}
			}
			want := tc.gain * float64(assoc.CWND())
			assert.InDelta(t, want, float64(sent), 0.1*want)
		})
	}
}

func TestPacingNeedsAnRTT(t *testing.T) {
	assoc := newPacingTestAssoc(t, true, 200)
	assoc.srtt.Store(float64(0))
	assertWholeWindow(t, assoc, "before the first RTT sample the window is not paced")
}

func TestPacingChoice(t *testing.T) {
	assoc := createTestAssociation(t, Config{})
	assert.False(t, assoc.pacing, "default")

	lf := pacingChooserFactory{LoggerFactory: logging.NewDefaultLoggerFactory(), pacing: true}
	assoc = createTestAssociation(t, Config{LoggerFactory: lf})
	assert.True(t, assoc.pacing, "from the logger factory")

	assoc = createTestAssociationWithOptions(t, Config{LoggerFactory: lf}, WithPacing(false))
	assert.False(t, assoc.pacing, "an explicit option wins")

	assoc = createTestAssociationWithOptions(t, Config{}, WithPacing(true))
	assert.True(t, assoc.pacing, "the option")
}
