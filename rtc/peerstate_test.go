package rtc

import (
	"errors"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// legalMoves is the state machine written out a second time, edge by edge, so that a
// change to the table is a change to this list too.
var legalMoves = [][2]peerState{
	{stStarting, stSignaled}, {stStarting, stConnecting}, {stStarting, stConnected}, {stStarting, stClosed},
	{stSignaled, stConnecting}, {stSignaled, stConnected}, {stSignaled, stClosed},
	{stConnecting, stConnected}, {stConnecting, stClosed},
	{stConnected, stVerified}, {stConnected, stRefusing}, {stConnected, stClosed},
	{stVerified, stEstablished}, {stVerified, stRefusing}, {stVerified, stClosed},
	{stEstablished, stReconnecting}, {stEstablished, stRefusing}, {stEstablished, stClosed},
	{stReconnecting, stEstablished}, {stReconnecting, stRefusing}, {stReconnecting, stClosed},
	{stRefusing, stClosed},
}

// TestTransitionTable checks every (from, to) pair, out-of-range states included, against
// the list of legal moves.
func TestTransitionTable(t *testing.T) {
	legal := map[[2]peerState]bool{}
	for _, m := range legalMoves {
		legal[m] = true
	}
	for from := peerState(-1); from <= numStates; from++ {
		for to := peerState(-1); to <= numStates; to++ {
			err := checkTransition(from, to)
			if want := legal[[2]peerState{from, to}]; (err == nil) != want {
				t.Errorf("%s → %s: legal %v, want %v", from, to, err == nil, want)
			}
			var bad *errBadTransition
			if err != nil && !errors.As(err, &bad) {
				t.Errorf("%s → %s: %v is not an errBadTransition", from, to, err)
			}
		}
	}
}

// TestTransitionTableShape: every state is reachable from starting and can close; closed
// is the end; nothing moves to itself; each state has a name.
func TestTransitionTableShape(t *testing.T) {
	reach := map[peerState]bool{stStarting: true}
	for queue := []peerState{stStarting}; len(queue) > 0; queue = queue[1:] {
		for _, next := range transitions[queue[0]] {
			if !reach[next] {
				reach[next] = true
				queue = append(queue, next)
			}
		}
	}
	for s := range numStates {
		if !reach[s] {
			t.Errorf("%s cannot be reached from starting", s)
		}
		if s != stClosed && checkTransition(s, stClosed) != nil {
			t.Errorf("%s cannot close", s)
		}
		if checkTransition(s, s) == nil {
			t.Errorf("%s moves to itself", s)
		}
		if strings.HasPrefix(s.String(), "peerState(") || s.String() == "" {
			t.Errorf("state %d has no name", s)
		}
	}
	if len(transitions[stClosed]) != 0 {
		t.Errorf("closed moves on: %v", transitions[stClosed])
	}
	for r := timerNone; int(r) < len(timerNames); r++ {
		if strings.HasPrefix(r.String(), "timerReason(") {
			t.Errorf("timer reason %d has no name", r)
		}
	}
}

// TestSetStateRejectsIllegalMoves: an illegal move is reported (the tests' hook hears it)
// and not made; a legal one is made; a close is made from anywhere.
func TestSetStateRejectsIllegalMoves(t *testing.T) {
	c := admitClient(t, 0)
	var bad []error
	c.cfg.OnBadTransition = func(err error) { bad = append(bad, err) }
	p := addView(c, "peer", true, true, true, 0)
	p.setState(stEstablished)
	if p.st != stStarting || len(bad) != 1 {
		t.Fatalf("starting → established: state %s, %d reports; want starting and one report", p.st, len(bad))
	}
	if !strings.Contains(bad[0].Error(), "starting → established") {
		t.Errorf("report %q does not name the move", bad[0])
	}
	p.setState(stSignaled)
	if p.st != stSignaled || len(bad) != 1 {
		t.Fatalf("signaled: state %s, %d reports", p.st, len(bad))
	}
	p.move(stClosed, false, nil)
	if p.st != stClosed || len(bad) != 1 {
		t.Fatalf("close: state %s, %d reports", p.st, len(bad))
	}
}

// TestArchitectureListsStates: docs/architecture.md's table of states is the table here,
// row by row.
func TestArchitectureListsStates(t *testing.T) {
	doc, err := os.ReadFile("../docs/architecture.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^ *\\| `([a-z]+)` \\|[^|]*\\| ([^|]*) \\|$")
	name := regexp.MustCompile("`([a-z]+)`")
	states := map[string]peerState{}
	for s := range numStates {
		states[s.String()] = s
	}
	seen := map[peerState]bool{}
	for _, m := range row.FindAllStringSubmatch(string(doc), -1) {
		from, ok := states[m[1]]
		if !ok {
			continue // a row of another table
		}
		if seen[from] {
			t.Errorf("state %s has two rows", from)
		}
		seen[from] = true
		var next []string
		for _, n := range name.FindAllStringSubmatch(m[2], -1) {
			next = append(next, n[1])
		}
		var want []string
		for _, s := range transitions[from] {
			want = append(want, s.String())
		}
		if !slices.Equal(next, want) {
			t.Errorf("docs: %s moves to %v, the table says %v", from, next, want)
		}
	}
	for s := range numStates {
		if !seen[s] {
			t.Errorf("docs/architecture.md has no row for state %s", s)
		}
	}
}
