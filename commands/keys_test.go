package commands

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/rtchat/rtchat/keys"
)

// runKeysCLI runs rtchat in-process with the given environment only (no os env) and stdin.
func runKeysCLI(t testing.TB, env map[string]string, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	ios := &IO{In: strings.NewReader(stdin), Out: &out, Err: &errb}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	code = Run(context.Background(), ios, args, lookup)
	return code, out.String(), errb.String()
}

var (
	keysPeersOnce sync.Once
	keysPeers     [2]*keys.Identity
	keysPeersErr  error
)

// testPeers returns two identities generated once per test binary, for pinning.
func testPeers(t testing.TB) (bob, carol *keys.Identity) {
	t.Helper()
	keysPeersOnce.Do(func() {
		for i, n := range []string{"bob", "carol"} {
			if keysPeers[i], keysPeersErr = keys.Generate(n); keysPeersErr != nil {
				return
			}
		}
	})
	if keysPeersErr != nil {
		t.Fatal(keysPeersErr)
	}
	return keysPeers[0], keysPeers[1]
}

func mustCode(t testing.TB, what string, got, want int, stderr string) {
	t.Helper()
	if got != want {
		t.Fatalf("%s: exit %d, want %d; stderr:\n%s", what, got, want, stderr)
	}
}

func mustContain(t testing.TB, what, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			t.Errorf("%s: %q does not contain %q", what, s, sub)
		}
	}
}

func TestKeysGenShow(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cfg", "rtchat")
	cd := []string{"--config-dir", dir}

	code, out, errs := runKeysCLI(t, nil, "", append(cd, "keys", "gen")...)
	mustCode(t, "gen without a name", code, ExitUsage, errs)
	mustContain(t, "gen without a name", errs, "--name", "RTCHAT_NAME")
	if out != "" {
		t.Errorf("gen without name wrote stdout %q", out)
	}
	code, _, errs = runKeysCLI(t, nil, "", append(cd, "keys", "gen", "--name", "al|ce")...)
	mustCode(t, "gen with a bad name", code, ExitUsage, errs)
	mustContain(t, "gen with a bad name", errs, "'|'")

	code, out, errs = runKeysCLI(t, nil, "", append(cd, "keys", "gen", "--name", "alice")...)
	mustCode(t, "gen", code, ExitOK, errs)
	if !strings.HasPrefix(out, `alice|{"alg":"PS256","e":"AQAB","ext":true,"key_ops":["verify"],"kty":"RSA","n":"`) ||
		strings.Count(out, "\n") != 1 || !strings.HasSuffix(out, "\"}\n") {
		t.Fatalf("gen stdout: %q", out)
	}
	identity := strings.TrimSuffix(out, "\n")
	fp := keys.Fingerprint(strings.TrimPrefix(identity, "alice|"))
	mustContain(t, "gen stderr", errs, fp)

	// Modes: config dir 0700, key file 0600.
	if st, err := os.Stat(dir); err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf("config dir: %v %v, want 0700", st.Mode().Perm(), err)
	}
	keyFile := filepath.Join(dir, keys.IdentityFile)
	if st, err := os.Stat(keyFile); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("identity file: %v %v, want 0600", st.Mode().Perm(), err)
	}

	code, out, errs = runKeysCLI(t, nil, "", append(cd, "keys", "show")...)
	mustCode(t, "show", code, ExitOK, errs)
	if out != identity+"\n" {
		t.Errorf("show printed %q, gen printed %q", out, identity)
	}
	mustContain(t, "show stderr", errs, fp)

	// --name (and RTCHAT_NAME) choose the name shown; a full name is reduced to its bare name.
	_, out, _ = runKeysCLI(t, map[string]string{"RTCHAT_NAME": "alice(cli)"}, "", append(cd, "keys", "show")...)
	if out != identity+"\n" {
		t.Errorf("show with RTCHAT_NAME=alice(cli): %q", out)
	}
	code, out, errs = runKeysCLI(t, nil, "", append(cd, "--json", "keys", "show")...)
	mustCode(t, "show --json", code, ExitOK, errs)
	var obj map[string]string
	if err := json.Unmarshal([]byte(out), &obj); err != nil || obj["type"] != "identity" || obj["name"] != "alice" ||
		obj["fingerprint"] != fp || obj["identity"] != identity || "alice|"+obj["publicKeyString"] != identity {
		t.Errorf("show --json: %q %v", out, err)
	}

	// Refuse to overwrite.
	code, out, errs = runKeysCLI(t, map[string]string{"RTCHAT_NAME": "alice"}, "", append(cd, "keys", "gen")...)
	mustCode(t, "second gen", code, ExitFailure, errs)
	mustContain(t, "second gen", errs, "already exists", "--force", fp)
	if out != "" {
		t.Errorf("refused gen wrote stdout %q", out)
	}
	if _, out, _ = runKeysCLI(t, nil, "", append(cd, "keys", "show")...); out != identity+"\n" {
		t.Fatal("refused gen changed the identity")
	}
	code, out, errs = runKeysCLI(t, nil, "", append(cd, "keys", "gen", "--force", "--name", "alice")...)
	mustCode(t, "gen --force", code, ExitOK, errs)
	if out == identity+"\n" || !strings.HasPrefix(out, "alice|") {
		t.Errorf("gen --force did not make a new key: %q", out)
	}

	// An unprotected private key is refused, with the fix.
	if err := os.Chmod(keyFile, 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs = runKeysCLI(t, nil, "", append(cd, "keys", "show")...)
	mustCode(t, "show with a 0644 key", code, ExitFailure, errs)
	mustContain(t, "show with a 0644 key", errs, "0644", "too open", "chmod 600 "+keyFile)
	if out != "" {
		t.Errorf("stdout %q", out)
	}

	// No identity.
	code, _, errs = runKeysCLI(t, nil, "", "--config-dir", t.TempDir(), "keys", "show")
	mustCode(t, "show without identity", code, ExitFailure, errs)
	mustContain(t, "show without identity", errs, "rtchat keys gen --name NAME")
}

