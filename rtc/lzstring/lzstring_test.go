package lzstring

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/rtchat/rtchat/internal/nodetest"
)

// §11.1 of the wire spec: compressToUint8Array vectors generated with lz-string 1.4.4.
var specVectors = []struct{ in, hex string }{
	{`{"sender":"Bob","timestamp":1700000000000,"subtopic":"connect","data":{}}`,
		"378220ce0a6076026104e20170804207b01188034200b809602d8463e021b1003b202300ec0030badb4de600ae9beeb584031b21083d14281107e5c206054ac98005f6540000"},
	{`{"sender":"Alice(1)","timestamp":1700000000123,"subtopic":"RTCAnswer","data":{"localDescription":{"type":"answer","sdp":"v=0\r\n"},"target":"Bob"}}`,
		"378220ce0a6076026104e20170808201b025818c200a011804a1001a100174c05b08c0a0436a00764081d80066e7ee080980333930015c0118500f6cc73210009400a80615450c0077046440c068d9287453b03740044eb6789999529508e5009ecc23c861bb62113158a001b802f27000ebc1853802fb9233c003984053c801094b888347450000"},
	{`{"a":"é😀"}`, "37822086205c20978bc1b8003d9017c80000"},
	{"", "4000"},
}

func TestSpecVectors(t *testing.T) {
	for _, v := range specVectors {
		got := hex.EncodeToString(CompressToUint8Array(v.in))
		if got != v.hex {
			t.Errorf("CompressToUint8Array(%q)\n got %s\nwant %s", v.in, got, v.hex)
		}
		b, _ := hex.DecodeString(v.hex)
		s, err := DecompressFromUint8Array(b, 1<<20)
		if err != nil || s != v.in {
			t.Errorf("DecompressFromUint8Array(%s) = %q, %v; want %q", v.hex, s, err, v.in)
		}
	}
	if len(utf16.Encode([]rune(specVectors[0].in))) != 73 || len(utf16.Encode([]rune(specVectors[1].in))) != 147 {
		t.Error("spec vector inputs do not have the documented lengths")
	}
}

func TestRoundTrip(t *testing.T) {
	for _, s := range fixedStrings() {
		b := CompressToUint8Array(s)
		got, err := DecompressFromUint8Array(b, len(s)+1)
		if err != nil || got != s {
			t.Errorf("round trip of %.40q (len %d): got %.40q, %v", s, len(s), got, err)
		}
	}
}

// Units that are not valid UTF-16 (lone surrogates) survive Compress/Decompress; the
// string API maps them to U+FFFD.
func TestLoneSurrogates(t *testing.T) {
	units := []uint16{'a', 0xD800, 'b', 0xDC00, 0xDBFF, 0xDFFF, 0xDFFF, 0xD83D}
	got, err := Decompress(Compress(units), 100)
	if err != nil || !slices.Equal(got, units) {
		t.Fatalf("Decompress(Compress(%x)) = %x, %v", units, got, err)
	}
	packed := Compress(units)
	b := make([]byte, 0, 2*len(packed))
	for _, u := range packed {
		b = append(b, byte(u>>8), byte(u))
	}
	s, err := DecompressFromUint8Array(b, 100)
	if want := "a\uFFFDb\uFFFD\U0010FFFF\uFFFD\uFFFD"; err != nil || s != want {
		t.Fatalf("DecompressFromUint8Array = %q, %v; want %q", s, err, want)
	}
}

