package commands

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/rtchat/rtchat/keys"
)

// exportSetup makes a config dir with an identity and two pins, one of each kind.
func exportSetup(t *testing.T) (dir string, me *keys.Identity) {
	t.Helper()
	bob, carol := testPeers(t)
	dir = t.TempDir()
	s := keys.Open(dir)
	// carol's key pair stands in for my own: only its being a valid pair matters here.
	me, err := keys.NewIdentity("me", carol.PublicJWK, carol.PrivateJWK)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SaveIdentity(me, false); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Pin("bob", bob.PublicJWK, false); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PinAs("webby", bob.PublicJWK, keys.KindWeb, false); err != nil {
		t.Fatal(err)
	}
	return dir, me
}

func checkWebExport(t *testing.T, what string, data []byte, me *keys.Identity) {
	t.Helper()
	w, err := keys.ParseWebStorage(data)
	if err != nil || w.PrivateKeyString != me.PrivateJWK || w.Name != "me" || len(w.KnownHosts) != 2 ||
		w.PeerKinds["webby"] != keys.KindWeb || w.PeerKinds["bob"] != keys.KindRTChat {
		t.Errorf("%s: %+v %v", what, w, err)
	}
}

func fileMode(t *testing.T, path string) os.FileMode {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Mode().Perm()
}

// TestKeysExportWebPrivate: the private key goes only into a file that others cannot read.
func TestKeysExportWebPrivate(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix permission bits")
	}
	dir, me := exportSetup(t)
	tmp := t.TempDir()

	// -o FILE: created 0600; an existing readable file is made 0600 and replaced.
	for _, existing := range []bool{false, true} {
		path := filepath.Join(tmp, "ls.json")
		os.Remove(path)
		if existing {
			os.WriteFile(path, []byte(strings.Repeat("old content ", 1000)), 0o644)
			os.Chmod(path, 0o644)
		}
		c, out, errb := keysRun(dir, "", false)
		if err := runKeysExport(&keysExportOptions{keysCommon: c, Web: true, Output: path}); err != nil {
			t.Fatal(err)
		}
		if m := fileMode(t, path); m != 0o600 {
			t.Errorf("-o (existing %v): mode %#o", existing, m)
		}
		data, _ := os.ReadFile(path)
		checkWebExport(t, "-o", data, me)
		if out.Len() != 0 {
			t.Errorf("-o wrote stdout %q", out)
		}
		mustContain(t, "-o", errb.String(), "wrote "+path+" (mode 0600)", "PRIVATE key of me")
	}

	// stdout redirected to a file others can read (as '> FILE' makes it): made 0600 first.
	path := filepath.Join(tmp, "redirected.json")
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(path, 0o644)
	c, _, errb := keysRun(dir, "", false)
	c.IO.Out = f
	if err := runKeysExport(&keysExportOptions{keysCommon: c, Web: true}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if m := fileMode(t, path); m != 0o600 {
		t.Errorf("stdout file: mode %#o, want 0600", m)
	}
	mustContain(t, "stdout file", errb.String(), "mode 0644", "made it 0600")
	data, _ := os.ReadFile(path)
	checkWebExport(t, "stdout file", data, me)

	// A terminal is refused, and nothing is written.
	c, out, _ := keysRun(dir, "", false)
	c.IO.OutTTY = true
	err = runKeysExport(&keysExportOptions{keysCommon: c, Web: true})
	if err == nil || !strings.Contains(err.Error(), "-o FILE") || out.Len() != 0 {
		t.Errorf("terminal: %v, wrote %d bytes", err, out.Len())
	}
	// A pipe hands it on.
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan []byte)
	go func() { b, _ := io.ReadAll(r); got <- b }()
	c, _, _ = keysRun(dir, "", false)
	c.IO.Out = w
	err = runKeysExport(&keysExportOptions{keysCommon: c, Web: true})
	w.Close()
	if err != nil {
		t.Fatal(err)
	}
	checkWebExport(t, "pipe", <-got, me)
	r.Close()

	// Without an identity there is no secret: a terminal is fine.
	c, out, errb = keysRun(t.TempDir(), "", false)
	c.IO.OutTTY = true
	if err := runKeysExport(&keysExportOptions{keysCommon: c, Web: true}); err != nil || !strings.Contains(errb.String(), "pins only") {
		t.Errorf("no identity: %v %q", err, errb)
	}
	var items map[string]string
	if err := json.Unmarshal(out.Bytes(), &items); err != nil || items["privateKeyString"] != "" {
		t.Errorf("no identity export: %q %v", out, err)
	}

	// Plain export -o: identity lines, no secret.
	path = filepath.Join(tmp, "peers.ids")
	c, _, _ = keysRun(dir, "", false)
	if err := runKeysExport(&keysExportOptions{keysCommon: c, Output: path}); err != nil {
		t.Fatal(err)
	}
	data, _ = os.ReadFile(path)
	bob, _ := testPeers(t)
	if string(data) != bob.IdentityString()+"\nwebby|"+bob.PublicJWK+"\n" {
		t.Errorf("export -o: %q", data)
	}
}