func TestKeysRegisterListRemove(t *testing.T) {
	bob, carol := testPeers(t)
	dir := t.TempDir()
	cli := func(args ...string) (int, string, string) {
		return runKeysCLI(t, nil, "", append([]string{"--config-dir", dir}, args...)...)
	}
	bobFP, carolFP := bob.Fingerprint(), carol.Fingerprint()

	code, out, errs := cli("keys", "register", bob.IdentityString())
	mustCode(t, "register IDENTITY", code, ExitOK, errs)
	mustContain(t, "register IDENTITY", errs, "pinned bob ("+bobFP+")")
	if out != "" {
		t.Errorf("register wrote stdout %q", out)
	}
	code, _, errs = cli("keys", "register", "carol", carol.PublicJWK)
	mustCode(t, "register NAME JWK", code, ExitOK, errs)
	mustContain(t, "register NAME JWK", errs, "pinned carol")
	code, _, errs = cli("keys", "register", bob.IdentityString())
	mustCode(t, "register again", code, ExitOK, errs)
	mustContain(t, "register again", errs, "unchanged bob")

	// A changed key is refused without --replace, accepted with it.
	code, _, errs = cli("keys", "register", "bob|"+carol.PublicJWK)
	mustCode(t, "changed key", code, ExitFailure, errs)
	mustContain(t, "changed key", errs, "key changed", bobFP, carolFP, "--replace")
	if jwk, _, _ := keys.Open(dir).Lookup("bob"); jwk != bob.PublicJWK {
		t.Fatal("refused change altered the pin")
	}
	code, _, errs = cli("keys", "register", "--replace", "bob|"+carol.PublicJWK)
	mustCode(t, "changed key --replace", code, ExitOK, errs)
	mustContain(t, "changed key --replace", errs, "replaced bob ("+carolFP+", was "+bobFP+")")
	code, _, errs = cli("keys", "register", "--replace", "bob", bob.PublicJWK)
	mustCode(t, "replace back", code, ExitOK, errs)

	// Malformed input names the problem.
	var ec map[string]any
	json.Unmarshal([]byte(bob.PublicJWK), &ec)
	ec["kty"] = "EC"
	ecJWK, _ := json.Marshal(ec)
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"bob|" + string(ecJWK)}, ExitFailure, `kty is "EC"`},
		{[]string{"bob|{not json"}, ExitFailure, "not a JSON object"},
		{[]string{"bob"}, ExitUsage, "register bob JWK"},
		{[]string{"bob(1)|" + bob.PublicJWK}, ExitFailure, "bare name"},
		{[]string{"dave", strings.Replace(bob.PublicJWK, `"ext":true`, `"ext":false`, 1)}, ExitFailure, "ext is false"},
		{[]string{"dave", bob.PrivateJWK}, ExitFailure, "PRIVATE"},
		{[]string{"da|ve", bob.PublicJWK}, ExitFailure, "'|'"},
		{nil, ExitUsage, "IDENTITY"},
		{[]string{"a", "b", "c"}, ExitUsage, "IDENTITY"},
	} {
		code, _, errs := cli(append([]string{"keys", "register"}, c.args...)...)
		if code != c.code || !strings.Contains(errs, c.want) {
			t.Errorf("register %.40q: exit %d, stderr %q; want exit %d mentioning %q", c.args, code, errs, c.code, c.want)
		}
	}

	// list: aligned columns, sorted.
	cli("keys", "register", "User #417|"+carol.PublicJWK)
	code, out, errs = cli("keys", "list")
	mustCode(t, "list", code, ExitOK, errs)
	want := fmt.Sprintf("User #417  %s  rtchat\nbob        %s  rtchat\ncarol      %s  rtchat\n", carolFP, bobFP, carolFP)
	if out != want {
		t.Errorf("list:\n%s\nwant:\n%s", out, want)
	}
	code, out, errs = cli("--json", "keys", "list")
	mustCode(t, "list --json", code, ExitOK, errs)
	var peers []map[string]string
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var p map[string]string
		if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
			t.Fatalf("list --json line %q: %v", sc.Text(), err)
		}
		peers = append(peers, p)
	}
	if len(peers) != 3 || peers[1]["type"] != "peer" || peers[1]["name"] != "bob" || peers[1]["fingerprint"] != bobFP ||
		peers[1]["publicKeyString"] != bob.PublicJWK || peers[1]["kind"] != "rtchat" || peers[0]["name"] != "User #417" {
		t.Errorf("list --json: %v", peers)
	}

	// remove.
	code, _, errs = cli("keys", "remove", "User #417")
	mustCode(t, "remove", code, ExitOK, errs)
	mustContain(t, "remove", errs, "removed User #417")
	code, _, errs = cli("keys", "remove", "User #417")
	mustCode(t, "remove again", code, ExitFailure, errs)
	mustContain(t, "remove again", errs, "not pinned")
	if _, out, _ = cli("keys", "list"); strings.Contains(out, "User") {
		t.Errorf("removed peer still listed: %q", out)
	}
	code, _, errs = cli("keys", "remove")
	mustCode(t, "remove without name", code, ExitUsage, errs)

	// Empty list: nothing on stdout.
	code, out, errs = runKeysCLI(t, nil, "", "--config-dir", t.TempDir(), "keys", "list")
	if code != 0 || out != "" || !strings.Contains(errs, "no pinned peers") {
		t.Errorf("empty list: %d %q %q", code, out, errs)
	}
	if st, err := os.Stat(filepath.Join(dir, keys.PinsFile)); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("pins file mode: %v %v", st.Mode().Perm(), err)
	}
}

