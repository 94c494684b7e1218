package keys

import "testing"

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
