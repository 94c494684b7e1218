package iceconf

import "testing"

// Renomination (and with it no relay wait) only between rtchat peers, and only where a
// relayed pair can exist: a web page's connection keeps RelayWait.
func TestRenominatesOnlyRtchatPeersWithTURN(t *testing.T) {
	parse := func(s string) Config {
		t.Helper()
		c, err := Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	withSNAP := func(c Config) Config { c.SNAP = true; return c }
	turn := "stun:127.0.0.1:3478,turn:u:p@127.0.0.1:3478?transport=udp"
	turns := "turns:u:p@127.0.0.1:5349?transport=tcp"
	for _, tc := range []struct {
		name string
		c    Config
		env  string
		want bool
	}{
		{"rtchat peer, turn", withSNAP(parse(turn)), "", true},
		{"rtchat peer, turns", withSNAP(parse(turns)), "", true},
		{"web page, turn", parse(turn), "", false},
		{"rtchat peer, stun only", withSNAP(parse("stun:127.0.0.1:3478")), "", false},
		{"rtchat peer, default servers", withSNAP(parse("")), "", false},
		{"rtchat peer, loopback", withSNAP(Loopback()), "", false},
		{"rtchat peer, turn, knob off", withSNAP(parse(turn)), "0", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(envICERenominate, tc.env)
			if got := tc.c.renominates(); got != tc.want {
				t.Errorf("renominates() = %v, want %v", got, tc.want)
			}
		})
	}
}
