package commands

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rtchat/rtchat/rtc"
)

// roomChat is 'rtchat connect' without a peer: in the room with everyone, like the web page.
// Core events arrive on the core's goroutines (the room loop among them) and are printed
// there; the main goroutine reads stdin and sends.
type roomChat struct {
	g  *Globals
	t  *chatTerm
	me string // my bare name: other processes of mine are not members, nor refusals to report
	// client is set once the session started (events may come before).
	client atomic.Pointer[rtc.Client]

	// mu guards the maps. Never held while calling into the core: the room loop calls
	// onEvent, and a peer waiting on the room loop must not wait on mu.
	mu      sync.Mutex
	members map[string]*roomMember // joined peers, by full name
	// refusedByUs: connections we refused, whose end needs no second line.
	refusedByUs map[string]bool
	refusals    refusalGate // which refusals are said
}

// roomMember is a peer that joined: what /who shows.
type roomMember struct {
	full, bare  string
	fingerprint string
	bound       bool
	unverified  bool
	unreachable bool
}

// maxRefusedRemembered bounds refusedByUs: strangers choose how many refusals there are.
const maxRefusedRemembered = 256

func runRoom(ctx context.Context, opts *connectOptions) error {
	g, ios := opts.Globals, opts.IO
	// The terminal first: events may come as soon as the session starts.
	t := newChatTerm(g, ios, &printer{w: ios.Out})
	defer t.close()
	r := &roomChat{g: g, t: t, me: ownBare(g), members: map[string]*roomMember{}, refusedByUs: map[string]bool{}}
	s, err := startSession(ctx, g, ios, rtc.RoleRoom, "", func(c *rtc.Config) { c.OnEvent = r.onEvent })
	if err != nil {
		return err
	}
	defer s.close() // every peer is closed gracefully: what was sent is delivered first
	r.client.Store(s.client)
	stopped := make(chan struct{}) // closed before the session closes, so no sender blocks
	defer close(stopped)

	switch {
	case g.JSON:
		_ = t.out.object(listeningJSON{Type: "listening", Name: s.client.Name(), Room: g.Room})
	case t.editing():
		t.note("in room %q as %s. Type to talk to everyone; /help lists commands; Ctrl-D leaves.", g.Room, s.client.Name())
	default:
		t.note("in room %q as %s", g.Room, s.client.Name())
	}

	if !t.editing() && opts.Settle > 0 {
		// Lines piped in at once would reach nobody: let those already here join first.
		wait := time.NewTimer(opts.Settle)
		select {
		case <-wait.C:
		case <-ctx.Done():
			wait.Stop()
			return context.Cause(ctx)
		}
	}
	return t.loop(ctx, stopped, nil, nil, func(line string) error {
		if r.input(line, t.editing()) {
			return errQuit
		}
		return nil
	})
}

// note prints a line of ours on stderr (above the prompt when editing).
func (r *roomChat) note(format string, a ...any) { r.t.note(format, a...) }

// input handles one line of stdin; true means leave. Slash commands only on a terminal.
func (r *roomChat) input(line string, commands bool) (quit bool) {
	if line == "" {
		return false // nothing to say: an empty message would arrive as the web client's "chat"
	}
	if commands && strings.HasPrefix(line, "/") {
		if !strings.HasPrefix(line, "//") {
			return r.command(line)
		}
		line = line[1:]
	}
	if !r.t.sendable(line) {
		return false
	}
	// A member whose connection is waiting to come back gets nothing: the line would sit in
	// a transport that is gone, lost if the member never came back. Each one is named.
	away := r.unreachableMembers("")
	peers := r.client.Load().Peers()
	sent := 0
	for _, p := range peers {
		if slices.Contains(away, p.Name()) {
			continue
		}
		sent++
		if err := p.Chat(line); err != nil {
			r.note("not sent to %s: %s", safeLine(p.Name()), safeText(err.Error()))
		}
	}
	for _, name := range away {
		r.note("not delivered to %s: it is unreachable", safeLine(name))
	}
	if sent == 0 && len(away) == 0 {
		r.note("nobody else is in the room: that line reached no one")
	}
	return false
}

// unreachableMembers: the members whose connection is waiting to come back, by full name;
// with a name, only those of that full or bare name.
func (r *roomChat) unreachableMembers(name string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, m := range r.members {
		if m.unreachable && (name == "" || m.full == name || m.bare == name) {
			out = append(out, m.full)
		}
	}
	slices.Sort(out)
	return out
}

