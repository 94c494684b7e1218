package commands

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/spf13/cobra"
)

// testBuffer is a buffer the command under test and the test may use at once (the core
// logs from its own goroutines).
type testBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *testBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *testBuffer) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Read(p)
}

func (b *testBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// newTestIO returns an IO over buffers: stdin to fill, stdout and stderr to read. None is a
// terminal; a test sets ios.InTTY, ios.OutTTY or ios.ErrTTY to pretend one is.
func newTestIO() (ios *IO, stdin, stdout, stderr *testBuffer) {
	stdin, stdout, stderr = &testBuffer{}, &testBuffer{}, &testBuffer{}
	return &IO{In: stdin, Out: stdout, Err: stderr}, stdin, stdout, stderr
}

// testEnv is an environment holding only env, with the config dir in a fresh temporary
// directory unless env names one: a test never reads the user's config.
func testEnv(t *testing.T, env map[string]string) func(string) (string, bool) {
	t.Helper()
	e := map[string]string{"RTCHAT_CONFIG_DIR": t.TempDir()}
	for k, v := range env {
		e[k] = v
	}
	return func(k string) (string, bool) { v, ok := e[k]; return v, ok }
}

// testRun runs rtchat ARGS in-process over ios with the environment env, as main does.
func testRun(t *testing.T, ios *IO, env map[string]string, args ...string) int {
	t.Helper()
	return Run(t.Context(), ios, args, testEnv(t, env))
}

// parseOptions runs rtchat ARGS in-process with the command that build makes in place of
// the real one, its run function replaced by one that records the options it is given. It
// returns those options (nil when parsing failed before the run), the exit code and stderr.
// No network: this tests flags, arguments and usage errors.
func parseOptions[O any](t *testing.T, build func(*Globals, *IO, func(context.Context, *O) error) *cobra.Command, stdin string, args ...string) (*O, int, string) {
	t.Helper()
	ios, in, _, errb := newTestIO()
	in.Write([]byte(stdin))
	root, g := newRoot(ios, testEnv(t, nil))
	var got *O
	cmd := build(g, ios, func(_ context.Context, o *O) error {
		got = o
		return nil
	})
	for _, c := range root.Commands() {
		if c.Name() == cmd.Name() {
			root.RemoveCommand(c)
		}
	}
	root.AddCommand(cmd)
	code := execute(t.Context(), root, g, ios, args)
	return got, code, errb.String()
}

// mustUsage checks a usage error: exit 2, the run function not reached, stderr mentioning
// want and, on a line of its own, a hint (by default where the usage is).
func mustUsage[O any](t *testing.T, got *O, code int, stderr string, args []string, want string) {
	t.Helper()
	// The hint: where the usage is, or something more specific.
	hint := "\nrtchat: hint: run 'rtchat " + args[0] + " --help' for usage\n"
	if code != ExitUsage || got != nil || !strings.Contains(stderr, want) ||
		!(strings.Contains(stderr, hint) || strings.Count(stderr, "\nrtchat: hint: ") == 1) {
		t.Errorf("%q: exit %d, ran %v, stderr %q; want exit 2 mentioning %q, then a hint", args, code, got != nil, stderr, want)
	}
}
