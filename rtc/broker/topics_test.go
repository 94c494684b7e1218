package broker

import "testing"

func TestTopicSet(t *testing.T) {
	ts, err := parseTopics([]string{"mrtchat/#", "lab/+/x", "exact"})
	if err != nil {
		t.Fatal(err)
	}
	for f, want := range map[string]bool{
		"mrtchat": true, "mrtchat/room": true, "mrtchat/#": true, "mrtchat/+": true, "mrtchat/a/b": true,
		"lab/a/x": true, "lab/+/x": true, "exact": true,
		"": false, "#": false, "+": false, "+/room": false, "mrtchatx": false, "lab/a/y": false,
		"lab/#": false, "lab/a/x/y": false, "lab/a": false, "exact/more": false, "$SYS/x": false,
	} {
		if got := ts.allows(f); got != want {
			t.Errorf("allows(%q) = %v, want %v", f, got, want)
		}
	}
	all, _ := parseTopics([]string{"#"})
	if all.allows("$SYS/broker/uptime") || !all.allows("any/thing") {
		t.Error(`"#" must cover everything but $ topics`)
	}
	for _, bad := range [][]string{nil, {""}, {"a/#/b"}, {"a#"}, {"a/b+"}, {"ok/#", "x\x00"}} {
		if _, err := parseTopics(bad); err == nil {
			t.Errorf("parseTopics(%q) accepted", bad)
		}
	}
}
