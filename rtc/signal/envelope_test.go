package signal

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rtchat/rtchat/rtc/lzstring"

	"github.com/rtchat/rtchat/internal/nodetest"
)

var now = time.UnixMilli(1700000000123)

// Wire spec §11.1: full envelopes compressed by lz-string 1.4.4 in Node.
var nodeVectors = []struct{ text, hex string }{
	{`{"sender":"Bob","timestamp":1700000000000,"subtopic":"connect","data":{}}`,
		"378220ce0a6076026104e20170804207b01188034200b809602d8463e021b1003b202300ec0030badb4de600ae9beeb584031b21083d14281107e5c206054ac98005f6540000"},
	{`{"sender":"Alice(1)","timestamp":1700000000123,"subtopic":"RTCAnswer","data":{"localDescription":{"type":"answer","sdp":"v=0\r\n"},"target":"Bob"}}`,
		"378220ce0a6076026104e20170808201b025818c200a011804a1001a100174c05b08c0a0436a00764081d80066e7ee080980333930015c0118500f6cc73210009400a80615450c0077046440c068d9287453b03740044eb6789999529508e5009ecc23c861bb62113158a001b802f27000ebc1853802fb9233c003984053c801094b888347450000"},
}

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.TrimSpace(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func names() []string {
	var out []string
	for n := 1; n <= 40; n++ {
		out = append(out, strings.Repeat("x", n))
	}
	return append(out, "Bob", "Go", "Alice(1)", "User #417(1)", "Zoë", "😀", "中文", "a\"b\\c<d>&e", "\u2028", "tab\there")
}

func TestEncodeOddAndValid(t *testing.T) {
	datas := []any{nil, map[string]any{}, "disconnecting", map[string]string{"oldName": "a", "newName": "bb"}}
	seenEven := false
	for _, name := range names() {
		for _, d := range datas {
			b, err := Encode(name, SubConnect, d, now)
			if err != nil {
				t.Fatal(err)
			}
			if len(b)%2 != 1 {
				t.Errorf("Encode(%q) has even length %d", name, len(b))
			}
			if !json.Valid(b) {
				t.Errorf("Encode(%q) is not valid JSON: %s", name, b)
			}
			if b[len(b)-1] == ' ' {
				seenEven = true
			}
			env, err := Decode(b)
			if err != nil || env.Sender != name || env.Subtopic != SubConnect || env.Timestamp != now.UnixMilli() {
				t.Errorf("Decode(Encode(%q)) = %+v, %v", name, env, err)
			}
		}
	}
	if !seenEven {
		t.Error("no name exercised the padding path")
	}
	if _, err := Encode("x", SubConnect, func() {}, now); err == nil {
		t.Error("Encode of an unmarshalable value succeeded")
	}
}

func TestDecodeAccepts(t *testing.T) {
	goLZ := lzstring.CompressToUint8Array(`{"sender":"Zoë 😀","timestamp":1,"subtopic":"connect","data":{"publicKeyString":"{}"}}`)
	offerJSON, err := os.ReadFile(filepath.Join("testdata", "offer.json"))
	if err != nil {
		t.Fatal(err)
	}
	offerLZ, err := os.ReadFile(filepath.Join("testdata", "offer.lz.hex")) // made by Node, see lzmode_test
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		payload []byte
		sender  string
		sub     string
	}{
		{"plain", []byte(`{"sender":"Bob","subtopic":"connect","data":{}}`), "Bob", SubConnect},
		{"plain + space", []byte(`{"sender":"Bob","subtopic":"connect","data":{}} `), "Bob", SubConnect},
		{"plain + whitespace", []byte("{\"sender\":\"Bob\",\"subtopic\":\"unload\"}\r\n\t "), "Bob", SubUnload},
		{"leading whitespace, even", []byte(` {"sender":"Bob","subtopic":"unload"}`), "Bob", SubUnload},
		{"LZ by Go", goLZ, "Zoë 😀", SubConnect},
		{"LZ by Node §11.1 #1", mustHex(t, nodeVectors[0].hex), "Bob", SubConnect},
		{"LZ by Node §11.1 #2", mustHex(t, nodeVectors[1].hex), "Alice(1)", SubAnswer},
		{"LZ by Node, offer", mustHex(t, string(offerLZ)), "Zoë 😀(1)", SubOffer},
		{"plain offer", offerJSON, "Zoë 😀(1)", SubOffer},
	}
	for _, c := range cases {
		env, err := Decode(c.payload)
		if err != nil || env.Sender != c.sender || env.Subtopic != c.sub {
			t.Errorf("%s: Decode = %+v, %v", c.name, env, err)
		}
	}
	// Both forms of the offer decode to the same data.
	a, _ := Decode(offerJSON)
	b, _ := Decode(mustHex(t, string(offerLZ)))
	if !bytes.Equal(a.Data, b.Data) || a.Timestamp != 1700000000123 {
		t.Errorf("offer: plain and LZ differ or bad timestamp %d", a.Timestamp)
	}
}

