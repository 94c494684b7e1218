package keys

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestTrustFilePermissions: like ssh's StrictModes, a pins file, kinds file or config dir
// that group or others can write is refused by everything that reads pins, with the fix.
func TestTrustFilePermissions(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix permission bits")
	}
	_, bob := testIdentities(t)
	dir := t.TempDir()
	s := Open(dir)
	if _, err := s.PinAs("bob", bob.PublicJWK, KindWeb, false); err != nil {
		t.Fatal(err)
	}
	readers := map[string]func() error{
		"Pins":        func() error { _, err := s.Pins(); return err },
		"Lookup":      func() error { _, _, err := s.Lookup("bob"); return err },
		"LookupPin":   func() error { _, _, err := s.LookupPin("bob"); return err },
		"PinnedPeers": func() error { _, err := s.PinnedPeers(); return err },
		"Pin":         func() error { _, err := s.Pin("carol", bob.PublicJWK, false); return err },
		"Remove":      func() error { return s.Remove("bob") },
		"ExportWeb":   func() error { _, err := s.ExportWeb(); return err },
	}
	for _, c := range []struct {
		path string
		mode os.FileMode
		fix  string
	}{
		{s.PinsPath(), 0o666, "chmod 600 " + s.PinsPath()},
		{s.PinsPath(), 0o620, "chmod 600 " + s.PinsPath()},
		{s.KindsPath(), 0o602, "chmod 600 " + s.KindsPath()},
		{dir, 0o770, "chmod 700 " + dir},
		{dir, 0o703, "chmod 700 " + dir},
	} {
		safe := os.FileMode(0o600)
		if c.path == dir {
			safe = 0o700
		}
		if err := os.Chmod(c.path, c.mode); err != nil {
			t.Fatal(err)
		}
		for name, read := range readers {
			err := read()
			if !errors.Is(err, ErrUnsafePermissions) || !strings.Contains(err.Error(), c.fix) ||
				!strings.Contains(err.Error(), "'"+c.path+"'") || strings.Contains(err.Error(), "private key") {
				t.Errorf("%s with %s mode %#o: %v; want ErrUnsafePermissions naming the path and %q", name, filepath.Base(c.path), c.mode, err, c.fix)
			}
		}
		if err := os.Chmod(c.path, safe); err != nil {
			t.Fatal(err)
		}
	}
	// Readable by others is fine: pins are public keys; only writing decides trust.
	if err := os.Chmod(s.PinsPath(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if p, ok, err := s.LookupPin("bob"); err != nil || !ok || p.Kind != KindWeb {
		t.Fatalf("0644 pins in a 0755 dir: %+v %v %v", p, ok, err)
	}
	// Nothing was changed by the refused writes.
	if pins, _ := s.Pins(); len(pins) != 1 {
		t.Fatalf("refused writes changed the pins: %v", pins)
	}
	// A config dir that does not exist yet has no pins, and is no error.
	if pins, err := Open(filepath.Join(dir, "none")).Pins(); err != nil || len(pins) != 0 {
		t.Fatalf("missing dir: %v %v", pins, err)
	}
}

// TestTrustFileEmpty: an empty or null pins or kinds file is damage to report, not "no pins";
// a missing one is no pins.
func TestTrustFileEmpty(t *testing.T) {
	_, bob := testIdentities(t)
	for _, body := range []string{"", " \n\t\n", "null", " null\n"} {
		for _, file := range []string{PinsFile, KindsFile} {
			s := Open(t.TempDir())
			if _, err := s.Pin("bob", bob.PublicJWK, false); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(s.Dir, file)
			if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
			_, _, err := s.LookupPin("bob")
			if err == nil || !strings.Contains(err.Error(), path+" is empty") || !strings.Contains(err.Error(), "delete it or write {}") {
				t.Errorf("%s holding %q: %v", file, body, err)
			}
		}
	}
	s := Open(t.TempDir())
	os.WriteFile(s.PinsPath(), []byte("{}\n"), 0o600)
	if pins, err := s.Pins(); err != nil || len(pins) != 0 {
		t.Errorf("{}: %v %v", pins, err)
	}
	os.Remove(s.PinsPath())
	if pins, err := s.Pins(); err != nil || len(pins) != 0 {
		t.Errorf("missing: %v %v", pins, err)
	}
}

// TestCheckPrivateKeyPerm: the check identity.json gets, for other files holding a key.
func TestCheckPrivateKeyPerm(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix permission bits")
	}
	for mode, bad := range map[os.FileMode]bool{0o600: false, 0o400: false, 0o640: true, 0o604: true, 0o660: true} {
		err := CheckPrivateKeyPerm("/x/me.json", mode)
		if bad != errors.Is(err, ErrUnsafePermissions) || (bad && !strings.Contains(err.Error(), "chmod 600 /x/me.json")) {
			t.Errorf("mode %#o: %v", mode, err)
		}
	}
}
