package commands

import (
	"fmt"
	"sync"
	"time"
)

// refusalGate decides which refusals of someone who tried to reach us listen and the room
// say on stderr: each (name, reason) once, and at most refusalBurst in refusalWindow, since
// strangers choose how many names try. What it held back is counted and said with the next
// line it lets through.
type refusalGate struct {
	mu      sync.Mutex
	said    map[string]bool // full name and reason of the refusals already reported
	window  time.Time       // start of the current window
	n       int             // lines said in it
	dropped int             // refusals held back since the last line said
}

const (
	refusalBurst  = 5
	refusalWindow = 10 * time.Second
	// refusalNames bounds said: a stranger with many names is reported again only after
	// this many others.
	refusalNames = 256
)

// allow reports whether to say the refusal of full for why now, and how many refusals
// were held back before it.
func (g *refusalGate) allow(full, why string, now time.Time) (ok bool, dropped int) {
	key := full + "\x00" + why
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.said == nil || len(g.said) >= refusalNames {
		g.said = map[string]bool{}
	}
	if g.said[key] {
		return false, 0
	}
	g.said[key] = true
	if now.Sub(g.window) >= refusalWindow {
		g.window, g.n = now, 0
	}
	if g.n >= refusalBurst {
		g.dropped++
		return false, 0
	}
	g.n++
	dropped, g.dropped = g.dropped, 0
	return true, dropped
}

// heldBack is the line that says how many refusals were not shown.
func heldBack(n int) string {
	return fmt.Sprintf("%d more refusal%s not shown (at most %d in %v; -v shows each)", n, plural(n), refusalBurst, refusalWindow)
}
