package rtc

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/rtchat/rtchat/keys"
)

// want is one Dial in progress. The room loop owns every field but done's results, which it
// sets once before closing done.
type want struct {
	bare string
	done chan struct{}
	peer *Peer
	err  error

	appeared    bool   // a peer of that name that serves us appeared
	downgraded  string // a full name that claimed the name without rtchat's proof
	otherV      int    // the rtchat protocol version it announced, when not ours (0 none)
	busyElse    string // a full name of that name that serves something else
	busyRole    Role
	keyless     string // a full name of that name with no identity key
	started     time.Time
	transportUp bool  // a connection for it came up (so a failure is not the network's)
	negotiated  bool  // an offer and its answer went between us (so ICE had its chance)
	refusal     error // the last verification failure

	// keylessPinned: a full name of that name with no identity key, although the name is
	// pinned with one: ignored, and only mentioned if the Dial times out.
	keylessPinned string
}

func (w *want) settled() bool {
	select {
	case <-w.done:
		return true
	default:
		return false
	}
}

// Dial finds a peer with this bare name that serves what our role asks for, connects,
// verifies it, and (rtchat peers) waits until it verified us too. When several processes
// use the name, each is tried; Dial fails with a verification error only when every one
// that appeared was refused.
func (c *Client) Dial(ctx context.Context, bare string) (*Peer, error) {
	if err := keys.ValidateName(bare); err != nil {
		return nil, fmt.Errorf("peer name: %w", err)
	}
	closed := fmt.Errorf("%w: the client is closed", ErrConnectionLost)
	w := &want{bare: bare, done: make(chan struct{}), started: time.Now()}
	if !c.do(func() { c.startWant(w) }) {
		return nil, closed
	}
	select {
	case <-w.done:
		c.events.sync(ctx) // what happened on the way (verified, pinned) is told first
		return w.peer, w.err
	case <-c.roomDone:
		return nil, closed
	case <-ctx.Done():
	}
	if !c.call(func() { c.cancelWant(w) }) {
		return nil, closed
	}
	if w.peer == nil && errors.Is(ctx.Err(), context.Canceled) {
		return nil, fmt.Errorf("dialling %s: %w", bare, context.Cause(ctx)) // interrupted, not timed out
	}
	return w.peer, w.err
}

// Dialable returns the error Dial would fail with at once for bare (not a valid name, or
// not pinned under trust policy 'known'), or nil: a command to several peers checks every
// name before it reaches any, so a typo in one sends nothing.
func (c *Client) Dialable(bare string) error {
	if err := keys.ValidateName(bare); err != nil {
		return fmt.Errorf("peer name: %w", err)
	}
	var err error
	if !c.call(func() { err = c.notDialable(bare) }) {
		return fmt.Errorf("%w: the client is closed", ErrConnectionLost)
	}
	return err
}

// notDialable: the refusal of a name that is not pinned where only pinned names count. Room
// loop.
func (c *Client) notDialable(bare string) error {
	if _, pinned := c.pinOf(bare); !pinned && !c.cfg.Trust.firstUse() {
		return &verifyError{reason: "not pinned",
			msg:  fmt.Sprintf("%q is not a pinned peer (trust policy 'known')", bare),
			hint: notPinnedHint(bare, c.pins.names())}
	}
	return nil
}

// startWant registers a Dial and connects to every live process of that name. Room loop.
func (c *Client) startWant(w *want) {
	if c.wants[w.bare] != nil {
		c.settle(w, nil, fmt.Errorf("already dialling %s", w.bare))
		return
	}
	if err := c.notDialable(w.bare); err != nil {
		c.settle(w, nil, err)
		return
	}
	c.wants[w.bare] = w
	c.setInterest()
	// Processes of that name we already know of, most recent first.
	var fulls []string
	c.presence.each(func(full string, _ presence) {
		if keys.BareName(full) == w.bare {
			fulls = append(fulls, full)
		}
	})
	for _, full := range fulls {
		pr, _ := c.presence.peek(full)
		c.onConnect(full, pr.info)
	}
	c.poke()
}

// keylessSettle: how long after a Dial starts the room may still answer with other
// processes of the name before a client without identity keys is the final answer.
const keylessSettle = time.Second

// checkKeyless fails a Dial whose only process of that name has no identity key: it can
// never be verified, so say so now rather than time out. Room loop.
func (c *Client) checkKeyless(w *want) {
	if w.settled() || w.keyless == "" || w.appeared {
		return
	}
	if wait := keylessSettle - time.Since(w.started); wait > 0 {
		time.AfterFunc(wait, func() { c.do(func() { c.checkKeyless(w) }) })
		return
	}
	for q, v := range c.views {
		if q.bare == w.bare && !v.state.over() {
			return // another process of that name is being tried
		}
	}
	c.settle(w, nil, keylessErr(w.keyless))
}

// downgradeErr: full, a name pinned as an rtchat peer, appeared without rtchat's proof (a
// web page, or another rtchat protocol version otherV, 0 if none).
func downgradeErr(full string, otherV int) error {
	bare := keys.BareName(full)
	if otherV != 0 {
		return &verifyError{reason: "version",
			msg:  fmt.Sprintf("%s runs rtchat protocol v%d, this rtchat speaks v%d: they cannot verify each other", full, otherV, protocolVersion),
			hint: "both sides need an rtchat of the same protocol version: upgrade the older one ('rtchat version' shows it)"}
	}
	return &verifyError{reason: "downgrade",
		msg:  fmt.Sprintf("%s appeared without rtchat's proof of identity, but %q is pinned as an rtchat peer", full, bare),
		hint: fmt.Sprintf("if %s now uses the RTChat web page, pin it as one: rtchat keys register --web %s JWK", bare, bare)}
}

