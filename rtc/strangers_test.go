package rtc

import "testing"

// TestTOFUBudget: tofuBurst first-use pins at once, then one per tofuEvery, never more than
// tofuBurst saved up.
func TestTOFUBudget(t *testing.T) {
	g := newNameGuard()
	now := g.refill
	for i := 0; i < tofuBurst; i++ {
		if !g.takeTOFU(now) {
			t.Fatalf("pin %d of the burst refused", i+1)
		}
	}
	if g.takeTOFU(now) {
		t.Fatal("a pin beyond the burst was allowed")
	}
	now = now.Add(tofuEvery)
	if !g.takeTOFU(now) || g.takeTOFU(now) {
		t.Fatal("after one period: want exactly one more pin")
	}
	now = now.Add(100 * tofuEvery)
	n := 0
	for g.takeTOFU(now) {
		n++
	}
	if n != tofuBurst {
		t.Fatalf("after a long quiet time %d pins, want %d", n, tofuBurst)
	}
}
