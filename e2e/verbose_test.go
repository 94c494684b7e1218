package e2e

import (
	"strings"
	"testing"
)

// TestVerboseLevels: -v shows rtchat's own diagnostics (signaling, path, verification), not
// the WebRTC stack's debug, which -vv adds (issue 22: -v flooded about 160 lines per ask).
func TestVerboseLevels(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.friends("alice", "bob")
	w.listening("bob", "--exec", "cat")
	_, errs, code := w.run("alice", nil, "-v", "ask", "bob", "hi")
	if code != 0 {
		t.Fatalf("-v ask: exit %d, stderr: %s", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(errs), "\n")
	if strings.Contains(errs, "pion=") {
		t.Errorf("-v shows the WebRTC stack's debug:\n%s", errs)
	}
	for _, want := range []string{"offer sent", "verified peer"} {
		if !strings.Contains(errs, want) {
			t.Errorf("-v lacks rtchat's %q line:\n%s", want, errs)
		}
	}
	if len(lines) > 60 {
		t.Errorf("-v printed %d lines for one ask", len(lines))
	}
	_, errs, code = w.run("alice", nil, "-vv", "ask", "bob", "hi")
	if code != 0 {
		t.Fatalf("-vv ask: exit %d, stderr: %s", code, errs)
	}
	if !strings.Contains(errs, "pion=") {
		t.Errorf("-vv lacks the WebRTC stack's debug:\n%s", errs)
	}
}