func TestKeysRegisterStdin(t *testing.T) {
	bob, carol := testPeers(t)
	dir := t.TempDir()
	runKeysCLI(t, nil, "", "--config-dir", dir, "keys", "register", "erin|"+bob.PublicJWK)
	stdin := strings.Join([]string{
		"# team keys",                     // 1
		"",                                // 2
		bob.IdentityString(),              // 3 ok
		"dave(1)|" + bob.PublicJWK,        // 4 bad name
		"   ",                             // 5
		"carol|" + carol.PublicJWK + "\r", // 6 ok, CRLF
		"frank|{broken",                   // 7 bad json
		"erin|" + carol.PublicJWK,         // 8 changed key
		"  # indented comment",            // 9
		bob.IdentityString(),              // 10 unchanged
	}, "\n")
	code, out, errs := runKeysCLI(t, nil, stdin, "--config-dir", dir, "--json", "keys", "register", "-")
	mustCode(t, "register - with bad lines", code, ExitFailure, errs)
	mustContain(t, "register - report", errs,
		"line 3: pinned bob ("+bob.Fingerprint()+")",
		"line 4: error: ", "bare name",
		"line 6: pinned carol ("+carol.Fingerprint()+")",
		"line 7: error: ", "not a JSON object",
		"line 8: error: ", "key changed",
		"line 10: unchanged bob",
		"3 of 6 identities failed")
	for _, n := range []string{"line 1:", "line 2:", "line 5:", "line 9:"} {
		if strings.Contains(errs, n) {
			t.Errorf("skipped line reported: %s", n)
		}
	}
	pins, err := keys.Open(dir).Pins()
	if err != nil || len(pins) != 3 || pins["bob"] != bob.PublicJWK || pins["carol"] != carol.PublicJWK || pins["erin"] != bob.PublicJWK {
		t.Errorf("pins after register -: %d %v", len(pins), err)
	}
	// --json: one result per pinned line, then the failure with its exit code.
	if n := strings.Count(out, "\n"); n != 4 || !strings.Contains(out, `"result":"added","line":3`) ||
		!strings.Contains(out, `{"code":1,"error":"3 of 6 identities failed","type":"error"}`) {
		t.Errorf("register - --json stdout: %q", out)
	}
	// All good → exit 0; nothing at all → error.
	code, _, errs = runKeysCLI(t, nil, bob.IdentityString()+"\n", "--config-dir", dir, "keys", "register", "-")
	mustCode(t, "register - good", code, ExitOK, errs)
	code, _, errs = runKeysCLI(t, nil, "# nothing\n\n", "--config-dir", dir, "keys", "register", "-")
	mustCode(t, "register - empty", code, ExitFailure, errs)
	mustContain(t, "register - empty", errs, "no identities")
}

