package commands

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/rtchat/rtchat/rtc"
)

// connectOptions is what 'rtchat connect' runs with.
type connectOptions struct {
	Globals *Globals
	IO      *IO

	Peer string // "": the room (everyone in it)
	// Settle: the room, stdin not a terminal: how long to let the peers already in the
	// room join before the first line is read.
	Settle time.Duration
}

// defaultSettle is how long the room commands (connect without PEER, send and ask --all)
// wait for the peers already in the room to show up: on a LAN or one machine they are all
// there in well under a second.
const defaultSettle = 2 * time.Second

func newConnectCmd(g *Globals, ios *IO, runF func(context.Context, *connectOptions) error) *cobra.Command {
	opts := &connectOptions{Globals: g, IO: ios}
	cmd := &cobra.Command{
		Use:   "connect [PEER]",
		Short: "Chat with a verified peer, or with everyone in the room",
		Long: `Connect to PEER, verify its key, then chat: each line of stdin is sent as a chat
message (empty lines are not sent; at most 60000 bytes a line) and PEER's messages are
printed on stdout as "NAME: text", every line of a multi-line message prefixed, and
control characters and escape sequences shown as text (\x1b), so that nothing PEER sends
can pass for another line or drive the terminal. With --json each message is an NDJSON
object with the raw text.

PEER must run 'rtchat connect ME' (or 'rtchat listen', which prints what I send, or
'rtchat connect' in the room). On a terminal, rtchat waits for PEER without limit (the
waiting line says for whom, and Ctrl-C ends it) unless --timeout or RTCHAT_TIMEOUT is set;
in a script it gives up after --timeout (30s by default).

On a terminal, lines are edited on a prompt ("> ", on stderr) and PEER's messages appear
above it without disturbing what you are typing; a pasted block is sent line by line.
End with Ctrl-D on an empty line (exit 0) or Ctrl-C (exit 130). When PEER quits, rtchat
says so and exits 0; a connection that fails exits 5. When stdin is not a terminal its
lines are sent as they come and rtchat exits at its end; a line over the limit is an
error (nothing of it is sent).

When PEER becomes unreachable (its machine sleeps, its link drops, it crashed), rtchat
says so within seconds and waits --reconnect (30s) for it to come back. A line typed
meanwhile is not sent: rtchat flags it "not delivered" on stderr, so send it again once
PEER is back; stdin that is not a terminal is not read meanwhile (nothing of it is lost).
If PEER does not come back in time, the chat ends with exit 5: run the same command
again once PEER is back.

Without PEER: the room, as on the RTChat web page. rtchat stays in the room and connects
to everyone the trust policy allows (rtchat 'connect' and 'listen' processes, web pages,
and under --trust unverified clients without identity keys), verifies each, and says on
stderr who joined (with the key's fingerprint), who was refused and why, who left,
renamed or became unreachable. Each line of stdin goes to everyone who joined, on the
chat channel; what anyone says is printed as "NAME: text", a direct message to me as
"NAME (dm): text", and every line of a peer that proved no key (--trust unverified) starts
with "[unverified] ": nothing proves who wrote it. With --json: NDJSON events (joined,
message with "verified", refused, disconnected...), see docs/json.md.

On a terminal the room has commands:

  /dm NAME TEXT   a direct message to NAME only (the web page's dm channel); NAME is a
                  name or a full name as /who shows it ("quoted" if it has spaces)
  /who            who is here: full name, key fingerprint, bound, web page or UNVERIFIED
  /quit           leave (as Ctrl-D)
  /help           these commands
  //TEXT          send a line that starts with "/"

When stdin is not a terminal its lines are plain messages to everyone, read from --settle
after joining (so that those already in the room are there to get them); rtchat leaves
at its end (exit 0). Peers that come and go do not end the room.`,
		Example: `  rtchat connect bob                  # on alice's machine
  rtchat connect alice                # on bob's machine: the other end
  echo "deploy done" | rtchat connect bob
  rtchat connect                      # the room: chat with everyone in it
  sleep 60 | rtchat connect --json    # a minute in the room, as NDJSON
  tail -f build.log | rtchat connect --room ops`,
		Args: positional,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Settle < 0 {
				return usageErrorf("--settle must not be negative, got %v", opts.Settle)
			}
			if len(args) == 0 {
				if runF != nil {
					return runF(cmd.Context(), opts)
				}
				return runRoom(cmd.Context(), opts)
			}
			if cmd.Flags().Changed("settle") {
				return usageErrorf("--settle is for the room (connect without PEER)")
			}
			peer, err := peerArg(args[0])
			if err != nil {
				return err
			}
			opts.Peer = peer
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runConnect(cmd.Context(), opts)
		},
		ValidArgsFunction: completePeers(g),
	}
	durationVar(cmd.Flags(), &opts.Settle, "settle", defaultSettle, "the room, stdin not a terminal: let the peers already in the room join for `DUR` before reading stdin")
	return cmd
}

