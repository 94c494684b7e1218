package rtc

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/rtchat/rtchat/keys"
	"github.com/rtchat/rtchat/rtc/wire"
)

// Question topics of the identity exchange. The browser's two (§6.4) sign the raw 32
// challenge bytes; our rtchat-to-rtchat pair signs them bound to both DTLS fingerprints, so
// a relay in the middle (two DTLS sessions) cannot pass the proof on (§8 weakness 1).
const (
	topicIdentify       = "identify"
	topicChallenge      = "challenge"
	topicBoundIdentify  = "rtchat.identify"
	topicBoundChallenge = "rtchat.challenge"
	topicMessage        = "rtchat.message"

	challengeLen = 32
	// maxSignatures bounds the signing oracle per connection (§8 weakness 5).
	maxSignatures = 16
)

// refusalGrace is how long a refusal may take to reach the peer before we close anyway;
// the peer closes on receipt, which ends the wait at once.
const refusalGrace = 5 * time.Second

// boundMessage is what the rtchat proofs sign: a domain tag, the challenge, and the
// offerer's and answerer's DTLS fingerprints as their SDPs state them.
func boundMessage(challenge []byte, offererFP, answererFP string) []byte {
	msg := []byte("rtchat-dtls-bound-v1\x00")
	msg = append(msg, challenge...)
	msg = append(msg, 0)
	msg = append(msg, offererFP...)
	msg = append(msg, 0)
	msg = append(msg, answererFP...)
	return msg
}

// fingerprints returns the offerer's and answerer's DTLS fingerprints of this connection.
func (p *conn) fingerprints() (offerer, answerer string, err error) {
	local, remote := p.pc.LocalDescription(), p.pc.RemoteDescription()
	if local == nil || remote == nil {
		return "", "", errors.New("no descriptions yet")
	}
	l, r := sdpAttr(local.SDP, "fingerprint"), sdpAttr(remote.SDP, "fingerprint")
	if l == "" || r == "" {
		return "", "", errors.New("no DTLS fingerprint in the SDP")
	}
	if p.offerer {
		return l, r, nil
	}
	return r, l, nil
}

// signedContent is what we sign when asked on topic with these challenge bytes.
func (p *conn) signedContent(topic string, challenge []byte) ([]byte, error) {
	switch topic {
	case topicIdentify, topicChallenge:
		return challenge, nil
	default:
		o, a, err := p.fingerprints()
		if err != nil {
			return nil, err
		}
		return boundMessage(challenge, o, a), nil
	}
}

// answerIdentity answers identify/challenge questions, even before we verified the peer
// (otherwise a browser never verifies us), but only for 32-byte contents.
func (p *conn) answerIdentity(q questionFrame) {
	var s string
	if json.Unmarshal(q.Question.Content, &s) != nil {
		p.answerError(q, "identity content must be a string")
		return
	}
	challenge, err := wire.FromLatin1(s)
	if err != nil || len(challenge) != challengeLen {
		p.answerError(q, "identity content must be 32 bytes")
		return
	}
	p.mu.Lock()
	p.signed++
	tooMany := p.signed > maxSignatures
	p.mu.Unlock()
	if tooMany {
		p.answerError(q, "too many identity questions")
		return
	}
	msg, err := p.signedContent(q.Question.Topic, challenge)
	if err != nil {
		p.answerError(q, err.Error())
		return
	}
	sig, err := p.c.cfg.Identity.Sign(msg)
	if err != nil {
		p.answerError(q, "signing failed")
		return
	}
	var ans any = wire.Latin1(sig)
	if q.Question.Topic == topicIdentify || q.Question.Topic == topicBoundIdentify {
		ans = map[string]string{"publicKeyString": p.c.cfg.Identity.PublicJWK, "signature": wire.Latin1(sig)}
	}
	_ = p.send("answer", answerFrame{N: q.N, Answer: mustJSON(ans), Question: q.Question})
}

