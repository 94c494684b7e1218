package commands

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rtchat/rtchat/keys"
)

// keysRun builds the common options of an in-process run of a keys command over buffers.
func keysRun(dir, stdin string, jsonOut bool) (keysCommon, *bytes.Buffer, *bytes.Buffer) {
	var out, errb bytes.Buffer
	return keysCommon{IO: &IO{In: strings.NewReader(stdin), Out: &out, Err: &errb}, ConfigDir: dir, JSON: jsonOut}, &out, &errb
}

func lookupPin(t *testing.T, dir, name string) keys.Pinned {
	t.Helper()
	p, ok, err := keys.Open(dir).LookupPin(name)
	if err != nil || !ok {
		t.Fatalf("%s not pinned: %v", name, err)
	}
	return p
}

// TestKeysRegisterKinds: --web pins a web peer; the default is rtchat; registering the same
// key with the other kind changes the kind and says so; list shows the kind.
func TestKeysRegisterKinds(t *testing.T) {
	bob, carol := testPeers(t)
	dir := t.TempDir()
	register := func(web, replace bool, args ...string) (string, string, error) {
		c, out, errb := keysRun(dir, carol.IdentityString()+"\n", true)
		err := runKeysRegister(&keysRegisterOptions{keysCommon: c, Args: args, Web: web, Replace: replace})
		return out.String(), errb.String(), err
	}
	out, errs, err := register(true, false, "bob", bob.PublicJWK)
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, "register --web NAME JWK", errs, "pinned bob ("+bob.Fingerprint()+") as a web peer")
	mustContain(t, "register --web --json", out, `"kind":"web"`, `"result":"added"`)
	if p := lookupPin(t, dir, "bob"); p.Kind != keys.KindWeb || p.Key != bob.PublicJWK {
		t.Fatalf("bob: %+v", p)
	}
	// Same key, same kind: unchanged. Same key, default kind: changed to rtchat, said so.
	if _, errs, err = register(true, false, bob.IdentityString()); err != nil {
		t.Fatal(err)
	}
	mustContain(t, "register --web again", errs, "unchanged bob", "as a web peer")
	out, errs, err = register(false, false, bob.IdentityString())
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, "register as rtchat", errs, "changed bob ("+bob.Fingerprint()+") from a web peer to an rtchat peer")
	mustContain(t, "register as rtchat --json", out, `"kind":"rtchat"`, `"result":"kind changed"`)
	if p := lookupPin(t, dir, "bob"); p.Kind != keys.KindRTChat {
		t.Fatalf("kind not changed: %+v", p)
	}
	// --web with stdin; a replaced key with another kind says both.
	if _, errs, err = register(true, false, "-"); err != nil {
		t.Fatal(err)
	}
	mustContain(t, "register --web -", errs, "line 1: pinned carol", "as a web peer")
	_, errs, err = register(false, true, "carol", bob.PublicJWK)
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, "replace and change kind", errs, "replaced carol ("+bob.Fingerprint()+", was "+carol.Fingerprint()+"), now an rtchat peer (was a web peer)")

	// list shows the kind, human and --json; remove forgets it.
	register(true, true, "carol", carol.PublicJWK)
	c, stdout, _ := keysRun(dir, "", false)
	if err := runKeysList(&keysListOptions{c}); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("bob    %s  rtchat\ncarol  %s  web\n", bob.Fingerprint(), carol.Fingerprint())
	if stdout.String() != want {
		t.Errorf("list:\n%s\nwant:\n%s", stdout, want)
	}
	c, stdout, _ = keysRun(dir, "", true)
	if err := runKeysList(&keysListOptions{c}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	var carolJSON peerJSON
	if len(lines) != 2 || json.Unmarshal([]byte(lines[1]), &carolJSON) != nil || carolJSON.Kind != "web" || carolJSON.Name != "carol" {
		t.Errorf("list --json: %q", stdout)
	}
	c, _, errb := keysRun(dir, "", false)
	if err := runKeysRemove(&keysRemoveOptions{keysCommon: c, Name: "carol"}); err != nil {
		t.Fatal(err)
	}
	mustContain(t, "remove", errb.String(), "removed carol ("+carol.Fingerprint()+"), a web peer")
	register(false, false, "carol", carol.PublicJWK)
	if p := lookupPin(t, dir, "carol"); p.Kind != keys.KindRTChat {
		t.Errorf("kind survived remove: %+v", p)
	}
}

// wrapText cuts s into lines of width bytes, the later ones indented, with CRLF endings:
// what a mail client or a chat window does to a long identity line.
func wrapText(s string, width int, indent string) string {
	var b strings.Builder
	for i := 0; i < len(s); i += width {
		if i > 0 {
			b.WriteString("\r\n" + indent)
		}
		b.WriteString(s[i:min(i+width, len(s))])
	}
	return b.String()
}

