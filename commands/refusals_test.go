package commands

import (
	"fmt"
	"testing"
	"time"
)

// TestRefusalGate: each (name, reason) is said once; at most refusalBurst lines per window,
// and the next line said counts those held back.
func TestRefusalGate(t *testing.T) {
	var g refusalGate
	now := time.Unix(1000, 0)
	if ok, d := g.allow("a(1)", "x", now); !ok || d != 0 {
		t.Fatalf("first: %v %d", ok, d)
	}
	if ok, _ := g.allow("a(1)", "x", now); ok {
		t.Fatal("the same refusal said twice")
	}
	if ok, _ := g.allow("a(1)", "y", now); !ok {
		t.Fatal("a new reason for the same name held back")
	}
	for i := range 10 {
		ok, _ := g.allow(fmt.Sprintf("s(%d)", i), "x", now)
		if want := i < refusalBurst-2; ok != want {
			t.Fatalf("stranger %d: said %v, want %v", i, ok, want)
		}
	}
	ok, d := g.allow("late(1)", "x", now.Add(refusalWindow))
	if !ok || d != 10-(refusalBurst-2) {
		t.Fatalf("after the window: %v, held back %d", ok, d)
	}
}
