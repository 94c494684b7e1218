package rtc

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/rtchat/rtchat/keys"
)

// Retries: a connection we want that a budget refused or evicted, or that ended before it
// was established, is offered again with backoff, so that a room converges to a full mesh
// however many peers join at once (budgets admit them in waves) and `ask --all` reaches
// every listener. A budget refusal is tried again until it succeeds or the peer leaves (its
// presence is gone: unload, or forgotten); a connection that failed otherwise too, but
// after retryFailed times in a row only every retrySlow (the peer may be gone without a
// word, and its presence stays listed until it is forgotten).
const (
	retryFirst  = 150 * time.Millisecond
	retryMax    = 5 * time.Second
	retryFailed = 4
	retrySlow   = 30 * time.Second
)

// retryEntry is one full name to offer to again. Room loop only.
type retryEntry struct {
	budget int // attempts after budget refusals
	failed int // attempts after failed connections
	timer  *time.Timer
}

// retryLater schedules another offer to full (at most one pending per name). Room loop.
func (c *Client) retryLater(full string, forBudget bool) {
	r := c.retry[full]
	if r == nil {
		if len(c.retry) >= maxPresence {
			return // as many as the presences we remember: the rest meet us on their next presence
		}
		r = &retryEntry{}
		c.retry[full] = r
	}
	if r.timer != nil {
		return
	}
	n := r.budget
	if forBudget {
		r.budget++
	} else {
		r.failed++
		n = r.failed
	}
	d := retryFirst << min(n, 6)
	d = min(d, retryMax)
	if !forBudget && r.failed > retryFailed {
		d = retrySlow // the peer may be gone without a word: a slow cadence while it is listed
	}
	d = d/2 + rand.N(d/2+1) // spread, so that peers refused together do not return together
	r.timer = time.AfterFunc(d, func() { c.do(func() { c.retryNow(full, r) }) })
}

// retryNow offers to full again if we still want it and it is still here. Room loop.
func (c *Client) retryNow(full string, r *retryEntry) {
	if c.retry[full] != r {
		return
	}
	r.timer = nil
	if c.peers[full] != nil {
		return // a connection exists (ours or the peer's): its end decides
	}
	if c.holding(full) {
		c.retryLater(full, true) // we answer its offer once there is room
		return
	}
	pr, ok := c.presence.peek(full)
	if !ok {
		delete(c.retry, full) // the peer left
		return
	}
	if want, _, _ := c.interest(full, pr.info); !want || c.downgraded(full, pr.info) || c.allGaveUp(full) {
		delete(c.retry, full)
		return
	}
	c.startPeerAdmit(full, pr.info, true, nil, false)
}

// allGaveUp: only a DialAll wants full, and it already has its result for it.
func (c *Client) allGaveUp(full string) bool {
	if !c.cfg.Role.Dials() || c.wants[keys.BareName(full)] != nil || c.all == nil {
		return false
	}
	r := c.all.results[full]
	return r != nil && (r.Err != nil || r.Peer != nil)
}

// retryDone forgets full's retries: it is established, or it left. Room loop.
func (c *Client) retryDone(full string) {
	if r := c.retry[full]; r != nil {
		if r.timer != nil {
			r.timer.Stop()
		}
		delete(c.retry, full)
	}
}

// retryable: a connection that ended this way before it was established is worth another
// offer (not when the peer was refused, or refused us; but a verification that ran out of
// time on a busy machine is).
func retryable(err error) bool {
	var ve *verifyError
	if errors.As(err, &ve) {
		return ve.reason == "no proof"
	}
	return !errors.Is(err, ErrNotVerified)
}

// budgetStrangers and budgetVouched are the budgets of connections not yet verified.
func (c *Client) budgetStrangers() int {
	if c.cfg.PendingBudget > 0 {
		return c.cfg.PendingBudget
	}
	return maxPending
}

func (c *Client) budgetVouched() int {
	if c.cfg.PendingBudget > 0 {
		return c.cfg.PendingBudget
	}
	return maxPendingVouched
}

// heldOffer is an offer signed by a pinned key that came while the budget of connections
// we vouch for was full: it is answered once there is room (its sender waits for an answer
// for offerLifetime anyway), so that neither side waits for a timeout to try again.
type heldOffer struct {
	from string
	info userInfo
	in   *offerInput
	at   time.Time
}

// heldFresh: an offer held longer is dropped (its sender gives up on it at offerLifetime,
// and needs time to connect after our answer); the sender's retry takes over.
const heldFresh = offerLifetime / 2

// holdOffer keeps a signed offer until there is room (one per full name, the newest; at
// most maxPendingVouched, whatever the budget: a dropped offer is only tried again after
// its sender gave up on it). Room loop.
func (c *Client) holdOffer(from string, info userInfo, in *offerInput) bool {
	for i, h := range c.held {
		if h.from == from {
			c.held[i] = heldOffer{from: from, info: info, in: in, at: time.Now()}
			return true
		}
	}
	if len(c.held) >= maxPendingVouched {
		return false
	}
	c.held = append(c.held, heldOffer{from: from, info: info, in: in, at: time.Now()})
	return true
}

// answerHeld answers held offers, oldest first, while there is room. Room loop.
func (c *Client) answerHeld() {
	for len(c.held) > 0 {
		h := c.held[0]
		old := c.peers[h.from]
		if time.Since(h.at) > heldFresh || (old != nil && !c.yields(old)) {
			c.held = c.held[1:]
			continue
		}
		if old != nil {
			// Glare with a retry of ours, and the peer is the tie-break's initiator: we yield
			// as onOffer does (it kept its offer, which we hold).
			old.requestClose(fmt.Errorf("%w: %s reconnected", ErrConnectionLost, h.from))
			c.forget(old)
		}
		if !c.admit(admission{bare: keys.BareName(h.from), protected: true, vouched: true}) {
			return
		}
		c.held = c.held[1:]
		c.startPeer(h.from, h.info, false, h.in)
	}
}

// yields: our connection p is an offer still waiting that gives way to the peer's offer
// (the glare rule of onOffer between rtchat peers).
func (c *Client) yields(p *peer) bool {
	v := c.views[p]
	return p.offerer && p.rt && v != nil && v.state < stConnected && !c.tb.weInitiate(c.me, p.remote)
}

// holding: we hold an offer from full, to answer once there is room.
func (c *Client) holding(full string) bool {
	for _, h := range c.held {
		if h.from == full {
			return true
		}
	}
	return false
}
