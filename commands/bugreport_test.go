package commands

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBugReporter: the tests' bug log gets one line per illegal transition, in a file of
// this process (internal/racecheck's Take finds PREFIX.PID beside the race reports).
func TestBugReporter(t *testing.T) {
	prefix := filepath.Join(t.TempDir(), "race.bug")
	report := bugReporter(prefix)
	report(errors.New("bob: illegal connection state transition closed → connected"))
	report(errors.New("second"))
	b, err := os.ReadFile(fmt.Sprintf("%s.%d", prefix, os.Getpid()))
	if err != nil {
		t.Fatal(err)
	}
	if got := string(b); strings.Count(got, "BUG: ") != 2 || !strings.Contains(got, "closed → connected") {
		t.Fatalf("bug log %q", got)
	}
}
