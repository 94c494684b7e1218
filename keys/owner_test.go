//go:build unix

package keys

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// nobody is the uid that owns the files "someone else" dropped in.
const nobody = 65534

// needRoot: only root can give a file to another uid. CI runs as root.
func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		if os.Getenv("CI") != "" {
			t.Fatal("CI must run as root to make files owned by another uid")
		}
		t.Skip("needs root to chown files to another uid")
	}
}

// TestOwnerChecks: like ssh's StrictModes, a config dir, identity, pins or kinds file owned
// by another user (whatever its mode) is refused by every reader and writer, with the
// chown fix; so is a config dir whose parent others can write (not sticky) or own, and
// keys gen writes nothing there. Files of root or of the user pass.
func TestOwnerChecks(t *testing.T) {
	needRoot(t)
	_, bob := testIdentities(t)
	t.Setenv("HOME", t.TempDir()) // the config dirs below are outside it: the walk goes to /
	fresh := func(t *testing.T) (*Store, string) {
		dir := filepath.Join(t.TempDir(), "rtchat")
		s := Open(dir)
		if err := s.SaveIdentity(bob, false); err != nil {
			t.Fatal(err)
		}
		if _, err := s.PinAs("carol", bob.PublicJWK, KindWeb, false); err != nil {
			t.Fatal(err)
		}
		return s, dir
	}
	ops := func(s *Store) map[string]func() error {
		return map[string]func() error{
			"LoadIdentity": func() error { _, err := s.LoadIdentity(); return err },
			"Pins":         func() error { _, err := s.Pins(); return err },
			"LookupPin":    func() error { _, _, err := s.LookupPin("carol"); return err },
			"Pin":          func() error { _, err := s.Pin("dave", bob.PublicJWK, false); return err },
			"SaveIdentity": func() error { return s.SaveIdentity(bob, true) },
		}
	}
	refused := func(t *testing.T, s *Store, what, path, fix string) {
		t.Helper()
		for name, op := range ops(s) {
			reads := map[string]bool{"LoadIdentity": path != s.PinsPath() && path != s.KindsPath(),
				"SaveIdentity": path != s.IdentityPath() && path != s.PinsPath() && path != s.KindsPath()}
			if r, ok := reads[name]; ok && !r || !ok && path == s.IdentityPath() {
				continue // it does not read that file
			}
			err := op()
			if !errors.Is(err, ErrUnsafePermissions) || !errors.Is(err, ErrUnsafeOwner) || !strings.Contains(err.Error(), "'"+path+"'") ||
				!strings.Contains(err.Error(), fix) {
				t.Errorf("%s with %s: %v; want a refusal naming '%s' and %q", name, what, err, path, fix)
			}
		}
	}
	for _, file := range []string{IdentityFile, PinsFile, KindsFile, ""} {
		s, dir := fresh(t)
		path := filepath.Join(dir, file)
		if file == "" {
			path = dir
		}
		if err := os.Chown(path, nobody, nobody); err != nil {
			t.Fatal(err)
		}
		refused(t, s, "an owner other than me", path, "chown 0 '"+path+"'")
		if err := os.Chown(path, 0, 0); err != nil { // root's (and mine): fine
			t.Fatal(err)
		}
		for name, op := range ops(s) {
			if err := op(); err != nil {
				t.Errorf("%s after chown back: %v", name, err)
			}
		}
	}

	// A parent others can write (not sticky), or that someone else owns.
	s, dir := fresh(t)
	parent := filepath.Dir(dir)
	if err := os.Chmod(parent, 0o777); err != nil {
		t.Fatal(err)
	}
	refused(t, s, "a world-writable parent", parent, "chmod go-w '"+parent+"'")
	if err := os.Chmod(parent, 0o777|os.ModeSticky); err != nil { // sticky, as /tmp: nobody swaps what is mine
		t.Fatal(err)
	}
	for name, op := range ops(s) {
		if err := op(); err != nil {
			t.Errorf("%s with a sticky world-writable parent: %v", name, err)
		}
	}
	if err := os.Chmod(parent, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(parent, nobody, nobody); err != nil {
		t.Fatal(err)
	}
	refused(t, s, "a parent owned by someone else", parent, "chown 0 '"+parent+"'")

	// keys gen into a config dir that does not exist yet, under a world-writable parent:
	// nothing is created.
	shared := t.TempDir()
	if err := os.Chmod(shared, 0o777); err != nil {
		t.Fatal(err)
	}
	gen := Open(filepath.Join(shared, "rtchat"))
	if err := gen.SaveIdentity(bob, false); !errors.Is(err, ErrUnsafeOwner) || !strings.Contains(err.Error(), "chmod go-w '"+shared+"'") {
		t.Errorf("SaveIdentity under a world-writable parent: %v", err)
	}
	if _, err := os.Stat(gen.Dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the config dir was created anyway: %v", err)
	}
}

// TestParentsCheckedUpToHome: inside $HOME only the parents up to $HOME count, as ssh
// checks ~/.ssh: a group-writable dir above home does not make every config dir unsafe.
func TestParentsCheckedUpToHome(t *testing.T) {
	needRoot(t)
	_, bob := testIdentities(t)
	above := t.TempDir()
	if err := os.Chmod(above, 0o777); err != nil {
		t.Fatal(err)
	}
	home := filepath.Join(above, "home")
	if err := os.Mkdir(home, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOME", home)
	s := Open(filepath.Join(home, ".config", "rtchat"))
	if err := s.SaveIdentity(bob, false); err != nil {
		t.Fatalf("config dir in $HOME under a world-writable dir above it: %v", err)
	}
	if err := os.Chmod(filepath.Join(home, ".config"), 0o777); err != nil {
		t.Fatal(err)
	}
	if _, err := s.LoadIdentity(); !errors.Is(err, ErrUnsafeOwner) {
		t.Errorf("a world-writable dir between $HOME and the config dir: %v", err)
	}
}
