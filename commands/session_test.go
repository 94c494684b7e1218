package commands

import (
	"testing"
	"time"

	"github.com/rtchat/rtchat/rtc/pair"
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

// TestAcceptCommand: the command 'keys invite' shows for the other side names the broker
// (without its password) and the room when they are not the defaults.
func TestAcceptCommand(t *testing.T) {
	code := pair.Code{Plate: 7, Words: [2]string{"amber", "orbit"}}
	for _, c := range []struct{ broker, room, want string }{
		{DefaultBroker, DefaultRoom, "rtchat keys accept 7-amber-orbit"},
		{"mqtt://u:secret@10.0.0.2:1883", DefaultRoom, "rtchat --broker mqtt://u:xxxxx@10.0.0.2:1883 keys accept 7-amber-orbit"},
		{DefaultBroker, "team room", "rtchat --room 'team room' keys accept 7-amber-orbit"},
	} {
		if got := acceptCommand(&Globals{Broker: c.broker, Room: c.room}, code); got != c.want {
			t.Errorf("acceptCommand(%s, %s) = %q, want %q", c.broker, c.room, got, c.want)
		}
	}
}
