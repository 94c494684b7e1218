//go:build unix

package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestKeyFilesOfAnotherUser (issue 17, 7): a pins file another user dropped into my config
// dir, a config dir another user made (its mode tightened later), and a world-writable
// parent are refused by the real binary with what to do; keys gen writes nothing under a
// world-writable parent. The old rtchat accepted all of them.
func TestKeyFilesOfAnotherUser(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		if os.Getenv("CI") != "" {
			t.Fatal("CI must run as root to make files owned by another uid")
		}
		t.Skip("needs root to chown files to another uid")
	}
	const nobody = 65534
	w := newWorld(t)
	w.friends("alice", "bob")
	dir := w.configDir("alice")
	pins := filepath.Join(dir, "known_peers.json")
	expect := func(what, path, fix string, args ...string) {
		t.Helper()
		out, errs, code := w.run("alice", nil, args...)
		if code == 0 || !strings.Contains(errs, "'"+path+"'") || !strings.Contains(errs, fix) {
			t.Errorf("%s: rtchat %v: exit %d, stdout %q, stderr %q; want a refusal naming %s and %q", what, args, code, out, errs, path, fix)
		}
	}
	if err := os.Chown(pins, nobody, nobody); err != nil {
		t.Fatal(err)
	}
	expect("a pins file of uid 65534", pins, "chown 0 '"+pins+"'", "keys", "list")
	expect("a pins file of uid 65534", pins, "chown 0 '"+pins+"'", "send", "bob", "hi")
	if err := os.Chown(pins, 0, 0); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(dir, nobody, nobody); err != nil {
		t.Fatal(err)
	}
	expect("a config dir of uid 65534", dir, "chown 0 '"+dir+"'", "keys", "show")
	if err := os.Chown(dir, 0, 0); err != nil {
		t.Fatal(err)
	}
	if _, errs, code := w.run("alice", nil, "keys", "list"); code != 0 {
		t.Fatalf("after the fix: exit %d: %s", code, errs)
	}

	shared := t.TempDir()
	if err := os.Chmod(shared, 0o777); err != nil {
		t.Fatal(err)
	}
	gen := filepath.Join(shared, "rtchat")
	expect("keys gen under a world-writable dir", shared, "chmod go-w '"+shared+"'", "--config-dir", gen, "keys", "gen", "--name", "carol")
	if _, err := os.Stat(gen); !os.IsNotExist(err) {
		t.Errorf("keys gen created %s anyway: %v", gen, err)
	}
}