func TestDecompressEdgeCases(t *testing.T) {
	h := func(s string) []byte { b, _ := hex.DecodeString(s); return b }
	cases := []struct {
		name string
		in   []byte
		max  int
		want string
		err  error
	}{
		{"empty (JS null)", nil, 10, "", nil},
		{"odd length (JS RangeError)", []byte{0x37, 0x82, 0x20}, 10, "", ErrOddLength},
		{"end code first", h("4000"), 10, "", nil},
		// Plain JSON of even length: `{"` reads as the end code, JS returns "" (§2.2).
		{"plain even JSON", []byte(`{"sender":"Go","subtopic":"x"}`), 100, "", nil},
		// Truncated stream: JS returns "" when it runs out of input.
		{"truncated", h(specVectors[0].hex)[:20], 1000, "", nil},
		// First token 3 (JS undefined), then code 7 ≥ dictSize 4: JS returns null.
		{"undefined then bad ref", h("ff00"), 10, "", ErrCorrupt},
		// First token 3 (JS undefined); "undefined"+x then enters the dictionary (found by
		// differential fuzzing against Node).
		{"JS undefined quirk", h("c499b159b0305a11c3a8"), 100, "ÉÉundefinedÉᬵᬵႴÉuᬵႴ", nil},
		{"JS undefined quirk 2", h("c531b452c4a0ba4d21359c8cd69043ee"), 100, "eeundefinedeundefinedeeundefinedeeeeeeuºeundefinedeee", nil},
		{"cap exceeded", h(specVectors[0].hex), 72, "", ErrTooLarge},
		{"cap exactly", h(specVectors[0].hex), 73, specVectors[0].in, nil},
		{"cap zero", h(specVectors[0].hex), 0, "", ErrTooLarge},
		{"cap zero, empty output", h("4000"), 0, "", nil},
	}
	for _, c := range cases {
		got, err := DecompressFromUint8Array(c.in, c.max)
		if got != c.want || !errors.Is(err, c.err) || (c.err == nil) != (err == nil) {
			t.Errorf("%s: got %q, %v; want %q, %v", c.name, got, err, c.want, c.err)
		}
	}
}

// A stream of "aaaa…" doubles its phrase length each step; the cap must stop it early
// and keep memory bounded.
func TestDecompressCapBoundsMemory(t *testing.T) {
	in := CompressToUint8Array(strings.Repeat("a", 1<<20))
	for _, max := range []int{0, 1, 1000, 1<<20 - 1} {
		if _, err := DecompressFromUint8Array(in, max); !errors.Is(err, ErrTooLarge) {
			t.Errorf("cap %d: err %v, want ErrTooLarge", max, err)
		}
	}
	if s, err := DecompressFromUint8Array(in, 1<<20); err != nil || len(s) != 1<<20 {
		t.Errorf("cap 1<<20: len %d, %v", len(s), err)
	}
}

// ---------------------------------------------------------------------------------
// Cross-check against npm lz-string@1.4.4 running in Node.

