package lab_test

import (
	"bufio"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/rtchat/rtchat/lab"
)

// TestLabDoctorNAT: 'rtchat doctor' tells a cone NAT from a symmetric one and from a home
// that blocks UDP, and tests the TURN server with two real allocations relaying to each
// other (over UDP, and over TLS where UDP is blocked).
func TestLabDoctorNAT(t *testing.T) {
	w := newWorld(t, 2*time.Minute,
		lab.Home{Name: "a", NAT: lab.Cone}, lab.Home{Name: "b", NAT: lab.Symmetric},
		lab.Home{Name: "c", NAT: lab.Cone, BlockUDP: true})
	stuns := lab.STUN(false) + "," + lab.STUN(true)
	cases := []struct {
		home, ice, kind, natStatus string
	}{
		{"a", stuns + "," + lab.TURNURL("udp"), "endpoint-independent NAT", "ok"},
		{"b", stuns + "," + lab.TURNURL("udp"), "symmetric NAT", "warn"},
		{"c", stuns + "," + lab.TURNURL("tls"), "outgoing UDP seems blocked", "warn"},
	}
	for _, c := range cases {
		p := w.start(w.lab.Host(c.home, 0), "alice", c.ice, nil, nil, "doctor", "--json", "--timeout", "5s")
		if _, err := p.Wait(w.ctx); err != nil {
			t.Fatal(err)
		}
		checks := map[string][]map[string]any{}
		sc := bufio.NewScanner(strings.NewReader(p.Stdout.String()))
		for sc.Scan() {
			var m map[string]any
			if json.Unmarshal(sc.Bytes(), &m) == nil && m["type"] == "check" {
				name, _ := m["name"].(string)
				checks[name] = append(checks[name], m)
			}
		}
		nat := checks["nat"]
		if len(nat) != 1 || nat[0]["status"] != c.natStatus || !strings.Contains(nat[0]["detail"].(string), c.kind) {
			t.Errorf("home %s: nat check %v, want %s %q", c.home, nat, c.natStatus, c.kind)
		} else {
			t.Logf("home %s: %v", c.home, nat[0]["detail"])
		}
		relay := checks["turn-relay"]
		if len(relay) != 1 || relay[0]["status"] != "ok" {
			t.Errorf("home %s: turn-relay check %v, want ok", c.home, relay)
		} else {
			t.Logf("home %s: %v", c.home, relay[0]["detail"])
		}
	}
}
