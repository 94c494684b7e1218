package rtc

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"os/exec"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/rtchat/rtchat/keys"
	"github.com/rtchat/rtchat/rtc/proof"
	"github.com/rtchat/rtchat/rtc/seal"
	"github.com/rtchat/rtchat/rtc/signal"
	"github.com/rtchat/rtchat/rtc/wire"
)

// Wire conformance: what our client publishes and answers, checked against the shapes of
// the web client (rtchat-wire.md §2, §3.1, §5.3, §6.4) and, for signatures, against Node's
// WebCrypto exactly as the web client verifies.

func objKeys(t *testing.T, raw json.RawMessage) map[string]json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		t.Fatalf("not a JSON object: %s", raw)
	}
	return m
}

func jsonString(t *testing.T, raw json.RawMessage, what string) string {
	t.Helper()
	var s string
	if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
		t.Fatalf("%s is not a string: %s", what, raw)
	}
	return s
}

func sortedKeys(m map[string]json.RawMessage) []string {
	var k []string
	for key := range m {
		k = append(k, key)
	}
	sort.Strings(k)
	return k
}

func checkUserInfo(t *testing.T, raw json.RawMessage, id *keys.Identity, role Role, room, sender string) {
	t.Helper()
	ui := objKeys(t, raw)
	if pk := jsonString(t, ui["publicKeyString"], "publicKeyString"); pk != id.PublicJWK {
		t.Fatalf("publicKeyString is not our exact JWK string: %s", pk)
	}
	if _, err := keys.ParsePublicJWK(jsonString(t, ui["publicKeyString"], "publicKeyString")); err != nil {
		t.Fatal(err)
	}
	ext := objKeys(t, ui["rtchat"])
	var v int
	if json.Unmarshal(ext["v"], &v) != nil || v != protocolVersion {
		t.Fatalf("rtchat.v = %s", ext["v"])
	}
	if r := jsonString(t, ext["role"], "rtchat.role"); Role(r) != role {
		t.Fatalf("rtchat.role = %q, want %q", r, role)
	}
	// The sealing key, signed by the identity over seal.KeyMessage (room, full name, key).
	var info userInfo
	if json.Unmarshal(raw, &info) != nil || info.sealKey() == nil {
		t.Fatalf("no sealing key in %s", raw)
	}
	if sig, err := decodeB64(info.RTChat.Seal.Sig, 256); err != nil || keys.Verify(id.PublicJWK, seal.KeyMessage(room, sender, info.sealKey()), sig) != nil {
		t.Fatalf("the sealing key's signature does not verify: %v", err)
	}
}

// checkSignature checks the shape of the signature of an offer or answer.
func checkSignature(t *testing.T, raw json.RawMessage, answer bool) {
	t.Helper()
	var s signalSig
	if len(raw) == 0 || json.Unmarshal(raw, &s) != nil || s.V != protocolVersion || s.TS < 1.7e12 {
		t.Fatalf("signature %s", raw)
	}
	if sig, err := decodeB64(s.Sig, 256); err != nil || len(sig) != 256 {
		t.Fatalf("signature value: %v", err)
	}
	if n, err := decodeB64(s.Nonce, 16); err != nil || len(n) != 16 {
		t.Fatalf("nonce: %v", err)
	}
	if answer != (s.OfferNonce != "") {
		t.Fatalf("offerNonce %q in an answer=%v", s.OfferNonce, answer)
	}
}

