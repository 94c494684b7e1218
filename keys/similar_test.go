package keys

import (
	"errors"
	"testing"
)

func TestEditDistance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		d    int
	}{{"", "", 0}, {"bob", "bob", 0}, {"bobb", "bob", 1}, {"kitten", "sitting", 3}, {"", "abc", 3}, {"é", "e", 1}, {"dna", "dan", 2}} {
		if got := EditDistance(c.a, c.b); got != c.d {
			t.Errorf("EditDistance(%q, %q) = %d, want %d", c.a, c.b, got, c.d)
		}
	}
}

func TestLookAlike(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{"bob", "b\u043eb", true},           // Cyrillic о
		{"bob", "B\u041eB", true},           // Cyrillic capitals
		{"bob", "b\u03bfb", true},           // Greek ο
		{"bob", "b0b", true},                // digit zero
		{"bill", "biII", true},              // capital I for l
		{"bob", "Bob", true},                // case
		{"bob", "bo\u0301b", true},          // combining accent
		{"bob", "\uff42\uff4f\uff42", true}, // fullwidth
		{"modern", "modem", true},           // rn for m
		{"alice", "alice bob", false},
		{"bob", "rob", false},
		{"bob", "bob", false}, // the same name is not a look-alike
		{"carol", "karol", false},
	} {
		if got := LookAlike(c.a, c.b); got != c.want {
			t.Errorf("LookAlike(%+q, %+q) = %v (skeletons %q, %q), want %v", c.a, c.b, got, Skeleton(c.a), Skeleton(c.b), c.want)
		}
	}
}

func TestCheckWireName(t *testing.T) {
	for _, ok := range []string{"alice", "Alice(1)", "User #417(2)", "Zoë", "ü", "李雷", "bob 🙂", "mallory(evil)"} {
		if err := CheckWireName(ok); err != nil {
			t.Errorf("CheckWireName(%+q) = %v, want nil", ok, err)
		}
	}
	for _, bad := range []string{
		"bob(1)\x1b]0;owned\x07", "bob\n", "bob\r", "bo\u200bb", "bo\u2060b", "\u202ebob", "bo\u2066b",
		"bo\u200db", "bob\ufeff", "bob\u0085", "bob\u009b2J", "bob\u2028", "bo\u00adb", "bo\u034fb",
		"bo\ufe0fb", "bo\u3164b", "b\xffob", "bob\x00",
	} {
		err := CheckWireName(bad)
		if !errors.Is(err, ErrInvalidName) {
			t.Errorf("CheckWireName(%+q) = %v, want ErrInvalidName", bad, err)
			continue
		}
		for _, r := range err.Error() {
			if r < 0x20 || r > 0x7e {
				t.Errorf("the error for %+q prints %U as it is: %s", bad, r, err)
			}
		}
		if ValidateName(bad) == nil {
			t.Errorf("ValidateName(%+q) accepted it", bad)
		}
	}
}

// TestPinRefusesLookAlike: with NoLookAlike a new name that looks like a pinned one is not
// pinned; the pinned name itself and different names still are.
func TestPinRefusesLookAlike(t *testing.T) {
	s := Open(t.TempDir())
	bob, _ := Generate("bob")
	other, _ := Generate("x")
	if _, err := s.PinPeer(PinRequest{Name: "bob", Key: bob.PublicJWK, Kind: KindRTChat, NoLookAlike: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PinPeer(PinRequest{Name: "b\u043eb", Key: other.PublicJWK, Kind: KindWeb, NoLookAlike: true}); !errors.Is(err, ErrLookAlike) {
		t.Fatalf("look-alike pinned: %v", err)
	}
	if _, ok, _ := s.Lookup("b\u043eb"); ok {
		t.Fatal("the look-alike is in the pins file")
	}
	for _, n := range []string{"bob", "rob"} {
		key := other.PublicJWK
		if n == "bob" {
			key = bob.PublicJWK
		}
		if _, err := s.PinPeer(PinRequest{Name: n, Key: key, Kind: KindRTChat, NoLookAlike: true}); err != nil {
			t.Fatalf("pin %s: %v", n, err)
		}
	}
	// Without NoLookAlike (keys register: the user checked it) the look-alike is pinned.
	if _, err := s.PinPeer(PinRequest{Name: "b\u043eb", Key: other.PublicJWK, Kind: KindWeb}); err != nil {
		t.Fatal(err)
	}
}
