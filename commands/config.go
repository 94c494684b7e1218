package commands

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/BurntSushi/toml"
	"github.com/spf13/cobra"

	"github.com/rtchat/rtchat/keys"
	"github.com/rtchat/rtchat/rtc/iceconf"
)

// ConfigFileName is the config file in the config dir.
const ConfigFileName = "config.toml"

// configKeys are the globals a config file may set, in display order.
var configKeys = []string{"name", "broker", "room", "ice", "timeout", "reconnect", "trust"}

// durationKeys are the config keys that take a duration, which may be a bare number.
var durationKeys = map[string]bool{"timeout": true, "reconnect": true}

type configFile struct {
	path   string
	values map[string]string
}

// loadConfigFile reads DIR/config.toml; a missing file is an empty config.
func loadConfigFile(dir string) (*configFile, error) {
	path := filepath.Join(dir, ConfigFileName)
	cf := &configFile{path: path, values: map[string]string{}}
	raw := map[string]any{}
	_, err := toml.DecodeFile(path, &raw)
	if errors.Is(err, fs.ErrNotExist) {
		return cf, nil
	}
	if err != nil {
		return nil, usageErrorf("config file %s: %v", path, err)
	}
	allowed := map[string]bool{}
	for _, k := range configKeys {
		allowed[k] = true
	}
	for k, v := range raw {
		if !allowed[k] {
			return nil, usageErrorf("config file %s: unknown key %q (known: %s)", path, k, strings.Join(configKeys, ", "))
		}
		switch v := v.(type) {
		case string:
			cf.values[k] = v
		case int64, float64: // timeout = 5: plain seconds, as on the command line
			if !durationKeys[k] {
				return nil, usageErrorf("config file %s: %s must be a string (e.g. %s = \"...\")", path, k, k)
			}
			cf.values[k] = fmt.Sprint(v)
		case []any: // ice = ["stun:a", "stun:b"] reads as the comma-separated flag value
			parts := make([]string, 0, len(v))
			for _, p := range v {
				s, ok := p.(string)
				if !ok {
					return nil, usageErrorf("config file %s: %s must be a list of strings", path, k)
				}
				parts = append(parts, s)
			}
			cf.values[k] = strings.Join(parts, ",")
		default:
			return nil, usageErrorf("config file %s: %s must be a string (e.g. %s = \"...\")", path, k, k)
		}
	}
	return cf, nil
}

// configOptions is what 'rtchat config' runs with.
type configOptions struct {
	Globals *Globals
	IO      *IO
}

func newConfigCmd(g *Globals, ios *IO, runF func(context.Context, *configOptions) error) *cobra.Command {
	opts := &configOptions{Globals: g, IO: ios}
	return &cobra.Command{
		Use:   "config",
		Short: "Show the effective settings and where each came from",
		Long: `Show the effective value of each setting and its source. Precedence: a flag wins over
its environment variable, which wins over the config file, which wins over the default.

The config file is config.toml in the config dir (--config-dir, RTCHAT_CONFIG_DIR, else
$XDG_CONFIG_HOME/rtchat or ~/.config/rtchat). Keys: name, broker, room, ice, timeout,
reconnect, trust. Durations are seconds (15) or a Go duration ("15s", "1m30s").

  # ~/.config/rtchat/config.toml
  broker  = "mqtt://192.168.1.10:1883"
  room    = "lab"
  ice     = ["stun:stun.l.google.com:19302"]   # or "none", "loopback", "stun:a,turn:u:p@b"
  timeout = "15s"                              # or 15 (seconds)
  reconnect = "30s"                            # how long a lost connection is waited for
  trust   = "known"                            # or "tofu" ("unverified" is warned about every run)`,
		Example: `  rtchat config
  RTCHAT_ROOM=lab rtchat config --json | jq -r 'select(.key=="room") | .source'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runConfig(cmd.Context(), opts)
		},
	}
}

func runConfig(_ context.Context, opts *configOptions) error {
	g, ios := opts.Globals, opts.IO
	values := map[string]string{
		"config-dir": g.ConfigDir, "name": g.Name, "broker": g.Broker, "room": g.Room,
		"ice": g.ICE, "timeout": g.Timeout.String(), "reconnect": g.Reconnect.String(), "trust": g.Trust,
	}
	sources := map[string]string{}
	for k, v := range g.Sources {
		sources[k] = v
	}
	// The values the other commands would really use, not placeholders.
	if g.Name == "" {
		store := keys.Open(g.ConfigDir)
		if id, err := store.LoadIdentity(); err == nil {
			values["name"], sources["name"] = id.Name, "identity "+store.IdentityPath()
		} else {
			values["name"], sources["name"] = "", "no identity yet: rtchat keys gen --name NAME"
		}
	}
	if strings.TrimSpace(g.ICE) == "" {
		values["ice"] = strings.Join(iceconf.DefaultSTUN, ",")
	}
	if g.Timeout == 0 {
		values["timeout"] = "0 (no limit)"
	}
	if g.Reconnect == 0 {
		values["reconnect"] = "0 (given up at once)"
	}
	keys := append([]string{"config-dir"}, configKeys...)
	if g.JSON {
		out := &printer{w: ios.Out}
		for _, k := range keys {
			if err := out.object(configJSON{Type: "config", Key: k, Value: values[k], Source: sources[k]}); err != nil {
				return err
			}
		}
		return nil
	}
	// Aligned columns, except that a long value (the default ICE list) does not push every
	// source off to the right.
	const wide = 40
	width := 0
	for _, k := range keys {
		if values[k] == "" {
			values[k] = `""`
		}
		if n := len(values[k]); n <= wide {
			width = max(width, n)
		}
	}
	for _, k := range keys {
		if _, err := fmt.Fprintf(ios.Out, "%-10s  %-*s  (%s)\n", k, width, values[k], sources[k]); err != nil {
			return err
		}
	}
	if _, err := os.Stat(g.ConfigFile); err != nil {
		fmt.Fprintf(ios.Err, "rtchat: no config file at %s (optional)\n", g.ConfigFile)
	}
	return nil
}