// roomHelp is what /help prints.
const roomHelp = `a line you type goes to everyone in the room. Commands:
  /dm NAME TEXT   a direct message to NAME only ("quoted" if the name has spaces)
  /who            who is here, with key fingerprints
  /quit           leave the room (as Ctrl-D)
  //TEXT          send a line that starts with "/"`

// command runs a slash command typed on the terminal; true means leave.
func (r *roomChat) command(line string) (quit bool) {
	name, rest, _ := strings.Cut(line, " ")
	switch name {
	case "/quit", "/exit", "/leave":
		return true
	case "/who":
		r.who()
	case "/help", "/?":
		for _, l := range strings.Split(roomHelp, "\n") {
			r.note("%s", l)
		}
	case "/dm", "/msg":
		to, text, ok := cutName(strings.TrimLeft(rest, " "))
		if !ok || to == "" || text == "" {
			r.note("usage: /dm NAME TEXT")
			return false
		}
		r.dm(to, text)
	default:
		r.note("unknown command %s: /help lists them; start a line with // to send it as it is", safeLine(name))
	}
	return false
}

// cutName splits `NAME TEXT` or `"NA ME" TEXT`.
func cutName(s string) (name, text string, ok bool) {
	if rest, quoted := strings.CutPrefix(s, `"`); quoted {
		name, text, ok = strings.Cut(rest, `"`)
		return name, strings.TrimLeft(text, " "), ok
	}
	name, text, ok = strings.Cut(s, " ")
	return name, strings.TrimLeft(text, " "), ok
}

// dm sends a direct message to the peers of that name: the one process with that full name,
// or every process of that bare name (they are one person, with one key).
func (r *roomChat) dm(to, text string) {
	if len(text) > maxMessage {
		r.note("that message is %d bytes, over the %d-byte limit; nothing was sent", len(text), maxMessage)
		return
	}
	var targets []*rtc.Peer
	for _, p := range r.client.Load().Peers() {
		if p.Name() == to || p.Bare() == to {
			targets = append(targets, p)
		}
	}
	away := r.unreachableMembers(to)
	for _, name := range away {
		r.note("not delivered to %s: it is unreachable", safeLine(name))
	}
	if len(targets) == 0 {
		if len(away) == 0 {
			r.note("nobody named %s is in the room (/who lists who is)", safeLine(to))
		}
		return
	}
	for _, p := range targets {
		if slices.Contains(away, p.Name()) {
			continue
		}
		if err := p.DM(text); err != nil {
			r.note("not sent to %s: %s", safeLine(p.Name()), safeText(err.Error()))
		}
	}
}

// who lists the peers that joined.
func (r *roomChat) who() {
	r.mu.Lock()
	ms := make([]roomMember, 0, len(r.members))
	for _, m := range r.members {
		ms = append(ms, *m)
	}
	r.mu.Unlock()
	sort.Slice(ms, func(i, j int) bool { return ms[i].full < ms[j].full })
	me := ""
	if c := r.client.Load(); c != nil {
		me = c.Name()
	}
	switch len(ms) {
	case 0:
		r.note("in room %q as %s; nobody else is here", r.g.Room, me)
		return
	case 1:
		r.note("in room %q as %s, with 1 other:", r.g.Room, me)
	default:
		r.note("in room %q as %s, with %d others:", r.g.Room, me, len(ms))
	}
	width := 0
	for _, m := range ms {
		width = max(width, len([]rune(safeLine(m.full))))
	}
	for _, m := range ms {
		key := "key " + m.fingerprint
		if m.unverified {
			key = "no key"
		}
		state := memberState(m)
		if m.unreachable {
			state += "; unreachable, waiting for it to come back"
		}
		r.note("  %-*s  %s  %s", width, safeLine(m.full), key, state)
	}
}

// memberState says how a peer was verified.
func memberState(m roomMember) string {
	switch {
	case m.unverified:
		return "UNVERIFIED: a client without identity keys, nothing proves who it is"
	case !m.bound:
		return "verified (web page, not bound to this connection)"
	}
	return "verified, bound to this connection"
}

