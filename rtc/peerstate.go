package rtc

import "fmt"

// peerState is where a connection is in its life. It moves only along transitions: a
// connection that fails is closed, and a new one may be made. The constants follow the way
// up, and comparisons (`< stConnected`, `>= stConnected`) rely on that order: reconnecting
// and refusing come after every state they may follow; verified() and over() say what the
// order cannot.
type peerState int

const (
	stStarting     peerState = iota // building the PeerConnection, making our offer or answer
	stSignaled                      // our offer or answer is published
	stConnecting                    // offerer: the answer is applied; ICE and DTLS at work
	stConnected                     // every channel open, the handshake done: verifying
	stVerified                      // we verified the peer (rtchat: it has not yet said it verified us)
	stEstablished                   // verified both ways (a web page: once we verified it)
	stReconnecting                  // established, but the transport went: waiting for it (or an ICE restart)
	stRefusing                      // verification failed (or a first-use pin was refused): telling the peer why
	stClosed
	numStates
)

// transitions is the state machine: the states each state may move to, and nothing else
// (as pion's checkNextSignalingState). setState and closeWith check every move against it.
// A move from starting past signaled (or from signaled past connecting) is a race the owner
// sees in order: an answer, or every channel, can arrive before the event that says our
// offer or answer was published.
var transitions = [numStates][]peerState{
	stStarting:     {stSignaled, stConnecting, stConnected, stClosed},
	stSignaled:     {stConnecting, stConnected, stClosed},
	stConnecting:   {stConnected, stClosed},
	stConnected:    {stVerified, stRefusing, stClosed},
	stVerified:     {stEstablished, stRefusing, stClosed},
	stEstablished:  {stReconnecting, stRefusing, stClosed},
	stReconnecting: {stEstablished, stRefusing, stClosed},
	stRefusing:     {stClosed},
	stClosed:       nil,
}

var stateNames = [numStates]string{"starting", "signaled", "connecting", "connected", "verified",
	"established", "reconnecting", "refusing", "closed"}

func (s peerState) String() string {
	if s < 0 || s >= numStates {
		return fmt.Sprintf("peerState(%d)", int(s))
	}
	return stateNames[s]
}

// verified: the peer proved itself and is not refused: what it says reaches the user.
func (s peerState) verified() bool {
	return s == stVerified || s == stEstablished || s == stReconnecting
}

// established: verified both ways; an established connection that is reconnecting still is.
func (s peerState) established() bool { return s == stEstablished || s == stReconnecting }

// over: no longer a candidate for anything (refused, or closed).
func (s peerState) over() bool { return s == stRefusing || s == stClosed }

// errBadTransition: a move the table does not have. Always a bug of ours.
type errBadTransition struct{ from, to peerState }

func (e *errBadTransition) Error() string {
	return fmt.Sprintf("illegal connection state transition %s → %s", e.from, e.to)
}

// checkTransition says whether from may move to to.
func checkTransition(from, to peerState) error {
	if from >= 0 && from < numStates {
		for _, next := range transitions[from] {
			if next == to {
				return nil
			}
		}
	}
	return &errBadTransition{from, to}
}

// timerReason is what a peer's one timer is running for.
type timerReason int

const (
	timerNone      timerReason = iota
	timerConnect               // the connection must be up within offerLifetime
	timerVerify                // both sides must have verified in time
	timerBadAnswer             // an answer did not verify: a valid one may still come (badAnswerGrace)
	timerRefusal               // the refusal notice's grace (refusalGrace)
	timerReconnect             // the reconnect window (Config.Reconnect)
	timerLeave                 // the peer said bye: its channels drain (leaveDrain)
)

var timerNames = [...]string{"none", "connect", "verify", "bad answer", "refusal", "reconnect", "leave"}

func (r timerReason) String() string {
	if r < 0 || int(r) >= len(timerNames) {
		return fmt.Sprintf("timerReason(%d)", int(r))
	}
	return timerNames[r]
}

// badTransition reports a move the table does not have: a bug, logged at error level (and
// failing the tests, Config.OnBadTransition). Owner goroutine.
func (c *Client) badTransition(p *peer, err error) {
	p.log.Error("bug: "+err.Error(), "err", err)
	if c.cfg.OnBadTransition != nil {
		c.cfg.OnBadTransition(fmt.Errorf("%s: %w", p.remote, err))
	}
}