func TestKeysExportImport(t *testing.T) {
	bob, carol := testPeers(t)
	a, b, c := t.TempDir(), t.TempDir(), t.TempDir()
	if code, _, errs := runKeysCLI(t, nil, "", "--config-dir", a, "keys", "gen", "--name", "alice"); code != 0 {
		t.Fatal(errs)
	}
	runKeysCLI(t, nil, "", "--config-dir", a, "keys", "register", bob.IdentityString())
	runKeysCLI(t, nil, "", "--config-dir", a, "keys", "register", carol.IdentityString())

	code, web, errs := runKeysCLI(t, nil, "", "--config-dir", a, "keys", "export", "--web")
	mustCode(t, "export --web", code, ExitOK, errs)
	mustContain(t, "export --web", errs, "PRIVATE")
	var items map[string]string // the localStorage items: all strings
	if err := json.Unmarshal([]byte(web), &items); err != nil {
		t.Fatalf("export --web: %q: %v", web, err)
	}
	if items["rtchat_name"] != "alice" || !strings.Contains(items["knownHostsStrings"], "bob") || items["privateKeyString"] == "" {
		t.Errorf("export --web items: %v", items)
	}

	// Import into an empty dir: same identity string, same pins.
	code, _, errs = runKeysCLI(t, nil, web, "--config-dir", b, "keys", "import", "-")
	mustCode(t, "import", code, ExitOK, errs)
	mustContain(t, "import", errs, "identity: imported alice", "pin bob: pinned bob", "pin carol: pinned carol")
	_, showA, _ := runKeysCLI(t, nil, "", "--config-dir", a, "keys", "show")
	_, showB, _ := runKeysCLI(t, nil, "", "--config-dir", b, "keys", "show")
	if showA != showB || showA == "" {
		t.Errorf("identity changed through export/import:\n%s\n%s", showA, showB)
	}
	_, listA, _ := runKeysCLI(t, nil, "", "--config-dir", a, "keys", "list")
	_, listB, _ := runKeysCLI(t, nil, "", "--config-dir", b, "keys", "list")
	if listA != listB {
		t.Errorf("pins changed through export/import:\n%s\n%s", listA, listB)
	}
	if st, err := os.Stat(filepath.Join(b, keys.IdentityFile)); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("imported identity mode: %v", err)
	}
	// Again: unchanged. From a file.
	f := filepath.Join(t.TempDir(), "ls.json")
	os.WriteFile(f, []byte(web), 0o600)
	code, _, errs = runKeysCLI(t, nil, "", "--config-dir", b, "keys", "import", f)
	mustCode(t, "import again", code, ExitOK, errs)
	mustContain(t, "import again", errs, "identity: unchanged alice", "unchanged bob")

	// A different identity is refused without --force.
	runKeysCLI(t, nil, "", "--config-dir", c, "keys", "gen", "--name", "zed")
	code, _, errs = runKeysCLI(t, nil, web, "--config-dir", c, "keys", "import", "-")
	mustCode(t, "import over another identity", code, ExitFailure, errs)
	mustContain(t, "import over another identity", errs, "already exists", "--force")
	code, _, errs = runKeysCLI(t, nil, web, "--config-dir", c, "keys", "import", "--force", "-")
	mustCode(t, "import --force", code, ExitOK, errs)

	// Plain export gives identity lines that 'register -' reads back.
	code, lines, errs := runKeysCLI(t, nil, "", "--config-dir", a, "keys", "export")
	mustCode(t, "export", code, ExitOK, errs)
	if lines != bob.IdentityString()+"\n"+carol.IdentityString()+"\n" {
		t.Errorf("export: %q", lines)
	}
	d := t.TempDir()
	code, _, errs = runKeysCLI(t, nil, lines, "--config-dir", d, "keys", "register", "-")
	mustCode(t, "register - of export", code, ExitOK, errs)

	// The browser's own spelling: knownHostsStrings as an object, anon names skipped.
	obj := fmt.Sprintf(`{"knownHostsStrings":{"anon42":%q,"dave":%q}}`, bob.PublicJWK, carol.PublicJWK)
	code, _, errs = runKeysCLI(t, nil, obj, "--config-dir", d, "keys", "import", "-")
	mustCode(t, "import object form", code, ExitOK, errs)
	mustContain(t, "import object form", errs, "anon42: skipped", "pinned dave")
	code, _, errs = runKeysCLI(t, nil, "[]", "--config-dir", d, "keys", "import", "-")
	mustCode(t, "import garbage", code, ExitFailure, errs)
}

