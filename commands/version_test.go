package commands

import (
	"encoding/json"
	"regexp"
	"runtime/debug"
	"strings"
	"testing"
)

func TestMakeVersion(t *testing.T) {
	vcs := &debug.BuildInfo{
		GoVersion: "go1.26.8",
		Main:      debug.Module{Path: "github.com/rtchat/rtchat", Version: "v1.4.0"},
		Settings: []debug.BuildSetting{
			{Key: "vcs", Value: "git"},
			{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"},
			{Key: "vcs.time", Value: "2026-11-20T09:30:00Z"},
			{Key: "vcs.modified", Value: "true"},
		},
	}
	for _, tc := range []struct {
		name             string
		ver, commit, day string
		bi               *debug.BuildInfo
		want             string
	}{
		{"stamped", "1.2.3", "abc1234def5678", "2026-11-25T10:00:00Z", nil, "1.2.3 (commit abc1234, built 2026-11-25)"},
		{"stamped v", "v1.2.3", "abc1234", "2026-11-25T23:30:00-02:00", vcs, "1.2.3 (commit abc1234, built 2026-11-26)"},
		{"stamped unix date", "1.2.3", "abc1234", "1764064800", nil, "1.2.3 (commit abc1234, built 2025-11-25)"},
		{"stamped version only", "1.2.3", "", "", nil, "1.2.3"},
		{"go install", "", "", "", &debug.BuildInfo{Main: debug.Module{Version: "v1.4.0"}}, "1.4.0"},
		{"git checkout", "", "", "", vcs, "1.4.0 (commit 0123456, modified, built 2026-11-20)"},
		{"devel", "", "", "", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "devel"},
		{"pseudo", "", "", "", &debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261120093000-0123456789ab"}}, "0.0.0-20261120093000-0123456789ab"},
		{"no build info", "", "", "", nil, "devel"},
		{"placeholders", "0.0.1-next", "none", "0001-01-01T00:00:00Z", vcs, "0.0.1-next (commit 0123456, modified, built 2026-11-20)"},
	} {
		if got := makeVersion(tc.ver, tc.commit, tc.day, tc.bi).String(); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestVersionFlag(t *testing.T) {
	old := [3]string{version, commit, date}
	defer func() { version, commit, date = old[0], old[1], old[2] }()
	version, commit, date = "1.2.3", "abc1234def", "2026-11-25T10:00:00Z"

	const want = "rtchat 1.2.3 (commit abc1234, built 2026-11-25)\n"
	for _, args := range [][]string{{"--version"}, {"version"}} {
		code, out, stderr := runKeysCLI(t, map[string]string{"RTCHAT_TIMEOUT": "bogus"}, "", args...)
		mustCode(t, strings.Join(args, " "), code, 0, stderr)
		if out != want {
			t.Errorf("%v: %q, want %q", args, out, want)
		}
	}

	code, out, stderr := runKeysCLI(t, nil, "", "version", "--json")
	mustCode(t, "version --json", code, 0, stderr)
	var v map[string]any
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("version --json: %v: %q", err, out)
	}
	if v["type"] != "version" || v["version"] != "1.2.3" || v["commit"] != "abc1234def" || v["date"] != "2026-11-25T10:00:00Z" || v["go"] == "" {
		t.Errorf("version --json: %v", v)
	}
}

// TestVersionUnstamped checks the test binary itself: no -X, so build info decides.
func TestVersionUnstamped(t *testing.T) {
	code, out, stderr := runKeysCLI(t, nil, "", "--version")
	mustCode(t, "--version", code, 0, stderr)
	if !regexp.MustCompile(`^rtchat \S+( \(.+\))?\n$`).MatchString(out) {
		t.Errorf("--version: %q", out)
	}
}
