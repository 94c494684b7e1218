// Package archcheck holds the test that keeps the import graph in the layers that
// docs/architecture.md describes.
package archcheck

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"sort"
	"strings"
	"testing"
	"time"
)

const module = "github.com/rtchat/rtchat/"

// layers lists, for every package of the module, the module packages it may import
// (test files excepted). Adding a package means adding it here and to
// docs/architecture.md.
var layers = map[string][]string{
	"cmd/rtchat":          {"commands"},
	"cmd/gendocs":         {"commands"},
	"commands":            {"keys", "rtc", "rtc/broker", "rtc/doctor", "rtc/iceconf", "rtc/pair", "rtc/signal", "rtc/stream"},
	"rtc":                 {"keys", "rtc/direct", "rtc/iceconf", "rtc/proof", "rtc/seal", "rtc/signal", "rtc/stream", "rtc/wire"},
	"rtc/direct":          {},
	"rtc/doctor":          {"keys", "rtc/iceconf", "rtc/signal"},
	"rtc/signal":          {"rtc/lzstring"},
	"rtc/pair":            {"rtc/signal"},
	"rtc/broker":          {},
	"rtc/iceconf":         {},
	"rtc/iceconf/icetest": {"rtc/iceconf"},
	"rtc/lzstring":        {},
	"rtc/proof":           {"keys"},
	"rtc/seal":            {},
	"rtc/stream":          {},
	"rtc/wire":            {},
	"keys":                {},
	"internal/testbroker": {},
	"internal/racecheck":  {},
	"internal/nodetest":   {},
	"internal/docscheck":  {},
	"internal/archcheck":  {},
	"bench/benchutil":     {},
	"bench/barepion":      {"bench/benchutil", "rtc/iceconf"},
	"bench/tcpcopy":       {"bench/benchutil"},
	"e2e":                 {},
	"e2e/lab":             {"lab"},
	"lab":                 {},
	"lab/labtool":         {},
	// Attackers are written against the wire format, never the core.
	"e2e/attack/mitm": {"keys", "rtc/lzstring"},
	"e2e/attack/room": {"keys", "rtc/lzstring"},
	// The fake inviter speaks the pairing protocol, as anyone who read docs/rtchat-protocol.md can.
	"e2e/attack/pair": {"rtc/pair", "rtc/signal"},
	// Test peers written from the wire contract.
	"e2e/peers/barebones": {},
	// The direct path's impostor needs nothing of ours: it is a TLS server with its own key.
	"e2e/attack/tlsimpostor": {},
	// The malicious TURN server needs nothing of ours: a relay with DTLS of its own.
	"e2e/attack/turnmitm": {},
}

// banned third-party imports per package (prefix match): the command layer never talks to
// WebRTC, MQTT or the broker library itself; the core and keys never see Cobra.
var banned = map[string][]string{
	"commands":   {"github.com/pion/", "github.com/eclipse/paho", "github.com/mochi-mqtt/"},
	"keys":       {"github.com/pion/", "github.com/eclipse/paho", "github.com/mochi-mqtt/", "github.com/spf13/"},
	"rtc":        {"github.com/spf13/", "github.com/mochi-mqtt/"},
	"rtc/signal": {"github.com/pion/", "github.com/spf13/"},
	"rtc/stream": {"github.com/pion/webrtc/"},
	"rtc/direct": {"github.com/pion/"},
	"rtc/proof":  {"github.com/pion/", "github.com/eclipse/paho", "github.com/mochi-mqtt/", "github.com/spf13/"},
	"rtc/pair":   {"github.com/pion/", "github.com/spf13/", "github.com/eclipse/paho"},
	"rtc/seal":   {"github.com/pion/", "github.com/eclipse/paho", "github.com/mochi-mqtt/", "github.com/spf13/"},
}

type pkg struct {
	ImportPath string
	Imports    []string
}