func TestConformanceEnvelopes(t *testing.T) {
	_, url := startBroker(t)
	room := uniqueRoom(t)
	sub := subscribe(t, url, room)
	aID, bID := testIdentity(t, "alice", 0), testIdentity(t, "bob", 1)
	bob := startClient(t, url, room, bID, clientOpts{role: RoleListen, pins: map[string]string{"alice": aID.PublicJWK}})
	alice := startClient(t, url, room, aID, clientOpts{role: RoleAsk, pins: map[string]string{"bob": bID.PublicJWK}})
	if _, err := alice.Dial(ctxFor(t, 20*time.Second), "bob"); err != nil {
		t.Fatalf("Dial: %v", err)
	}
	for _, c := range []*testClient{alice, bob} {
		if err := c.Close(ctxFor(t, 10*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	// Both unloads: alice's was published first, but it reaches the subscriber over another
	// connection, so it may come after bob's (1 run in 12 under load).
	for _, c := range []*testClient{alice, bob} {
		sub.await(t, 5*time.Second, c.Name()+"'s unload", func(e signal.Envelope) bool {
			return e.Subtopic == signal.SubUnload && e.Sender == c.Name()
		})
	}
	ours := map[string]bool{alice.Name(): true, bob.Name(): true}
	_, raws := sub.payloads()
	got := map[string]int{}
	for _, p := range raws {
		// Every payload: plain JSON (never LZ), odd byte length, keys sender/timestamp/
		// subtopic/data with the web client's types.
		if p[0] != '{' || len(p)%2 != 1 {
			t.Fatalf("payload of %d bytes (must be odd plain JSON): %.60s", len(p), p)
		}
		env := objKeys(t, bytes.TrimSpace(p))
		sender := jsonString(t, env["sender"], "sender")
		if !ours[sender] {
			t.Fatalf("unexpected sender %q", sender)
		}
		sub := jsonString(t, env["subtopic"], "subtopic")
		var ts float64
		if json.Unmarshal(env["timestamp"], &ts) != nil || ts < 1.7e12 {
			t.Fatalf("timestamp %s", env["timestamp"])
		}
		data := env["data"]
		got[sender+" "+sub]++
		id, role, peer := aID, RoleAsk, bob.Name()
		if sender == bob.Name() {
			id, role, peer = bID, RoleListen, alice.Name()
		}
		switch sub {
		case signal.SubConnect:
			checkUserInfo(t, data, id, role, alice.topic, sender)
		case signal.SubOffer:
			d := objKeys(t, data)
			checkUserInfo(t, d["userInfo"], id, role, alice.topic, sender)
			// Between rtchat peers the SDP and the signature travel sealed (rtc/seal).
			if !reflect.DeepEqual(sortedKeys(d), []string{"offer", "sealed", "userInfo"}) {
				t.Fatalf("offer data keys %v", sortedKeys(d))
			}
			o := objKeys(t, d["offer"])
			if tg := jsonString(t, o["target"], "offer.target"); tg != peer {
				t.Fatalf("offer target %q, want %q", tg, peer)
			}
			ld := objKeys(t, o["localDescription"])
			if typ := jsonString(t, ld["type"], "type"); typ != "offer" {
				t.Fatalf("offer type %q", typ)
			}
			if sdp := jsonString(t, ld["sdp"], "sdp"); sdp != "" {
				t.Fatal("a clear SDP next to the sealed one")
			}
			var info userInfo
			_ = json.Unmarshal(d["userInfo"], &info)
			inner, err := bob.openFrom(sender, info, seal.LabelOffer, jsonString(t, d["sealed"], "sealed"))
			if err != nil {
				t.Fatalf("bob cannot open alice's offer: %v", err)
			}
			checkSignature(t, mustJSON(inner.RTChat), false)
			if !strings.Contains(inner.SDP, "a=candidate:") || !strings.Contains(inner.SDP, "a=fingerprint:") {
				t.Fatal("offer SDP without candidates (we never trickle) or fingerprint")
			}
		case signal.SubAnswer:
			d := objKeys(t, data)
			if !reflect.DeepEqual(sortedKeys(d), []string{"localDescription", "sealed", "target"}) {
				t.Fatalf("answer data keys %v", sortedKeys(d))
			}
			if tg := jsonString(t, d["target"], "target"); tg != peer {
				t.Fatalf("answer target %q, want %q", tg, peer)
			}
			ld := objKeys(t, d["localDescription"])
			if typ := jsonString(t, ld["type"], "type"); typ != "answer" {
				t.Fatalf("answer type %q", typ)
			}
			if sdp := jsonString(t, ld["sdp"], "sdp"); sdp != "" {
				t.Fatal("a clear SDP next to the sealed one")
			}
			inner, err := alice.openFrom(sender, bob.myInfo(), seal.LabelAnswer, jsonString(t, d["sealed"], "sealed"))
			if err != nil {
				t.Fatalf("alice cannot open bob's answer: %v", err)
			}
			checkSignature(t, mustJSON(inner.RTChat), true)
			if !strings.Contains(inner.SDP, "a=candidate:") {
				t.Fatal("answer SDP without candidates")
			}
		case signal.SubUnload:
			if s := jsonString(t, data, "unload data"); s != "disconnecting" {
				t.Fatalf("unload data %q", s)
			}
		case signal.SubCandidate:
			if string(data) != "null" {
				t.Fatalf("we trickled a candidate: %s", data)
			}
		default:
			t.Fatalf("unexpected subtopic %q", sub)
		}
	}
	for _, want := range []string{
		alice.Name() + " connect", bob.Name() + " connect", alice.Name() + " RTCOffer",
		bob.Name() + " RTCAnswer", alice.Name() + " unload", bob.Name() + " unload",
	} {
		if got[want] == 0 {
			t.Errorf("never saw %s (saw %v)", want, got)
		}
	}
	if got[alice.Name()+" RTCOffer"] != 1 || got[bob.Name()+" RTCAnswer"] != 1 || got[bob.Name()+" RTCOffer"] != 0 {
		t.Errorf("offers/answers: %v", got)
	}
}

type nodeCase struct {
	Name    string `json:"name"`
	Frame   string `json:"frame"`
	Key     string `json:"key"`
	Message string `json:"message"`
}

// webcryptoVerify runs testdata/webcrypto_verify.mjs. Node is required: the cross-check
// is the point of the test.
func webcryptoVerify(t *testing.T, cases []nodeCase) map[string]any {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node (v20+) is required on PATH for the WebCrypto cross-check: %v", err)
	}
	in, err := json.Marshal(map[string]any{"cases": cases})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "testdata/webcrypto_verify.mjs")
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, stderr.Bytes())
	}
	res := map[string]any{}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("node output %q: %v", out, err)
	}
	return res
}

