package commands

import (
	"context"
	"errors"
	"fmt"

	"github.com/rtchat/rtchat/rtc"
)

// chatTerm is the terminal of a chat, one for 'connect PEER' and the room: the line editor
// (stdin and stderr a terminal, no --json), our notes on stderr above the prompt, the
// peers' messages, and the loop that reads what is typed or piped in.
type chatTerm struct {
	g   *Globals
	ios *IO
	out *printer    // stdout: messages and NDJSON
	ed  *lineEditor // nil unless editing lines on a terminal
}

// newChatTerm edits lines when stdin and stderr are a terminal and --json is off; the
// caller closes it, which gives the terminal back as it was.
func newChatTerm(g *Globals, ios *IO, out *printer) *chatTerm {
	t := &chatTerm{g: g, ios: ios, out: out}
	if ios.InTTY && ios.ErrTTY && !g.JSON {
		ed, err := newLineEditor(ios.InFd, ios.In, ios.Err, ios.ErrWidth)
		if err != nil {
			g.Log.Debug("no line editing", "err", err)
		} else {
			t.ed = ed
		}
	}
	return t
}

// editing reports whether lines are typed at a prompt (rather than piped in).
func (t *chatTerm) editing() bool { return t.ed != nil }

func (t *chatTerm) close() {
	if t.ed != nil {
		t.ed.close()
	}
}

// print writes whole lines on stderr, above the prompt when editing.
func (t *chatTerm) print(text string) {
	if t.ed != nil {
		t.ed.print(text)
		return
	}
	fmt.Fprint(t.ios.Err, text)
}

// note prints a line of ours on stderr: "rtchat: …".
func (t *chatTerm) note(format string, a ...any) {
	t.print("rtchat: " + fmt.Sprintf(format, a...) + "\n")
}

// hint prints what to do about err, if anything.
func (t *chatTerm) hint(err error) {
	if h := hintLine(err); h != "" {
		t.print(h)
	}
}

// message prints a peer's message: NDJSON with the raw text, or "NAME: text" lines made
// safe, above the prompt when stdout is the terminal being edited on. dm marks direct
// messages (the room).
func (t *chatTerm) message(e rtc.Event, dm bool) {
	switch {
	case t.g.JSON:
		_ = t.out.object(eventJSON(e)) // the raw text: JSON escapes it
	case t.ed != nil && t.ios.OutTTY:
		t.ed.print(messageLines(e, dm, t.ios.outCols(true)))
	default:
		_ = t.out.text(messageLines(e, dm, t.ios.outCols(false)))
	}
}

// sendable reports whether a line is a message to send: an empty line is not (it would
// arrive as the web client's "chat"), and a line over the limit is said and not sent.
func (t *chatTerm) sendable(line string) bool {
	switch {
	case line == "":
		return false
	case len(line) > maxMessage:
		t.note("that line is %d bytes, over the %d-byte limit of a message; nothing was sent (use 'rtchat pipe' for data)", len(line), maxMessage)
		return false
	}
	return true
}

// errQuit, from a line or inbox function, ends the chat without error (/quit).
var errQuit = errors.New("quit")

// loop runs the chat on the calling goroutine until ctx ends, the input ends (nil at its
// end, see inputEnded) or line or a function from inbox returns an error (errQuit: nil).
// Each line typed or piped in goes to line; the functions from inbox (what peers did)
// run in turn with them, so neither needs a lock. While hold reports true, piped lines
// wait in stdin (typed lines are still read). Reading stops when stopped is closed, which
// the caller does before it closes the session, so that no sender blocks.
func (t *chatTerm) loop(ctx context.Context, stopped <-chan struct{}, inbox <-chan func() error, hold func() bool, line func(string) error) error {
	lines := make(chan string)
	readErr := make(chan error, 1)
	go readInput(t.ed, t.ios.In, lines, readErr, stopped)
	for {
		input := lines
		if hold != nil && t.ed == nil && hold() {
			input = nil
		}
		var err error
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case f := <-inbox:
			err = f()
		case l := <-input:
			err = line(l)
		case err := <-readErr:
			return inputEnded(err)
		}
		if errors.Is(err, errQuit) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}
