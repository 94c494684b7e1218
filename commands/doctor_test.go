package commands

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/pion/logging"
	"github.com/pion/turn/v5"

	"github.com/rtchat/rtchat/rtc/broker"
)

// doctorEnv makes a config dir holding a fresh identity "alice" and returns it.
func doctorEnv(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "cfg")
	code, _, errs := doctorRun(t, dir, "keys", "gen", "--name", "alice")
	if code != 0 {
		t.Fatalf("keys gen: exit %d: %s", code, errs)
	}
	return dir
}

// doctorRun runs 'rtchat --config-dir DIR ARGS' in-process with an empty environment.
func doctorRun(t *testing.T, dir string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	ios := &IO{In: strings.NewReader(""), Out: &out, Err: &errb}
	env := func(k string) (string, bool) {
		if k == "HOME" {
			return dir, true
		}
		return "", false
	}
	code = Run(t.Context(), ios, append([]string{"--config-dir", dir}, args...), env)
	return code, out.String(), errb.String()
}

// doctorBroker starts the embedded broker on 127.0.0.1 and returns its mqtt:// URL.
func doctorBroker(t *testing.T) string {
	t.Helper()
	b, err := broker.Start(t.Context(), broker.Options{TCP: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return "mqtt://" + b.TCPAddr()
}

// closedPort returns a 127.0.0.1 TCP port nothing listens on.
func closedPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return port
}

type doctorLine struct {
	Type      string   `json:"type"`
	Name      string   `json:"name"`
	Target    string   `json:"target"`
	Status    string   `json:"status"`
	Detail    string   `json:"detail"`
	Fix       string   `json:"fix"`
	RTTms     *float64 `json:"rtt_ms"`
	Reflexive string   `json:"reflexive"`
	Relay     string   `json:"relay"`
	OK        int      `json:"ok"`
	Warn      int      `json:"warn"`
	Fail      int      `json:"fail"`
}

// parseDoctor splits --json output into checks (by name; ICE ones in order) and the summary.
func parseDoctor(t *testing.T, out string) (checks map[string][]doctorLine, summary doctorLine) {
	t.Helper()
	checks = map[string][]doctorLine{}
	sc := bufio.NewScanner(strings.NewReader(out))
	seenSummary := false
	for sc.Scan() {
		var l doctorLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("not NDJSON: %q: %v", sc.Text(), err)
		}
		switch l.Type {
		case "check":
			if seenSummary {
				t.Errorf("check after the summary: %q", sc.Text())
			}
			checks[l.Name] = append(checks[l.Name], l)
		case "summary":
			summary, seenSummary = l, true
		case "error":
		default:
			t.Errorf("unexpected line %q", sc.Text())
		}
	}
	if !seenSummary {
		t.Fatalf("no summary in %q", out)
	}
	return checks, summary
}

func one(t *testing.T, checks map[string][]doctorLine, name string) doctorLine {
	t.Helper()
	if len(checks[name]) != 1 {
		t.Fatalf("want one %q check, got %+v", name, checks[name])
	}
	return checks[name][0]
}

