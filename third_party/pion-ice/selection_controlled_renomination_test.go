// SPDX-FileCopyrightText: 2023 The Pion community <https://pion.ly>
// SPDX-License-Identifier: MIT

package ice

import (
	"net"
	"testing"

	"github.com/pion/logging"
	"github.com/stretchr/testify/require"
)

// controlledAgentWithTwoPairs is a controlled agent whose first pair is selected and whose
// second pair has never been checked (its first checks were lost, say).
func controlledAgentWithTwoPairs(t *testing.T, automatic bool) (*Agent, *CandidatePair) {
	t.Helper()
	agent := bareAgentForPing()
	agent.log = logging.NewDefaultLoggerFactory().NewLogger("test")
	agent.remoteUfrag = selectionTestRemoteUfrag
	agent.localUfrag = selectionTestLocalUfrag
	agent.remotePwd = selectionTestPassword
	agent.tieBreaker = 1
	agent.isControlling.Store(false)
	agent.onConnected = make(chan struct{})
	agent.enableRenomination = automatic
	agent.automaticRenomination = automatic
	agent.setSelector()

	cand := func(ip string, port int) *pingNoIOCand {
		c := newPingNoIOCand()
		c.candidateBase.networkType = NetworkTypeUDP4
		c.candidateBase.setResolvedAddr(&net.UDPAddr{IP: net.ParseIP(ip), Port: port})

		return c
	}
	remote := cand("192.168.1.2", 20000)
	selected := agent.addPair(cand("10.0.0.1", 30000), remote)
	selected.state = CandidatePairStateSucceeded
	other := agent.addPair(cand("192.168.1.1", 10000), remote)
	agent.setSelectedPair(selected)

	return agent, other
}

// With automatic renomination the controlled agent keeps checking the pairs it has not
// selected, so that a NAT in front of it that filters by address lets the controlling
// agent's checks of those pairs in (rtchat's patch; pion/ice checked only the selected
// pair's keepalive once a pair was selected, and the controlling agent could never
// renominate a direct pair whose first checks had been lost).
func TestControlledSelectorChecksOtherPairsForRenomination(t *testing.T) {
	agent, other := controlledAgentWithTwoPairs(t, true)
	agent.getSelector().ContactCandidates()
	require.Equal(t, CandidatePairStateInProgress, other.state)
	require.Equal(t, uint64(1), other.RequestsSent(), "the unselected pair was not checked")
}

// Without automatic renomination nothing changes: only the selected pair's keepalive.
func TestControlledSelectorWithoutRenominationChecksOnlySelected(t *testing.T) {
	agent, other := controlledAgentWithTwoPairs(t, false)
	agent.getSelector().ContactCandidates()
	require.Equal(t, CandidatePairStateWaiting, other.state)
	require.Zero(t, other.RequestsSent())
}
