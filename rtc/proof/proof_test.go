package proof

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/rtchat/rtchat/keys"
)

// Two real identities, made once (RSA key generation is slow).
var (
	idsOnce        sync.Once
	alice, mallory *keys.Identity
	idsErr         error
)

func ids(t testing.TB) (*keys.Identity, *keys.Identity) {
	t.Helper()
	idsOnce.Do(func() {
		if alice, idsErr = keys.Generate("alice"); idsErr == nil {
			mallory, idsErr = keys.Generate("mallory")
		}
	})
	if idsErr != nil {
		t.Fatal(idsErr)
	}
	return alice, mallory
}

var t0 = time.UnixMilli(1_800_000_000_000)

func offer(sender, nonce string, ts time.Time) Signal {
	return Signal{Kind: KindOffer, Room: "mrtchat/chat", Sender: sender, Target: "bob(1)", TS: ts.UnixMilli(),
		Nonce: nonce, Role: "ask", SDP: "v=0"}
}

func signed(t testing.TB, id *keys.Identity, s Signal) string {
	t.Helper()
	sig, err := s.Sign(id.Sign)
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

// TestSignalMessageWithoutClaimUnchanged: a signal without the Bound claim is signed over the
// same bytes as before the claim existed, so older rtchat peers still verify it.
func TestSignalMessageWithoutClaimUnchanged(t *testing.T) {
	s := Signal{Kind: KindOffer, Room: "r", Sender: "a(1)", Target: "b(1)", TS: 5, Nonce: "n",
		Role: "ask", SDP: "v=0", Seal: "k1.k2"}
	old := Fields([]byte(SignalDomain), []byte("offer"), []byte("r"), []byte("a(1)"), []byte("b(1)"),
		[]byte("5"), []byte("n"), nil, []byte("ask"), nil, []byte("v=0"), []byte("k1.k2"))
	if !bytes.Equal(s.Message(), old) {
		t.Fatal("a signal without the claim is not signed over the v3 message")
	}
	s.Bound = true
	if !bytes.Equal(s.Message(), append(old, Fields([]byte(BoundField))...)) {
		t.Fatal("the claim is not one field appended to the v3 message")
	}
}

func TestFields(t *testing.T) {
	got := Fields([]byte("ab"), nil, []byte("c"))
	want := []byte{0, 0, 0, 2, 'a', 'b', 0, 0, 0, 0, 0, 0, 0, 1, 'c'}
	if !bytes.Equal(got, want) {
		t.Fatalf("Fields = %v, want %v", got, want)
	}
	// Moving a byte from one field to the next changes the message.
	if bytes.Equal(Fields([]byte("ab"), []byte("c")), Fields([]byte("a"), []byte("bc"))) {
		t.Fatal("field boundaries are not part of the message")
	}
}

// TestSignalMessageBindsEveryField: changing any field, or the kind, or the restart flag,
// makes a signature invalid.
func TestSignalMessageBindsEveryField(t *testing.T) {
	a, _ := ids(t)
	base := Signal{Kind: KindAnswer, Room: "r", Sender: "a(1)", Target: "b(1)", TS: 5, Nonce: "n",
		OfferNonce: "o", Role: "listen", Pipe: "p", SDP: "v=0", Seal: "k1.k2"}
	sig := signed(t, a, base)
	if err := base.Verify(a.PublicJWK, sig); err != nil {
		t.Fatal(err)
	}
	mutations := map[string]func(*Signal){
		"kind":       func(s *Signal) { s.Kind = KindOffer },
		"room":       func(s *Signal) { s.Room = "r2" },
		"sender":     func(s *Signal) { s.Sender = "a(2)" },
		"target":     func(s *Signal) { s.Target = "b(2)" },
		"ts":         func(s *Signal) { s.TS = 6 },
		"nonce":      func(s *Signal) { s.Nonce = "m" },
		"offerNonce": func(s *Signal) { s.OfferNonce = "" },
		"role":       func(s *Signal) { s.Role = "ask" },
		"pipe":       func(s *Signal) { s.Pipe = "" },
		"sdp":        func(s *Signal) { s.SDP = "v=1" },
		"restart":    func(s *Signal) { s.Restart = true },
		"seal":       func(s *Signal) { s.Seal = "k1.k3" },
		"bound":      func(s *Signal) { s.Bound = true },
		"shifted":    func(s *Signal) { s.Room, s.Sender = "ra", "(1)" },
	}
	for name, mutate := range mutations {
		s := base
		mutate(&s)
		if err := s.Verify(a.PublicJWK, sig); !errors.Is(err, ErrBadSignature) {
			t.Errorf("%s changed: Verify = %v, want ErrBadSignature", name, err)
		}
	}
	// And the other way: a signature with the claim does not verify without it (stripping
	// the claim would make the peer wait for a proof it never asks; adding it would skip one).
	withClaim := base
	withClaim.Bound = true
	if err := base.Verify(a.PublicJWK, signed(t, a, withClaim)); !errors.Is(err, ErrBadSignature) {
		t.Errorf("claim stripped: Verify = %v, want ErrBadSignature", err)
	}
	for name, bad := range map[string]string{"not base64": "!!", "empty": "", "huge": string(make([]byte, 5000))} {
		if err := base.Verify(a.PublicJWK, bad); !errors.Is(err, ErrBadSignature) {
			t.Errorf("signature %s: Verify = %v, want ErrBadSignature", name, err)
		}
	}
}

func TestFresh(t *testing.T) {
	for _, tc := range []struct {
		off  time.Duration
		fine bool
	}{
		{0, true}, {Freshness, true}, {-Freshness, true},
		{Freshness + time.Millisecond, false}, {-Freshness - time.Millisecond, false},
	} {
		err := Fresh(t0.Add(tc.off).UnixMilli(), t0)
		if (err == nil) != tc.fine || (err != nil && !errors.Is(err, ErrStale)) {
			t.Errorf("Fresh(now%+v) = %v, want fine=%v", tc.off, err, tc.fine)
		}
	}
}

// TestAdmit is the table of one sender's messages through Admit.
func TestAdmit(t *testing.T) {
	a, m := ids(t)
	type step struct {
		s      Signal
		by     *keys.Identity // who signs it
		pinned bool
		now    time.Time
		want   error // nil, ErrStale, ErrReplayed or ErrBadSignature
	}
	o1 := offer("alice(1)", "n1", t0)
	o2 := offer("alice(1)", "n2", t0.Add(time.Second))
	strangerSteps := func(by *keys.Identity, name string, n int) []step {
		var out []step
		for i := range n { // dated in the future, to raise whatever floor they could
			out = append(out, step{offer(name, fmt.Sprint("x", i), t0.Add(Freshness-time.Duration(i)*time.Millisecond)), by, false, t0, nil})
		}
		return out
	}
	for _, tc := range []struct {
		name  string
		steps []step
	}{
		{"first", []step{{o1, a, true, t0, nil}}},
		{"replay", []step{{o1, a, true, t0, nil}, {o1, a, true, t0.Add(time.Minute), ErrReplayed}}},
		{"replay after another", []step{{o1, a, true, t0, nil}, {o2, a, true, t0, nil}, {o1, a, true, t0, ErrReplayed}}},
		{"out of order inside the window", []step{{o2, a, true, t0, nil}, {o1, a, true, t0, nil}}},
		{"too old", []step{{o1, a, true, t0.Add(Freshness + time.Second), ErrStale}}},
		{"from the future", []step{{o1, a, true, t0.Add(-Freshness - time.Second), ErrStale}}},
		{"bad signature is not remembered", []step{{o1, m, true, t0, ErrBadSignature}, {o1, a, true, t0, nil}}},
		{"same nonce, other sender", []step{{o1, a, true, t0, nil}, {offer("alice(2)", "n1", t0), a, true, t0, nil}}},
		{"stranger replay", []step{{o1, a, false, t0, nil}, {o1, a, false, t0, ErrReplayed}}},
		{"pinned after first use keeps what it signed as a stranger",
			[]step{{o1, a, false, t0, nil}, {o1, a, true, t0, ErrReplayed}, {o2, a, true, t0, nil}, {o2, a, false, t0, ErrReplayed}}},
		{"a stranger's messages in a pinned name lock nothing out",
			append(strangerSteps(m, "alice(1)", maxNonces+4), step{o2, a, true, t0, nil})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := NewMemory(4)
			for i, st := range tc.steps {
				key := a.PublicJWK
				if !st.pinned {
					key = st.by.PublicJWK // a stranger is checked against the key it carries
				}
				err := mem.Admit(Claim{Signal: st.s, Sig: signed(t, st.by, st.s), Key: key, Pinned: st.pinned}, st.now)
				if (st.want == nil && err != nil) || (st.want != nil && !errors.Is(err, st.want)) {
					t.Fatalf("step %d (%s): Admit = %v, want %v", i, st.s.Nonce, err, st.want)
				}
			}
		})
	}
}

