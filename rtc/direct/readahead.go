package direct

import (
	"fmt"
	"sync"
)

// DefaultReadAhead bounds what a Switch reads ahead from a committed direct connection
// while its reader still drains the first channel: enough to keep a TCP window open for a
// round trip or two at the rates the direct path reaches across the internet (4 MiB is
// 160 ms at 25 MB/s), small next to a pipe's other buffers.
const DefaultReadAhead = 4 << 20

// msgCost is what a queued message counts against the bound besides its payload, so that
// empty messages are bounded too.
const msgCost = headerLen

// readQueue reads a direct connection ahead of the Switch's reader into a bounded queue
// of messages, until the reader takes over (handover), the connection ends (err), or the
// Switch closes without the reader having moved (then it only drains). Messages leave in
// the order they were read, each once; when the queue holds limit bytes, it stops reading,
// so the peer's writes back up into TCP as they would without it.
type readQueue struct {
	mu       sync.Mutex
	cond     *sync.Cond
	q        []queued
	bytes    int
	limit    int
	err      error // the read that ended the reader: after the queue, every read gets it
	handover bool  // the Switch's reader moved: stop after the read in progress
	drop     bool  // the Switch closed before its reader moved: read and discard
	stopped  bool  // run returned
	peak     int   // the most bytes queued at once (tests)
}

type queued struct {
	p        []byte
	isString bool
}

func newReadQueue(limit int) *readQueue {
	r := &readQueue{limit: limit}
	r.cond = sync.NewCond(&r.mu)
	return r
}

// run reads c until handover, an error, or (dropping) the end of the connection.
func (r *readQueue) run(c *Channel) {
	buf := make([]byte, MaxMessage)
	r.mu.Lock()
	defer func() {
		r.stopped = true
		r.cond.Broadcast()
		r.mu.Unlock()
	}()
	for {
		for r.bytes >= r.limit && !r.handover && !r.drop {
			r.cond.Wait()
		}
		if r.handover && !r.drop {
			return
		}
		r.mu.Unlock()
		n, isString, err := c.ReadDataChannel(buf)
		r.mu.Lock()
		if err != nil {
			r.err = err
			return
		}
		if !r.drop {
			r.q = append(r.q, queued{p: append([]byte(nil), buf[:n]...), isString: isString})
			r.bytes += n + msgCost
			r.peak = max(r.peak, r.bytes)
			r.cond.Broadcast()
		}
	}
}

// next takes the next queued message for the Switch's reader (one at a time). handed
// says the queue is empty and its reader stopped without an error: read the connection
// itself from now on.
func (r *readQueue) next(p []byte) (n int, isString, handed bool, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.handover {
		r.handover = true
		r.cond.Broadcast()
	}
	for len(r.q) == 0 && !r.stopped {
		r.cond.Wait()
	}
	if len(r.q) == 0 {
		return 0, false, r.err == nil, r.err
	}
	m := r.q[0]
	if len(m.p) > len(p) {
		// As Channel would: a message the reader's buffer cannot hold ends the stream.
		return 0, false, false, fmt.Errorf("%w: %d bytes", ErrTooBig, len(m.p))
	}
	r.q[0] = queued{}
	r.q = r.q[1:]
	r.bytes -= len(m.p) + msgCost
	r.cond.Broadcast()
	return copy(p, m.p), m.isString, false, nil
}

// discard turns a running reader into a drain (the Switch closed before its reader
// moved) and says whether it still runs.
func (r *readQueue) discard() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.drop = true
	r.q, r.bytes = nil, 0
	r.cond.Broadcast()
	return !r.stopped
}