func TestDecodeRejects(t *testing.T) {
	over := lzstring.CompressToUint8Array(`{"sender":"Bob","subtopic":"x","data":"` + strings.Repeat("a", MaxDecoded) + `"}`)
	if len(over) > MaxPayload {
		t.Fatalf("test payload of %d bytes is over MaxPayload", len(over))
	}
	cases := []struct {
		name    string
		payload []byte
	}{
		{"nil", nil},
		{"empty", []byte{}},
		{"whitespace", []byte("   ")},
		{"oversize", append([]byte(`{"sender":"Bob","subtopic":"x","data":"`), bytes.Repeat([]byte("a"), MaxPayload)...)},
		{"array", []byte(`[{"sender":"Bob","subtopic":"x"}]`)},
		{"string", []byte(`"sender"`)},
		{"null", []byte(`null `)},
		{"number", []byte(`42`)},
		{"missing sender", []byte(`{"subtopic":"connect"}`)},
		{"empty sender", []byte(`{"sender":"","subtopic":"connect"}`)},
		{"null sender", []byte(`{"sender":null,"subtopic":"connect"}`)},
		{"numeric sender", []byte(`{"sender":5,"subtopic":"connect"}`)},
		{"wrong-case sender", []byte(`{"Sender":"Bob","subtopic":"connect"}`)},
		{"missing subtopic", []byte(`{"sender":"Bob","data":{}}`)},
		{"empty subtopic", []byte(`{"sender":"Bob","subtopic":""}`)},
		{"truncated JSON", []byte(`{"sender":"Bob","subtopic":"connect"`)},
		{"trailing garbage", []byte(`{"sender":"Bob","subtopic":"connect"}x`)},
		{"even garbage", []byte{0x01, 0x02, 0x03, 0x04, 0xff, 0xfe}},
		{"even garbage 2", []byte("\x00\x00")},
		{"odd garbage", []byte{0x37, 0x82, 0x20}},
		{"LZ of a non-object", lzstring.CompressToUint8Array(`["sender","Bob"]`)},
		{"LZ without sender", lzstring.CompressToUint8Array(`{"subtopic":"connect","data":{}}`)},
		{"LZ output over the cap", over},
		{"truncated LZ", mustHex(t, nodeVectors[1].hex)[:60]},
	}
	for _, c := range cases {
		env, err := Decode(c.payload)
		if !errors.Is(err, ErrBadPayload) {
			t.Errorf("%s: Decode = %+v, %v; want ErrBadPayload", c.name, env, err)
		}
	}
	if _, err := Decode(over); !strings.Contains(err.Error(), "over the cap") {
		t.Errorf("LZ over the cap: error %q does not say so", err)
	}
}

// Duplicate keys: last wins, as in JSON.parse; keys are case-sensitive.
func TestDecodeKeysLikeJS(t *testing.T) {
	env, err := Decode([]byte(`{"sender":"Bob","Sender":"Eve","SENDER":"Mallory","subtopic":"a","subtopic":"b"}`))
	if err != nil || env.Sender != "Bob" || env.Subtopic != "b" {
		t.Fatalf("Decode = %+v, %v", env, err)
	}
	env, err = Decode([]byte(`{"sender":"Bob","subtopic":"connect","timestamp":"soon"}`))
	if err != nil || env.Timestamp != 0 {
		t.Fatalf("non-numeric timestamp: %+v, %v", env, err)
	}
}

