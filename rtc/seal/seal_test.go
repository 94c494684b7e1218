package seal

import (
	"bytes"
	"errors"
	"testing"
)

func mustKey(t testing.TB) *Key {
	t.Helper()
	k, err := NewKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestSealOpen: only the intended recipient opens, only under the same room, names, label
// and direction; any changed byte fails.
func TestSealOpen(t *testing.T) {
	alice, bob, eve := mustKey(t), mustKey(t), mustKey(t)
	ctx := Context{Room: "mrtchat/chat", Sender: "alice(0a0a)", Target: "bob(0b0b)", Label: LabelOffer}
	msg := []byte("v=0 a=candidate:1 1 udp 1 127.0.0.1 9 typ host")
	box, err := alice.Seal(bob.Public(), ctx, msg)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(box, []byte("candidate")) || len(box) != len(msg)+Overhead {
		t.Fatalf("box of %d bytes leaks or has the wrong size", len(box))
	}
	got, err := bob.Open(alice.Public(), ctx, box)
	if err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("bob opens: %q, %v", got, err)
	}
	flipped := bytes.Clone(box)
	flipped[len(flipped)-1] ^= 1
	with := func(f func(*Context)) Context { c := ctx; f(&c); return c }
	for _, tc := range []struct {
		name   string
		by     *Key
		sender []byte
		ctx    Context
		box    []byte
	}{
		{"another recipient", eve, alice.Public(), ctx, box},
		{"the sender itself", alice, bob.Public(), ctx, box},
		{"another claimed sender key", bob, eve.Public(), ctx, box},
		{"another room", bob, alice.Public(), with(func(c *Context) { c.Room = "mrtchat/other" }), box},
		{"another sender name", bob, alice.Public(), with(func(c *Context) { c.Sender = "alice(0a0b)" }), box},
		{"another target name", bob, alice.Public(), with(func(c *Context) { c.Target = "bob(0b0c)" }), box},
		{"another label", bob, alice.Public(), with(func(c *Context) { c.Label = LabelAnswer }), box},
		{"reversed direction", bob, alice.Public(), Context{Room: ctx.Room, Sender: ctx.Target, Target: ctx.Sender, Label: ctx.Label}, box},
		{"a flipped bit", bob, alice.Public(), ctx, flipped},
		{"truncated", bob, alice.Public(), ctx, box[:Overhead-1]},
		{"empty", bob, alice.Public(), ctx, nil},
		{"short key", bob, alice.Public()[:31], ctx, box},
		{"low-order key", bob, make([]byte, KeySize), ctx, box},
		{"too long", bob, alice.Public(), ctx, make([]byte, MaxBox+1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := tc.by.Open(tc.sender, tc.ctx, tc.box); !errors.Is(err, ErrOpen) {
				t.Fatalf("opened or wrong error: %v", err)
			}
		})
	}
}

// TestSealFresh: two seals of one message differ (random nonce), and a key's public half is
// bound into KeyMessage with the room and name.
func TestSealFresh(t *testing.T) {
	a, b := mustKey(t), mustKey(t)
	ctx := Context{Room: "r", Sender: "a", Target: "b", Label: LabelAnswer}
	x, _ := a.Seal(b.Public(), ctx, []byte("same"))
	y, _ := a.Seal(b.Public(), ctx, []byte("same"))
	if bytes.Equal(x, y) {
		t.Fatal("two seals are equal")
	}
	if bytes.Equal(KeyMessage("r", "a", a.Public()), KeyMessage("r", "a", b.Public())) ||
		bytes.Equal(KeyMessage("r", "ab", nil), KeyMessage("ra", "b", nil)) {
		t.Fatal("KeyMessage is ambiguous")
	}
	if _, err := a.Seal(b.Public(), ctx, make([]byte, MaxBox)); err == nil {
		t.Fatal("sealed more than MaxBox")
	}
}

// FuzzOpen: whatever arrives on the topic, Open returns ErrOpen or the plaintext that was
// sealed, never panics.
func FuzzOpen(f *testing.F) {
	alice, bob := mustKey(f), mustKey(f)
	ctx := Context{Room: "mrtchat/chat", Sender: "alice(0a0a)", Target: "bob(0b0b)", Label: LabelOffer}
	box, err := alice.Seal(bob.Public(), ctx, []byte(`{"sdp":"v=0"}`))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(box, alice.Public())
	f.Add([]byte{}, make([]byte, KeySize))
	f.Add(box[:30], alice.Public()[:5])
	f.Fuzz(func(t *testing.T, b, pub []byte) {
		pt, err := bob.Open(pub, ctx, b)
		if err != nil {
			if !errors.Is(err, ErrOpen) {
				t.Fatalf("error not ErrOpen: %v", err)
			}
			return
		}
		if !bytes.Equal(b, box) || string(pt) != `{"sdp":"v=0"}` {
			t.Fatalf("opened a box nobody sealed: %q", pt)
		}
	})
}
