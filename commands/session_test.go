package commands

import (
	"testing"
	"time"
)

// TestWaitForPerson: on a terminal, connect and pipe wait without limit unless a timeout
// was set; scripts (stderr not a terminal) and --json keep it.
func TestWaitForPerson(t *testing.T) {
	for _, c := range []struct {
		tty    bool
		json   bool
		source string
		want   time.Duration
	}{
		{true, false, "default", 0},
		{false, false, "default", DefaultTimeout},
		{true, true, "default", DefaultTimeout},
		{true, false, "env RTCHAT_TIMEOUT", DefaultTimeout},
		{true, false, "flag --timeout", DefaultTimeout},
	} {
		g := &Globals{Timeout: DefaultTimeout, JSON: c.json, Sources: map[string]string{"timeout": c.source}}
		waitForPerson(g, &IO{ErrTTY: c.tty})
		if g.Timeout != c.want {
			t.Errorf("tty %v, json %v, timeout from %s: %v, want %v", c.tty, c.json, c.source, g.Timeout, c.want)
		}
	}
}
