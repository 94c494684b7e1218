package commands

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func configRun(t *testing.T, env map[string]string, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	ios := &IO{In: strings.NewReader(""), Out: &out, Err: &errb}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	code := Run(context.Background(), ios, args, lookup)
	return out.String(), errb.String(), code
}

// configValues runs 'rtchat config --json' and returns key -> [value, source].
func configValues(t *testing.T, env map[string]string, args ...string) map[string][2]string {
	t.Helper()
	out, errs, code := configRun(t, env, append(args, "config", "--json")...)
	if code != 0 {
		t.Fatalf("config: exit %d: %s", code, errs)
	}
	got := map[string][2]string{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var o struct{ Type, Key, Value, Source string }
		if err := json.Unmarshal([]byte(line), &o); err != nil || o.Type != "config" {
			t.Fatalf("bad config line %q: %v", line, err)
		}
		got[o.Key] = [2]string{o.Value, o.Source}
	}
	return got
}

func TestConfigPrecedence(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, ConfigFileName)
	if err := os.WriteFile(file, []byte("room = \"fileroom\"\nbroker = \"mqtt://file:1883\"\ntimeout = \"5s\"\nice = [\"stun:a:1\", \"stun:b:2\"]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"RTCHAT_CONFIG_DIR": dir, "RTCHAT_BROKER": "mqtt://env:1883", "RTCHAT_TIMEOUT": "6s"}
	got := configValues(t, env, "--timeout", "7s")
	want := map[string][2]string{
		"config-dir": {dir, "env RTCHAT_CONFIG_DIR"},
		"room":       {"fileroom", "file " + file},             // file beats default
		"broker":     {"mqtt://env:1883", "env RTCHAT_BROKER"}, // env beats file
		"timeout":    {"7s", "flag --timeout"},                 // flag beats env and file
		"ice":        {"stun:a:1,stun:b:2", "file " + file},
		"trust":      {"known", "default"},
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s = %v, want %v", k, got[k], w)
		}
	}
}

func TestConfigFileErrors(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct{ body, want string }{
		{"colour = \"red\"\n", `unknown key "colour"`},
		{"room = 3\n", "room must be a string"},
		{"room = \n", "config file"},
		{"trust = \"maybe\"\n", `invalid trust policy "maybe"`},
	} {
		if err := os.WriteFile(filepath.Join(dir, ConfigFileName), []byte(c.body), 0o600); err != nil {
			t.Fatal(err)
		}
		_, errs, code := configRun(t, nil, "--config-dir", dir, "config")
		if code != ExitUsage || !strings.Contains(errs, c.want) {
			t.Errorf("config file %q: exit %d, stderr %q; want exit 2 mentioning %q", c.body, code, errs, c.want)
		}
	}
}

// TestConfigShowsEffectiveValues: the name comes from the identity and the ICE servers are
// listed, not described; --timeout 0 says it has no limit.
func TestConfigShowsEffectiveValues(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"RTCHAT_CONFIG_DIR": dir}
	got := configValues(t, env)
	if got["name"][0] != "" || !strings.Contains(got["name"][1], "keys gen") {
		t.Errorf("no identity: name %v", got["name"])
	}
	if _, _, code := configRun(t, env, "keys", "gen", "--name", "carol"); code != 0 {
		t.Fatal("keys gen failed")
	}
	got = configValues(t, env, "--timeout", "0")
	if got["name"][0] != "carol" || !strings.HasPrefix(got["name"][1], "identity ") {
		t.Errorf("name %v, want carol from the identity", got["name"])
	}
	if !strings.HasPrefix(got["ice"][0], "stun:stun.l.google.com:19302,") || got["ice"][1] != "default" {
		t.Errorf("ice %v, want the default STUN list", got["ice"])
	}
	if got["timeout"][0] != "0 (no limit)" {
		t.Errorf("timeout %v", got["timeout"])
	}
	out, _, _ := configRun(t, env, "config")
	if strings.Contains(out, "<") {
		t.Errorf("placeholders in:\n%s", out)
	}
}
