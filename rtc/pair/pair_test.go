package pair

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rtchat/rtchat/rtc/broker"
	"github.com/rtchat/rtchat/rtc/signal"
)

const topic = "mrtchat/pairtest"

// room starts an embedded broker and returns a function that dials it.
func room(t *testing.T) (context.Context, func() *signal.Conn) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	b, err := broker.Start(ctx, broker.Options{TCP: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return ctx, func() *signal.Conn {
		c, err := signal.Dial(ctx, signal.Config{BrokerURL: "mqtt://" + b.TCPAddr(), Topic: topic})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close(context.Background()) })
		return c
	}
}

// side records what one side pinned.
type side struct {
	mu     sync.Mutex
	pinned []Identity
	refuse error
}

func (s *side) config(c *signal.Conn, code Code, me Identity) Config {
	return Config{
		Conn: c, Topic: topic, Code: code, Me: me, Resend: 200 * time.Millisecond,
		Check: func(Identity) error { return s.refuse },
		Commit: func(p Identity) error {
			s.mu.Lock()
			defer s.mu.Unlock()
			s.pinned = append(s.pinned, p)
			return nil
		},
	}
}

func (s *side) pins() []Identity {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Identity(nil), s.pinned...)
}

type result struct {
	id  Identity
	err error
}

func run(f func(context.Context, Config) (Identity, error), ctx context.Context, cfg Config) chan result {
	ch := make(chan result, 1)
	go func() {
		id, err := f(ctx, cfg)
		ch <- result{id, err}
	}()
	return ch
}

var (
	alice = Identity{Name: "alice", Key: `{"kty":"RSA","n":"alice"}`}
	bob   = Identity{Name: "bob", Key: `{"kty":"RSA","n":"bob"}`}
)

func TestPairOverBroker(t *testing.T) {
	ctx, dial := room(t)
	code, err := NewCode(nil)
	if err != nil {
		t.Fatal(err)
	}
	var a, b side
	// The acceptor may start first: its hello is sent again until the inviter answers.
	acc := run(Accept, ctx, a.config(dial(), code, bob))
	inv := run(Invite, ctx, b.config(dial(), code, alice))
	ri, ra := <-inv, <-acc
	if ri.err != nil || ra.err != nil {
		t.Fatalf("invite: %v, accept: %v", ri.err, ra.err)
	}
	if ri.id != bob || ra.id != alice {
		t.Errorf("invite got %+v, accept got %+v", ri.id, ra.id)
	}
	if p := b.pins(); len(p) != 1 || p[0] != bob {
		t.Errorf("inviter pinned %+v", p)
	}
	if p := a.pins(); len(p) != 1 || p[0] != alice {
		t.Errorf("acceptor pinned %+v", p)
	}
}

func TestPairWrongCodeEndsBoth(t *testing.T) {
	ctx, dial := room(t)
	code := Code{Plate: 7, Words: [2]string{"amber", "orbit"}}
	wrong := Code{Plate: 7, Words: [2]string{"amber", "otter"}}
	var a, b side
	inv := run(Invite, ctx, b.config(dial(), code, alice))
	acc := run(Accept, ctx, a.config(dial(), wrong, bob))
	ri, ra := <-inv, <-acc
	if !errors.Is(ri.err, ErrWrongCode) || !errors.Is(ra.err, ErrWrongCode) {
		t.Fatalf("invite: %v, accept: %v; want both %v", ri.err, ra.err, ErrWrongCode)
	}
	if len(a.pins())+len(b.pins()) != 0 {
		t.Errorf("pinned after a wrong code: %+v %+v", a.pins(), b.pins())
	}
}

// One guess per invitation: after a wrong attempt, the right code gets nothing either.
func TestPairOneGuess(t *testing.T) {
	ctx, dial := room(t)
	code := Code{Plate: 9, Words: [2]string{"cedar", "mango"}}
	var inviter, guesser, honest side
	inv := run(Invite, ctx, inviter.config(dial(), code, alice))
	first := Code{Plate: 9, Words: [2]string{"cedar", "acid"}}
	if r := <-run(Accept, ctx, guesser.config(dial(), first, Identity{Name: "mallory", Key: "{}"})); !errors.Is(r.err, ErrWrongCode) {
		t.Fatalf("first guess: %v", r.err)
	}
	if r := <-inv; !errors.Is(r.err, ErrWrongCode) {
		t.Fatalf("invite after a wrong guess: %v", r.err)
	}
	// Further guesses, and then the right code, find nobody: the invitation is over.
	for _, w := range []string{"acorn", "actor"} {
		gctx, cancel := context.WithTimeout(ctx, time.Second)
		r := <-run(Accept, gctx, guesser.config(dial(), Code{Plate: 9, Words: [2]string{"cedar", w}}, Identity{Name: "mallory", Key: "{}"}))
		cancel()
		if r.err == nil {
			t.Fatalf("guess %s paired", w)
		}
	}
	hctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if r := <-run(Accept, hctx, honest.config(dial(), code, bob)); r.err == nil {
		t.Fatal("the right code paired after the invitation ended")
	}
	if n := len(inviter.pins()) + len(guesser.pins()) + len(honest.pins()); n != 0 {
		t.Errorf("%d pins", n)
	}
}