// TestStrangersCannotEvictPinned is the attack of issue 17 (2): many more offers than any
// table holds, signed by their own keys under made-up names, then a replay of the pinned
// peer's offer. The memory only checks; Seen needs no signatures.
func TestStrangersCannotEvictPinned(t *testing.T) {
	a, _ := ids(t)
	mem := NewMemory(MaxStrangers)
	o := offer("alice(1)", "real", t0)
	if err := mem.Admit(Claim{Signal: o, Sig: signed(t, a, o), Key: a.PublicJWK, Pinned: true}, t0); err != nil {
		t.Fatal(err)
	}
	for i := range 20 * MaxStrangers {
		mem.remember(fmt.Sprintf("made-up%d(1)", i), false, t0.UnixMilli(), fmt.Sprint(i), t0)
	}
	if p, s := mem.Len(); p != 1 || s != MaxStrangers {
		t.Fatalf("memory holds %d pinned and %d strangers; want 1 and %d", p, s, MaxStrangers)
	}
	if err := mem.Admit(Claim{Signal: o, Sig: signed(t, a, o), Key: a.PublicJWK, Pinned: true}, t0.Add(5*time.Minute)); !errors.Is(err, ErrReplayed) {
		t.Fatalf("the pinned peer's offer after the flood: Admit = %v, want ErrReplayed", err)
	}
	if got := mem.Newest("alice(1)"); got != o.TS {
		t.Fatalf("Newest = %d, want %d", got, o.TS)
	}
}