// TestKeysRegisterPasted: an identity line or key as 'rtchat keys show' prints it, pasted with
// surrounding whitespace, wrapped over lines, indented or pretty-printed, pins exactly the
// text the peer sends (what is in its identity.json and on the wire), in every form.
func TestKeysRegisterPasted(t *testing.T) {
	alice := t.TempDir()
	if code, _, errs := runKeysCLI(t, nil, "", "--config-dir", alice, "keys", "gen", "--name", "alice"); code != 0 {
		t.Fatal(errs)
	}
	code, show, errs := runKeysCLI(t, nil, "", "--config-dir", alice, "keys", "show")
	mustCode(t, "show", code, ExitOK, errs)
	line := strings.TrimSuffix(show, "\n")
	id, err := keys.Open(alice).LoadIdentity()
	if err != nil || line != id.IdentityString() {
		t.Fatalf("show %q is not what alice sends: %v", line, err)
	}
	sent := id.PublicJWK
	var pretty bytes.Buffer
	json.Indent(&pretty, []byte(sent), "  ", "  ")

	for name, args := range map[string][]string{
		"identity with spaces":      {"  " + line + " \n"},
		"identity wrapped":          {wrapText(line, 64, "    ")},
		"identity wrapped narrowly": {wrapText(line, 7, "\t")},
		"name and pretty key":       {" alice ", "\n" + pretty.String() + "\n"},
		"name and wrapped key":      {"alice", wrapText(sent, 76, "")},
		"name and identity line":    {"alice", "alice|" + sent},
		"stdin wrapped":             {"-"}, // stdin below
	} {
		dir := t.TempDir()
		stdin := "# from alice\n" + wrapText(line, 60, "  ") + "\n\n" + line + "\n"
		c, _, errb := keysRun(dir, stdin, false)
		if err := runKeysRegister(&keysRegisterOptions{keysCommon: c, Args: args}); err != nil {
			t.Errorf("%s: %v\n%s", name, err, errb)
			continue
		}
		if p := lookupPin(t, dir, "alice"); p.Key != sent {
			t.Errorf("%s: pinned\n%s\nbut alice sends\n%s", name, p.Key, sent)
		}
		if name == "stdin wrapped" {
			mustContain(t, name, errb.String(), "lines 2-9: pinned alice", "line 11: unchanged alice")
		}
	}
}

// TestKeysUsageErrors: every keys usage mistake exits 2 and says where the usage is.
func TestKeysUsageErrors(t *testing.T) {
	bob, _ := testPeers(t)
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"keys", "register"}, "IDENTITY"},
		{[]string{"keys", "register", "bob"}, "rtchat keys register bob JWK"},
		{[]string{"keys", "register", "--web", "bob"}, "the key is missing"},
		{[]string{"keys", "register", bob.PublicJWK}, "without a name"},
		{[]string{"keys", "register", "a", "b", "c"}, "got 3 arguments"},
		{[]string{"keys", "register", "-", "x"}, "no other argument"},
		{[]string{"keys", "register", "bob", "carol|" + bob.PublicJWK}, "identity line"},
		{[]string{"keys", "register", "--nope", "x"}, "unknown flag"},
		{[]string{"keys", "remove"}, "one NAME"},
		{[]string{"keys", "remove", "a", "b"}, "one NAME"},
		{[]string{"keys", "list", "x"}, "no arguments"},
		{[]string{"keys", "show", "x"}, "no arguments"},
		{[]string{"keys", "export", "x"}, "-o FILE"},
		{[]string{"keys", "import"}, "one FILE"},
		{[]string{"keys", "import", "--pins-only", "--force", "x"}, "give one of them"},
		{[]string{"keys", "gen"}, "--name NAME"},
		{[]string{"keys", "gen", "--name", "a(b)"}, "bare name"},
		{[]string{"keys", "gen", "extra", "--name", "a"}, "no arguments"},
		{[]string{"keys", "frobnicate"}, "unknown command"},
		{[]string{"keys", "show", "--name", "a\tb"}, "--name"},
	} {
		code, out, errs := runKeysCLI(t, nil, "", append([]string{"--config-dir", dir}, c.args...)...)
		if code != ExitUsage || !strings.Contains(errs, c.want) || !strings.Contains(errs, "--help' for usage") || out != "" {
			t.Errorf("%q: exit %d, stderr %q; want exit 2 mentioning %q and the usage hint", c.args, code, errs, c.want)
		}
	}
	if pins, err := keys.Open(dir).Pins(); err != nil || len(pins) != 0 {
		t.Errorf("usage errors pinned something: %v %v", pins, err)
	}
}

