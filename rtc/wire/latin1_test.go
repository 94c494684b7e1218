package wire

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

// vectorBytes and vectorWire are protocol §11.3: the bytes as a JS char-code string, through
// JSON.stringify, as UTF-8 on the wire.
var (
	vectorBytes = []byte{0x00, 0x22, 0x5c, 0x7f, 0x80, 0xff, 0x0a, 0x1f, 0x41}
	vectorWire  = "225c75303030305c225c5c7fc280c3bf5c6e5c75303031664122"
)

// marshal encodes v the way rtchat puts latin-1 strings on the wire: no HTML escaping, no
// trailing newline.
func marshal(t testing.TB, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

func TestLatin1Vector(t *testing.T) {
	want, _ := hex.DecodeString(vectorWire)
	s := Latin1(vectorBytes)
	if n := len([]rune(s)); n != len(vectorBytes) {
		t.Fatalf("Latin1 gave %d runes, want %d", n, len(vectorBytes))
	}
	got := marshal(t, s)

	// What must match: the decoded value of both encodings.
	var fromJS, fromGo string
	if err := json.Unmarshal(want, &fromJS); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(got, &fromGo); err != nil {
		t.Fatal(err)
	}
	if fromJS != fromGo || fromGo != s {
		t.Fatalf("decoded values differ:\n js %q\n go %q", fromJS, fromGo)
	}
	b, err := FromLatin1(fromJS)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, vectorBytes) {
		t.Fatalf("FromLatin1(JS vector) = %x, want %x", b, vectorBytes)
	}
	// encoding/json (Go >= 1.22, SetEscapeHTML(false)) happens to spell this vector exactly
	// like JSON.stringify; keep that as a check so a change is noticed.
	if !bytes.Equal(got, want) {
		t.Errorf("wire bytes differ from JSON.stringify (decoded values agree):\n got  %x\n want %x", got, want)
	}
}

func TestLatin1RoundTripAllBytes(t *testing.T) {
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	var s string
	if err := json.Unmarshal(marshal(t, Latin1(all)), &s); err != nil {
		t.Fatal(err)
	}
	b, err := FromLatin1(s)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, all) {
		t.Fatalf("round trip of 0..255 gave %x", b)
	}
	if Latin1(nil) != "" {
		t.Fatal("Latin1(nil) should be empty")
	}
	if b, err := FromLatin1(""); err != nil || len(b) != 0 {
		t.Fatalf("FromLatin1(\"\") = %x, %v", b, err)
	}
}

func TestFromLatin1Rejects(t *testing.T) {
	for _, s := range []string{"\u0100", "ab\u20acc", "😀", "a\xffb", "\xc3"} {
		if b, err := FromLatin1(s); err == nil {
			t.Errorf("FromLatin1(%q) = %x, want an error", s, b)
		}
	}
	_, err := FromLatin1("ok\u0101")
	if err == nil || !strings.Contains(err.Error(), "U+0101") {
		t.Errorf("error should name the character: %v", err)
	}
}

// TestLatin1MatchesNodeJSONStringify compares with the real JSON.stringify: the §11.3 vector,
// all 256 byte values, and each byte alone. Node missing is a failure, not a skip.
func TestLatin1MatchesNodeJSONStringify(t *testing.T) {
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	cases := [][]byte{vectorBytes, all}
	for i := 0; i < 256; i++ {
		cases = append(cases, []byte{byte(i)})
	}
	var in []string
	for _, c := range cases {
		in = append(in, hex.EncodeToString(c))
	}
	const script = `
let d = ''; process.stdin.on('data', c => d += c).on('end', () => {
  const out = JSON.parse(d).map(h => {
    const b = Buffer.from(h, 'hex');
    let s = ''; for (const x of b) s += String.fromCharCode(x);
    return JSON.stringify(s);
  });
  process.stdout.write(JSON.stringify(out));
});`
	cmd := exec.Command("node", "-e", script)
	cmd.Stdin = bytes.NewReader(marshal(t, in))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node (required for this test): %v\n%s", err, stderr.String())
	}
	var js []string
	if err := json.Unmarshal(out, &js); err != nil {
		t.Fatal(err)
	}
	if len(js) != len(cases) {
		t.Fatalf("node returned %d results, want %d", len(js), len(cases))
	}
	if want, _ := hex.DecodeString(vectorWire); js[0] != string(want) {
		t.Errorf("node's JSON.stringify of the vector = %q, spec says %q", js[0], want)
	}
	exact := 0
	for i, c := range cases {
		goJSON := marshal(t, Latin1(c))
		var a, b string
		if err := json.Unmarshal([]byte(js[i]), &a); err != nil {
			t.Fatalf("case %d: node output %q: %v", i, js[i], err)
		}
		if err := json.Unmarshal(goJSON, &b); err != nil {
			t.Fatal(err)
		}
		if a != b {
			t.Errorf("case %x: decoded values differ: js %q go %q", c, a, b)
			continue
		}
		got, err := FromLatin1(a)
		if err != nil || !bytes.Equal(got, c) {
			t.Errorf("case %x: FromLatin1(JS) = %x, %v", c, got, err)
		}
		if string(goJSON) == js[i] {
			exact++
		} else {
			t.Logf("spelling differs for %x: js %s go %s", c, js[i], goJSON)
		}
	}
	t.Logf("%d of %d cases byte-identical to JSON.stringify", exact, len(cases))
}

func FuzzLatin1(f *testing.F) {
	f.Add(vectorBytes)
	f.Add([]byte{})
	f.Add([]byte("hello"))
	f.Add([]byte{0xc3, 0xa9, 0xe2, 0x80, 0xa8})
	f.Fuzz(func(t *testing.T, b []byte) {
		s := Latin1(b)
		got, err := FromLatin1(s)
		if err != nil || !bytes.Equal(got, b) {
			t.Fatalf("round trip of %x: %x, %v", b, got, err)
		}
		var back string
		if err := json.Unmarshal(marshal(t, s), &back); err != nil || back != s {
			t.Fatalf("JSON round trip of %x: %q, %v", b, back, err)
		}
		// Arbitrary strings must never panic; a success must be the inverse of Latin1.
		if raw, err := FromLatin1(string(b)); err == nil && Latin1(raw) != string(b) {
			t.Fatalf("FromLatin1(%q) = %x does not re-encode to the input", b, raw)
		}
	})
}
