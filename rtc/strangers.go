package rtc

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rtchat/rtchat/keys"
)

// What strangers may do with names: no name that hides what it is gets past the envelope,
// trust on first use pins only so many names nobody asked for, a look-alike of a pinned name
// is never pinned, and a client without identity keys never gets a name pinned with a key.

// Trust-on-first-use budget for names we did not dial: tofuBurst at once, then one each
// tofuEvery. A person meets a few new names a day; an attacker inventing names meets the
// budget (and the pins file stays small: it is rewritten on every pin).
const (
	tofuBurst = 8
	tofuEvery = time.Minute
)

// nameGuard is the Client's state for the rules above. Safe for concurrent use.
type nameGuard struct {
	badNames atomic.Uint64 // envelopes dropped for their sender's name

	mu     sync.Mutex
	tokens int
	refill time.Time
}

func newNameGuard() *nameGuard { return &nameGuard{tokens: tofuBurst, refill: time.Now()} }

// takeTOFU spends one first-use pin of a stranger's name; false when none is left.
func (g *nameGuard) takeTOFU(now time.Time) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if n := int(now.Sub(g.refill) / tofuEvery); n > 0 {
		g.tokens = min(tofuBurst, g.tokens+n)
		g.refill = g.refill.Add(time.Duration(n) * tofuEvery)
	}
	if g.tokens == 0 {
		return false
	}
	g.tokens--
	return true
}

// senderOK says whether an envelope's sender name may be handled at all: names with control,
// bidirectional or invisible characters (keys.CheckWireName) are dropped, counted, and logged
// at -v (the first few, then every 1024th), escaped.
func (c *Client) senderOK(sender string) bool {
	err := keys.CheckWireName(sender)
	if err == nil {
		return true
	}
	if n := c.guard.badNames.Add(1); n <= 8 || n%1024 == 0 {
		c.log.Debug("dropped a message: its sender name has control or invisible characters", "err", err, "dropped", n)
	}
	return false
}

// keylessInPinnedName: a client without identity keys uses a name pinned with a key. It gets
// nothing, under every trust policy: no "seen" event, no connection, no refusal that would
// end a Dial. A Dial of that name keeps waiting for the real peer and mentions what it saw
// only if it times out (its presence is kept, so that a later Dial learns of it too: every
// replay of the presences comes back here). Room loop.
func (c *Client) keylessInPinnedName(from string, info userInfo) bool {
	if !info.keyless() {
		return false
	}
	bare := keys.BareName(from)
	if _, pinned := c.pinOf(bare); !pinned {
		return false
	}
	if c.presence.put(from, presence{info: info}) {
		// listen and the room say once whom they turn away; a Dial is not ended by it.
		c.noteDowngraded(from, info)
	}
	if w := c.wants[bare]; w != nil {
		w.keylessPinned = from
	}
	c.log.Debug("ignoring a client without identity keys that uses a name pinned with a key", "peer", from)
	return true
}

// keylessPinnedErr: a Dial timed out, and only clients without identity keys used the name.
func keylessPinnedErr(bare, seen string, timeout error) error {
	return withHint(fmt.Errorf("%w: %s did not appear; only %s, a client without identity keys, used the name, which is pinned with a key here: ignored", timeout, bare, seen),
		fmt.Sprintf("someone else may be using the name %s; is %s running rtchat (or the web page with its keys) in this room?", bare, bare))
}

// tofuPin is a key proved on first use, and the kind of peer that proved it.
type tofuPin struct {
	key  string
	kind keys.Kind
}

// pinOnTalk pins a stranger's key proved on first use when it first says something (a chat
// line, a question): connecting and proving alone pins nothing, so strangers that only
// connect cannot fill the pins. False when the pin was refused (the budget, a look-alike,
// another key pinned for the name meanwhile): the peer is refused and what it said dropped.
// Owner goroutine.
func (p *peer) pinOnTalk() bool {
	if p.st == stRefusing {
		return false
	}
	pin := p.tofu
	if pin == nil {
		return true
	}
	p.tofu = nil
	if err := p.pinTOFU(*pin); err != nil {
		p.refuse(err)
		return false
	}
	p.c.emit(Event{Type: EventVerified, Peer: p.remote, Bare: p.bare, Bound: p.proof.bound, Fingerprint: p.proof.fingerprint, Pinned: true})
	return true
}

// pinTOFU pins a key proved on first use for p's name, within the budget for strangers and
// never for a look-alike of a pinned name.
func (p *peer) pinTOFU(pin tofuPin) error {
	if err := p.tofuAllowed(); err != nil {
		return err
	}
	_, err := p.c.cfg.Store.PinPeer(keys.PinRequest{Name: p.bare, Key: pin.key, Kind: pin.kind, NoLookAlike: true})
	if errors.Is(err, keys.ErrLookAlike) {
		return lookAlikeErr(p.remote, p.bare, err)
	}
	if err != nil {
		return &verifyError{reason: "key mismatch", msg: fmt.Sprintf("pin %s on first use: %v", p.bare, err)}
	}
	p.log.Info("pinned a new peer on first use", "peer", p.bare, "fingerprint", keys.Fingerprint(pin.key), "kind", pin.kind)
	return nil
}

// lookAlike refuses, at once, a stranger whose name looks like a pinned one: it is not even
// shown as verified.
func (p *peer) lookAlike() error {
	if err := p.c.cfg.Store.CheckLookAlike(p.bare); err != nil {
		if errors.Is(err, keys.ErrLookAlike) {
			return lookAlikeErr(p.remote, p.bare, err)
		}
		return fmt.Errorf("read pinned peers: %w", err)
	}
	return nil
}

// lookAlikeErr: never pinned silently, since the user would read its lines as the pinned
// peer's.
func lookAlikeErr(full, bare string, err error) error {
	return &verifyError{reason: "not pinned",
		msg:  fmt.Sprintf("not pinning %s on first use: %v", full, err),
		hint: fmt.Sprintf("if this really is someone else, pin its key by hand: rtchat keys register %+q JWK", bare)}
}

// tofuAllowed decides whether a key proved on first use may be pinned for p's name: a name
// we dialled always may; a stranger's only within the budget.
func (p *peer) tofuAllowed() error {
	if p.protected || p.c.guard.takeTOFU(time.Now()) {
		return nil
	}
	return &verifyError{reason: "not pinned",
		msg: fmt.Sprintf("not pinning %s on first use: too many new names were pinned lately (for names we did not dial: at most %d at once, then one a minute)",
			p.remote, tofuBurst),
		hint: fmt.Sprintf("if you know %s, pin its key with 'rtchat keys register %s JWK'", p.bare, p.bare)}
}
