package commands

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/rtchat/rtchat/keys"
)

// webFile writes localStorage items, as the web page's console copies them, into a file of
// the given mode and returns its path.
func webFile(t *testing.T, w *keys.WebStorage, mode os.FileMode) string {
	t.Helper()
	data, err := json.Marshal(w)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "localstorage.json")
	if err := os.WriteFile(path, data, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // past the umask
		t.Fatal(err)
	}
	return path
}

func runImport(t *testing.T, dir string, o keysImportOptions) (stdout, stderr string, err error) {
	t.Helper()
	c, out, errb := keysRun(dir, "", false)
	o.keysCommon = c
	err = runKeysImport(&o)
	return out.String(), errb.String(), err
}

func pinsOf(t *testing.T, dir string) map[string]keys.Pinned {
	t.Helper()
	p, err := keys.Open(dir).PinnedPeers()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestKeysImportBrowserIdentity: my identity from my browser becomes mine, its pins web
// peers; the file must be private, as identity.json is.
func TestKeysImportBrowserIdentity(t *testing.T) {
	bob, carol := testPeers(t)
	browser := &keys.WebStorage{Name: "carol", PublicKeyString: carol.PublicJWK, PrivateKeyString: carol.PrivateJWK,
		KnownHosts: map[string]string{"bob": bob.PublicJWK, "anon9": bob.PublicJWK}}

	if runtime.GOOS != "windows" {
		dir := t.TempDir()
		path := webFile(t, browser, 0o644)
		_, errs, err := runImport(t, dir, keysImportOptions{File: path})
		if !errors.Is(err, keys.ErrUnsafePermissions) || !strings.Contains(err.Error(), "chmod 600 "+path) || !strings.Contains(err.Error(), "--pins-only") {
			t.Fatalf("0644 file with a private key: %v", err)
		}
		if _, ierr := keys.Open(dir).LoadIdentity(); !errors.Is(ierr, keys.ErrNoIdentity) || len(pinsOf(t, dir)) != 0 {
			t.Fatalf("refused import changed something: %v %s", ierr, errs)
		}
		// The same through stdin redirected from that file.
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		c, _, _ := keysRun(dir, "", false)
		c.IO.In = f
		if err := runKeysImport(&keysImportOptions{keysCommon: c, File: "-"}); !errors.Is(err, keys.ErrUnsafePermissions) || !strings.Contains(err.Error(), "stdin") {
			t.Fatalf("stdin from a 0644 file: %v", err)
		}
	}

	dir := t.TempDir()
	path := webFile(t, browser, 0o600)
	_, errs, err := runImport(t, dir, keysImportOptions{File: path})
	if err != nil {
		t.Fatalf("%v\n%s", err, errs)
	}
	mustContain(t, "import", errs, "identity: imported carol", "as my identity",
		"pin bob: pinned bob ("+bob.Fingerprint()+") as a web peer", "pin anon9: skipped")
	if id, err := keys.Open(dir).LoadIdentity(); err != nil || id.PublicJWK != carol.PublicJWK || id.Name != "carol" {
		t.Fatalf("identity: %v", err)
	}
	if p := pinsOf(t, dir); len(p) != 1 || p["bob"].Kind != keys.KindWeb {
		t.Errorf("pins: %+v", p)
	}
}

// TestKeysImportSomeoneElses: a peer's export (with their private key) given to me: it never
// becomes my identity silently; --pins-only pins its owner and its pins.
func TestKeysImportSomeoneElses(t *testing.T) {
	bob, carol := testPeers(t)
	theirs := &keys.WebStorage{Name: "bob", PublicKeyString: bob.PublicJWK, PrivateKeyString: bob.PrivateJWK,
		KnownHosts: map[string]string{"dave": carol.PublicJWK}}
	path := webFile(t, theirs, 0o644) // as they mailed it

	// I have my own identity: refused, nothing imported, both ways out named.
	dir, me := exportSetup(t)
	before := pinsOf(t, dir)
	_, _, err := runImport(t, dir, keysImportOptions{File: path})
	if err == nil {
		t.Fatal("someone else's 0644 export imported")
	}
	path = webFile(t, theirs, 0o600)
	_, _, err = runImport(t, dir, keysImportOptions{File: path})
	if !errors.Is(err, keys.ErrIdentityExists) || codeOf(err) != ExitFailure {
		t.Fatalf("someone else's export: %v", err)
	}
	mustContain(t, "someone else's export", err.Error(), "identity of bob ("+bob.Fingerprint()+")",
		"mine is me ("+me.Fingerprint()+")", "nothing was imported", "--pins-only", "--force")
	if after := pinsOf(t, dir); len(after) != len(before) {
		t.Fatalf("refused import pinned: %v", after)
	}

	// --pins-only: the owner and the pins, as web peers; my identity untouched.
	dir = t.TempDir()
	_, errs, err := runImport(t, dir, keysImportOptions{File: webFile(t, theirs, 0o644), PinsOnly: true})
	if err != nil {
		t.Fatalf("%v\n%s", err, errs)
	}
	if runtime.GOOS != "windows" {
		mustContain(t, "--pins-only of a 0644 file", errs, "warning: ", "chmod 600")
	}
	mustContain(t, "--pins-only", errs, "importing public keys only",
		"identity bob: pinned bob ("+bob.Fingerprint()+") as a web peer", "pin dave: pinned dave")
	if p := pinsOf(t, dir); len(p) != 2 || p["bob"].Key != bob.PublicJWK || p["bob"].Kind != keys.KindWeb || p["dave"].Kind != keys.KindWeb {
		t.Errorf("pins: %+v", p)
	}
	if _, err := keys.Open(dir).LoadIdentity(); !errors.Is(err, keys.ErrNoIdentity) {
		t.Errorf("--pins-only made an identity: %v", err)
	}

	// No identity of mine yet, but bob is pinned here: his export is not mine.
	_, _, err = runImport(t, dir, keysImportOptions{File: path})
	if err == nil || !strings.Contains(err.Error(), "whom I pinned as a peer") {
		t.Fatalf("a pinned peer's export: %v", err)
	}
	if _, err := keys.Open(dir).LoadIdentity(); !errors.Is(err, keys.ErrNoIdentity) {
		t.Errorf("a pinned peer's identity became mine: %v", err)
	}
	// --force makes it mine anyway (moving an identity is what it is for).
	if _, errs, err = runImport(t, dir, keysImportOptions{File: path, Force: true}); err != nil {
		t.Fatalf("--force: %v\n%s", err, errs)
	}
}

// TestKeysImportPinsOnlyFile: a file without a private key (a web user's knownHostsStrings,
// or a name and public key) only pins, whatever identity I have; my own key is not pinned.
func TestKeysImportPinsOnlyFile(t *testing.T) {
	bob, _ := testPeers(t)
	dir, me := exportSetup(t)
	path := webFile(t, &keys.WebStorage{Name: "erin", PublicKeyString: bob.PublicJWK,
		KnownHosts: map[string]string{"me": me.PublicJWK, "frank": bob.PublicJWK, "bob": bob.PublicJWK}}, 0o644)
	_, errs, err := runImport(t, dir, keysImportOptions{File: path})
	if err != nil {
		t.Fatalf("%v\n%s", err, errs)
	}
	mustContain(t, "pins-only file", errs, "holds no private key: importing pins only",
		"identity erin: pinned erin", "as a web peer",
		"pin me: skipped, that is my own key",
		"pin frank: pinned frank",
		"pin bob: unchanged bob ("+bob.Fingerprint()+"), already pinned as an rtchat peer")
	p := pinsOf(t, dir)
	if p["erin"].Kind != keys.KindWeb || p["frank"].Kind != keys.KindWeb || p["bob"].Kind != keys.KindRTChat {
		t.Errorf("kinds: %+v", p)
	}
	if _, ok := p["me"]; ok {
		t.Error("my own key pinned")
	}
	if id, _ := keys.Open(dir).LoadIdentity(); id.PublicJWK != me.PublicJWK {
		t.Error("identity changed")
	}
	// My own name and key alone: nothing pinned.
	path = webFile(t, &keys.WebStorage{Name: "me", PublicKeyString: me.PublicJWK}, 0o644)
	_, errs, err = runImport(t, dir, keysImportOptions{File: path})
	if err != nil || !strings.Contains(errs, "me is my own key, not pinned") {
		t.Errorf("my own key: %v %s", err, errs)
	}
	// A key without a name cannot be pinned: said, and exit 1.
	path = webFile(t, &keys.WebStorage{PublicKeyString: bob.PublicJWK}, 0o644)
	_, errs, err = runImport(t, dir, keysImportOptions{File: path})
	if codeOf(err) != ExitFailure || !strings.Contains(errs, "keys register NAME JWK") {
		t.Errorf("nameless key: %v %s", err, errs)
	}
	// Nothing at all.
	path = webFile(t, &keys.WebStorage{}, 0o644)
	if _, _, err = runImport(t, dir, keysImportOptions{File: path}); err == nil || !strings.Contains(err.Error(), "nothing to import") {
		t.Errorf("empty: %v", err)
	}
}

// TestKeysImportKeepsKinds: rtchat's own export keeps the kinds of its pins.
func TestKeysImportKeepsKinds(t *testing.T) {
	dir, me := exportSetup(t)
	c, out, _ := keysRun(dir, "", false)
	if err := runKeysExport(&keysExportOptions{keysCommon: c, Web: true}); err != nil {
		t.Fatal(err)
	}
	other := t.TempDir()
	c, _, errb := keysRun(other, out.String(), true)
	if err := runKeysImport(&keysImportOptions{keysCommon: c, File: "-"}); err != nil {
		t.Fatalf("%v\n%s", err, errb)
	}
	p := pinsOf(t, other)
	if len(p) != 2 || p["bob"].Kind != keys.KindRTChat || p["webby"].Kind != keys.KindWeb {
		t.Errorf("kinds after export/import: %+v", p)
	}
	if id, err := keys.Open(other).LoadIdentity(); err != nil || id.PrivateJWK != me.PrivateJWK {
		t.Errorf("identity: %v", err)
	}
	// The CLI with --json: one pin object per pin, with its kind.
	code, stdout, errs := runKeysCLI(t, nil, out.String(), "--config-dir", t.TempDir(), "--json", "keys", "import", "-")
	mustCode(t, "import --json", code, ExitOK, errs)
	mustContain(t, "import --json", stdout, fmt.Sprintf(`"name":"webby","fingerprint":%q`, keys.Fingerprint(p["webby"].Key)), `"kind":"web","result":"added"`)
}

// TestKeysImportNamesOtherKinds: import of a file rtchat made for something else says what
// the file is and which command takes it, instead of a JSON parse error.
func TestKeysImportNamesOtherKinds(t *testing.T) {
	bob, _ := testPeers(t)
	for _, c := range []struct{ data, want, hint string }{
		{bob.IdentityString() + "\n", "holds identity lines", "keys register - <"},
		{bob.PublicJWK, "holds one key (a JWK)", "keys register NAME"},
		{"bob is my friend\n", "not a JSON object", "keys export --identity"},
	} {
		dir := t.TempDir()
		file := filepath.Join(dir, "peers.ids")
		if err := os.WriteFile(file, []byte(c.data), 0o600); err != nil {
			t.Fatal(err)
		}
		kc, _, _ := keysRun(dir, "", false)
		err := runKeysImport(&keysImportOptions{keysCommon: kc, File: file})
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), file) || !strings.Contains(hintOf(err), c.hint) {
			t.Errorf("import of %q: %v (hint %q); want %q and hint %q", c.data, err, hintOf(err), c.want, c.hint)
		}
	}
}