// TestKeysRemoveSuggests: removing a name that is not pinned suggests the pinned names it was
// probably meant to be.
func TestKeysRemoveSuggests(t *testing.T) {
	bob, carol := testPeers(t)
	dir := t.TempDir()
	s := keys.Open(dir)
	for n, k := range map[string]string{"bob": bob.PublicJWK, "bobby": carol.PublicJWK, "Carol": carol.PublicJWK, "dan": bob.PublicJWK} {
		if _, err := s.Pin(n, k, false); err != nil {
			t.Fatal(err)
		}
	}
	for name, want := range map[string]string{
		"bobb":   "did you mean bob or bobby?",
		"bob(1)": "did you mean bob?",
		"carol":  "did you mean Carol?",
		"dna":    "see 'rtchat keys list'", // two edits is too far for a three-letter name
		"zed":    "see 'rtchat keys list'",
	} {
		c, _, _ := keysRun(dir, "", false)
		err := runKeysRemove(&keysRemoveOptions{keysCommon: c, Name: name})
		if codeOf(err) != ExitFailure || !strings.Contains(err.Error(), "not pinned") || !strings.HasSuffix(err.Error(), want) {
			t.Errorf("remove %s: %v; want exit 1 ending %q", name, err, want)
		}
	}
	if pins, _ := s.Pins(); len(pins) != 4 {
		t.Errorf("a refused remove removed something: %v", pins)
	}
	code, _, errs := runKeysCLI(t, nil, "", "--config-dir", dir, "keys", "remove", "bobb")
	mustCode(t, "remove bobb", code, ExitFailure, errs)
	mustContain(t, "remove bobb", errs, `not pinned: "bobb"; did you mean bob or bobby?`)
}

// TestKeysGenAnonymousWarning: names the web page treats specially get a warning that says
// what happens to them there; others get none.
func TestKeysGenAnonymousWarning(t *testing.T) {
	for name, want := range map[string]string{
		"anonymous": "never pin such a name",
		"anon7":     "never pin such a name",
		"User #417": "'User #N' names",
		"alice":     "",
	} {
		c, out, errb := keysRun(filepath.Join(t.TempDir(), "cfg"), "", false)
		if err := runKeysGen(&keysGenOptions{keysCommon: c, Name: name}); err != nil {
			t.Fatalf("gen %s: %v", name, err)
		}
		if !strings.HasPrefix(out.String(), name+"|{") {
			t.Errorf("gen %s printed %q", name, out)
		}
		if want == "" {
			if strings.Contains(errb.String(), "warning") {
				t.Errorf("gen %s warned: %s", name, errb)
			}
			continue
		}
		mustContain(t, "gen "+name, errb.String(), "warning: ", want, "rtchat keys gen --force --name NAME")
	}
	// Pinning such a name says what the web page does with it.
	bob, _ := testPeers(t)
	c, _, errb := keysRun(t.TempDir(), "", false)
	if err := runKeysRegister(&keysRegisterOptions{keysCommon: c, Args: []string{"anon1", bob.PublicJWK}}); err != nil {
		t.Fatal(err)
	}
	mustContain(t, "register anon1", errb.String(), "note: web pages treat names starting with 'anon' as anonymous")
}

// TestKeysRegisterOwnKey: my own identity line is not pinned for anyone, alone or in a
// list (the others are).
func TestKeysRegisterOwnKey(t *testing.T) {
	bob, _ := testPeers(t)
	dir := t.TempDir()
	c, _, _ := keysRun(dir, "", false)
	me, err := keys.Generate("alice")
	if err != nil {
		t.Fatal(err)
	}
	if err := keys.Open(dir).SaveIdentity(me, false); err != nil {
		t.Fatal(err)
	}
	err = runKeysRegister(&keysRegisterOptions{keysCommon: c, Args: []string{me.IdentityString()}})
	if err == nil || !strings.Contains(err.Error(), "my own key") || hintOf(err) == "" {
		t.Fatalf("register my own identity line: %v", err)
	}
	err = runKeysRegister(&keysRegisterOptions{keysCommon: c, Args: []string{"alex", me.PublicJWK}})
	if err == nil || !strings.Contains(err.Error(), "my own key") {
		t.Fatalf("register my key under another name: %v", err)
	}
	c, _, errb := keysRun(dir, me.IdentityString()+"\n"+bob.IdentityString()+"\n", false)
	if err := runKeysRegister(&keysRegisterOptions{keysCommon: c, Args: []string{"-"}}); err == nil {
		t.Error("register - with my own line: exit 0")
	}
	mustContain(t, "register -", errb.String(), "line 1: error: that is my own key", "pinned bob")
	pins, err := keys.Open(dir).Pins()
	if err != nil || len(pins) != 1 || pins["bob"] != bob.PublicJWK {
		t.Errorf("pins %v, %v; want only bob", pins, err)
	}
}