// fixedStrings are the hand-picked inputs (all valid UTF-8).
func fixedStrings() []string {
	sdp := sdpLike(3)
	env := func(sender, sub, data string) string {
		return `{"sender":` + jsonString(sender) + `,"timestamp":1700000000123,"subtopic":"` + sub + `","data":` + data + `}`
	}
	var latin1, bmp strings.Builder
	for r := rune(0); r < 256; r++ {
		latin1.WriteRune(r)
	}
	for r := rune(0x100); r < 0xD800; r += 97 {
		bmp.WriteRune(r)
	}
	out := []string{
		"", "a", "aa", "aaa", "ab", "abab", "abababababababab", "\x00", "\x00\x00\x00",
		"é", "😀", "😀😀😀", "\uFFFF\uFFFE", "中文字符测试中文字符测试",
		strings.Repeat("a", 1000), strings.Repeat("abc", 3333), strings.Repeat("😀a", 500),
		"__proto__", "__proto____proto____proto__", strings.Repeat("__proto__", 60), strings.Repeat("x__proto__", 40), "x__proto__y__proto__", `{"__proto__":{"__proto__":1}}`,
		"constructor toString hasOwnProperty valueOf constructor toString",
		latin1.String(), bmp.String(), "Ünïcödé Ångström Zoë naïve café",
		"こんにちは世界、日本語のテキスト", "🇩🇪🇫🇷🏳️‍🌈👨‍👩‍👧‍👦 𝕳𝖊𝖑𝖑𝖔 𐐷",
		env("Alice(1)", "connect", `{"publicKeyString":"{\"alg\":\"PS256\",\"e\":\"AQAB\",\"ext\":true,\"key_ops\":[\"verify\"],\"kty\":\"RSA\",\"n\":\"`+strings.Repeat("xYz09-_", 49)+`\"}"}`),
		env("Bob", "RTCOffer", `{"userInfo":{"publicKeyString":"{}"},"offer":{"localDescription":{"type":"offer","sdp":`+jsonString(sdp)+`},"target":"Alice(1)"}}`),
		env("Bob", "RTCAnswer", `{"localDescription":{"type":"answer","sdp":`+jsonString(sdp)+`},"target":"Alice(1)"}`),
		env("Bob", "RTCIceCandidate", `{"candidate":"candidate:1 1 udp 2130706431 127.0.0.1 54321 typ host","sdpMid":"0","sdpMLineIndex":0,"usernameFragment":"abcd"}`),
		env("Bob", "RTCIceCandidate", `null`),
		env("Zoë 😀", "nameChange", `{"oldName":"Zoe","newName":"Zoë 😀"}`),
		env("用户", "unload", `"disconnecting"`),
	}
	for _, v := range specVectors {
		out = append(out, v.in)
	}
	// Long (~100 kB) strings: random ASCII, an SDP-heavy text, and random BMP text.
	r := rand.New(rand.NewPCG(1, 2))
	out = append(out, randString(r, asciiAlphabet, 100_000), sdpLike(1300)[:100_000], randString(r, mixedAlphabet, 50_000))
	return out
}

var (
	asciiAlphabet = []rune("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 \"{}:,.\\/\r\n\t")
	mixedAlphabet = []rune("aé€中😀\u0000\u007f\u0080\u00ff\u0100\uffff𐐷{\":,}")
)

func randString(r *rand.Rand, alphabet []rune, n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteRune(alphabet[r.IntN(len(alphabet))])
	}
	return b.String()
}

func jsonString(s string) string { b, _ := json.Marshal(s); return string(b) }

// sdpLike returns an SDP-ish text with n candidate lines.
func sdpLike(n int) string {
	var b strings.Builder
	b.WriteString("v=0\r\no=- 4215775240449105457 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n" +
		"a=group:BUNDLE 0\r\na=extmap-allow-mixed\r\na=msid-semantic: WMS\r\n" +
		"m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\n" +
		"a=ice-ufrag:Xk3b\r\na=ice-pwd:mAqP9c8w1hJ2Vb0yR4tZ7uKe\r\na=ice-options:trickle\r\n" +
		"a=fingerprint:sha-256 3A:9F:0C:11:B2:7E:44:D5:68:AA:01:FE:9B:33:C7:20:5D:E1:86:4F:72:0B:AC:39:D8:16:E2:57:90:C4:FB:6A\r\n" +
		"a=setup:actpass\r\na=mid:0\r\na=sctp-port:5000\r\na=max-message-size:262144\r\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "a=candidate:%d %d udp %d 192.168.%d.%d %d typ host generation 0\r\n",
			1000000+i*7919, 1+i%2, 2130706431-i, i%256, (i*31)%256, 50000+i)
	}
	return b.String()
}

// crossInputs returns the units of every string compressed by both implementations.
func crossInputs() [][]uint16 {
	var ins [][]uint16
	for _, s := range fixedStrings() {
		ins = append(ins, utf16.Encode([]rune(s)))
	}
	r := rand.New(rand.NewPCG(42, 7))
	alphabets := [][]rune{asciiAlphabet, mixedAlphabet, []rune("ab"), []rune("_proto"), []rune("αβγδ"), []rune("😀😁😂")}
	for i := 0; i < 300; i++ {
		n := r.IntN(2000)
		if i%10 == 0 {
			n = r.IntN(20000)
		}
		ins = append(ins, utf16.Encode([]rune(randString(r, alphabets[i%len(alphabets)], n))))
	}
	// Arbitrary units, lone surrogates included.
	for i := 0; i < 40; i++ {
		u := make([]uint16, r.IntN(300))
		for j := range u {
			switch r.IntN(4) {
			case 0:
				u[j] = uint16(0xD800 + r.IntN(0x800))
			case 1:
				u[j] = uint16(r.IntN(256))
			default:
				u[j] = uint16(r.IntN(0x10000))
			}
		}
		ins = append(ins, u)
	}
	return ins
}