func expectNode(t *testing.T, res map[string]any, want map[string]bool) {
	t.Helper()
	for name, w := range want {
		if got, ok := res[name].(bool); !ok || got != w {
			t.Errorf("WebCrypto verify %s = %v, want %v", name, res[name], w)
		}
	}
}

// TestConformanceIdentityAnswers: the answers our client gives a web page, checked for
// shape and with WebCrypto as the web client verifies them; refusals of non-32-byte
// contents; the signing oracle limit.
func TestConformanceIdentityAnswers(t *testing.T) {
	g, br := browserOffers(t, false)
	g.waitEvent(t, EventVerified, 10*time.Second, nil)
	challenge := make([]byte, 32)
	_, _ = rand.Read(challenge)
	copy(challenge, []byte{0x00, 0x22, 0x5c, 0x7f, 0x80, 0xff, 0x0a, 0x1f}) // §11.3 bytes
	content := wire.Latin1(challenge)

	check := func(frame, topic string) map[string]json.RawMessage {
		t.Helper()
		f := objKeys(t, json.RawMessage(frame))
		if !reflect.DeepEqual(sortedKeys(f), []string{"answer", "n", "question"}) {
			t.Fatalf("%s answer frame keys %v: %s", topic, sortedKeys(f), frame)
		}
		q := objKeys(t, f["question"])
		if jsonString(t, q["topic"], "topic") != topic || jsonString(t, q["content"], "content") != content {
			t.Fatalf("question not echoed: %s", f["question"])
		}
		return f
	}
	_, idFrame := br.askFrame(topicIdentify, content)
	f := check(idFrame, topicIdentify)
	a := objKeys(t, f["answer"])
	if !reflect.DeepEqual(sortedKeys(a), []string{"publicKeyString", "signature"}) {
		t.Fatalf("identify answer keys %v", sortedKeys(a))
	}
	if sig, _ := wire.FromLatin1(jsonString(t, a["signature"], "signature")); len(sig) != 256 {
		t.Fatalf("signature of %d bytes", len(sig))
	}
	_, chFrame := br.askFrame(topicChallenge, content)
	f = check(chFrame, topicChallenge)
	if sig, _ := wire.FromLatin1(jsonString(t, f["answer"], "challenge answer")); len(sig) != 256 {
		t.Fatalf("signature of %d bytes", len(sig))
	}

	// Controls: a signature with Go's default (maximum) salt must fail WebCrypto's salt-32
	// verify, and so must a correct signature over other bytes.
	priv, err := keys.ParsePrivateJWK(g.id.PrivateJWK)
	if err != nil {
		t.Fatal(err)
	}
	digest := sha256.Sum256(challenge)
	autoSalt, err := rsa.SignPSS(rand.Reader, priv, crypto.SHA256, digest[:], nil)
	if err != nil {
		t.Fatal(err)
	}
	autoFrame, _ := json.Marshal(map[string]any{"n": 1, "answer": wire.Latin1(autoSalt)})
	other := append([]byte(nil), challenge...)
	other[31] ^= 1
	res := webcryptoVerify(t, []nodeCase{
		{Name: "identify", Frame: idFrame, Message: content},
		{Name: "challenge", Frame: chFrame, Key: g.id.PublicJWK, Message: content},
		{Name: "default-salt", Frame: string(autoFrame), Key: g.id.PublicJWK, Message: content},
		{Name: "other-bytes", Frame: chFrame, Key: g.id.PublicJWK, Message: wire.Latin1(other)},
	})
	expectNode(t, res, map[string]bool{"identify": true, "challenge": true, "default-salt": false, "other-bytes": false})

	// We sign only contents of exactly 32 latin-1 bytes; anything else gets an error answer
	// (and does not count against the signing limit).
	for name, c := range map[string]any{
		"31 bytes":     wire.Latin1(challenge[:31]),
		"33 bytes":     wire.Latin1(append(challenge, 1)),
		"empty":        "",
		"above U+00FF": strings.Repeat("\u0100", 32),
		"a number":     42,
		"an object":    map[string]string{"a": "b"},
	} {
		for _, topic := range []string{topicIdentify, topicChallenge} {
			ans, frame := br.askFrame(topic, c)
			fr := objKeys(t, json.RawMessage(frame))
			if ans != nil || len(fr["error"]) == 0 {
				t.Errorf("%s content %s: frame %s, want an error answer", topic, name, frame)
			}
		}
	}
	// The signing oracle: at most maxSignatures signatures per connection (two above).
	for i := 2; i < maxSignatures; i++ {
		if ans, frame := br.askFrame(topicChallenge, content); ans == nil {
			t.Fatalf("signature %d refused: %s", i+1, frame)
		}
	}
	ans, frame := br.askFrame(topicIdentify, content)
	if ans != nil || !strings.Contains(frame, "too many") {
		t.Fatalf("signature %d: %s, want a refusal", maxSignatures+1, frame)
	}
}