func TestDoctorBrokerOK(t *testing.T) {
	dir := doctorEnv(t)
	url := doctorBroker(t)
	code, out, errs := doctorRun(t, dir, "doctor", "--broker", url, "--ice", "none", "--timeout", "5s", "--json")
	if code != 0 {
		t.Fatalf("exit %d, want 0; stdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	checks, sum := parseDoctor(t, out)
	b := one(t, checks, "broker")
	if b.Status != "ok" || b.RTTms == nil || *b.RTTms <= 0 {
		t.Errorf("broker = %+v, want ok with an RTT", b)
	}
	if !strings.Contains(b.Detail, "round trip") || !strings.Contains(b.Detail, "mrtchat/chat/doctor/") {
		t.Errorf("broker detail %q", b.Detail)
	}
	if id := one(t, checks, "identity"); id.Status != "ok" || !strings.Contains(id.Detail, "alice (fingerprint ") {
		t.Errorf("identity = %+v", id)
	}
	if p := one(t, checks, "peers"); p.Status != "warn" || !strings.Contains(p.Fix, "rtchat keys register") {
		t.Errorf("peers = %+v, want warn with how to register", p)
	}
	if ice := one(t, checks, "ice"); ice.Status != "ok" || ice.Detail != "no ICE servers: host candidates only (LAN / same machine)" {
		t.Errorf("ice = %+v", ice)
	}
	if u := one(t, checks, "udp-buffer"); u.Status == "fail" {
		t.Errorf("udp-buffer = %+v, never a failure", u)
	}
	if sum.Fail != 0 || sum.OK+sum.Warn != 5 {
		t.Errorf("summary %+v", sum)
	}
}

func TestDoctorBrokerUnreachable(t *testing.T) {
	dir := doctorEnv(t)
	url := "mqtt://127.0.0.1:" + strconv.Itoa(closedPort(t))
	code, out, errs := doctorRun(t, dir, "doctor", "--broker", url, "--ice", "loopback", "--timeout", "2s")
	if code != ExitFailure {
		t.Fatalf("exit %d, want 1; stdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	var line, fix string
	lines := strings.Split(out, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "FAIL broker ") {
			line, fix = l, lines[i+1]
		}
	}
	if !strings.Contains(line, url+" unreachable") || !strings.Contains(line, "refused") {
		t.Errorf("broker line %q\n%s", line, out)
	}
	if !strings.Contains(fix, "fix: ") || !strings.Contains(fix, "--broker") {
		t.Errorf("broker fix line %q", fix)
	}
	if !strings.Contains(out, "ok   ice         loopback:") {
		t.Errorf("no loopback note in\n%s", out)
	}
	if !strings.Contains(errs, "1 check failed") {
		t.Errorf("stderr %q", errs)
	}
}

func TestDoctorUnsafeKey(t *testing.T) {
	dir := doctorEnv(t)
	key := filepath.Join(dir, "identity.json")
	if err := os.Chmod(key, 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs := doctorRun(t, dir, "doctor", "--broker", doctorBroker(t), "--ice", "none", "--timeout", "5s", "--json")
	if code != ExitFailure {
		t.Fatalf("exit %d, want 1; stdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	checks, sum := parseDoctor(t, out)
	id := one(t, checks, "identity")
	if id.Status != "fail" || !strings.Contains(id.Fix, "chmod 600 "+key) || !strings.Contains(id.Detail, "0644") {
		t.Errorf("identity = %+v, want fail with the chmod fix", id)
	}
	if b := one(t, checks, "broker"); b.Status != "ok" {
		t.Errorf("broker = %+v", b)
	}
	if sum.Fail != 1 {
		t.Errorf("summary %+v", sum)
	}

	// A group-readable directory with a safe key is a warning only.
	if err := os.Chmod(key, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	_, out, _ = doctorRun(t, dir, "doctor", "--broker", "mqtt://127.0.0.1:"+strconv.Itoa(closedPort(t)), "--ice", "none", "--timeout", "1s", "--json")
	checks, _ = parseDoctor(t, out)
	if id := one(t, checks, "identity"); id.Status != "warn" || !strings.Contains(id.Fix, "chmod 700 "+dir) {
		t.Errorf("identity = %+v, want warn with chmod 700", id)
	}
}

func TestDoctorNoIdentity(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "empty")
	code, out, _ := doctorRun(t, dir, "doctor", "--broker", doctorBroker(t), "--ice", "none", "--timeout", "5s", "--json")
	if code != ExitFailure {
		t.Fatalf("exit %d, want 1", code)
	}
	checks, _ := parseDoctor(t, out)
	if id := one(t, checks, "identity"); id.Status != "fail" || !strings.Contains(id.Fix, "rtchat keys gen --name NAME") {
		t.Errorf("identity = %+v", id)
	}
}

// turnServer runs pion's TURN server on a 127.0.0.1 UDP socket (it answers STUN Binding
// requests too) with one user; it returns host:port.
func turnServer(t *testing.T, user, pass string) string {
	t.Helper()
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	const realm = "rtchat.test"
	key := turn.GenerateAuthKey(user, realm, pass)
	srv, err := turn.NewServer(turn.ServerConfig{
		Realm: realm,
		AuthHandler: func(ra *turn.RequestAttributes) (string, []byte, bool) {
			return ra.Username, key, ra.Username == user
		},
		PacketConnConfigs: []turn.PacketConnConfig{{
			PacketConn: pc,
			RelayAddressGenerator: &turn.RelayAddressGeneratorStatic{
				RelayAddress: net.ParseIP("127.0.0.1"), Address: "127.0.0.1",
			},
		}},
		LoggerFactory: &logging.DefaultLoggerFactory{DefaultLogLevel: logging.LogLevelDisabled},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return pc.LocalAddr().String()
}

func TestDoctorSTUN(t *testing.T) {
	dir := doctorEnv(t)
	addr := turnServer(t, "u", "p")
	code, out, errs := doctorRun(t, dir, "doctor", "--broker", doctorBroker(t), "--ice", "stun:"+addr, "--timeout", "3s", "--json")
	if code != 0 {
		t.Fatalf("exit %d, want 0; stdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	checks, _ := parseDoctor(t, out)
	ice := one(t, checks, "ice")
	if ice.Status != "ok" || !strings.HasPrefix(ice.Reflexive, "127.0.0.1:") || ice.RTTms == nil {
		t.Errorf("ice = %+v, want ok with a 127.0.0.1 reflexive address and an RTT", ice)
	}
	if _, port, _ := net.SplitHostPort(ice.Reflexive); port == "" || port == "0" {
		t.Errorf("reflexive %q has no port", ice.Reflexive)
	}
}

func TestDoctorTURN(t *testing.T) {
	dir := doctorEnv(t)
	addr := turnServer(t, "user", "secret")
	url := doctorBroker(t)
	code, out, errs := doctorRun(t, dir, "doctor", "--broker", url, "--ice", "turn:user:secret@"+addr, "--timeout", "3s", "--json")
	if code != 0 {
		t.Fatalf("exit %d, want 0; stdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	checks, _ := parseDoctor(t, out)
	ice := one(t, checks, "ice")
	if ice.Status != "ok" || !strings.HasPrefix(ice.Relay, "127.0.0.1:") || !strings.HasPrefix(ice.Reflexive, "127.0.0.1:") {
		t.Errorf("ice = %+v, want ok with relay and reflexive addresses", ice)
	}
	if strings.Contains(out, "secret") {
		t.Errorf("the TURN password leaked into the output:\n%s", out)
	}

	code, out, _ = doctorRun(t, dir, "doctor", "--broker", url, "--ice", "turn:user:wrong@"+addr, "--timeout", "3s", "--json")
	if code != ExitFailure {
		t.Fatalf("wrong password: exit %d, want 1\n%s", code, out)
	}
	checks, _ = parseDoctor(t, out)
	if ice := one(t, checks, "ice"); ice.Status != "fail" || !strings.Contains(ice.Detail, "credentials") {
		t.Errorf("wrong password: ice = %+v", ice)
	}
}

func TestDoctorSTUNSilent(t *testing.T) {
	dir := doctorEnv(t)
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan struct{})
	go func() { // read and drop
		defer close(done)
		buf := make([]byte, 1500)
		for ctx.Err() == nil {
			if _, _, err := pc.ReadFrom(buf); err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() { pc.Close(); <-done })

	// A silent STUN server is a warning (peers on the LAN connect without it) that says
	// why and what to do, --ice none included.
	code, out, errs := doctorRun(t, dir, "doctor", "--broker", doctorBroker(t), "--ice", "stun:"+pc.LocalAddr().String(), "--timeout", "1s")
	if code != ExitOK {
		t.Fatalf("exit %d, want 0; stdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	if !strings.Contains(out, "WARN ice         stun:"+pc.LocalAddr().String()+": STUN binding timed out") ||
		!strings.Contains(out, "outgoing UDP may be blocked") || !strings.Contains(out, "--ice none") {
		t.Errorf("no ICE timeout warning with its fix in\n%s", out)
	}
	if !strings.Contains(out, "ok   broker ") {
		t.Errorf("broker not ok in\n%s", out)
	}
}

func TestDoctorHelp(t *testing.T) {
	code, out, _ := doctorRun(t, t.TempDir(), "--help")
	if code != 0 || !strings.Contains(out, "doctor") {
		t.Errorf("doctor is not listed in --help (exit %d):\n%s", code, out)
	}
	code, out, _ = doctorRun(t, t.TempDir(), "doctor", "--help")
	if code != 0 || !strings.Contains(out, "udp-buffer") || !strings.Contains(out, "Examples:") {
		t.Errorf("doctor --help (exit %d):\n%s", code, out)
	}
}

// TestDoctorTerminalMarkers: on a terminal the status column is ✓ ! ✗; in a pipe it is the
// words ok, WARN, FAIL that scripts grep for.
func TestDoctorTerminalMarkers(t *testing.T) {
	broker := fmt.Sprintf("mqtt://127.0.0.1:%d", closedPort(t))
	for _, tty := range []bool{false, true} {
		ios, _, out, errb := newTestIO()
		ios.OutTTY = tty
		code := testRun(t, ios, nil, "--broker", broker, "--ice", "none", "--timeout", "1s", "doctor")
		if code != ExitFailure {
			t.Fatalf("doctor with no identity and no broker: exit %d: %s", code, errb)
		}
		var broke string
		for _, line := range strings.Split(out.String(), "\n") {
			if strings.Contains(line, " broker ") {
				broke = line
				break
			}
		}
		want := "FAIL broker "
		if tty {
			want = "✗ broker "
		}
		if !strings.HasPrefix(broke, want) {
			t.Errorf("tty %v: broker line %q, want it to start %q\n%s", tty, broke, want, out)
		}
	}
}
