package commands

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/rtchat/rtchat/keys"
	"github.com/rtchat/rtchat/rtc"
)

// statusLine is one line of state on a terminal's stderr (waiting, progress) that is
// redrawn in place and kept below any line printed meanwhile. Off (not a terminal, or
// --json) it shows nothing and println is a plain line.
type statusLine struct {
	mu    sync.Mutex
	w     io.Writer
	on    bool
	width func() int
	text  string // what is shown now ("" none)
}

func newStatusLine(ios *IO, json bool) *statusLine {
	return &statusLine{w: ios.Err, on: ios.ErrTTY && !json, width: ios.ErrWidth}
}

// clip keeps text on one row of the terminal, so that \r returns to its start.
func (l *statusLine) clip(text string) string {
	w := 0
	if l.width != nil {
		w = l.width()
	}
	if w <= 0 {
		w = 80
	}
	r := []rune(text)
	if len(r) >= w {
		return string(r[:w-2]) + "…"
	}
	return text
}

// set shows text in place of the current status.
func (l *statusLine) set(text string) {
	if !l.on {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.text = l.clip(text)
	fmt.Fprint(l.w, "\r\x1b[K"+l.text)
}

// clear removes the status.
func (l *statusLine) clear() {
	if !l.on {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.text != "" {
		fmt.Fprint(l.w, "\r\x1b[K")
		l.text = ""
	}
}

// println prints a line of its own above the status.
func (l *statusLine) println(line string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.on && l.text != "" {
		fmt.Fprint(l.w, "\r\x1b[K"+line+"\n"+l.text)
		return
	}
	fmt.Fprintln(l.w, line)
}

// peerCommand is what PEER runs (quoted) so that a command of role run by me meets it.
func peerCommand(role rtc.Role, me string) string {
	switch role {
	case rtc.RolePipe:
		return "'rtchat pipe " + me + "'"
	case rtc.RoleConnect:
		return "'rtchat connect " + me + "' or 'rtchat listen'"
	}
	return "'rtchat listen'"
}

// waitedText is "12s of 30s", or "12s, no time limit" with --timeout 0.
func waitedText(since time.Time, limit time.Duration) string {
	d := time.Since(since).Truncate(time.Second)
	if limit == 0 {
		return d.String() + ", no time limit: Ctrl-C ends"
	}
	return d.String() + " of " + limit.String()
}

// waitShowDelay: a peer that is already there is verified in well under a second; the
// waiting line would only flash.
const waitShowDelay = 400 * time.Millisecond

// waiting shows, on a terminal, what the dial of peer waits for and what peer must run,
// with the time waited, until stop is called.
func (s *session) waiting(peer string) (stop func()) {
	if !s.status.on {
		return func() {}
	}
	me := keys.BareName(s.client.Name())
	start := time.Now()
	var mu sync.Mutex
	state := func() string {
		return fmt.Sprintf("waiting for %s (%s): on %s's machine run %s", peer, waitedText(start, s.g.Timeout), peer, peerCommand(s.role, me))
	}
	shown := false
	draw := func() {
		mu.Lock()
		defer mu.Unlock()
		shown = true
		s.status.set("rtchat: " + state())
	}
	watch := func(e rtc.Event) {
		if e.Bare != peer {
			return
		}
		mu.Lock()
		switch e.Type {
		case rtc.EventSeen:
			state = func() string {
				return fmt.Sprintf("%s is in the room, connecting (%s)", e.Peer, waitedText(start, s.g.Timeout))
			}
		case rtc.EventConnected:
			state = func() string {
				return fmt.Sprintf("connected to %s, verifying keys (%s)", e.Peer, waitedText(start, s.g.Timeout))
			}
		}
		redraw := shown
		mu.Unlock()
		if redraw {
			draw()
		}
	}
	s.watch.Store(&watch)
	done := make(chan struct{})
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		select {
		case <-time.After(waitShowDelay):
		case <-done:
			return
		}
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			draw()
			select {
			case <-t.C:
			case <-done:
				return
			}
		}
	}()
	return func() {
		s.watch.Store(nil)
		close(done)
		<-ended
		s.status.clear()
	}
}