func TestImportLayers(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "list", "-json", module+"...")
	cmd.Dir = "../.."
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.Bytes())
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	seen := map[string]bool{}
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		name := strings.TrimPrefix(p.ImportPath, module)
		seen[name] = true
		allowed, known := layers[name]
		if !known {
			t.Errorf("%s is not in the layer table: add it to internal/archcheck and docs/architecture.md", name)
			continue
		}
		ok := map[string]bool{}
		for _, a := range allowed {
			ok[a] = true
		}
		for _, imp := range p.Imports {
			if strings.HasPrefix(imp, module) {
				if dep := strings.TrimPrefix(imp, module); !ok[dep] {
					t.Errorf("%s imports %s, which its layer does not allow (docs/architecture.md)", name, dep)
				}
				continue
			}
			for _, b := range banned[name] {
				if strings.HasPrefix(imp, b) {
					t.Errorf("%s imports %s (banned in its layer: docs/architecture.md)", name, imp)
				}
			}
		}
	}
	var stale []string
	for name := range layers {
		if !seen[name] {
			stale = append(stale, name)
		}
	}
	sort.Strings(stale)
	if len(stale) > 0 {
		t.Errorf("packages in the layer table that no longer exist: %v", stale)
	}
}

// TestLayerTableMatchesDocs keeps docs/architecture.md's package table and the map above
// the same: every package of the map has a row (a row may name several packages, or a
// prefix ending in /*), and a row's "may import" column lists exactly what the map
// allows (for a /* row: at least that).
func TestLayerTableMatchesDocs(t *testing.T) {
	doc, err := os.ReadFile("../../docs/architecture.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := docLayerRows(string(doc))
	if len(rows) == 0 {
		t.Fatal("no package table found under \"## Layers\" in docs/architecture.md")
	}
	documented := map[string]bool{}
	for _, r := range rows {
		for _, name := range r.names {
			glob := strings.HasSuffix(name, "/*")
			matched := false
			for pkgName, allowed := range layers {
				if glob && !strings.HasPrefix(pkgName, strings.TrimSuffix(name, "*")) || !glob && pkgName != name {
					continue
				}
				matched = true
				documented[pkgName] = true
				if r.anything {
					continue
				}
				for _, a := range allowed {
					if !r.imports[a] {
						t.Errorf("docs/architecture.md: %s may import %s (internal/archcheck), but its row does not say so", pkgName, a)
					}
				}
				if glob {
					continue
				}
				for a := range r.imports {
					if !contains(allowed, a) {
						t.Errorf("docs/architecture.md: %s's row lets it import %s, internal/archcheck does not", pkgName, a)
					}
				}
			}
			if !matched {
				t.Errorf("docs/architecture.md names %s, which is not a package in internal/archcheck's map", name)
			}
		}
	}
	for name := range layers {
		if !documented[name] {
			t.Errorf("%s has no row in docs/architecture.md's package table", name)
		}
	}
}

type docRow struct {
	names    []string
	imports  map[string]bool
	anything bool
}

// docLayerRows reads the table of the "## Layers" section: | `pkg`[, `pkg`] | what | may import | never |.
func docLayerRows(doc string) []docRow {
	_, section, ok := strings.Cut(doc, "\n## Layers")
	if !ok {
		return nil
	}
	if i := strings.Index(section, "\n## "); i >= 0 {
		section = section[:i]
	}
	var rows []docRow
	for _, line := range strings.Split(section, "\n") {
		cells := strings.Split(line, " | ")
		if !strings.HasPrefix(line, "| `") || len(cells) < 3 {
			continue
		}
		r := docRow{imports: map[string]bool{}, anything: strings.Contains(cells[2], "anything")}
		r.names = backticked(strings.TrimPrefix(cells[0], "| "))
		for _, name := range backticked(cells[2]) {
			r.imports[name] = true
		}
		rows = append(rows, r)
	}
	return rows
}

func backticked(s string) []string {
	var out []string
	for {
		_, rest, ok := strings.Cut(s, "`")
		if !ok {
			return out
		}
		name, after, ok := strings.Cut(rest, "`")
		if !ok {
			return out
		}
		out = append(out, name)
		s = after
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