// onEvent renders a core event: NDJSON, or messages on stdout and the rest on stderr.
func (r *roomChat) onEvent(e rtc.Event) {
	if r.g.JSON {
		_ = r.t.out.object(eventJSON(e)) // messages with the raw text: JSON escapes it
		r.track(e)
		return
	}
	who := safeLine(e.Peer)
	switch e.Type {
	case rtc.EventMessage:
		r.t.message(e, true)
	case rtc.EventVerified:
		if e.Pinned {
			r.note("permanently pinned the key %s for %q (trust on first use)", e.Fingerprint, safeLine(e.Bare))
		}
	case rtc.EventJoined:
		r.track(e)
		switch {
		case e.Unverified:
			r.note("%s joined UNVERIFIED: a client without identity keys; nothing proves who wrote its lines, which are marked [unverified]", who)
		case !e.Bound:
			r.note("%s joined, verified (web page, not bound to this connection), key %s", who, e.Fingerprint)
		default:
			r.note("%s joined, key verified (%s)", who, e.Fingerprint)
		}
	case rtc.EventRefused:
		r.track(e)
		if e.Bare == r.me {
			return // another process of mine (a listen, a send --all): nobody to warn about
		}
		r.g.Log.Debug("refused", "peer", e.Peer, "why", e.Err)
		ok, dropped := r.refusals.allow(e.Peer, fmt.Sprint(e.Err), time.Now())
		if !ok {
			return
		}
		if dropped > 0 {
			r.note("%s", heldBack(dropped))
		}
		r.note("refused %s: %s", who, safeText(fmt.Sprint(e.Err)))
		r.t.hint(e.Err)
	case rtc.EventDisconnected:
		joined, refused := r.track(e)
		switch {
		case !joined:
			// A connection that never joined: say why, unless we refused it ourselves
			// (said already). They refusing us is what the user can do something about.
			if !refused && e.Bare != r.me && errors.Is(e.Err, rtc.ErrNotVerified) {
				r.note("not talking to %s: %s", who, safeText(e.Err.Error()))
				r.t.hint(e.Err)
			}
		case e.Err == nil:
			// We closed it: we are leaving.
		case r.stillHere(e.Peer):
			// A newer connection to that process replaced this one.
		case errors.Is(e.Err, rtc.ErrPeerLeft):
			r.note("%s left", who)
		default:
			r.note("%s left: %s", who, safeText(e.Err.Error()))
		}
	case rtc.EventRenamed:
		r.note("%s now calls itself %s; it is still shown as %s, the name it proved", who, safeLine(e.NewName), who)
	case rtc.EventReconnecting:
		r.track(e)
		r.note("%s is unreachable; waiting up to %v for it to come back; lines typed meanwhile are not delivered to it", who, reconnectWindow(r.g))
	case rtc.EventReconnected:
		r.track(e)
		r.note("%s is back", who)
	case rtc.EventLagged:
		r.note("%s", strings.TrimPrefix(laggedText(e), "rtchat: "))
	case rtc.EventSeen:
		r.g.Log.Debug("in the room", "peer", e.Peer, "role", e.Role)
	}
}

// track keeps the members up to date; for a disconnection it says whether the peer had
// joined and whether we had refused it.
func (r *roomChat) track(e rtc.Event) (joined, refused bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch e.Type {
	case rtc.EventJoined:
		r.members[e.Peer] = &roomMember{full: e.Peer, bare: e.Bare, fingerprint: e.Fingerprint, bound: e.Bound, unverified: e.Unverified}
	case rtc.EventRefused:
		if len(r.refusedByUs) >= maxRefusedRemembered {
			clear(r.refusedByUs)
		}
		r.refusedByUs[e.Peer] = true
	case rtc.EventReconnecting, rtc.EventReconnected:
		if m := r.members[e.Peer]; m != nil {
			m.unreachable = e.Type == rtc.EventReconnecting
		}
	case rtc.EventDisconnected:
		_, joined = r.members[e.Peer]
		refused = r.refusedByUs[e.Peer]
		delete(r.members, e.Peer)
		delete(r.refusedByUs, e.Peer)
	}
	return joined, refused
}

// stillHere: a connection to the full name is up again (a newer one replaced the one that
// ended); it is kept a member.
func (r *roomChat) stillHere(full string) bool {
	c := r.client.Load()
	if c == nil {
		return false
	}
	for _, p := range c.Peers() {
		if p.Name() == full {
			r.mu.Lock()
			if r.members[full] == nil {
				r.members[full] = &roomMember{full: full, bare: p.Bare(), fingerprint: p.Fingerprint(), bound: p.Bound(), unverified: !p.Verified()}
			}
			r.mu.Unlock()
			return true
		}
	}
	return false
}