// TestKeysHelp: every keys command documents itself.
func TestKeysHelp(t *testing.T) {
	root := NewRootCmd(&IO{In: strings.NewReader(""), Out: &bytes.Buffer{}, Err: &bytes.Buffer{}}, nil)
	for _, c := range root.Commands() {
		if c.Name() != "keys" {
			continue
		}
		for _, sub := range append(c.Commands(), c) {
			if sub.Long == "" || sub.Example == "" {
				t.Errorf("%s: missing Long or Example", sub.CommandPath())
			}
		}
		if len(c.Commands()) != 9 {
			t.Errorf("keys has %d subcommands", len(c.Commands()))
		}
		code, out, _ := runKeysCLI(t, nil, "", "keys", "--help")
		if code != 0 || !strings.Contains(out, "register") {
			t.Errorf("keys --help: %d %q", code, out)
		}
		code, out, _ = runKeysCLI(t, nil, "", "keys")
		if code != 0 || !strings.Contains(out, "Available Commands") {
			t.Errorf("keys: %d %q", code, out)
		}
		return
	}
	t.Fatal("no keys command")
}

const keysHelperEnv = "RTCHAT_TEST_KEYS_HELPER"

// TestKeysHelperProcess is not a test: it is this test binary re-executed as rtchat by
// TestKeysConcurrentRegister (the arguments come as JSON in $RTCHAT_TEST_KEYS_HELPER).
func TestKeysHelperProcess(t *testing.T) {
	spec := os.Getenv(keysHelperEnv)
	if spec == "" {
		t.Skip("helper process only")
	}
	var args []string
	if err := json.Unmarshal([]byte(spec), &args); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(99)
	}
	os.Exit(Run(context.Background(), SystemIO(), args, func(string) (string, bool) { return "", false }))
}

