package commands

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{
		"0": 0, "1048576": 1 << 20, "500M": 500 << 20, "4.5GiB": 9 << 29, "2KB": 2000, "1k": 1024, " 3 MiB ": 3 << 20,
	} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "x", "-1", "5 parsecs", "1..2M"} {
		if _, err := parseSize(in); err == nil {
			t.Errorf("parseSize(%q) accepted", in)
		}
	}
}

// TestInputSize: a regular file on stdin tells its size (what is left from its offset);
// a pipe does not; --size wins.
func TestInputSize(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, make([]byte, 5000), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Seek(1000, 0); err != nil {
		t.Fatal(err)
	}
	if n, err := inputSize(f, ""); err != nil || n != 4000 {
		t.Errorf("regular file: %d, %v; want 4000", n, err)
	}
	if n, err := inputSize(f, "1K"); err != nil || n != 1024 {
		t.Errorf("--size 1K: %d, %v", n, err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if n, err := inputSize(r, ""); err != nil || n != 0 {
		t.Errorf("pipe: %d, %v; want 0 (unknown)", n, err)
	}
	if _, err := inputSize(r, "lots"); err == nil || !strings.Contains(err.Error(), "--size") {
		t.Errorf("bad --size: %v", err)
	}
}

func TestSentOfTotal(t *testing.T) {
	got := sentOfTotal(16<<20, 64<<20, 2*time.Second)
	if want := "16.0 MiB of 64.0 MiB (25%, 8.0 MiB/s, ETA 6s)"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := sentOfTotal(0, 100, 0); got != "0 B of 100 B (0%)" {
		t.Errorf("at the start: %q", got)
	}
}