func runConnect(ctx context.Context, opts *connectOptions) error {
	g, ios, peer := opts.Globals, opts.IO, opts.Peer
	waitForPerson(g, ios)
	// What the peer does reaches the chat loop as functions on inbox.
	inbox := make(chan func() error, 64)
	stopped := make(chan struct{}) // closed before the session closes, so no sender blocks
	post := func(f func() error) {
		select {
		case inbox <- f:
		case <-stopped:
		}
	}
	var c *connectChat // set before the loop runs any function of inbox
	s, p, err := openPeer(ctx, g, ios, rtc.RoleConnect, peer, func(cfg *rtc.Config) {
		cfg.OnEvent = func(e rtc.Event) {
			switch e.Type {
			case rtc.EventMessage, rtc.EventReconnecting, rtc.EventReconnected:
				post(func() error { c.event(e); return nil })
			}
		}
	})
	if err != nil {
		close(stopped)
		return err
	}
	defer s.close()
	// Chat is fire and forget: the graceful close delivers what was sent before we leave.
	defer p.Close()
	defer close(stopped)
	t := newChatTerm(g, ios, s.out)
	defer t.close()
	c = &connectChat{t: t, p: p, peer: peer, who: safeLine(p.Name())}
	c.greet()
	go func() {
		select {
		case <-p.Done():
			post(c.ended)
		case <-stopped:
		}
	}()
	// While PEER is unreachable, piped lines wait in stdin (nothing is read, nothing lost);
	// typed lines are read and flagged as not delivered.
	return t.loop(ctx, stopped, inbox, func() bool { return c.o.on }, c.line)
}

// connectChat is the chat of 'rtchat connect PEER', run by chatTerm.loop.
type connectChat struct {
	t    *chatTerm
	p    *rtc.Peer
	peer string // PEER as given
	who  string // the peer's full name, safe to print
	o    outage
}

// greet says whom we are connected to and how it was verified.
func (c *connectChat) greet() {
	p := c.p
	if c.t.g.JSON {
		_ = c.t.out.object(verifiedJSON{Type: "verified", Peer: p.Name(), Name: p.Bare(), Bound: p.Bound(), Fingerprint: p.Fingerprint()})
		return
	}
	how := fmt.Sprintf("key verified (%s)", p.Fingerprint())
	switch {
	case !p.Verified():
		how = "UNVERIFIED: a client without identity keys; nothing proves who wrote its lines, which are marked [unverified]"
	case !p.Bound():
		how = fmt.Sprintf("key verified (web page, not bound to this connection) (%s)", p.Fingerprint())
	}
	help := ""
	if c.t.editing() {
		help = " Type a message and press Enter to send it; Ctrl-D to quit."
	}
	c.t.note("connected to %s, %s.%s", c.who, how, help)
}

// line sends a line typed or piped in, or flags it while the peer is unreachable.
func (c *connectChat) line(line string) error {
	if !c.t.sendable(line) {
		return nil
	}
	if c.o.on {
		// Never lost silently: the line is named, so it can be sent again.
		c.o.missed++
		c.t.note("not delivered (%s is unreachable): %s", c.who, quoteLine(line))
		return nil
	}
	if err := c.p.Chat(line); err != nil {
		return err
	}
	c.o.sentAt(time.Now())
	return nil
}