// garbageInputs are byte strings to decompress in both implementations: random bytes,
// mutated and truncated valid streams, plain JSON of both parities.
func garbageInputs() [][]byte {
	r := rand.New(rand.NewPCG(3, 4))
	var out [][]byte
	for i := 0; i < 300; i++ {
		b := make([]byte, 2*(1+r.IntN(40)))
		for j := range b {
			b[j] = byte(r.Uint32())
		}
		out = append(out, b)
	}
	for i, s := range fixedStrings()[:40] {
		valid := CompressToUint8Array(s)
		for k := 0; k < 5; k++ {
			b := bytes.Clone(valid)
			for f := 0; f <= k; f++ {
				bit := r.IntN(8 * len(b))
				b[bit/8] ^= 1 << (bit % 8)
			}
			out = append(out, b)
		}
		out = append(out, valid[:2*r.IntN(len(valid)/2+1)])
		if i < 10 {
			out = append(out, valid[:len(valid)-1]) // odd
		}
	}
	out = append(out, []byte{0xc4, 0x99, 0xb1, 0x59, 0xb0, 0x30, 0x5a, 0x11, 0xc3, 0xa8})
	out = append(out, []byte(`{"a":1}`), []byte(`{"ab":1}`), []byte(`[1,2,3]`), []byte(`[1,2,3,4]`))
	// The hand-built bomb streams of bomb_test.go, small enough for Node to print.
	for _, tail := range []string{"end", "corrupt", "truncated"} {
		out = append(out, chainBomb(120, tail))
	}
	return out
}

func unitsHex(u []uint16) string {
	b := make([]byte, 2*len(u))
	for i, x := range u {
		b[2*i], b[2*i+1] = byte(x>>8), byte(x)
	}
	return hex.EncodeToString(b)
}

// runNode runs testdata/crosscheck.js once with req and decodes its answer into resp.
// Missing Node or lz-string is a failure, not a skip: the cross-check is the proof that
// this port is byte-compatible.
func runNode(t *testing.T, req, resp any) {
	t.Helper()
	nodetest.RunJSON(t, filepath.Join("testdata", "crosscheck.js"), 3*time.Minute, req, resp, "lz-string")
}

type nodeResult struct {
	T string `json:"t"` // "s", "null", "throw"
	H string `json:"h"`
	E string `json:"e"`
}

