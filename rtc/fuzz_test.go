package rtc

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/rtchat/rtchat/keys"
	"github.com/rtchat/rtchat/rtc/iceconf"
	"github.com/rtchat/rtchat/rtc/signal"
	"github.com/rtchat/rtchat/rtc/wire"
)

// Fuzz targets for every decoder in package rtc that takes network input:
//   - FuzzEnvelope: an MQTT payload → signal.Decode → Client.handle (userInfo, offer,
//     answer, candidate decoding, the presence logic) on a Client without network;
//   - FuzzFrame: a data-channel text frame on any label → conn.onFrame (question, answer,
//     chat, control decoding, the identity-answer path with its latin-1 and length checks)
//     on a conn without a PeerConnection;
//   - FuzzSDPHelpers: sdpAttr, candidateUfrag, the candidate JSON, servesFor.
//
// Run: go test ./rtc/ -run '^$' -fuzz '^FuzzEnvelope$' -fuzztime 30s -fuzzminimizetime 2s

// offlineClient is a Client with no broker and no ICE: role ask with no Dial open never
// makes a PeerConnection or publishes, so every handler path that runs stays offline.
func offlineClient(tb testing.TB, store *keys.Store, id *keys.Identity) *Client {
	log := slog.New(slog.DiscardHandler)
	c := &Client{
		cfg: Config{Identity: id, Store: store, Trust: TrustKnown, Role: RoleAsk, Log: log,
			VerifyTimeout: time.Second},
		me: "me(0000)", bare: "me", log: log, tb: newTieBreak(),
		announceNow: make(chan struct{}, 1),
		peers:       map[string]*conn{}, seen: map[string]userInfo{},
		cands: map[string][]candidate{}, wants: map[string]*want{},
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	return c
}

func envelopeSeeds() [][]byte {
	enc := func(sender, sub string, data any) []byte {
		b, _ := signal.Encode(sender, sub, data, time.UnixMilli(1700000000000))
		return b
	}
	jwk := `{"alg":"PS256","e":"AQAB","ext":true,"key_ops":["verify"],"kty":"RSA","n":"AAAA"}`
	rt := map[string]any{"publicKeyString": jwk, "rtchat": map[string]any{"v": 1, "role": "listen"}}
	sdp := "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\na=ice-ufrag:abcd\r\na=fingerprint:sha-256 AA:BB\r\n"
	seeds := [][]byte{
		enc("Alice", "connect", map[string]string{"publicKeyString": jwk}),
		enc("bob(1a2b)", "connect", rt),
		enc("peer", "connect", rt),
		enc("Alice", "RTCOffer", map[string]any{"userInfo": rt, "offer": map[string]any{"localDescription": map[string]string{"type": "offer", "sdp": sdp}, "target": "me(0000)"}}),
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
	f.Fuzz(func(t *testing.T, payload []byte) {
		c := offlineClient(t, store, id)
		defer c.cancel()
		// A connection in progress with "peer" (no PeerConnection yet), so that answers,
		// candidates and unloads for it reach the conn paths too.
		p := newConn(c, "peer", userInfo{}, true)
		c.peers["peer"] = p
		env, err := signal.Decode(payload)
		if err != nil {
			return
		}
		if env.Sender == c.me {
			return
		}
		c.handle(env)
		c.handle(env) // twice: the second one meets the state the first one left
		c.mu.Lock()
		for from, cs := range c.cands {
			if len(cs) > maxPendingCands {
				t.Fatalf("%d candidates buffered for %q", len(cs), from)
			}
		}
		if len(c.peers) > 1 {
			t.Fatalf("a network-less handle created a connection: %v", len(c.peers))
		}
		c.mu.Unlock()
		p.mu.Lock()
		if len(p.pending) > maxPendingCands {
			t.Fatalf("%d pending candidates", len(p.pending))
		}
		p.mu.Unlock()
		p.close(nil)
		p.wait()
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
		{3, q(topicBoundIdentify, challenge)},
		{3, q(topicBoundChallenge, challenge)},
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
	pc := negotiatedPC(f)
	f.Fuzz(func(t *testing.T, label byte, frame []byte) {
		c := offlineClient(t, store, id)
		defer c.cancel()
		p := newConn(c, "peer(1)", userInfo{PublicKeyString: "k", RTChat: &rtchatInfo{V: 1, Role: RoleListen}}, false)
		c.peers[p.remote] = p
		// Closed: every send fails at once instead of waiting for a channel, and nothing
		// is served to an unverified peer; the decoding and checks before that still run.
		p.close(nil)
		p.pc = pc                // after close, which would close it
		for n := 0; n < 4; n++ { // questions of ours waiting for answers 0..3
			p.asks[n] = make(chan answerFrame, 1)
		}
		l := frameLabels[int(label)%len(frameLabels)]
		p.onFrame(l, frame)
		p.wg.Wait()
		// The same bytes decoded as each frame type (what onFrame does per label).
		var qf questionFrame
		_ = json.Unmarshal(frame, &qf)
		var af answerFrame
		_ = json.Unmarshal(frame, &af)
		var cf controlFrame
		if json.Unmarshal(frame, &cf) == nil {
			_ = refusalText(cf.Reason, "peer")
		}
	})
}

// negotiatedPC is a loopback PeerConnection with local and remote descriptions (an
// offer/answer exchange with a second one), so the bound proofs find both fingerprints.
func negotiatedPC(tb testing.TB) *webrtc.PeerConnection {
	ice := iceconf.Loopback()
	a, cleanA, err := ice.NewPeerConnection(nil)
	if err != nil {
		tb.Fatal(err)
	}
	b, cleanB, err := ice.NewPeerConnection(nil)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		_ = a.GracefulClose()
		_ = b.GracefulClose()
		_, _ = cleanA(), cleanB()
	})
	if _, err := a.CreateDataChannel("x", nil); err != nil {
		tb.Fatal(err)
	}
	offer, err := a.CreateOffer(nil)
	if err != nil {
		tb.Fatal(err)
	}
	if err := a.SetLocalDescription(offer); err != nil {
		tb.Fatal(err)
	}
	if err := b.SetRemoteDescription(offer); err != nil {
		tb.Fatal(err)
	}
	answer, err := b.CreateAnswer(nil)
	if err != nil {
		tb.Fatal(err)
	}
	if err := b.SetLocalDescription(answer); err != nil {
		tb.Fatal(err)
	}
	if err := a.SetRemoteDescription(answer); err != nil {
		tb.Fatal(err)
	}
	return a
}

func FuzzSDPHelpers(f *testing.F) {
	f.Add("v=0\r\na=ice-ufrag:abcd\r\na=fingerprint:sha-256 AA:BB\r\n", `{"candidate":"candidate:1 1 udp 1 127.0.0.1 9 typ host ufrag abcd","usernameFragment":"abcd","sdpMid":"0","sdpMLineIndex":0}`, []byte(`{"publicKeyString":"k","rtchat":{"v":1,"role":"pipe","pipe":"me"}}`))
	f.Add("a=ice-ufrag:", `{"candidate":"ufrag"}`, []byte(`{"rtchat":null}`))
	f.Add("", `null`, []byte(`[]`))
	f.Fuzz(func(t *testing.T, sdp, cand string, info []byte) {
		for _, name := range []string{"ice-ufrag", "fingerprint", "", "candidate"} {
			v := sdpAttr(sdp, name)
			if len(v) > len(sdp) {
				t.Fatal("attribute longer than the SDP")
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
			for _, role := range []Role{RoleListen, RoleConnect, RoleSend, RoleAsk, RolePipe, ""} {
				_ = servesFor(ui, role, "me")
			}
		}
	})
}
