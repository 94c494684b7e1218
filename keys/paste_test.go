package keys

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// wrap cuts s into lines of width bytes, each but the first indented, with CRLF endings when
// crlf: what a mail client or a terminal does to a long line.
func wrap(s string, width int, indent string, crlf bool) string {
	nl := "\n"
	if crlf {
		nl = "\r\n"
	}
	var b strings.Builder
	for i := 0; i < len(s); i += width {
		if i > 0 {
			b.WriteString(nl + indent)
		}
		b.WriteString(s[i:min(i+width, len(s))])
	}
	return b.String()
}

func TestCompactPasted(t *testing.T) {
	alice, _ := testIdentities(t)
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, []byte(alice.PublicJWK), "    ", "\t"); err != nil {
		t.Fatal(err)
	}
	for name, in := range map[string]string{
		"as is":            alice.PublicJWK,
		"surrounded":       " \t\n" + alice.PublicJWK + "\r\n\n",
		"BOM":              "\uFEFF" + alice.PublicJWK,
		"pretty":           pretty.String(),
		"spaces in tokens": strings.ReplaceAll(strings.ReplaceAll(alice.PublicJWK, ",", " ,\n "), ":", " : "),
	} {
		if got := CompactPasted(in); got != alice.PublicJWK {
			t.Errorf("%s: got\n%s\nwant\n%s", name, got, alice.PublicJWK)
		}
	}
	// Every wrap width, with and without indent and CR: the exact string comes back, also
	// through ParseIdentity of a wrapped identity line.
	id := alice.IdentityString()
	for width := 1; width <= 90; width++ {
		for _, indent := range []string{"", "  ", "\t "} {
			crlf := width%2 == 0
			if got := CompactPasted(wrap(alice.PublicJWK, width, indent, crlf)); got != alice.PublicJWK {
				t.Fatalf("width %d indent %q: %s", width, indent, got)
			}
			if width < len("alice|") {
				continue // the name itself would be cut
			}
			name, jwk, err := ParseIdentity(indent + wrap(id, width, indent, crlf))
			if err != nil || name != "alice" || jwk != alice.PublicJWK {
				t.Fatalf("identity wrapped at %d, indent %q: %q %v", width, indent, name, err)
			}
		}
	}
	// Inside strings only line breaks (with the spaces around them) go; escapes stay as
	// written, also one cut by a line break.
	for in, want := range map[string]string{
		`{"a" : "b c"}`:            `{"a":"b c"}`,
		`{"a":"x\"y \\ z"}`:        `{"a":"x\"y \\ z"}`,
		"{\"a\":\"x\\\n  u0041\"}": `{"a":"x\u0041"}`,
		"{\"a\":\"xy  \r\n\t z\"}": `{"a":"xyz"}`,
		"{\"a\":\"é\u00a0\"}":      "{\"a\":\"é\u00a0\"}",
		"{\u00a0\"a\":1}":          `{"a":1}`,
		"{\"a\":\"\xff\"}":         "{\"a\":\"\xff\"}",
	} {
		if got := CompactPasted(in); got != want {
			t.Errorf("CompactPasted(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestReadIdentities(t *testing.T) {
	alice, bob := testIdentities(t)
	in := strings.Join([]string{
		"# team",               // 1
		alice.IdentityString(), // 2
		"",                     // 3
		wrap(bob.IdentityString(), 70, "  ", false), // 4-10 (7 lines)
		"  carol|",                            // 11: key on the next lines
		wrap(alice.PublicJWK, 200, "", false), // 12-14
		"frank|{broken",                       // 15: never closed...
		"erin|" + bob.PublicJWK,               // 16: ...but a '|' line starts anew
		"# comment",                           // 17
		"no bar here",                         // 18
		"dave|" + alice.PublicJWK[:100],       // 19: cut at the end of the input
		"",                                    // 20
		"  " + alice.PublicJWK[100:200],       // 21
	}, "\n")
	type rec struct {
		lines string
		name  string
		err   string
	}
	var got []rec
	err := ReadIdentities(strings.NewReader(in), func(p PastedIdentity) error {
		name, jwk, err := ParseIdentity(p.Text)
		r := rec{lines: p.Lines(), name: name}
		if err != nil {
			r.err = err.Error()
		} else if jwk != alice.PublicJWK && jwk != bob.PublicJWK {
			r.err = "key changed: " + jwk
		}
		got = append(got, r)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []rec{
		{"line 2", "alice", ""},
		{"lines 4-10", "bob", ""},
		{"lines 11-14", "carol", ""},
		{"line 15", "", "not a JSON object"},
		{"line 16", "erin", ""},
		{"line 18", "", "no '|'"},
		{"lines 19-21", "", "not a JSON object"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d identities: %+v", len(got), got)
	}
	for i, w := range want {
		g := got[i]
		if g.lines != w.lines || (w.err == "" && (g.err != "" || g.name != w.name)) || (w.err != "" && !strings.Contains(g.err, w.err)) {
			t.Errorf("identity %d: got %+v, want %+v", i, g, w)
		}
	}
	// An error from fn stops the reading.
	stop := errors.New("stop")
	n := 0
	if err := ReadIdentities(strings.NewReader(in), func(PastedIdentity) error { n++; return stop }); err != stop || n != 1 {
		t.Errorf("stop: %v after %d", err, n)
	}
}

func TestAnonymousNames(t *testing.T) {
	for name, want := range map[string][2]bool{
		"anon": {true, false}, "anonymous": {true, false}, "anon42": {true, false},
		"Anon": {false, false}, "User #417": {false, true}, "User #": {false, true},
		"user #4": {false, false}, "User 4": {false, false}, "alice": {false, false},
	} {
		if got := [2]bool{IsAnonymous(name), IsPlaceholder(name)}; got != want {
			t.Errorf("%q: IsAnonymous, IsPlaceholder = %v, want %v", name, got, want)
		}
	}
}

func TestPinPeer(t *testing.T) {
	alice, bob := testIdentities(t)
	s := Open(t.TempDir())
	pin := func(r PinRequest, want PinOutcome) {
		t.Helper()
		got, err := s.PinPeer(r)
		if err != nil || got != want {
			t.Fatalf("PinPeer(%s, %s, keep %v) = %+v, %v; want %+v", r.Name, r.Kind, r.KeepKind, got, err, want)
		}
	}
	pin(PinRequest{Name: "bob", Key: bob.PublicJWK, Kind: KindWeb},
		PinOutcome{Result: PinAdded, Kind: KindWeb})
	// KeepKind: an existing pin keeps its kind; a new one takes the kind asked for.
	pin(PinRequest{Name: "bob", Key: bob.PublicJWK, Kind: KindRTChat, KeepKind: true},
		PinOutcome{Result: PinUnchanged, Kind: KindWeb, OldKey: bob.PublicJWK, OldKind: KindWeb})
	pin(PinRequest{Name: "carol", Key: bob.PublicJWK, Kind: KindWeb, KeepKind: true},
		PinOutcome{Result: PinAdded, Kind: KindWeb})
	pin(PinRequest{Name: "bob", Key: bob.PublicJWK, Kind: KindRTChat},
		PinOutcome{Result: PinKindChanged, Kind: KindRTChat, OldKey: bob.PublicJWK, OldKind: KindWeb})
	// A replaced key reports the old key and kind.
	pin(PinRequest{Name: "bob", Key: alice.PublicJWK, Kind: KindWeb, Replace: true},
		PinOutcome{Result: PinReplaced, Kind: KindWeb, OldKey: bob.PublicJWK, OldKind: KindRTChat})
	if _, err := s.PinPeer(PinRequest{Name: "bob", Key: bob.PublicJWK, Kind: KindWeb}); !errors.Is(err, ErrKeyChanged) {
		t.Fatalf("key change without Replace: %v", err)
	}
	if _, err := s.PinPeer(PinRequest{Name: "bob", Key: bob.PublicJWK}); err == nil {
		t.Fatal("empty kind accepted")
	}
	// A stale kind left for a name that is not pinned (a hand edit) does not leak into a new
	// pin, not even through Pin.
	if err := s.Remove("carol"); err != nil {
		t.Fatal(err)
	}
	writeFile(t, s.KindsPath(), `{"bob":"web","carol":"web"}`)
	if r, err := s.Pin("carol", bob.PublicJWK, false); err != nil || r != PinAdded {
		t.Fatalf("Pin: %v %v", r, err)
	}
	if p, _, _ := s.LookupPin("carol"); p.Kind != KindRTChat {
		t.Fatalf("stale kind leaked: %+v", p)
	}
}

func writeFile(t *testing.T, path, body string) {
	t.Helper()
	if err := writeFileAtomic(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestWebStoragePeerKinds(t *testing.T) {
	alice, bob := testIdentities(t)
	s := Open(t.TempDir())
	s.PinAs("bob", bob.PublicJWK, KindWeb, false)
	s.Pin("alice", alice.PublicJWK, false)
	w, err := s.ExportWeb()
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(w)
	if err != nil {
		t.Fatal(err)
	}
	var items map[string]string
	if err := json.Unmarshal(data, &items); err != nil {
		t.Fatalf("not an object of strings: %s", data)
	}
	if items[PeerKindsItem] != `{"alice":"rtchat","bob":"web"}` {
		t.Errorf("%s item: %q", PeerKindsItem, items[PeerKindsItem])
	}
	back, err := ParseWebStorage(data)
	if err != nil || !back.FromRTChat() || back.PeerKinds["bob"] != KindWeb || back.PeerKinds["alice"] != KindRTChat {
		t.Fatalf("round trip: %+v %v", back, err)
	}
	// From a browser (no kinds item, or null as getItem gives for a missing item).
	back, err = ParseWebStorage([]byte(fmt.Sprintf(`{"knownHostsStrings":{"bob":%q},%q:null}`, bob.PublicJWK, PeerKindsItem)))
	if err != nil || back.FromRTChat() {
		t.Fatalf("browser data: %+v %v", back, err)
	}
	if _, err := ParseWebStorage([]byte(fmt.Sprintf(`{%q:"{\"bob\":\"martian\"}"}`, PeerKindsItem))); err == nil || !strings.Contains(err.Error(), "martian") {
		t.Errorf("bad kind: %v", err)
	}
}