func TestCrossCheckNode(t *testing.T) {
	ins := crossInputs()
	garbage := garbageInputs()
	var req struct {
		Compress   []string `json:"compress"`
		Decompress []string `json:"decompress"`
	}
	goOut := make([][]byte, len(ins))
	for i, u := range ins {
		req.Compress = append(req.Compress, unitsHex(u))
		packed := Compress(u)
		b, _ := hex.DecodeString(unitsHex(packed))
		goOut[i] = b
		req.Decompress = append(req.Decompress, hex.EncodeToString(b))
	}
	for _, g := range garbage {
		req.Decompress = append(req.Decompress, hex.EncodeToString(g))
	}
	var resp struct {
		Version    string       `json:"version"`
		Compress   []string     `json:"compress"`
		Decompress []nodeResult `json:"decompress"`
	}
	runNode(t, req, &resp)
	if resp.Version != "1.4.4" {
		t.Fatalf("node_modules has lz-string %q, want 1.4.4: run `npm ci` at the repo root", resp.Version)
	}
	if len(resp.Compress) != len(ins) || len(resp.Decompress) != len(ins)+len(garbage) {
		t.Fatalf("node answered %d/%d results", len(resp.Compress), len(resp.Decompress))
	}

	// Go compress == JS compress, byte for byte; the string API agrees where valid.
	for i, u := range ins {
		if got := hex.EncodeToString(goOut[i]); got != resp.Compress[i] {
			t.Errorf("input %d (%d units, %.30q): Go compress differs from JS\n go %.80s…\n js %.80s…",
				i, len(u), string(utf16.Decode(u)), got, resp.Compress[i])
		}
		if s := string(utf16.Decode(u)); slices.Equal(utf16.Encode([]rune(s)), u) {
			if got := hex.EncodeToString(CompressToUint8Array(s)); got != resp.Compress[i] {
				t.Errorf("input %d: CompressToUint8Array differs from JS", i)
			}
		}
	}
	// JS decompresses Go's output to the original units.
	for i, u := range ins {
		if r := resp.Decompress[i]; r.T != "s" || r.H != unitsHex(u) {
			t.Errorf("input %d: JS decompress of Go's output: %+.80v, want the input back", i, r)
		}
	}
	// Garbage: Go and JS agree exactly (string for string, error ⇔ null/throw).
	counts := map[string]int{}
	for j, g := range garbage {
		r := resp.Decompress[len(ins)+j]
		got, err := DecompressFromUint8Array(g, 1<<22)
		units, uerr := []uint16(nil), err
		if len(g)%2 == 0 {
			units, uerr = decompressBytes(g)
		}
		switch {
		case r.T == "s":
			counts["string"]++
			if r.H == "" {
				counts["empty string"]++
			}
			if uerr != nil || unitsHex(units) != r.H {
				t.Errorf("garbage %x: JS returns %.60s, Go %x, %v", g, r.H, units, uerr)
			}
		case r.T == "null" && len(g) == 0:
			if err != nil || got != "" {
				t.Errorf("empty input: Go %q, %v", got, err)
			}
		case r.T == "null" || r.T == "throw":
			counts[r.T+" "+r.E]++
			want := ErrCorrupt
			if r.E == "RangeError" {
				want = ErrOddLength
			}
			if !errors.Is(err, want) {
				t.Errorf("garbage %x: JS %s %s, Go %q, %v (want %v)", g, r.T, r.E, got, err, want)
			}
		default:
			t.Errorf("garbage %x: unexpected JS result %+v", g, r)
		}
	}
	t.Logf("lz-string %s: %d strings compressed identically; %d garbage inputs: %v", resp.Version, len(ins), len(garbage), counts)
}

func decompressBytes(b []byte) ([]uint16, error) {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
	}
	return Decompress(u, 1<<22)
}

// ---------------------------------------------------------------------------------
// Fuzzing.

const fuzzCap = 1 << 16