// runVerify proves the peer's identity and tells it (rtchat peers) the outcome.
func (p *conn) runVerify() {
	ctx, cancel := context.WithTimeout(p.ctx, p.c.cfg.VerifyTimeout)
	defer cancel()
	err := p.verifyPeer(ctx)
	if err != nil {
		p.c.log.Debug("verification failed", append(p.logf(), "err", err)...)
		p.c.emit(Event{Type: EventRefused, Peer: p.remote, Bare: p.bare, Err: err})
		if p.isRTChat() {
			// Tell the peer first: once the Dial fails, our process may exit and close the
			// connection, and the peer would only see it vanish.
			_ = p.send(labelControl, controlFrame{Type: "refused", Reason: refusalReason(err)})
		}
		p.c.resolveWants(p, err)
		if p.isRTChat() {
			// Give the refusal a moment to leave before the connection goes away: the peer
			// closes on receipt, which ends this wait early.
			t := time.NewTimer(refusalGrace)
			select {
			case <-p.done:
			case <-t.C:
			}
			t.Stop()
		}
		p.close(err)
		return
	}
	p.verifyOnce.Do(func() { close(p.verifiedCh) })
	p.c.emit(Event{Type: EventVerified, Peer: p.remote, Bare: p.bare, Bound: p.boundProof})
	if p.isRTChat() {
		_ = p.send(labelControl, controlFrame{Type: "verified"})
	}
	p.c.resolveWants(p, nil)
}

func refusalReason(err error) string {
	var ve *verifyError
	if errors.As(err, &ve) {
		return ve.reason
	}
	return "verification failed"
}

type verifyError struct {
	reason string
	msg    string
}

func (e *verifyError) Error() string { return e.msg }
func (e *verifyError) Unwrap() error { return ErrNotVerified }

func (p *conn) verifyPeer(ctx context.Context) error {
	pinned, ok, err := p.c.cfg.Store.Lookup(p.bare)
	if err != nil {
		return fmt.Errorf("read pinned peers: %w", err)
	}
	challenge := make([]byte, challengeLen)
	if _, err := rand.Read(challenge); err != nil {
		return err
	}
	identify, chal := topicIdentify, topicChallenge
	if p.isRTChat() {
		identify, chal = topicBoundIdentify, topicBoundChallenge
		p.boundProof = true
	}
	msg, err := p.signedContent(chal, challenge)
	if err != nil {
		return err
	}
	if ok {
		raw, err := p.ask(ctx, chal, wire.Latin1(challenge))
		if err != nil {
			return p.proofErr(err)
		}
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return &verifyError{"bad proof", fmt.Sprintf("%s answered the %s with no signature", p.remote, chal)}
		}
		sig, err := wire.FromLatin1(s)
		if err != nil {
			return &verifyError{"bad proof", fmt.Sprintf("%s sent a malformed signature: %v", p.remote, err)}
		}
		if err := keys.Verify(pinned, msg, sig); err != nil {
			return &verifyError{"key mismatch", fmt.Sprintf("%s did not prove the key pinned for %q (%s): its key differs from the pin or its proof is bad; if %s really changed keys, re-pin with 'rtchat keys register --replace'", p.remote, p.bare, keys.Fingerprint(pinned), p.bare)}
		}
		p.fingerprint = keys.Fingerprint(pinned)
		return nil
	}
	if p.c.cfg.Trust != TrustTOFU {
		return &verifyError{"not pinned", fmt.Sprintf("%q is not a pinned peer (trust policy 'known'): pin its key with 'rtchat keys register %s|JWK' or use --trust tofu", p.bare, p.bare)}
	}
	raw, err := p.ask(ctx, identify, wire.Latin1(challenge))
	if err != nil {
		return p.proofErr(err)
	}
	var a struct {
		PublicKeyString string `json:"publicKeyString"`
		Signature       string `json:"signature"`
	}
	if json.Unmarshal(raw, &a) != nil || a.PublicKeyString == "" {
		return &verifyError{"bad proof", fmt.Sprintf("%s answered %s without a key", p.remote, identify)}
	}
	sig, err := wire.FromLatin1(a.Signature)
	if err != nil {
		return &verifyError{"bad proof", fmt.Sprintf("%s sent a malformed signature: %v", p.remote, err)}
	}
	if err := keys.Verify(a.PublicKeyString, msg, sig); err != nil {
		return &verifyError{"bad proof", fmt.Sprintf("%s's proof does not verify with the key it sent: %v", p.remote, err)}
	}
	if _, err := p.c.cfg.Store.Pin(p.bare, a.PublicKeyString, false); err != nil {
		return &verifyError{"key mismatch", fmt.Sprintf("pin %s on first use: %v", p.bare, err)}
	}
	p.fingerprint = keys.Fingerprint(a.PublicKeyString)
	p.c.log.Info("pinned a new peer on first use", "peer", p.bare, "fingerprint", p.fingerprint)
	return nil
}

func (p *conn) proofErr(err error) error {
	if errors.Is(err, ErrTimeout) {
		return &verifyError{"no proof", fmt.Sprintf("%s did not prove its identity in time: %v", p.remote, err)}
	}
	if errors.Is(err, ErrNotVerified) {
		return err
	}
	return fmt.Errorf("verify %s: %w", p.remote, err)
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		return json.RawMessage("null")
	}
	return b
}
