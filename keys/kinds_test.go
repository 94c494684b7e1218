package keys

import (
	"encoding/json"
	"errors"
	"os"
	"testing"
)

func TestPinKinds(t *testing.T) {
	alice, bob := testIdentities(t)
	s := Open(t.TempDir())
	lookup := func(name string) Pinned {
		t.Helper()
		p, ok, err := s.LookupPin(name)
		if err != nil || !ok {
			t.Fatalf("LookupPin(%s): %v %v", name, ok, err)
		}
		return p
	}
	// A plain pin is an rtchat peer, and the kinds file stays empty.
	if _, err := s.Pin("bob", bob.PublicJWK, false); err != nil {
		t.Fatal(err)
	}
	if p := lookup("bob(1f2e)"); p.Kind != KindRTChat || p.Key != bob.PublicJWK {
		t.Fatalf("bob: %+v", p)
	}
	// A web pin, then the same key as rtchat: the kind changes, the key does not.
	if r, err := s.PinAs("alice", alice.PublicJWK, KindWeb, false); err != nil || r != PinAdded {
		t.Fatalf("PinAs web: %v %v", r, err)
	}
	if p := lookup("alice"); p.Kind != KindWeb {
		t.Fatalf("alice: %+v", p)
	}
	// Pin keeps an existing kind.
	if r, err := s.Pin("alice", alice.PublicJWK, false); err != nil || r != PinUnchanged {
		t.Fatalf("Pin again: %v %v", r, err)
	}
	if p := lookup("alice"); p.Kind != KindWeb {
		t.Fatalf("Pin changed the kind: %+v", p)
	}
	if r, err := s.PinAs("alice", alice.PublicJWK, KindRTChat, false); err != nil || r != PinKindChanged {
		t.Fatalf("PinAs rtchat: %v %v", r, err)
	}
	if err := s.SetKind("alice", KindWeb); err != nil {
		t.Fatal(err)
	}
	peers, err := s.PinnedPeers()
	if err != nil || len(peers) != 2 || peers["alice"].Kind != KindWeb || peers["bob"].Kind != KindRTChat {
		t.Fatalf("PinnedPeers: %+v %v", peers, err)
	}
	// The pins file keeps the web client's shape; kinds live beside it.
	data, _ := os.ReadFile(s.PinsPath())
	var hosts map[string]string
	if err := json.Unmarshal(data, &hosts); err != nil || len(hosts) != 2 {
		t.Fatalf("pins file: %s %v", data, err)
	}
	data, _ = os.ReadFile(s.KindsPath())
	var kinds map[string]string
	if err := json.Unmarshal(data, &kinds); err != nil || len(kinds) != 1 || kinds["alice"] != "web" {
		t.Fatalf("kinds file: %s %v", data, err)
	}
	// A key change is refused whatever the kind asked for.
	if _, err := s.PinAs("alice", bob.PublicJWK, KindRTChat, false); !errors.Is(err, ErrKeyChanged) {
		t.Fatalf("key change: %v", err)
	}
	if p := lookup("alice"); p.Kind != KindWeb || p.Key != alice.PublicJWK {
		t.Fatalf("refused change altered the pin: %+v", p)
	}
	// Removing forgets the kind: pinning again starts as rtchat.
	if err := s.Remove("alice"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetKind("alice", KindWeb); !errors.Is(err, ErrNotPinned) {
		t.Fatalf("SetKind of an unpinned name: %v", err)
	}
	if _, err := s.Pin("alice", alice.PublicJWK, false); err != nil {
		t.Fatal(err)
	}
	if p := lookup("alice"); p.Kind != KindRTChat {
		t.Fatalf("kind survived removal: %+v", p)
	}
	if _, err := s.PinAs("carol", alice.PublicJWK, Kind("browser"), false); err == nil {
		t.Fatal("unknown kind accepted")
	}
	os.WriteFile(s.KindsPath(), []byte(`{"bob":"martian"}`), 0o600)
	if _, _, err := s.LookupPin("bob"); err == nil {
		t.Fatal("corrupt kinds file accepted")
	}
}