func TestPairRefusedByInviter(t *testing.T) {
	ctx, dial := room(t)
	code := Code{Plate: 12, Words: [2]string{"lotus", "north"}}
	var a, b side
	b.refuse = fmt.Errorf("bob is pinned to another key")
	inv := run(Invite, ctx, b.config(dial(), code, alice))
	acc := run(Accept, ctx, a.config(dial(), code, bob))
	ri, ra := <-inv, <-acc
	if ri.err == nil || !errors.Is(ra.err, ErrRefused) || !strings.Contains(ra.err.Error(), "another key") {
		t.Fatalf("invite: %v, accept: %v", ri.err, ra.err)
	}
	if len(a.pins())+len(b.pins()) != 0 {
		t.Error("pinned after a refusal")
	}
}

func TestParseCode(t *testing.T) {
	for in, want := range map[string]string{
		"7-amber-orbit": "7-amber-orbit", " 7 Amber ORBIT\n": "7-amber-orbit", "999-acid-acid": "999-acid-acid",
	} {
		c, err := ParseCode(in)
		if err != nil || c.String() != want {
			t.Errorf("ParseCode(%q) = %v, %v", in, c, err)
		}
	}
	for _, in := range []string{"", "7", "7-amber", "0-amber-orbit", "1000-amber-orbit", "x-amber-orbit", "7-amber-orbits", "7-amber-orbit-x"} {
		if _, err := ParseCode(in); !errors.Is(err, ErrBadCode) {
			t.Errorf("ParseCode(%q): %v", in, err)
		}
	}
	for range 50 {
		c, err := NewCode(nil)
		if err != nil {
			t.Fatal(err)
		}
		if p, err := ParseCode(c.String()); err != nil || p != c {
			t.Errorf("%v does not parse back: %v", c, err)
		}
	}
}

// A guesser on the topic claims the invitation with a hello of its own; then the honest
// acceptor comes. Two acceptors for one invitation: it ends on every side ("crowded"), the
// honest acceptor at once rather than after its timeout, the guesser too, nothing pinned.
func TestPairCrowded(t *testing.T) {
	ctx, dial := room(t)
	code := Code{Plate: 77, Words: [2]string{"cobalt", "mango"}}
	var inviter, honest side
	inv := run(Invite, ctx, inviter.config(dial(), code, alice))

	// The guesser: a share for a code it guessed, sent as a hello.
	gc := dial()
	guess := Code{Plate: 77, Words: [2]string{"cobalt", "melon"}}
	sid := bytes.Repeat([]byte{7}, idLen)
	g, err := calculateGenerator([]byte(guess.String()), (&Config{Topic: topic}).ci(), sid)
	if err != nil {
		t.Fatal(err)
	}
	sh, err := newShare(g, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	gs := &session{cfg: &Config{Conn: gc, Code: guess, Resend: 200 * time.Millisecond}, me: strings.Repeat("ab", idLen)}
	if err := gs.send(ctx, Message{T: THello, Sid: sid, Y: sh.Y}); err != nil {
		t.Fatal(err)
	}
	resend := func() { _ = gc.Publish(ctx, gs.last) }
	for {
		m, err := gs.next(ctx, resend)
		if err != nil {
			t.Fatalf("no reply to the guesser: %v", err)
		}
		if m.T == TReply && m.To == gs.me {
			break
		}
	}
	// The invitation is claimed. The honest acceptor comes.
	if r := <-run(Accept, ctx, honest.config(dial(), code, bob)); !errors.Is(r.err, ErrCrowded) {
		t.Errorf("honest acceptor: %v, want %v", r.err, ErrCrowded)
	}
	if r := <-inv; !errors.Is(r.err, ErrCrowded) {
		t.Errorf("inviter: %v, want %v", r.err, ErrCrowded)
	}
	for {
		m, err := gs.next(ctx, nil)
		if err != nil {
			t.Fatalf("the guesser was not told: %v", err)
		}
		if m.T == TAbort {
			if m.Reason != ReasonCrowded {
				t.Errorf("guesser got abort %q", m.Reason)
			}
			break
		}
	}
	if len(inviter.pins())+len(honest.pins()) != 0 {
		t.Error("pinned")
	}
}
