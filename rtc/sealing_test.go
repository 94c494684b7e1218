package rtc

import (
	"encoding/json"
	"testing"

	"github.com/rtchat/rtchat/rtc/seal"
)

// sealAs seals what from one client to another, as from would (tests that forge or replay
// signaling an rtchat peer sealed).
func sealAs(t testing.TB, from, to *Client, label string, what sealedSignal) string {
	t.Helper()
	pt, err := json.Marshal(what)
	if err != nil {
		t.Fatal(err)
	}
	box, err := from.seal.key.Seal(to.seal.key.Public(), seal.Context{Room: from.topic, Sender: from.me, Target: to.me, Label: label}, pt)
	if err != nil {
		t.Fatal(err)
	}
	return b64.EncodeToString(box)
}