// The shapes of the six subtopics (§3.1), encoded by Encode and by hand.
func TestSubtopicShapes(t *testing.T) {
	pk := `{"alg":"PS256","e":"AQAB","ext":true,"key_ops":["verify"],"kty":"RSA","n":"q8Zr"}`
	sdp := "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host\r\n"
	type desc struct {
		Type string `json:"type"`
		SDP  string `json:"sdp"`
	}
	cases := []struct {
		sub   string
		data  any
		check func(t *testing.T, raw json.RawMessage)
	}{
		{SubConnect, map[string]string{"publicKeyString": pk}, func(t *testing.T, raw json.RawMessage) {
			var d struct{ PublicKeyString string }
			if json.Unmarshal(raw, &d) != nil || d.PublicKeyString != pk {
				t.Errorf("connect data %s", raw)
			}
		}},
		{SubOffer, map[string]any{"userInfo": map[string]string{"publicKeyString": pk},
			"offer": map[string]any{"localDescription": desc{"offer", sdp}, "target": "Alice(1)"}}, func(t *testing.T, raw json.RawMessage) {
			var d struct {
				UserInfo struct{ PublicKeyString string } `json:"userInfo"`
				Offer    struct {
					LocalDescription desc   `json:"localDescription"`
					Target           string `json:"target"`
				} `json:"offer"`
			}
			if json.Unmarshal(raw, &d) != nil || d.UserInfo.PublicKeyString != pk || d.Offer.LocalDescription != (desc{"offer", sdp}) || d.Offer.Target != "Alice(1)" {
				t.Errorf("offer data %s", raw)
			}
		}},
		{SubAnswer, map[string]any{"localDescription": desc{"answer", sdp}, "target": "gopher(cli)"}, func(t *testing.T, raw json.RawMessage) {
			var d struct {
				LocalDescription desc   `json:"localDescription"`
				Target           string `json:"target"`
			}
			if json.Unmarshal(raw, &d) != nil || d.LocalDescription != (desc{"answer", sdp}) || d.Target != "gopher(cli)" {
				t.Errorf("answer data %s", raw)
			}
		}},
		{SubCandidate, map[string]any{"candidate": "candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host", "sdpMid": "0", "sdpMLineIndex": 0, "usernameFragment": "Xk3b"}, func(t *testing.T, raw json.RawMessage) {
			var d struct {
				Candidate        string  `json:"candidate"`
				SDPMid           *string `json:"sdpMid"`
				SDPMLineIndex    *uint16 `json:"sdpMLineIndex"`
				UsernameFragment string  `json:"usernameFragment"`
			}
			if json.Unmarshal(raw, &d) != nil || !strings.HasPrefix(d.Candidate, "candidate:") || d.SDPMid == nil || *d.SDPMid != "0" || d.SDPMLineIndex == nil || *d.SDPMLineIndex != 0 || d.UsernameFragment != "Xk3b" {
				t.Errorf("candidate data %s", raw)
			}
		}},
		{SubCandidate, nil, func(t *testing.T, raw json.RawMessage) {
			if string(raw) != "null" {
				t.Errorf("end-of-candidates data %q, want null", raw)
			}
		}},
		{SubNameChange, map[string]string{"oldName": "Bob", "newName": "Bobby"}, func(t *testing.T, raw json.RawMessage) {
			var d struct{ OldName, NewName string }
			if json.Unmarshal(raw, &d) != nil || d.OldName != "Bob" || d.NewName != "Bobby" {
				t.Errorf("nameChange data %s", raw)
			}
		}},
		{SubUnload, "disconnecting", func(t *testing.T, raw json.RawMessage) {
			if string(raw) != `"disconnecting"` {
				t.Errorf("unload data %s", raw)
			}
		}},
	}
	for _, c := range cases {
		b, err := Encode("gopher(cli)", c.sub, c.data, now)
		if err != nil {
			t.Fatal(err)
		}
		// Plain, and LZ-compressed as an LZ-mode browser would send it.
		for _, payload := range [][]byte{b, lzstring.CompressToUint8Array(string(b))} {
			env, err := Decode(payload)
			if err != nil || env.Sender != "gopher(cli)" || env.Subtopic != c.sub {
				t.Errorf("%s: Decode = %+v, %v", c.sub, env, err)
				continue
			}
			c.check(t, env.Data)
		}
	}
	// Browser-made texts (keys in the browser's order, data absent).
	env, err := Decode([]byte(`{"sender":"Alice","timestamp":1732550400123,"subtopic":"RTCIceCandidate","data":null}`))
	if err != nil || string(env.Data) != "null" {
		t.Errorf("null candidate: %+v, %v", env, err)
	}
	env, err = Decode([]byte(`{"sender":"Alice","timestamp":1732550400123,"subtopic":"connect"}`))
	if err != nil || env.Data != nil {
		t.Errorf("absent data: %+v, %v", env, err)
	}
}

