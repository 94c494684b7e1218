package rtc

import (
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/rtchat/rtchat/keys"
	"github.com/rtchat/rtchat/rtc/signal"
	"github.com/rtchat/rtchat/rtc/wire"
)

// Fuzz targets for every decoder in package rtc that takes network input:
//   - FuzzEnvelope: an MQTT payload → classify and onPayload (userInfo, offer, answer,
//     candidate decoding, signature checks, the presence logic) on a Client without network;
//   - FuzzFrame: a data-channel text frame on any label → peer.onFrame (question, answer,
//     chat, control decoding, the identity-answer paths with their checks) on a peer whose
//     owner is the fuzz function itself;
//   - FuzzSDP: checkSDP, candidateUfrag, the candidate JSON, servesFor.
//
// Run: go test ./rtc/ -run '^$' -fuzz '^FuzzEnvelope$' -fuzztime 30s -fuzzminimizetime 2s

// offlineClient is a Client with no broker and no ICE: role ask with no Dial open never
// makes a PeerConnection or publishes, so every handler path that runs stays offline.
func offlineClient(tb testing.TB, store *keys.Store, id *keys.Identity) *Client {
	c, err := newClient(Config{Identity: id, Store: store, Trust: TrustKnown, Role: RoleAsk,
		Room: "fuzz", Log: slog.New(slog.DiscardHandler), VerifyTimeout: time.Second})
	if err != nil {
		tb.Fatal(err)
	}
	c.me = "me(0000)"
	return c
}

func envelopeSeeds() [][]byte {
	enc := func(sender, sub string, data any) []byte {
		b, _ := signal.Encode(sender, sub, data, time.UnixMilli(1700000000000))
		return b
	}
	jwk := `{"alg":"PS256","e":"AQAB","ext":true,"key_ops":["verify"],"kty":"RSA","n":"AAAA"}`
	rt := map[string]any{"publicKeyString": jwk, "rtchat": map[string]any{"v": 2, "role": "listen"}}
	sdp := "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=fingerprint:sha-256 AA:BB\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\na=ice-ufrag:abcd\r\na=candidate:1 1 udp 1 127.0.0.1 9 typ host\r\n"
	sig := map[string]any{"v": 2, "ts": 1700000000000, "nonce": "AAAA", "role": "listen", "sig": "AAAA"}
	seeds := [][]byte{
		enc("Alice", "connect", map[string]string{"publicKeyString": jwk}),
		enc("bob(1a2b)", "connect", rt),
		enc("peer", "connect", rt),
		enc("Alice", "RTCOffer", map[string]any{"userInfo": rt, "offer": map[string]any{"localDescription": map[string]string{"type": "offer", "sdp": sdp}, "target": "me(0000)"}}),
		enc("bob(1a2b)", "RTCOffer", map[string]any{"userInfo": rt, "rtchat": sig, "offer": map[string]any{"localDescription": map[string]string{"type": "offer", "sdp": sdp}, "target": "me(0000)"}}),
		enc("peer", "RTCAnswer", map[string]any{"localDescription": map[string]string{"type": "answer", "sdp": sdp}, "target": "me(0000)"}),
		enc("peer", "RTCIceCandidate", map[string]any{"candidate": "candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host ufrag abcd", "sdpMid": "0", "sdpMLineIndex": 0, "usernameFragment": "abcd"}),
		enc("Alice", "RTCIceCandidate", nil),
		enc("peer", "unload", "disconnecting"),
		enc("peer", "nameChange", map[string]string{"oldName": "peer", "newName": "peer2"}),
		[]byte(`{"sender":"x","subtopic":"connect","data":null}`),
		[]byte(`{"sender":"x","subtopic":"RTCOffer","data":{"userInfo":"s","offer":[]}}`),
	}
	if h, err := os.ReadFile("signal/testdata/offer.lz.hex"); err == nil {
		if b, err := hex.DecodeString(string(trimSpace(h))); err == nil {
			seeds = append(seeds, b)
		}
	}
	return seeds
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == ' ' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

func FuzzEnvelope(f *testing.F) {
	for _, s := range envelopeSeeds() {
		f.Add(s)
	}
	store := keys.Open(f.TempDir())
	id := testIdentity(f, "me", 0)
	if _, err := store.Pin("bob", testIdentity(f, "bob", 1).PublicJWK, false); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		c := offlineClient(t, store, id)
		defer c.endLife()
		// A connection in progress with "peer" (no owner running), so that answers,
		// candidates and unloads for it reach the peer paths too.
		p := newPeer(c, "peer", userInfo{}, true, false)
		c.peers["peer"] = p
		c.views[p] = &peerView{created: time.Now()}
		_ = c.classify(payload)
		c.onPayload(payload)
		c.onPayload(payload) // twice: the second one meets the state the first one left
		c.cands.each(func(from string, cs []candidate) {
			if len(cs) > maxPendingCands {
				t.Fatalf("%d candidates buffered for %q", len(cs), from)
			}
		})
		if c.cands.len() > maxCandSenders || c.presence.len() > maxPresence {
			t.Fatalf("tables over their bounds: %d %d", c.cands.len(), c.presence.len())
		}
		if len(c.peers) > 1 {
			t.Fatalf("a network-less handle created a connection: %v", len(c.peers))
		}
	})
}

var frameLabels = append(append([]string{}, browserLabels...), labelControl, labelPipe, "unknown")

