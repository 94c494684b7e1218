package rtc

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/rtchat/rtchat/keys"
)

// DialResult is the outcome of connecting to one peer of DialAll.
type DialResult struct {
	Name string // full name
	Bare string
	Peer *Peer // nil on failure
	Err  error
}

// allWant is a DialAll in progress. The room loop owns it.
type allWant struct {
	done    chan struct{}
	results map[string]*DialResult // by full name
	settled bool                   // the settle time is over: finish once nothing is pending
	out     []DialResult
}

// DialAll connects to every peer in the room that serves our role (each verified as Dial
// does) and returns one result per peer that appeared within settle, sorted by name. It
// returns when every attempt ended, or when ctx ends (unfinished attempts then fail with
// ErrTimeout). Only one DialAll runs at a time.
func (c *Client) DialAll(ctx context.Context, settle time.Duration) ([]DialResult, error) {
	a := &allWant{done: make(chan struct{}), results: map[string]*DialResult{}}
	var busy bool
	if !c.call(func() {
		if c.all != nil {
			busy = true
			return
		}
		c.all = a
		var fulls []string
		c.presence.each(func(full string, _ presence) { fulls = append(fulls, full) })
		for _, full := range fulls {
			pr, _ := c.presence.peek(full)
			c.onConnect(full, pr.info)
		}
		c.poke()
		time.AfterFunc(settle, func() {
			c.do(func() {
				a.settled = true
				c.finishAll(a)
			})
		})
	}) {
		return nil, fmt.Errorf("%w: the client is closed", ErrConnectionLost)
	}
	if busy {
		return nil, fmt.Errorf("another DialAll is running")
	}
	select {
	case <-a.done:
		c.events.sync(ctx) // what happened on the way is told first
	case <-c.roomDone:
		return nil, fmt.Errorf("%w: the client is closed", ErrConnectionLost)
	case <-ctx.Done():
		c.call(func() {
			for _, r := range a.results {
				if r.Peer == nil && r.Err == nil {
					r.Err = fmt.Errorf("%w: %s did not connect and verify in time", ErrTimeout, r.Name)
				}
			}
			a.settled = true
			c.finishAll(a)
		})
		<-a.done
	}
	return a.out, nil
}

// allNote records that a process serving us appeared (or one that cannot be verified).
// Room loop.
func (c *Client) allNote(full string, info userInfo) {
	a := c.all
	if a == nil || a.results[full] != nil || c.mine(full) {
		return
	}
	switch {
	case c.servesFor(info):
		a.results[full] = &DialResult{Name: full, Bare: keys.BareName(full)}
	case info.keyless():
		a.results[full] = &DialResult{Name: full, Bare: keys.BareName(full), Err: keylessErr(full)}
	}
}

// mine: full is another process of my own identity's name (a listen of mine, say). It is
// never one of everyone: not a target of DialAll, not a member the room connects to.
func (c *Client) mine(full string) bool {
	return keys.BareName(full) == keys.BareName(c.me)
}

// allSettle records the outcome of a connection for DialAll. Room loop.
func (c *Client) allSettle(p *peer, err error) {
	a := c.all
	if a == nil {
		return
	}
	r := a.results[p.remote]
	if r == nil || r.Peer != nil || r.Err != nil {
		return
	}
	if err == nil {
		r.Peer = &Peer{p: p}
	} else if errorsIsAny(err, ErrNotVerified, ErrConnectionLost, ErrTimeout) {
		r.Err = err
	}
	c.finishAll(a)
}

// finishAll ends the DialAll once the settle time is over and no attempt is pending.
func (c *Client) finishAll(a *allWant) {
	if c.all != a || !a.settled {
		return
	}
	for _, r := range a.results {
		if r.Peer == nil && r.Err == nil {
			return
		}
	}
	for _, r := range a.results {
		a.out = append(a.out, *r)
	}
	sort.Slice(a.out, func(i, j int) bool { return a.out[i].Name < a.out[j].Name })
	c.all = nil
	close(a.done)
}

// Peers returns the peers verified both ways and connected now, sorted by full name.
func (c *Client) Peers() []*Peer {
	var out []*Peer
	c.call(func() {
		for p, v := range c.views {
			if v.established() && v.up {
				out = append(out, &Peer{p: p})
			}
		}
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Name() < out[j].Name() })
	return out
}

// AllProgress reports the DialAll in progress, for a progress line: the peers that
// appeared and serve us, those connected and verified, and those that failed.
func (c *Client) AllProgress() (found, ready, failed int) {
	c.call(func() {
		if c.all == nil {
			return
		}
		for _, r := range c.all.results {
			found++
			switch {
			case r.Peer != nil:
				ready++
			case r.Err != nil:
				failed++
			}
		}
	})
	return found, ready, failed
}
