package commands

import (
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"5": 5 * time.Second, " 3 ": 3 * time.Second, "2.5": 2500 * time.Millisecond, "0": 0,
		".5": 500 * time.Millisecond, "-1": -time.Second, "1m30s": 90 * time.Second, "500ms": 500 * time.Millisecond,
	} {
		if got, err := parseDuration(in); err != nil || got != want {
			t.Errorf("parseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "5x", "inf", "NaN", "1e3", "0x10", ".", "1e400", "99999999999999999999"} {
		if got, err := parseDuration(in); err == nil {
			t.Errorf("parseDuration(%q) = %v, want an error", in, got)
		}
	}
}

func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"5", "2.5", "1m", "-0", "9223372036"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseDuration(s)
		if err != nil {
			return
		}
		// A value read back from its own printing is the same value.
		if again, err := parseDuration(d.String()); err != nil || again != d {
			t.Fatalf("%q -> %v -> %v, %v", s, d, again, err)
		}
	})
}
