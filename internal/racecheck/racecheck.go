// Package racecheck lets the end-to-end tests race-check the binaries they run: when the
// tests run with -race (as in CI), rtchat is built with it too, and every report its
// processes write fails a test.
package racecheck

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
)

// BuildFlags are the go build flags for the binary under test: -race when the test binary
// has the race detector (Enabled) or RTCHAT_E2E_RACE=1 asks for it.
func BuildFlags() []string {
	if Enabled || os.Getenv("RTCHAT_E2E_RACE") == "1" {
		return []string{"-race"}
	}
	return nil
}

// Reports collects the race reports of the processes started with Env: the race runtime
// writes each process's reports to a file of its own (GORACE log_path) as it finds them,
// so a process killed at the end of a test has written its reports already.
type Reports struct {
	dir  string
	mu   sync.Mutex
	seen map[string]bool
}

// New keeps the reports in dir (created if needed).
func New(dir string) (*Reports, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("race reports: %w", err)
	}
	return &Reports{dir: dir, seen: map[string]bool{}}, nil
}

// Env is the GORACE setting for a race-built child (harmless for others). The exit code
// stays the race runtime's 66, so a test that checks exit codes notices too.
func (r *Reports) Env() string {
	return "GORACE=log_path=" + filepath.Join(r.dir, "race")
}

// BugEnv is the environment that makes rtchat write its own bug reports (a state
// transition its table does not have, rtc Config.OnBadTransition) into a file per process
// beside the race reports, so that Take returns them and they fail a test the same way.
func (r *Reports) BugEnv() string {
	return "RTCHAT_TEST_BUG_LOG=" + filepath.Join(r.dir, "race.bug") // commands' testBugLogEnv
}

// Take returns the reports written since the last Take, one string per process (its file
// name, then the report).
func (r *Reports) Take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	files, _ := filepath.Glob(filepath.Join(r.dir, "race.*"))
	sort.Strings(files)
	var out []string
	for _, f := range files {
		if r.seen[f] {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil || len(b) == 0 {
			continue // not written yet
		}
		r.seen[f] = true
		out = append(out, filepath.Base(f)+":\n"+string(b))
	}
	return out
}

// SetEnv sets a NAME=VALUE line of Env or BugEnv in this process's environment, for the
// children started without an explicit one.
func SetEnv(line string) {
	name, value, _ := strings.Cut(line, "=")
	os.Setenv(name, value)
}
