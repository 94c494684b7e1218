package rtc

import (
	"encoding/json"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rtchat/rtchat/keys"
	"github.com/rtchat/rtchat/rtc/wire"
)

// recordingChannel is a detached data channel that records what is written to it.
type recordingChannel struct {
	mu     sync.Mutex
	frames []string
}

func (r *recordingChannel) Read([]byte) (int, error)                  { return 0, io.EOF }
func (r *recordingChannel) ReadDataChannel([]byte) (int, bool, error) { return 0, false, io.EOF }
func (r *recordingChannel) Write(b []byte) (int, error)               { return r.WriteDataChannel(b, true) }
func (r *recordingChannel) WriteDataChannel(b []byte, _ bool) (int, error) {
	r.mu.Lock()
	r.frames = append(r.frames, string(b))
	r.mu.Unlock()
	return len(b), nil
}
func (r *recordingChannel) Close() error { return nil }

func (r *recordingChannel) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	f := r.frames
	r.frames = nil
	return f
}

// answerPeer is a peer whose owner is the test, with every channel open on a recorder.
func answerPeer(t *testing.T, c *Client, remote string, info userInfo, st peerState) (*peer, *recordingChannel) {
	t.Helper()
	p := newPeer(c, remote, info, false, false)
	p.timer = time.NewTimer(time.Hour)
	p.st = st
	rec := &recordingChannel{}
	for _, s := range p.slots {
		s.rwc = rec
		close(s.open)
	}
	return p, rec
}

func question32(t *testing.T, topic string, challenge []byte) questionFrame {
	t.Helper()
	var content any = wire.Latin1(challenge)
	if topic == topicProve {
		content = proveQuestion{Challenge: b64.EncodeToString(challenge)}
	}
	return questionFrame{N: 1, Question: question{Topic: topic, Content: mustJSON(content)}}
}

// TestIdentityAnswerRules: who gets which signature. A web page's unbound challenge is
// signed only once we verified that page ourselves, never for an rtchat peer or a name
// pinned as one; no challenge we issued ourselves is ever signed.
func TestIdentityAnswerRules(t *testing.T) {
	store := keys.Open(t.TempDir())
	if _, err := store.Pin("rtpeer", testIdentity(t, "rtpeer", 1).PublicJWK, false); err != nil {
		t.Fatal(err)
	}
	c := offlineClient(t, store, testIdentity(t, "me", 0))
	defer c.endLife()
	challenge := randomBytes(challengeLen)
	web := userInfo{PublicKeyString: "k"}
	rt := userInfo{PublicKeyString: "k", RTChat: &rtchatInfo{V: protocolVersion, Role: RoleListen, Seal: &sealInfo{Key: c.seal.pub}}}
	answered := func(frames []string) (sig bool, errText string) {
		for _, f := range frames {
			var a answerFrame
			if json.Unmarshal([]byte(f), &a) != nil {
				continue
			}
			if a.Error != "" {
				errText = a.Error
			}
			if a.Answer != nil {
				sig = true
			}
		}
		return sig, errText
	}

	// A web page we have not verified: its challenge waits, unanswered.
	p, rec := answerPeer(t, c, "Alice", web, stConnected)
	p.onFrame("question", mustJSON(question32(t, topicChallenge, challenge)))
	p.wg.Wait()
	if sig, e := answered(rec.take()); sig || e != "" || len(p.legacyQ) != 1 {
		t.Fatalf("unverified web page: signed=%v error=%q queued=%d; want it held", sig, e, len(p.legacyQ))
	}
	// Once verified, it is answered with a signature over the raw bytes.
	p.onVerifyDone(proofResult{fingerprint: "x"}, nil)
	p.wg.Wait()
	if sig, e := answered(rec.take()); !sig || e != "" {
		t.Fatalf("verified web page: signed=%v error=%q; want a signature", sig, e)
	}

	// A refused web page never gets one.
	p, rec = answerPeer(t, c, "Mallory", web, stConnected)
	p.onFrame("question", mustJSON(question32(t, topicIdentify, challenge)))
	p.onVerifyDone(proofResult{}, &verifyError{reason: "bad proof", msg: "no"})
	p.wg.Wait()
	if sig, _ := answered(rec.take()); sig {
		t.Fatal("a refused web page got a signature")
	}

	for name, tc := range map[string]struct {
		remote string
		info   userInfo
		topic  string
		want   string
	}{
		"legacy to an rtchat peer":          {"bob(1)", rt, topicChallenge, "prove themselves with"},
		"legacy to a name pinned as rtchat": {"rtpeer", web, topicChallenge, "pinned as an rtchat peer"},
	} {
		p, rec := answerPeer(t, c, tc.remote, tc.info, stVerified)
		p.onFrame("question", mustJSON(question32(t, tc.topic, challenge)))
		p.wg.Wait()
		if sig, e := answered(rec.take()); sig || !strings.Contains(e, tc.want) {
			t.Errorf("%s: signed=%v error=%q; want an error %q", name, sig, e, tc.want)
		}
	}

	// A challenge we issued ourselves is never signed, on either topic (a reflection).
	c.issued.add(challenge)
	for _, topic := range []string{topicProve, topicChallenge} {
		info := rt
		if topic == topicChallenge {
			info = web
		}
		p, rec := answerPeer(t, c, "Zed", info, stVerified)
		p.onFrame("question", mustJSON(question32(t, topic, challenge)))
		p.wg.Wait()
		if sig, e := answered(rec.take()); sig || !strings.Contains(e, "our own challenge") {
			t.Errorf("%s of our own challenge: signed=%v error=%q", topic, sig, e)
		}
	}
	c.issued.remove(challenge)
}