// event renders what the peer did: a message, or that it went or came back.
func (c *connectChat) event(e rtc.Event) {
	t, g := c.t, c.t.g
	if e.Peer != c.p.Name() {
		return
	}
	switch e.Type {
	case rtc.EventMessage:
		t.message(e, false)
	case rtc.EventReconnecting:
		recent := c.o.start(time.Now())
		if g.JSON {
			return // the NDJSON event says it (session.go)
		}
		text := fmt.Sprintf("%s is unreachable; waiting up to %v for it to come back", c.who, reconnectWindow(g))
		if t.editing() {
			text += "; lines typed meanwhile are not delivered"
		} else {
			text += "; stdin is read again once it is back"
		}
		t.note("%s", text)
		if recent > 0 {
			t.note("the last %d %s sent (in the %v before) %s only if it comes back", recent, pluralLines(recent), recentWindow, map[bool]string{true: "arrives", false: "arrive"}[recent == 1])
		}
	case rtc.EventReconnected:
		missed := c.o.end()
		switch {
		case g.JSON:
		case missed > 0:
			t.note("%s is back; the %d %s typed while it was unreachable %s not delivered: send again what matters", c.who, missed, pluralLines(missed), map[bool]string{true: "was", false: "were"}[missed == 1])
		default:
			t.note("%s is back", c.who)
		}
	}
}

// ended: the connection ended. The peer quitting (or its web page closing) ends the chat,
// not as a failure; a connection lost ends it with exit 5.
func (c *connectChat) ended() error {
	err := c.p.Err()
	g := c.t.g
	if err == nil || errors.Is(err, rtc.ErrPeerLeft) {
		if !g.JSON {
			c.t.note("%s left", c.who)
		}
		return errQuit
	}
	if !c.o.on {
		return err
	}
	// The reconnect window ended: the chat is over, as with any lost connection.
	if !g.JSON && !c.t.editing() && c.o.sent > 0 {
		n := c.o.sent
		c.t.note("%d %s of stdin %s sent; the rest were not", n, map[bool]string{true: "line", false: "lines"}[n == 1], map[bool]string{true: "was", false: "were"}[n == 1])
	}
	return withHint(err, fmt.Sprintf("%s did not come back within --reconnect (%v): run 'rtchat connect %s' again once it is back (--reconnect DUR waits longer)", c.who, reconnectWindow(g), c.peer))
}

// recentWindow: lines sent this long before a peer was found unreachable may be in flight
// (ICE takes about 5 s to notice that nothing comes back); SCTP delivers them if it
// comes back, and nothing can tell whether they arrived if it does not.
const recentWindow = 10 * time.Second

// outage follows one peer's reachability for 'rtchat connect PEER': whether it is
// unreachable now, the lines sent recently (that may be in flight when it goes) and the
// lines typed while it was unreachable (flagged, not sent).
type outage struct {
	on     bool
	missed int         // lines typed during this outage: flagged as not delivered
	sent   int         // lines sent in all
	recent []time.Time // when the lines of the last recentWindow were sent
}

func (o *outage) sentAt(t time.Time) {
	o.sent++
	o.recent = append(o.recent, t)
	o.trim(t)
}

func (o *outage) trim(now time.Time) {
	i := 0
	for i < len(o.recent) && now.Sub(o.recent[i]) > recentWindow {
		i++
	}
	o.recent = o.recent[i:]
}

// start marks the peer unreachable and returns how many lines were sent in the
// recentWindow before.
func (o *outage) start(now time.Time) (recent int) {
	o.on, o.missed = true, 0
	o.trim(now)
	return len(o.recent)
}

// end marks the peer reachable again and returns how many lines were typed meanwhile.
func (o *outage) end() (missed int) {
	o.on = false
	o.recent = nil // delivered by now (SCTP retransmits what was in flight)
	return o.missed
}

func pluralLines(n int) string {
	if n == 1 {
		return "line you"
	}
	return "lines you"
}

// quoteLine shows a typed line in a note: quoted and safe, cut after 60 characters.
func quoteLine(line string) string {
	r := []rune(line)
	if len(r) > 60 {
		return fmt.Sprintf("%q…", string(r[:60]))
	}
	return fmt.Sprintf("%q", line)
}

// reconnectWindow is how long an unreachable peer is waited for (--reconnect; 0: not at all).
func reconnectWindow(g *Globals) time.Duration {
	if g.Reconnect <= 0 {
		return 0
	}
	return g.Reconnect
}
