package rtc

import (
	"context"
	"log/slog"
	"sync"
)

// EventLagged: the reader of events (Config.OnEvent) was so slow that events other than
// messages were dropped; Dropped says how many. Messages are never dropped: their peers
// are held back instead (SCTP flow control), as a slow pipe reader holds back its writer.
const EventLagged EventType = "lagged"

// Queue limits. Messages wait for room at msgQueueCap (their peer waits, nothing is lost);
// other events are dropped, and counted, only at eventQueueCap, so that a flood of
// messages never costs the reader a lifecycle event.
const (
	msgQueueCap   = 1024
	eventQueueCap = 4096
)

// eventQueue hands events to Config.OnEvent from a goroutine of its own, in the order they
// were emitted, so that a slow reader (a stalled `listen --json | …`) never blocks the room
// loop, and so signaling goes on. Callbacks therefore run on that goroutine; they may call
// every Client and Peer method except Dial, DialAll and Close, which wait for the events
// emitted before they return to be delivered.
type eventQueue struct {
	fn  func(Event)
	log *slog.Logger
	cap int // eventQueueCap; tests set less

	mu        sync.Mutex
	q         []Event
	emitted   uint64        // events queued so far
	delivered uint64        // events handed to fn so far
	dropped   int           // dropped since the reader was last told
	changed   chan struct{} // closed (and replaced) whenever the queue moves
	wake      chan struct{} // cap 1: there is work
	closed    bool
	done      chan struct{} // the delivery goroutine ended
}

func newEventQueue(fn func(Event), log *slog.Logger, capacity int) *eventQueue {
	if capacity <= 0 {
		capacity = eventQueueCap
	}
	q := &eventQueue{fn: fn, log: log, cap: capacity, changed: make(chan struct{}),
		wake: make(chan struct{}, 1), done: make(chan struct{})}
	if fn == nil {
		close(q.done)
		return q
	}
	go q.run()
	return q
}

// broadcast wakes everyone waiting on the queue. Holds mu.
func (q *eventQueue) broadcast() {
	close(q.changed)
	q.changed = make(chan struct{})
}

// push queues e. A message waits while the queue holds msgQueueCap events (until stop
// ends); any other event is dropped, and counted, when the queue is full. It never blocks
// for anything but a message.
func (q *eventQueue) push(e Event, stop <-chan struct{}) {
	if q.fn == nil {
		if e.shown != nil {
			e.shown() // nobody reads: as good as shown
		}
		return
	}
	msgCap := min(msgQueueCap, q.cap)
	q.mu.Lock()
	for e.Type == EventMessage && len(q.q) >= msgCap && !q.closed {
		ch := q.changed
		q.mu.Unlock()
		select {
		case <-ch:
		case <-stop:
			// Closing: the reader is not reading. The message still joins the queue: it
			// is over the soft limit, not lost.
			q.mu.Lock()
			q.enqueue(e)
			q.mu.Unlock()
			return
		}
		q.mu.Lock()
	}
	if q.closed {
		q.mu.Unlock()
		return
	}
	if e.Type != EventMessage && len(q.q) >= q.cap {
		if q.dropped == 0 {
			q.log.Warn("events are read too slowly: dropping them until the reader catches up", "queued", len(q.q))
		}
		q.dropped++
		q.mu.Unlock()
		return
	}
	q.enqueue(e)
	q.mu.Unlock()
}

// enqueue appends e and wakes the delivery goroutine. Holds mu.
func (q *eventQueue) enqueue(e Event) {
	q.q = append(q.q, e)
	q.emitted++
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// run delivers events until the queue is closed and empty.
func (q *eventQueue) run() {
	defer close(q.done)
	for {
		q.mu.Lock()
		for len(q.q) == 0 && q.dropped == 0 {
			if q.closed {
				q.mu.Unlock()
				return
			}
			q.mu.Unlock()
			<-q.wake
			q.mu.Lock()
		}
		var e Event
		counted := false
		if q.dropped > 0 && len(q.q) <= q.cap/2 {
			// Tell the reader what it missed once there is room again, in order.
			e, counted = Event{Type: EventLagged, Dropped: q.dropped}, true
			q.dropped = 0
		} else {
			e = q.q[0]
			q.q[0] = Event{}
			q.q = q.q[1:]
		}
		q.mu.Unlock()
		q.fn(e)
		if e.shown != nil {
			e.shown()
		}
		q.mu.Lock()
		if !counted {
			q.delivered++
		}
		q.broadcast()
		q.mu.Unlock()
	}
}

// sync waits until every event queued before the call was delivered, or ctx ends.
func (q *eventQueue) sync(ctx context.Context) {
	q.mu.Lock()
	target := q.emitted
	for q.delivered < target {
		ch := q.changed
		q.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return
		}
		q.mu.Lock()
	}
	q.mu.Unlock()
}

// close delivers what is queued and ends the delivery goroutine; it waits while ctx allows.
func (q *eventQueue) close(ctx context.Context) {
	q.mu.Lock()
	if !q.closed {
		q.closed = true
		q.broadcast()
		select {
		case q.wake <- struct{}{}:
		default:
		}
	}
	q.mu.Unlock()
	select {
	case <-q.done:
	case <-ctx.Done():
	}
}
