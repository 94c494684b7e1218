package racecheck

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestReportsFound: a race-built program with a race, run with Env, leaves a report that
// Take returns once.
func TestReportsFound(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "racy")
	if out, err := exec.Command("go", "build", "-race", "-o", bin, "./testdata/racy").CombinedOutput(); err != nil {
		t.Fatalf("go build -race: %v\n%s", err, out)
	}
	r, err := New(filepath.Join(dir, "reports"))
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Take(); len(got) != 0 {
		t.Fatalf("reports before any run: %q", got)
	}
	cmd := exec.Command(bin)
	cmd.Env = []string{r.Env()}
	err = cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 66 {
		t.Errorf("racy program: %v, want the race runtime's exit code 66", err)
	}
	got := r.Take()
	if len(got) != 1 || !strings.Contains(got[0], "WARNING: DATA RACE") {
		t.Fatalf("reports %q, want one data race", got)
	}
	if again := r.Take(); len(again) != 0 {
		t.Errorf("the same report taken twice: %q", again)
	}
}

// TestBugReportsFound: a file written under BugEnv's prefix is taken like a race report.
func TestBugReportsFound(t *testing.T) {
	r, err := New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	_, prefix, _ := strings.Cut(r.BugEnv(), "=")
	if err := os.WriteFile(prefix+".123", []byte("BUG: illegal\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := r.Take(); len(got) != 1 || !strings.Contains(got[0], "BUG: illegal") {
		t.Fatalf("reports %q, want the bug report", got)
	}
}
