package commands

import (
	"testing"
	"time"
)

// TestOutage: what 'connect PEER' says when PEER goes: the lines sent in the recentWindow
// before (in flight, delivered only if PEER comes back), and the lines typed while PEER
// was unreachable (flagged, not sent), counted per outage.
func TestOutage(t *testing.T) {
	var o outage
	t0 := time.Unix(1000, 0)
	o.sentAt(t0)
	o.sentAt(t0.Add(5 * time.Second))
	o.sentAt(t0.Add(12 * time.Second))
	if got := o.start(t0.Add(14 * time.Second)); got != 2 || !o.on {
		t.Errorf("start: %d recent lines (on %v), want the 2 sent in the %v before", got, o.on, recentWindow)
	}
	o.missed++
	o.missed++
	if got := o.end(); got != 2 || o.on {
		t.Errorf("end: %d missed (on %v), want 2", got, o.on)
	}
	// A second outage counts afresh; what was in flight before the first arrived with it.
	if got := o.start(t0.Add(15 * time.Second)); got != 0 || o.missed != 0 {
		t.Errorf("second outage: %d recent, %d missed; want 0 and 0", got, o.missed)
	}
	if o.sent != 3 {
		t.Errorf("sent %d, want 3", o.sent)
	}
	if got := quoteLine("a\x1b[2Jb"); got != `"a\x1b[2Jb"` {
		t.Errorf("quoteLine: %s", got)
	}
	if got := quoteLine(string(make([]byte, 100))); len([]rune(got)) != 60*4+3 {
		t.Errorf("quoteLine of 100 bytes: %d runes, want it cut after 60 characters", len([]rune(got)))
	}
}
