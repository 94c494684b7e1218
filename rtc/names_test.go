package rtc

import "testing"

// The tie-break vectors of §11.4: -1 means a initiates toward b.
func TestTieBreakVectors(t *testing.T) {
	tb := newTieBreak()
	cases := []struct {
		a, b string
		want int
	}{
		{"alice", "Bob", -1},
		{"Alice", "alice", +1},
		{"Alice(1)", "Alice", +1},
		{"User #42", "User #5", -1},
		{"Zoe", "Émile", +1},
		{"bob", "Bob(1)", -1},
		{"A_b", "Ab", -1},
		{"x(10)", "x(2)", -1},
		{"Ångström", "Zed", -1},
		{"user #1", "User #1", -1},
	}
	for _, c := range cases {
		got := tb.weInitiate(c.a, c.b)
		if got != (c.want < 0) {
			t.Errorf("weInitiate(%q, %q) = %v, want localeCompare %d", c.a, c.b, got, c.want)
		}
		if tb.weInitiate(c.b, c.a) == got {
			t.Errorf("weInitiate(%q, %q) and its mirror agree: exactly one side must offer", c.a, c.b)
		}
	}
}

func TestFullNameDistinct(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 20; i++ {
		n := fullName("alice")
		if len(n) != len("alice(0000)") {
			t.Fatalf("unexpected full name %q", n)
		}
		seen[n] = true
	}
	if len(seen) < 15 {
		t.Fatalf("full names repeat too often: %v", seen)
	}
}