// TestConformanceBoundProof: the rtchat proof (topicProve) signs proof.ProofMessage over the room,
// both full names and both DTLS certificates as negotiated, the verifier's challenge and the
// prover's nonce, never the raw challenge, so a relay in the middle cannot reuse it.
func TestConformanceBoundProof(t *testing.T) {
	alice, bob := pair(t, RoleAsk, nil)
	p, err := alice.Dial(ctxFor(t, 20*time.Second), "bob")
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	bob.waitEvent(t, EventVerified, 5*time.Second, nil)
	challenge := make([]byte, 32)
	_, _ = rand.Read(challenge)
	raw, err := p.Ask(ctxFor(t, 10*time.Second), topicProve, proveQuestion{Challenge: b64.EncodeToString(challenge)})
	if err != nil {
		t.Fatal(err)
	}
	var ans proveAnswer
	if err := json.Unmarshal(raw, &ans); err != nil {
		t.Fatal(err)
	}
	if ans.PublicKeyString != bob.id.PublicJWK {
		t.Fatal("the proof carries another key")
	}
	nonce, err := decodeB64(ans.Nonce, 32)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := decodeB64(ans.Signature, 256)
	if err != nil {
		t.Fatal(err)
	}
	ab, err := p.p.binding()
	if err != nil {
		t.Fatal(err)
	}
	var bp *peer
	bob.call(func() { bp = bob.peers[alice.Name()] })
	if bp == nil {
		t.Fatal("bob has no connection to alice")
	}
	bb, err := bp.binding()
	if err != nil {
		t.Fatal(err)
	}
	if ab != bb {
		t.Fatalf("the two sides disagree on the binding:\n%+v\n%+v", ab, bb)
	}
	if ab.Offerer != alice.Name() || ab.Answerer != bob.Name() || ab.Room != alice.topic || ab.OffererCert == ab.AnswererCert {
		t.Fatalf("binding %+v", ab)
	}
	// The certificates are the ones DTLS uses: bob's view of alice's is what alice's DTLS
	// transport says its own is.
	if got := sha256.Sum256(bp.pc.SCTP().Transport().GetRemoteCertificate()); got != ab.OffererCert {
		t.Fatal("offerer certificate hash differs from the certificate bob's DTLS saw")
	}
	msg := proof.ProofMessage(ab, bob.Name(), alice.Name(), challenge, nonce)
	// The layout of docs/rtchat-protocol.md: length-prefixed fields under the domain label.
	var want []byte
	for _, f := range [][]byte{[]byte("rtchat proof v3"), []byte(ab.Room), []byte(ab.Offerer), []byte(ab.Answerer),
		ab.OffererCert[:], ab.AnswererCert[:], []byte(bob.Name()), []byte(alice.Name()), challenge, nonce} {
		want = append(want, byte(len(f)>>24), byte(len(f)>>16), byte(len(f)>>8), byte(len(f)))
		want = append(want, f...)
	}
	if !bytes.Equal(msg, want) {
		t.Fatal("proof.ProofMessage layout changed: update docs/rtchat-protocol.md")
	}
	if err := keys.Verify(bob.id.PublicJWK, msg, sig); err != nil {
		t.Fatalf("the proof does not verify over proof.ProofMessage: %v", err)
	}
	// What a relay's other DTLS session, or a reflected proof, would present must not verify.
	relayed := ab
	relayed.AnswererCert[0] ^= 1
	for name, m := range map[string][]byte{
		"raw challenge":    challenge,
		"other session":    proof.ProofMessage(relayed, bob.Name(), alice.Name(), challenge, nonce),
		"prover reflected": proof.ProofMessage(ab, alice.Name(), bob.Name(), challenge, nonce),
	} {
		if err := keys.Verify(bob.id.PublicJWK, m, sig); err == nil {
			t.Errorf("the proof verifies over %s", name)
		}
	}
	frame, _ := json.Marshal(map[string]any{"n": 0, "answer": wire.Latin1(sig)})
	res := webcryptoVerify(t, []nodeCase{
		{Name: "bound", Frame: string(frame), Key: bob.id.PublicJWK, Message: wire.Latin1(msg)},
		{Name: "raw", Frame: string(frame), Key: bob.id.PublicJWK, Message: wire.Latin1(challenge)},
	})
	expectNode(t, res, map[string]bool{"bound": true, "raw": false})
	// The web client's unbound questions get no signature from an rtchat peer.
	for _, topic := range []string{topicIdentify, topicChallenge} {
		if _, err := p.Ask(ctxFor(t, 10*time.Second), topic, wire.Latin1(challenge)); !errors.Is(err, ErrRemote) {
			t.Errorf("%s to an rtchat peer: %v, want an error answer", topic, err)
		}
	}
}
