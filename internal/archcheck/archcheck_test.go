// Package archcheck holds the test that keeps the import graph in the layers that
// docs/architecture.md describes.
package archcheck

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
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
	// The fake inviter speaks the pairing protocol, as anyone who read docs/protocol.md can.
	"e2e/attack/pair": {"rtc/pair", "rtc/signal"},
	// Test peers written from the wire contract.
	"e2e/peers/barebones": {},
	// The direct path's impostor needs nothing of ours: it is a TLS server with its own key.
	"e2e/attack/tlsimpostor": {},
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
