package rtc

import (
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"
)

// stalledReader is an OnEvent that blocks on its first call until released, then records.
type stalledReader struct {
	release chan struct{}
	once    sync.Once
	mu      sync.Mutex
	got     []Event
	news    chan struct{}
}

func newStalledReader() *stalledReader {
	return &stalledReader{release: make(chan struct{}), news: make(chan struct{}, 1)}
}

func (r *stalledReader) onEvent(e Event) {
	<-r.release
	r.mu.Lock()
	r.got = append(r.got, e)
	r.mu.Unlock()
	select {
	case r.news <- struct{}{}:
	default:
	}
}

// await waits until ok holds for the events read so far.
func (r *stalledReader) await(t *testing.T, d time.Duration, what string, ok func([]Event) bool) {
	t.Helper()
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	for {
		r.mu.Lock()
		done := ok(r.got)
		r.mu.Unlock()
		if done {
			return
		}
		select {
		case <-r.news:
		case <-deadline.C:
			r.mu.Lock()
			defer r.mu.Unlock()
			t.Fatalf("%s not read within %v; read %d events", what, d, len(r.got))
		}
	}
}

// TestStalledEventReaderKeepsSignaling: a reader of events that does not read (a stalled
// `listen --json | …`) must not stall the room: a peer still connects and verifies, its
// messages wait (none lost, in order), and the reader is told what it missed (issue 23).
func TestStalledEventReaderKeepsSignaling(t *testing.T) {
	_, url := startBroker(t)
	room := uniqueRoom(t)
	aID, bID := testIdentity(t, "alice", 0), testIdentity(t, "bob", 1)
	reader := newStalledReader()
	startClient(t, url, room, bID, clientOpts{role: RoleListen, pins: map[string]string{"alice": aID.PublicJWK},
		onEvent: reader.onEvent, eventCap: 4})
	alice := startClient(t, url, room, aID, clientOpts{role: RoleConnect, pins: map[string]string{"bob": bID.PublicJWK}})
	t.Cleanup(func() { reader.once.Do(func() { close(reader.release) }) }) // before the clients close
	p, err := alice.Dial(ctxFor(t, 20*time.Second), "bob")
	if err != nil {
		t.Fatalf("Dial while bob's event reader is stalled: %v", err)
	}
	const lines = 20 // more than the queue holds: bob's side holds alice back
	for i := range lines {
		if err := p.Chat(fmt.Sprintf("line %d", i)); err != nil {
			t.Fatalf("Chat %d: %v", i, err)
		}
	}
	reader.once.Do(func() { close(reader.release) })
	reader.await(t, 20*time.Second, "every line", func(evs []Event) bool {
		n := 0
		for _, e := range evs {
			if e.Type == EventMessage {
				n++
			}
		}
		return n == lines
	})
	reader.mu.Lock()
	defer reader.mu.Unlock()
	next, lagged, verified := 0, 0, false
	for _, e := range reader.got {
		switch e.Type {
		case EventMessage:
			if want := fmt.Sprintf("line %d", next); e.Text != want {
				t.Fatalf("message %d is %q, want %q", next, e.Text, want)
			}
			next++
		case EventLagged:
			lagged += e.Dropped
		case EventVerified:
			verified = true
		}
	}
	if lagged == 0 && !verified {
		t.Fatalf("the verified event was neither read nor counted as dropped: %+v", reader.got)
	}
}

// TestEventQueueDropsOnlyLifecycleEvents drives the queue alone: a full queue drops (and
// later reports) lifecycle events, never messages, and keeps the order of what it keeps.
func TestEventQueueDropsOnlyLifecycleEvents(t *testing.T) {
	reader := newStalledReader()
	q := newEventQueue(reader.onEvent, slog.New(slog.DiscardHandler), 4)
	stop := make(chan struct{})
	// The first event is taken by the delivery goroutine, which then blocks in the reader.
	q.push(Event{Type: EventSeen, Peer: "first"}, stop)
	for i := range 10 {
		q.push(Event{Type: EventSeen, Peer: fmt.Sprint(i)}, stop)
	}
	pushed := make(chan struct{})
	go func() {
		defer close(pushed)
		q.push(Event{Type: EventMessage, Text: "kept"}, stop) // waits for room
	}()
	close(reader.release)
	<-pushed
	q.close(ctxFor(t, 10*time.Second))
	var lagged, seen int
	var last Event
	for _, e := range reader.got {
		switch e.Type {
		case EventLagged:
			lagged += e.Dropped
		case EventSeen:
			seen++
		}
		last = e
	}
	if last.Type != EventMessage || last.Text != "kept" {
		t.Fatalf("the message was not delivered last: %+v", reader.got)
	}
	if seen+lagged != 11 || lagged == 0 {
		t.Fatalf("seen %d + dropped %d, want 11 with some dropped: %+v", seen, lagged, reader.got)
	}
}