// TestEvictionNeverReadmits: a pinned sender that signs more than its memory holds inside
// the window loses its oldest nonces, and with them everything dated at or before them.
func TestEvictionNeverReadmits(t *testing.T) {
	mem := NewMemory(1)
	name := "alice(1)"
	for i := range 3 * maxNonces {
		ts := t0.Add(time.Duration(i) * time.Millisecond).UnixMilli()
		if err := mem.Seen(name, ts, fmt.Sprint(i)); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		mem.remember(name, true, ts, fmt.Sprint(i), t0)
	}
	for i := range 3 * maxNonces {
		ts := t0.Add(time.Duration(i) * time.Millisecond).UnixMilli()
		if err := mem.Seen(name, ts, fmt.Sprint(i)); !errors.Is(err, ErrReplayed) {
			t.Fatalf("message %d again: Seen = %v, want ErrReplayed", i, err)
		}
	}
	if err := mem.Seen(name, t0.Add(time.Second).UnixMilli(), "new"); err != nil {
		t.Fatalf("a newer message: %v", err)
	}
}

// TestMemoryForgetsStale: senders and nonces go once nothing of theirs can pass Fresh, so a
// long-running listener does not grow with every ask it answered.
func TestMemoryForgetsStale(t *testing.T) {
	mem := NewMemory(MaxStrangers)
	for i := range 1000 {
		now := t0.Add(time.Duration(i) * time.Minute)
		mem.remember(fmt.Sprintf("alice(%d)", i), true, now.UnixMilli(), "n", now)
	}
	if p, _ := mem.Len(); p > 200 {
		t.Fatalf("%d pinned senders remembered after 1000 over 1000 minutes; want about 2·Freshness worth", p)
	}
	s := &sender{pinned: true, nonces: map[string]int64{}}
	s.add(t0.UnixMilli(), "old", t0)
	later := t0.Add(Freshness + time.Minute)
	s.add(later.UnixMilli(), "new", later)
	if _, ok := s.nonces["old"]; ok || len(s.nonces) != 1 {
		t.Fatalf("stale nonce kept: %v", s.nonces)
	}
}

func TestDecodeB64(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int
		ok   bool
	}{
		{"AAAA", 3, true}, {"AAAA", 0, true}, {"AAAA", 4, false}, {"A", 0, false}, {"AA==", 0, false},
		{string(bytes.Repeat([]byte("A"), 4100)), 0, false},
	} {
		_, err := DecodeB64(tc.in, tc.want)
		if (err == nil) != tc.ok {
			t.Errorf("DecodeB64(%.8q, %d) = %v, want ok=%v", tc.in, tc.want, err, tc.ok)
		}
	}
}

// FuzzAdmit: whatever a stranger sends (any fields, any signature, any key, any order), the
// memory never panics, never accepts a bad signature, and never accepts one message twice.
func FuzzAdmit(f *testing.F) {
	a, _ := ids(f)
	o := offer("alice(1)", "n1", t0)
	f.Add("alice(1)", "n1", int64(0), signed(f, a, o), a.PublicJWK, true, false)
	f.Add("x(1)", "", int64(-1), "", "{}", false, true)
	f.Fuzz(func(t *testing.T, sender, nonce string, off int64, sig, key string, pinned, restart bool) {
		mem := NewMemory(2)
		s := offer(sender, nonce, t0.Add(time.Duration(off)*time.Millisecond))
		s.Restart = restart
		c := Claim{Signal: s, Sig: sig, Key: key, Pinned: pinned}
		err := mem.Admit(c, t0)
		if err == nil && s.Verify(key, sig) != nil {
			t.Fatal("admitted a message whose signature does not verify")
		}
		if err == nil {
			if err := mem.Admit(c, t0); !errors.Is(err, ErrReplayed) {
				t.Fatalf("admitted twice: %v", err)
			}
		}
	})
}