func FuzzFrame(f *testing.F) {
	challenge := wire.Latin1([]byte("0123456789abcdef0123456789abcdef"))
	q := func(topic string, content any) []byte {
		b, _ := json.Marshal(map[string]any{"n": 3, "question": map[string]any{"topic": topic, "content": content}})
		return b
	}
	seeds := []struct {
		label byte
		frame []byte
	}{
		{0, []byte("null")},
		{2, []byte(`"hello"`)},
		{1, []byte(`"dm"`)},
		{3, q(topicIdentify, challenge)},
		{3, q(topicChallenge, challenge)},
		{3, q(topicProve, map[string]string{"challenge": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY"})},
		{3, q(topicProve, "x")},
		{3, q(topicMessage, "hi")},
		{3, q("weather", nil)},
		{3, q(topicIdentify, "\u0100")},
		{4, []byte(`{"n":0,"answer":{"publicKeyString":"k","signature":"s"},"question":{"topic":"identify","content":"x"}}`)},
		{4, []byte(`{"n":1,"error":"no","question":{"topic":"x"}}`)},
		{5, []byte(`"ping"`)},
		{8, []byte(`{"offer":{"type":"offer","sdp":""},"streamInfo":{"video":true}}`)},
		{11, []byte(`{"type":"verified"}`)},
		{11, []byte(`{"type":"refused","reason":"not pinned"}`)},
		{11, []byte(`{"type":"refused","reason":"` + string(make([]byte, 300)) + `"}`)},
	}
	for _, s := range seeds {
		f.Add(s.label, s.frame)
	}
	store := keys.Open(f.TempDir())
	id := testIdentity(f, "me", 0)
	f.Fuzz(func(t *testing.T, label byte, frame []byte) {
		c := offlineClient(t, store, id)
		defer c.endLife()
		for _, st := range []peerState{stConnected, stVerified} {
			p := newPeer(c, "peer(1)", userInfo{PublicKeyString: "k", RTChat: &rtchatInfo{V: protocolVersion, Role: RoleListen}}, false, false)
			p.timer = time.NewTimer(time.Hour)
			p.st = st
			// Every channel is "open" on a writer that fails at once, and there is no
			// PeerConnection: the decoding and the checks before sending all run.
			for _, s := range p.slots {
				s.rwc = failingChannel{}
				close(s.open)
			}
			for n := 0; n < 4; n++ { // questions of ours waiting for answers 0..3
				p.asks[n] = make(chan answerFrame, 1)
			}
			l := frameLabels[int(label)%len(frameLabels)]
			p.onFrame(l, frame)
			p.wg.Wait()
			if len(p.msgQ) > maxQueuedMessages || len(p.questionQ) > maxQueuedQuestions || len(p.legacyQ) > maxQueuedQuestions {
				t.Fatal("queues over their bounds")
			}
		}
		var cf controlFrame
		if json.Unmarshal(frame, &cf) == nil {
			_ = refusalText(cf.Reason, "peer")
		}
	})
}

// failingChannel is a detached data channel whose writes fail.
type failingChannel struct{}

func (failingChannel) Read([]byte) (int, error)                  { return 0, io.EOF }
func (failingChannel) Write([]byte) (int, error)                 { return 0, io.ErrClosedPipe }
func (failingChannel) ReadDataChannel([]byte) (int, bool, error) { return 0, false, io.EOF }
func (failingChannel) WriteDataChannel([]byte, bool) (int, error) {
	return 0, io.ErrClosedPipe
}
func (failingChannel) Close() error { return nil }

func FuzzSDP(f *testing.F) {
	f.Add("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=ice-ufrag:abcd\r\na=fingerprint:sha-256 AA:BB\r\n", `{"candidate":"candidate:1 1 udp 1 127.0.0.1 9 typ host ufrag abcd","usernameFragment":"abcd","sdpMid":"0","sdpMLineIndex":0}`, []byte(`{"publicKeyString":"k","rtchat":{"v":3,"role":"pipe","pipe":"me","seal":{"key":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","sig":"AA"}}}`))
	f.Add("v=0\r\na=fingerprint:sha-256 AA\r\n\ra=fingerprint:sha-256 BB\r\n", `{"candidate":"ufrag"}`, []byte(`{"rtchat":null}`))
	f.Add("", `null`, []byte(`[]`))
	store := keys.Open(f.TempDir())
	id := testIdentity(f, "me", 0)
	f.Fuzz(func(t *testing.T, sdp, cand string, info []byte) {
		if facts, err := checkSDP(sdp); err == nil {
			if facts.candidates > maxSDPCandidates || facts.ufrag == "" || facts.fingerprint == "" {
				t.Fatalf("accepted SDP facts %+v", facts)
			}
		}
		if u := candidateUfrag(cand); len(u) > len(cand) {
			t.Fatal("ufrag longer than the candidate")
		}
		var c candidate
		if json.Unmarshal([]byte(cand), &c) == nil {
			_ = candidateUfrag(c.Candidate)
		}
		var ui userInfo
		if json.Unmarshal(info, &ui) == nil {
			for _, role := range []Role{RoleListen, RoleConnect, RoleSend, RoleAsk, RolePipe} {
				cl, err := newClient(Config{Identity: id, Store: store, Role: role, Room: "fuzz"})
				if err != nil {
					t.Fatal(err)
				}
				_ = cl.servesFor(ui)
				_ = ui.sane()
				cl.endLife()
			}
		}
	})
}