func FuzzDecompress(f *testing.F) {
	for _, v := range specVectors {
		b, _ := hex.DecodeString(v.hex)
		f.Add(b)
	}
	f.Add([]byte{})
	f.Add([]byte{0xff, 0x00})
	f.Add([]byte{0xc4, 0x99, 0xb1, 0x59, 0xb0, 0x30, 0x5a, 0x11, 0xc3, 0xa8}) // JS "undefined" quirk
	f.Add([]byte(`{"sender":"Go","subtopic":"x"}`))
	f.Add(CompressToUint8Array(strings.Repeat("a", 5000)))
	f.Add(CompressToUint8Array("__proto____proto__😀"))
	f.Add(chainBomb(400, "end"))
	f.Add(chainBomb(50, "corrupt"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := DecompressFromUint8Array(b, fuzzCap)
		// Differential: the previous decoder, cross-checked against Node, agrees exactly.
		if want, werr := refDecompressFromUint8Array(b, fuzzCap); s != want || !sameErr(err, werr) {
			t.Fatalf("got %q, %v; reference decoder %q, %v", s, err, want, werr)
		}
		// The ratio cap either changes nothing or stops the stream with ErrTooLarge. It
		// counts the work done, so a stream that fails or is truncated after producing
		// output may hit it; a successful one within the ratio may not.
		for _, ratio := range []int{1, 4, DefaultMaxRatio} {
			s2, err2 := DecompressFromUint8ArrayLimit(b, fuzzCap, ratio)
			if errors.Is(err2, ErrTooLarge) && !errors.Is(err, ErrTooLarge) {
				if n := len(utf16.Encode([]rune(s))); err == nil && s != "" && n <= ratio*len(b) {
					t.Fatalf("ratio %d: ErrTooLarge for %d units from %d bytes", ratio, n, len(b))
				}
				continue
			}
			if s2 != s || !sameErr(err2, err) {
				t.Fatalf("ratio %d: %q, %v; without it %q, %v", ratio, s2, err2, s, err)
			}
		}
		if err != nil {
			if s != "" {
				t.Fatalf("error %v with output %q", err, s)
			}
			if len(b)%2 == 1 && !errors.Is(err, ErrOddLength) {
				t.Fatalf("odd input: %v", err)
			}
			if !errors.Is(err, ErrOddLength) && !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if n := len(utf16.Encode([]rune(s))); n > fuzzCap {
			t.Fatalf("output of %d units over the cap", n)
		}
		if !utf8.ValidString(s) {
			t.Fatalf("invalid UTF-8 output")
		}
		// A smaller cap either succeeds with the same result or reports ErrTooLarge.
		if len(s) > 0 {
			s2, err2 := DecompressFromUint8Array(b, 1)
			if err2 == nil && s2 != s || err2 != nil && !errors.Is(err2, ErrTooLarge) {
				t.Fatalf("cap 1: %q, %v (full: %q)", s2, err2, s)
			}
		}
	})
}

func FuzzRoundTrip(f *testing.F) {
	for _, v := range specVectors {
		f.Add(v.in)
	}
	f.Add("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
	f.Add("__proto____proto__")
	f.Add("é😀中\x00\u0100")
	f.Add(sdpLike(2))
	f.Fuzz(func(t *testing.T, s string) {
		// Arbitrary units (pairs of the input bytes, lone surrogates included).
		units := make([]uint16, len(s)/2)
		for i := range units {
			units[i] = uint16(s[2*i])<<8 | uint16(s[2*i+1])
		}
		got, err := Decompress(Compress(units), len(units))
		if err != nil || !slices.Equal(got, units) {
			t.Fatalf("units %x: got %x, %v", units, got, err)
		}
		if !utf8.ValidString(s) {
			return
		}
		n := len(utf16.Encode([]rune(s)))
		back, err := DecompressFromUint8Array(CompressToUint8Array(s), n)
		if err != nil || back != s {
			t.Fatalf("%q: got %q, %v", s, back, err)
		}
	})
}

// ---------------------------------------------------------------------------------
// Benchmarks on a ~2 kB SDP-like envelope (an RTCOffer with a few candidates).

func benchEnvelope() string {
	sdp := sdpLike(16)
	return `{"sender":"gopher(cli)","timestamp":1700000000123,"subtopic":"RTCOffer","data":{"userInfo":{"publicKeyString":"{\"kty\":\"RSA\",\"n\":\"` +
		strings.Repeat("q8Zr-", 20) + `\"}"},"offer":{"localDescription":{"type":"offer","sdp":` + jsonString(sdp) + `},"target":"Alice(1)"}}}`
}

func BenchmarkCompress(b *testing.B) {
	s := benchEnvelope()
	b.SetBytes(int64(len(s)))
	b.ReportAllocs()
	for b.Loop() {
		CompressToUint8Array(s)
	}
}

func BenchmarkDecompress(b *testing.B) {
	s := benchEnvelope()
	in := CompressToUint8Array(s)
	b.SetBytes(int64(len(s)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecompressFromUint8Array(in, 1<<20); err != nil {
			b.Fatal(err)
		}
	}
}