func keylessErr(full string) error {
	return &verifyError{reason: "no key",
		msg:  fmt.Sprintf("%s uses a client without identity keys; rtchat cannot verify it", full),
		hint: "to talk to it anyway, unverified, use --trust unverified (never for pipe)"}
}

// settle ends a Dial once. Room loop.
func (c *Client) settle(w *want, p *Peer, err error) {
	if w.settled() {
		return
	}
	w.peer, w.err = p, err
	close(w.done)
	if c.wants[w.bare] == w {
		delete(c.wants, w.bare)
		c.setInterest()
	}
	if p == nil {
		return
	}
	// The other attempts for this name are no longer needed.
	for q, v := range c.views {
		if q.bare == w.bare && q != p.p && !v.established() {
			q.requestClose(nil)
			c.forget(q)
		}
	}
}

// cancelWant ends a Dial whose context ended, saying why it failed. Room loop.
func (c *Client) cancelWant(w *want) {
	if w.settled() {
		return
	}
	var err error
	switch {
	case w.refusal != nil:
		err = w.refusal
	case w.downgraded != "":
		err = downgradeErr(w.downgraded, w.otherV)
	case !w.appeared && w.busyElse != "":
		what := "a web page"
		if w.busyRole != "" {
			what = "'rtchat " + string(w.busyRole) + "'"
		}
		err = withHint(fmt.Errorf("%w: %s is in room %q but runs %s, which does not serve %s", ErrTimeout, w.busyElse, c.cfg.Room, what, c.cfg.Role),
			dialHint(c.cfg.Role, w.bare, c.bare))
	case !w.appeared && w.keylessPinned != "":
		err = keylessPinnedErr(w.bare, w.keylessPinned, ErrTimeout)
	case w.appeared:
		if w.transportUp {
			err = withHint(fmt.Errorf("%w: %q connected but did not finish verifying in time", ErrTimeout, w.bare),
				"the network path works; the peer did not complete the identity exchange: is it an up-to-date rtchat, or a web page that is still asking its user to accept the connection?")
		} else if !w.negotiated {
			// Not the network: nothing was answered. Between rtchat peers a peer that has not
			// pinned our key (or pinned another one) ignores our offer and seals nothing to
			// us, and it cannot tell us so without a connection.
			err = withHint(fmt.Errorf("%w: %q appeared but never answered our offer nor sent one", ErrTimeout, w.bare),
				fmt.Sprintf("does %s have your key pinned? Compare fingerprints ('rtchat keys list' there, 'rtchat keys show' here) and pair with 'rtchat keys invite' / 'rtchat keys accept'", w.bare))
		} else {
			err = withHint(fmt.Errorf("%w: %q appeared but did not connect in time", ErrTimeout, w.bare), appearedHint)
		}
	default:
		err = withHint(fmt.Errorf("%w: no peer named %q that serves %s appeared in room %q", ErrTimeout, w.bare, c.cfg.Role, c.cfg.Room),
			dialHint(c.cfg.Role, w.bare, c.bare))
	}
	c.settle(w, nil, err)
}

// settleSuccess: p is verified both ways. Room loop.
func (c *Client) settleSuccess(p *peer) {
	w := c.wants[p.bare]
	if w == nil || !c.servesFor(p.info) {
		return
	}
	c.settle(w, &Peer{p: p}, nil)
}

// settleFailure: p failed or closed. A verification failure ends the Dial only when no other
// process of that name is still being tried. Room loop.
func (c *Client) settleFailure(p *peer, err error) {
	w := c.wants[p.bare]
	if w == nil || err == nil || !errors.Is(err, ErrNotVerified) || !c.servesFor(p.info) {
		return
	}
	w.refusal = err
	for q, v := range c.views {
		if q != p && q.bare == p.bare && !v.state.over() {
			return // another process of that name is still being tried
		}
	}
	c.settle(w, nil, err)
}

// appearedHint: the peer was there but no connection came up (or was not verified) in time.
// Mostly the network: two strict (symmetric) NATs or a firewall that blocks UDP leave ICE
// no path without a TURN server (docs/network.md).
const appearedHint = "if no connection came up, no network path between you worked: behind strict (symmetric) NATs " +
	"or a firewall that blocks UDP you need a TURN server, e.g. --ice 'stun:stun.l.google.com:19302,turn:USER:PASS@HOST:3478' " +
	"(or turns:USER:PASS@HOST:443?transport=tcp where only TCP gets out); run 'rtchat doctor' on both sides to see " +
	"your NAT type and test the TURN server"

// dialHint says what the other side must run for a Dial of role to meet it.
func dialHint(role Role, peer, me string) string {
	switch role {
	case RolePipe:
		return fmt.Sprintf("on %s's machine run 'rtchat pipe %s' with the same --broker and --room", peer, me)
	case RoleConnect:
		return fmt.Sprintf("is %s running 'rtchat listen' or 'rtchat connect %s' with the same --broker and --room?", peer, me)
	}
	return fmt.Sprintf("is %s running 'rtchat listen' with the same --broker and --room?", peer)
}

// notPinnedHint says how to pin a name, or which pinned name was probably meant.
func notPinnedHint(name string, pinned []string) string {
	best, bestD := "", 3
	sort.Strings(pinned)
	for _, n := range pinned {
		if d := keys.EditDistance(name, n); d < bestD {
			best, bestD = n, d
		}
	}
	if best != "" {
		return fmt.Sprintf("did you mean %s? (pinned peers: rtchat keys list)", best)
	}
	return fmt.Sprintf("pin its key with 'rtchat keys register %s JWK' (ask %s for the output of 'rtchat keys show'), or use --trust tofu", name, name)
}