func TestTopic(t *testing.T) {
	for room, want := range map[string]string{"chat": "mrtchat/chat", "a/b": "mrtchat/a/b", "Zoë 😀": "mrtchat/Zoë 😀", "example.com": "mrtchat/example.com"} {
		if got, err := Topic(room); err != nil || got != want {
			t.Errorf("Topic(%q) = %q, %v", room, got, err)
		}
	}
	for _, room := range []string{"", "+", "a+b", "#", "chat/#", "a\x00b", "\xff", strings.Repeat("r", 65535)} {
		if got, err := Topic(room); err == nil {
			t.Errorf("Topic(%.20q) = %q, want an error", room, got)
		}
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"sender":"Bob","subtopic":"connect","data":{}}`))
	f.Add([]byte(`{"sender":"Bob","subtopic":"connect","data":{}} `))
	f.Add([]byte(`[]`))
	f.Add([]byte{0x00, 0x00})
	for _, v := range nodeVectors {
		f.Add(mustHex(f, v.hex))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		env, err := Decode(payload)
		if err != nil {
			if !errors.Is(err, ErrBadPayload) {
				t.Fatalf("error %v does not wrap ErrBadPayload", err)
			}
			return
		}
		if env.Sender == "" || env.Subtopic == "" {
			t.Fatalf("accepted %+v", env)
		}
		if env.Data != nil && !json.Valid(env.Data) {
			t.Fatalf("invalid data %q", env.Data)
		}
		// Whatever was accepted re-encodes and decodes to the same names.
		b, err := Encode(env.Sender, env.Subtopic, env.Data, now)
		if err != nil {
			t.Fatal(err)
		}
		env2, err := Decode(b)
		if err != nil || env2.Sender != env.Sender || env2.Subtopic != env.Subtopic {
			t.Fatalf("re-encode: %+v, %v (was %+v)", env2, err, env)
		}
	})
}

// ---------------------------------------------------------------------------------
// A browser in LZ mode (Node + npm lz-string, testdata/lzmode.js) accepts what Encode
// produces.

type browserVerdict struct {
	OK     bool            `json:"ok"`
	Path   string          `json:"path"`
	Sender string          `json:"sender"`
	Data   json.RawMessage `json:"data"`
	Why    string          `json:"why"`
}

// browserReceive feeds payloads through the LZ-mode receive path in one Node process.
// Missing Node or lz-string fails the test (run `npm ci` at the repo root).
func browserReceive(t *testing.T, payloads [][]byte) []browserVerdict {
	t.Helper()
	hexes := make([]string, len(payloads))
	for i, p := range payloads {
		hexes[i] = hex.EncodeToString(p)
	}
	var out []browserVerdict
	nodetest.RunJSON(t, filepath.Join("testdata", "lzmode.js"), 2*time.Minute, hexes, &out, "lz-string")
	if len(out) != len(payloads) {
		t.Fatalf("node lzmode.js gave %d results for %d payloads", len(out), len(payloads))
	}
	return out
}

func TestLZModeBrowserAcceptsEncode(t *testing.T) {
	type sent struct {
		name string
		data any
	}
	var batch []sent
	var payloads [][]byte
	for i, name := range names() {
		for j, d := range []any{nil, map[string]any{}, "disconnecting", map[string]string{"candidate": strings.Repeat("c", i), "sdpMid": "0"},
			map[string]string{"oldName": name, "newName": name + "é😀"}} {
			sub := []string{SubConnect, SubUnload, SubCandidate, SubNameChange, SubAnswer}[j]
			b, err := Encode(name, sub, d, now)
			if err != nil {
				t.Fatal(err)
			}
			batch = append(batch, sent{name, d})
			payloads = append(payloads, b)
		}
	}
	n := len(payloads)
	// Controls: unpadded even-length JSON is dropped; LZ from Go and Node is accepted.
	evenPlain := []byte(`{"sender":"Go","subtopic":"unload","data":"x"}`)
	if len(evenPlain)%2 != 0 {
		t.Fatal("control payload is not even")
	}
	payloads = append(payloads, evenPlain,
		lzstring.CompressToUint8Array(`{"sender":"Zoë 😀","subtopic":"connect","data":{}}`),
		mustHex(t, nodeVectors[1].hex))

	verdicts := browserReceive(t, payloads)
	paths := map[string]int{}
	for i := 0; i < n; i++ {
		v := verdicts[i]
		paths[v.Path]++
		if !v.OK || v.Path != "fallback" || v.Sender != batch[i].name {
			t.Errorf("browser rejects Encode(%q) = %q: %+v", batch[i].name, payloads[i], v)
			continue
		}
		want, _ := json.Marshal(batch[i].data)
		var a, b any
		_ = json.Unmarshal(want, &a)
		if err := json.Unmarshal(v.Data, &b); err != nil || !reflect.DeepEqual(a, b) {
			t.Errorf("browser sees data %s, sent %s", v.Data, want)
		}
	}
	if v := verdicts[n]; v.OK || v.Path != "dropped" {
		t.Errorf("control: even-length plain JSON should be dropped by an LZ-mode browser, got %+v", v)
	}
	for _, v := range verdicts[n+1:] {
		if !v.OK || v.Path != "lz" {
			t.Errorf("control: LZ payload not accepted: %+v", v)
		}
	}
	t.Logf("%d Encode payloads accepted by the LZ-mode receive path: %v", n, paths)
}
