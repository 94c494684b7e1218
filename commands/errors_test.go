package commands

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// lastJSON parses the last line of out as a JSON object.
func lastJSON(t *testing.T, out string) map[string]any {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var o map[string]any
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &o); err != nil {
		t.Fatalf("last line of %q is not a JSON object: %v", out, err)
	}
	return o
}

func TestHintOf(t *testing.T) {
	base := errors.New("boom")
	if hintOf(base) != "" {
		t.Error("a plain error has a hint")
	}
	h := withHint(fmt.Errorf("doing x: %w", base), "try y")
	if h.Error() != "doing x: boom" || hintOf(h) != "try y" || !errors.Is(h, base) {
		t.Errorf("withHint: %q hint %q is %v", h, hintOf(h), errors.Is(h, base))
	}
	// Wrapped further, the hint is still found; a second hint does not replace the first,
	// which is the nearer to the cause.
	w := withHint(fmt.Errorf("outer: %w", h), "try z")
	if hintOf(w) != "try y" || w.Error() != "outer: doing x: boom" {
		t.Errorf("wrapped: %q hint %q", w, hintOf(w))
	}
	if codeOf(withHint(usageErrorf("bad"), "h")) != ExitUsage {
		t.Error("a hint hides the usage exit code")
	}
}

// hintIdentity makes an identity in a fresh config dir, with the real 'keys gen'.
func hintIdentity(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "cfg")
	ios, _, _, errb := newTestIO()
	if code := testRun(t, ios, map[string]string{"RTCHAT_CONFIG_DIR": dir}, "keys", "gen", "--name", "alice"); code != 0 {
		t.Fatalf("keys gen: exit %d: %s", code, errb)
	}
	return dir
}

// TestBrokerFailureHint: a broker that cannot be reached fails with the error on one line
// and what to do on the next; in JSON the hint is its own field, not part of "error".
func TestBrokerFailureHint(t *testing.T) {
	dir := hintIdentity(t)
	env := map[string]string{
		"RTCHAT_CONFIG_DIR": dir, "RTCHAT_ICE": "loopback", "RTCHAT_TIMEOUT": "1s",
		"RTCHAT_BROKER": fmt.Sprintf("mqtt://127.0.0.1:%d", closedPort(t)),
	}
	const hint = "check --broker (or RTCHAT_BROKER) and that the broker is running, or run 'rtchat doctor'"
	ios, _, out, errb := newTestIO()
	code := testRun(t, ios, env, "--json", "listen")
	if code == 0 {
		t.Fatalf("listen with no broker: exit 0: %s", errb)
	}
	e := lastJSON(t, out.String())
	msg, _ := e["error"].(string)
	if e["type"] != "error" || e["hint"] != hint || !strings.HasPrefix(msg, `cannot join room "chat" on the broker `+env["RTCHAT_BROKER"]+": ") ||
		strings.Contains(msg, "doctor") || strings.Contains(msg, "\n") || e["code"] != float64(code) {
		t.Errorf("error object %v (exit %d)", e, code)
	}
	if !strings.Contains(errb.String(), "rtchat: "+msg+"\nrtchat: hint: "+hint+"\n") {
		t.Errorf("stderr %q lacks the error and then the hint on its own line", errb)
	}
}

// TestPipeJSONErrorOnStderr: pipe's stdout is the byte stream, so a failed 'pipe --json'
// leaves it empty and writes its error object on stderr.
func TestPipeJSONErrorOnStderr(t *testing.T) {
	dir := hintIdentity(t)
	env := map[string]string{
		"RTCHAT_CONFIG_DIR": dir, "RTCHAT_ICE": "loopback", "RTCHAT_TIMEOUT": "1s",
		"RTCHAT_BROKER": fmt.Sprintf("mqtt://127.0.0.1:%d", closedPort(t)),
	}
	ios, _, out, errb := newTestIO()
	code := testRun(t, ios, env, "--json", "pipe", "bob")
	if code == 0 || out.String() != "" {
		t.Fatalf("failed pipe --json: exit %d, stdout %q (want nothing)", code, out)
	}
	e := lastJSON(t, errb.String())
	if e["type"] != "error" || e["code"] != float64(code) || e["hint"] == nil {
		t.Errorf("last stderr line %v, want the error object with code %d and a hint", e, code)
	}
}