func TestKeysConcurrentRegister(t *testing.T) {
	bob, carol := testPeers(t)
	check := func(t *testing.T, dir string, want int) {
		t.Helper()
		pins, err := keys.Open(dir).Pins()
		if err != nil || len(pins) != want {
			t.Fatalf("%d pins after concurrent registers, want %d (%v)", len(pins), want, err)
		}
	}

	t.Run("goroutines", func(t *testing.T) {
		dir := t.TempDir()
		var wg sync.WaitGroup
		for w, id := range []*keys.Identity{bob, carol} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < 20; i++ {
					code, _, errs := runKeysCLI(t, nil, "", "--config-dir", dir, "keys", "register", fmt.Sprintf("g%d-peer%02d", w, i), id.PublicJWK)
					if code != 0 {
						t.Errorf("register: %d %s", code, errs)
					}
				}
			}()
		}
		wg.Wait()
		check(t, dir, 40)
	})

	t.Run("processes", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "new") // created by the racing processes themselves
		args, _ := json.Marshal([]string{"--config-dir", dir, "keys", "register", "-"})
		var cmds []*exec.Cmd
		var stderrs []*bytes.Buffer
		for p, id := range []*keys.Identity{bob, carol} {
			var in strings.Builder
			for i := 0; i < 20; i++ {
				fmt.Fprintf(&in, "p%d-peer%02d|%s\n", p, i, id.PublicJWK)
			}
			cmd := exec.Command(os.Args[0], "-test.run=^TestKeysHelperProcess$", "-test.count=1")
			cmd.Env = append(os.Environ(), keysHelperEnv+"="+string(args))
			cmd.Stdin = strings.NewReader(in.String())
			var errb bytes.Buffer
			cmd.Stderr = &errb
			cmds, stderrs = append(cmds, cmd), append(stderrs, &errb)
		}
		for _, c := range cmds {
			if err := c.Start(); err != nil {
				t.Fatal(err)
			}
		}
		for i, c := range cmds {
			if err := c.Wait(); err != nil {
				t.Errorf("process %d: %v\n%s", i, err, stderrs[i])
			}
			if n := strings.Count(stderrs[i].String(), ": pinned "); n != 20 {
				t.Errorf("process %d reported %d pins:\n%s", i, n, stderrs[i])
			}
		}
		check(t, dir, 40)
		if st, err := os.Stat(dir); err != nil || st.Mode().Perm() != 0o700 {
			t.Errorf("config dir made by register: %v", err)
		}
	})
}
