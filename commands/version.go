package commands

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// Stamped at build time, e.g. by GoReleaser:
//
//	go build -ldflags "-X github.com/rtchat/rtchat/commands.version=1.2.3
//	  -X github.com/rtchat/rtchat/commands.commit=abc1234...
//	  -X github.com/rtchat/rtchat/commands.date=2026-11-25T10:00:00Z" ./cmd/rtchat
//
// Left empty, each falls back to what the Go toolchain recorded in the binary
// (runtime/debug.ReadBuildInfo): the module version for 'go install ...@v1.2.3', and
// vcs.revision / vcs.time for builds in a git checkout.
var (
	version string
	commit  string
	date    string
)

// versionInfo is what 'rtchat --version' and 'rtchat version' report.
type versionInfo struct {
	Version  string `json:"version"`
	Commit   string `json:"commit,omitempty"`
	Date     string `json:"date,omitempty"`
	Modified bool   `json:"modified,omitempty"`
	Go       string `json:"go"`
}

// currentVersion combines the stamped variables with the binary's build info.
func currentVersion() versionInfo {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		bi = nil
	}
	return makeVersion(version, commit, date, bi)
}

// makeVersion fills each of version, commit and date that was not stamped from bi (may be nil).
func makeVersion(ver, rev, when string, bi *debug.BuildInfo) versionInfo {
	v := versionInfo{Version: known(ver), Commit: known(rev), Date: known(when), Go: runtime.Version()}
	if t, err := time.Parse(time.RFC3339, v.Date); err == nil && t.Year() < 2000 {
		v.Date = "" // a zero commit date: the release tool had no git information
	}
	if bi != nil {
		if v.Version == "" {
			if mv := bi.Main.Version; mv != "" && mv != "(devel)" {
				v.Version = mv
			}
		}
		if bi.GoVersion != "" {
			v.Go = bi.GoVersion
		}
		stamped := v.Commit != ""
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if !stamped {
					v.Commit = s.Value
				}
			case "vcs.time":
				if v.Date == "" {
					v.Date = s.Value
				}
			case "vcs.modified":
				if !stamped {
					v.Modified = s.Value == "true"
				}
			}
		}
	}
	// Release tags are vX.Y.Z; GoReleaser's {{.Version}} and this output drop the v.
	if len(v.Version) > 1 && v.Version[0] == 'v' && v.Version[1] >= '0' && v.Version[1] <= '9' {
		v.Version = v.Version[1:]
	}
	if v.Version == "" {
		v.Version = "devel"
	}
	return v
}

// known trims a stamped value and drops the release tools' placeholders for "unknown".
func known(s string) string {
	s = strings.TrimSpace(s)
	switch strings.ToLower(s) {
	case "none", "unknown", "(unknown)", "(devel)":
		return ""
	}
	return s
}

// String is the one-line form: "1.2.3 (commit abc1234, built 2026-11-25)".
func (v versionInfo) String() string {
	var extra []string
	if v.Commit != "" {
		c := v.Commit
		if len(c) > 7 {
			c = c[:7]
		}
		if v.Modified {
			c += ", modified"
		}
		extra = append(extra, "commit "+c)
	}
	if v.Date != "" {
		extra = append(extra, "built "+shortDate(v.Date))
	}
	if len(extra) == 0 {
		return v.Version
	}
	return v.Version + " (" + strings.Join(extra, ", ") + ")"
}

// shortDate turns an RFC 3339 time (or a Unix time) into its UTC day; anything else is kept.
func shortDate(s string) string {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC().Format(time.DateOnly)
	}
	var sec int64
	if _, err := fmt.Sscanf(s, "%d", &sec); err == nil && fmt.Sprint(sec) == s {
		return time.Unix(sec, 0).UTC().Format(time.DateOnly)
	}
	return s
}

// versionString is the root command's Version: "1.2.3 (commit abc1234, built 2026-11-25)".
func versionString() string { return currentVersion().String() }

// versionTemplate prints "rtchat 1.2.3 (commit abc1234, built 2026-11-25)" for --version.
const versionTemplate = "{{.Name}} {{.Version}}\n"

// setupVersion sets up 'rtchat --version' and adds 'rtchat version'.
func setupVersion(root *cobra.Command, g *Globals, ios *IO) {
	root.Version = versionString()
	root.SetVersionTemplate(versionTemplate)
	root.AddCommand(newVersionCmd(g, ios))
}

func newVersionCmd(g *Globals, ios *IO) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print rtchat's version, commit and build date",
		Long: `Print rtchat's version, the commit it was built from and the build date, as
'rtchat --version' does. Release builds have all three stamped in; a 'go install' build
reports its module version and, when built in a git checkout, the commit and its time;
anything else is "devel".

With --json, one object: {"type":"version","version":...,"commit":...,"date":...,"go":...}
(commit and date are left out when unknown).`,
		Example: `  rtchat version
  rtchat --version
  rtchat version --json | jq -r .version`,
		Args: cobra.NoArgs,
		// Like --version, this works whatever the RTCHAT_* variables hold.
		PersistentPreRunE: func(*cobra.Command, []string) error { return nil },
		RunE: func(cmd *cobra.Command, args []string) error {
			v := currentVersion()
			if g.JSON {
				return writeJSON(ios.Out, versionJSON{Type: "version", versionInfo: v})
			}
			_, err := fmt.Fprintf(ios.Out, "%s %s\n", cmd.Root().Name(), v)
			return err
		},
	}
}
