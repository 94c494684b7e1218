package commands

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/rtchat/rtchat/keys"
)

// TestKeysUnsafePermissions: real files with group- or world-writable modes. Every keys
// command that reads pins refuses with the path and the chmod that fixes it (exit 1), and
// works again after that chmod.
func TestKeysUnsafePermissions(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix permission bits")
	}
	bob, _ := testPeers(t)
	dir := filepath.Join(t.TempDir(), "rtchat")
	if code, _, errs := runKeysCLI(t, nil, "", "--config-dir", dir, "keys", "register", "--web", bob.IdentityString()); code != 0 {
		t.Fatal(errs)
	}
	pins, kinds := filepath.Join(dir, keys.PinsFile), filepath.Join(dir, keys.KindsFile)
	for _, c := range []struct {
		path       string
		bad, fixed os.FileMode
		fix        string
	}{
		{pins, 0o664, 0o600, "chmod 600 " + pins},
		{kinds, 0o646, 0o600, "chmod 600 " + kinds},
		{dir, 0o777, 0o700, "chmod 700 " + dir},
	} {
		if err := os.Chmod(c.path, c.bad); err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{
			{"keys", "list"},
			{"keys", "export"},
			{"keys", "register", bob.IdentityString()},
			{"keys", "remove", "bob"},
		} {
			code, out, errs := runKeysCLI(t, nil, "", append([]string{"--config-dir", dir}, args...)...)
			if code != ExitFailure || out != "" || !strings.Contains(errs, "'"+c.path+"'") || !strings.Contains(errs, c.fix) {
				t.Errorf("%v with %s %#o: exit %d, stdout %q, stderr %q; want exit 1 naming the path and %q",
					args, filepath.Base(c.path), c.bad, code, out, errs, c.fix)
			}
		}
		if err := os.Chmod(c.path, c.fixed); err != nil {
			t.Fatal(err)
		}
		c2, _, _ := keysRun(dir, "", false)
		if err := runKeysList(&keysListOptions{c2}); err != nil {
			t.Fatalf("after %s: %v", c.fix, err)
		}
	}
	// The run functions return the error for errors.Is.
	os.Chmod(pins, 0o622)
	c, _, _ := keysRun(dir, "", false)
	if err := runKeysList(&keysListOptions{c}); !errors.Is(err, keys.ErrUnsafePermissions) {
		t.Errorf("runKeysList: %v", err)
	}
	os.Chmod(pins, 0o600)
	if p := lookupPin(t, dir, "bob"); p.Kind != keys.KindWeb || p.Key != bob.PublicJWK {
		t.Errorf("the refused commands changed bob: %+v", p)
	}
}

// TestKeysEmptyPinsFile: an empty or null pins file is reported, not read as no pins.
func TestKeysEmptyPinsFile(t *testing.T) {
	for _, body := range []string{"", "\n  \n", "null\n"} {
		dir := t.TempDir()
		path := filepath.Join(dir, keys.PinsFile)
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		code, out, errs := runKeysCLI(t, nil, "", "--config-dir", dir, "keys", "list")
		if code != ExitFailure || out != "" || !strings.Contains(errs, path+" is empty") || !strings.Contains(errs, "delete it or write {}") {
			t.Errorf("pins file %q: exit %d, stdout %q, stderr %q", body, code, out, errs)
		}
	}
}
