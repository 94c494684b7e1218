package rtc

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rtchat/rtchat/keys"
	"github.com/rtchat/rtchat/rtc/proof"
	"github.com/rtchat/rtchat/rtc/wire"
)

// Question topics of the identity exchange. The web client's two (§6.4) sign the raw 32
// challenge bytes, which anyone in the middle can pass on; rtchat peers use topicProve,
// whose answer is bound to this connection (see proof.ProofMessage).
const (
	topicIdentify  = "identify"
	topicChallenge = "challenge"
	topicProve     = "rtchat.prove"
	topicMessage   = "rtchat.message"

	challengeLen = 32
	// maxSignatures bounds what one connection can have us sign (§8 weakness 5).
	maxSignatures = 16
)

// refusalGrace is how long a refusal may take to reach the peer before we close anyway;
// the peer closes on receipt, which ends the wait at once.
const refusalGrace = 5 * time.Second

// verifyError is a failed verification: a reason code the peer is told, a message for our
// user, and what they can do about it.
type verifyError struct {
	reason string
	msg    string
	hint   string
}

func (e *verifyError) Error() string { return e.msg }
func (e *verifyError) Unwrap() error { return ErrNotVerified }
func (e *verifyError) Hint() string  { return e.hint }

func refusalReason(err error) string {
	var ve *verifyError
	if errors.As(err, &ve) {
		return ve.reason
	}
	return "verification failed"
}

// refusalText explains a peer's refusal reason in terms of what happened.
func refusalText(reason, peer string) string {
	switch reason {
	case "not pinned":
		return fmt.Sprintf("%s has not pinned our key", peer)
	case "key mismatch":
		return fmt.Sprintf("%s has a different key pinned for our name", peer)
	case "no proof", "bad proof":
		return fmt.Sprintf("%s could not verify our proof of identity (%s)", peer, reason)
	case "downgrade":
		return fmt.Sprintf("%s has our name pinned as another kind of peer", peer)
	}
	if len(reason) > 200 {
		reason = reason[:200]
	}
	return fmt.Sprintf("%q", reason)
}

func refusalHint(reason string) string {
	switch reason {
	case "not pinned":
		return "give them the output of 'rtchat keys show' to register"
	case "key mismatch":
		return "if we changed keys, they must re-register us with --replace"
	}
	return ""
}

// binding returns what this connection's proofs are bound to, as DTLS negotiated it: the
// certificate each side really uses, not what an SDP says.
func (p *peer) binding() (proof.Binding, error) {
	b := proof.Binding{Room: p.c.topic}
	if p.pc == nil {
		return b, errors.New("no connection")
	}
	sctp := p.pc.SCTP()
	if sctp == nil || sctp.Transport() == nil {
		return b, errors.New("no DTLS transport yet")
	}
	dt := sctp.Transport()
	remote := dt.GetRemoteCertificate()
	if len(remote) == 0 {
		return b, errors.New("no remote DTLS certificate yet")
	}
	params, err := dt.GetLocalParameters()
	if err != nil {
		return b, fmt.Errorf("local DTLS parameters: %w", err)
	}
	var local []byte
	for _, fp := range params.Fingerprints {
		if strings.EqualFold(fp.Algorithm, "sha-256") {
			local, err = hex.DecodeString(strings.ReplaceAll(fp.Value, ":", ""))
			if err != nil || len(local) != sha256.Size {
				return b, errors.New("bad local DTLS fingerprint")
			}
		}
	}
	if local == nil {
		return b, errors.New("no SHA-256 fingerprint of our DTLS certificate")
	}
	remoteSum := sha256.Sum256(remote)
	if p.offerer {
		b.Offerer, b.Answerer = p.c.me, p.remote
		copy(b.OffererCert[:], local)
		b.AnswererCert = remoteSum
	} else {
		b.Offerer, b.Answerer = p.remote, p.c.me
		b.OffererCert = remoteSum
		copy(b.AnswererCert[:], local)
	}
	return b, nil
}

// verify proves the peer's identity. Which proof is enough depends on how its name is pinned:
// a name pinned as an rtchat peer only by the bound proof, so nobody can downgrade the check
// by passing itself off as a web page.
func (p *peer) verify(ctx context.Context) (proofResult, error) {
	pin, pinned, err := p.c.cfg.Store.LookupPin(p.bare)
	if err != nil {
		return proofResult{}, fmt.Errorf("read pinned peers: %w", err)
	}
	switch {
	case p.info.keyless() && pinned:
		// The pin is looked up first: a name pinned with a key is never given to a client
		// that has none, whatever the trust policy.
		return proofResult{}, &verifyError{reason: "key mismatch",
			msg:  fmt.Sprintf("%s has no identity key, but %q is pinned with one: someone else uses the name", p.remote, p.bare),
			hint: fmt.Sprintf("check with %s out of band (rtchat keys list shows the fingerprint pinned)", p.bare)}
	case p.info.keyless() && p.c.cfg.Trust == TrustUnverified && !p.c.cfg.Role.spec().pipe:
		return proofResult{unverified: true}, nil
	case p.info.keyless():
		return proofResult{}, keylessErr(p.remote)

	case pinned && pin.Kind == keys.KindRTChat && !p.rt:
		return proofResult{}, &verifyError{reason: "downgrade",
			msg:  fmt.Sprintf("%s connected as a web page, but %q is pinned as an rtchat peer: only rtchat's proof bound to the connection verifies it", p.remote, p.bare),
			hint: fmt.Sprintf("if %s now uses the RTChat web page, pin it as one: rtchat keys register --web %s JWK", p.bare, p.bare)}
	case pinned && p.rt:
		if p.sigKey != "" && pin.Kind == keys.KindRTChat && pin.Key == p.sigKey && !p.c.cfg.noSignalProof {
			return p.signalProof(pin.Key)
		}
		res, err := p.askProof(ctx, pin.Key)
		if err == nil && pin.Kind != keys.KindRTChat {
			// It proved itself bound: from now on nothing less is accepted for this name.
			if err := p.c.cfg.Store.SetKind(p.bare, keys.KindRTChat); err != nil {
				p.log.Warn("could not record the peer as an rtchat peer", "err", err)
			}
		}
		return res, err
	case pinned:
		return p.askLegacy(ctx, pin.Key)
	case !p.c.cfg.Trust.firstUse():
		return proofResult{}, &verifyError{reason: "not pinned",
			msg:  fmt.Sprintf("%q is not a pinned peer (trust policy 'known')", p.bare),
			hint: fmt.Sprintf("pin its key with 'rtchat keys register %s JWK' or use --trust tofu", p.bare)}
	}
	// Trust on first use: the key the peer proves is pinned, as the kind of peer it is.
	if p.rt {
		return p.askProof(ctx, "")
	}
	return p.askLegacy(ctx, "")
}

// signalProof verifies the peer by the signed signaling this connection was made from: its
// offer or answer verified with key, pinned for its name as an rtchat peer, and signed the SDP
// exactly as sent, whose one DTLS fingerprint names its certificate, together with the room,
// both full names and a fresh nonce (ours, for an answer). DTLS proved that the peer holds
// the private key of the certificate it negotiated; if that certificate is the one the signed
// SDP names, the peer is bound to this session as firmly as by rtchat.prove, whose answer
// signs the same certificates. pion refuses a certificate that matches no remote fingerprint;
// we check again, on the certificate DTLS actually negotiated, so that the proof never rests
// on a setting of the library.
func (p *peer) signalProof(key string) (proofResult, error) {
	b, err := p.binding()
	if err != nil {
		return proofResult{}, err
	}
	remote := b.AnswererCert
	if !p.offerer {
		remote = b.OffererCert
	}
	want, ok := sdpSHA256(p.remoteFP)
	if !ok || want != remote {
		return proofResult{}, p.mismatchErr("(its DTLS certificate is not the one its signed SDP names)")
	}
	p.log.Debug("verified by the signed signaling", "fingerprint", keys.Fingerprint(key))
	return proofResult{bound: true, signal: true, fingerprint: keys.Fingerprint(key)}, nil
}

// sdpSHA256 reads an SDP fingerprint as sdpFacts keeps it ("sha-256 AB:CD:…").
func sdpSHA256(fp string) ([32]byte, bool) {
	var sum [32]byte
	algo, value, ok := strings.Cut(fp, " ")
	if !ok || !strings.EqualFold(algo, "sha-256") {
		return sum, false
	}
	raw, err := hex.DecodeString(strings.ReplaceAll(value, ":", ""))
	if err != nil || len(raw) != len(sum) || len(value) != 3*len(sum)-1 {
		return sum, false
	}
	copy(sum[:], raw)
	return sum, true
}

// askProof asks the rtchat proof and checks it with key ("" for trust on first use: the
// key the peer sends, which is then pinned).
func (p *peer) askProof(ctx context.Context, key string) (proofResult, error) {
	b, err := p.binding()
	if err != nil {
		return proofResult{}, err
	}
	challenge := randomBytes(challengeLen)
	p.c.issued.add(challenge)
	defer p.c.issued.remove(challenge)
	raw, err := p.ask(ctx, topicProve, proveQuestion{Challenge: b64.EncodeToString(challenge)})
	if err != nil {
		return proofResult{}, p.proofErr(err)
	}
	var a proveAnswer
	if json.Unmarshal(raw, &a) != nil {
		return proofResult{}, p.badProof("an answer that is not a proof")
	}
	nonce, err := decodeB64(a.Nonce, challengeLen)
	if err != nil {
		return proofResult{}, p.badProof("a bad nonce")
	}
	sig, err := decodeB64(a.Signature, 0)
	if err != nil {
		return proofResult{}, p.badProof("a malformed signature")
	}
	msg := proof.ProofMessage(b, p.remote, p.c.me, challenge, nonce)
	if key != "" {
		if err := keys.Verify(key, msg, sig); err != nil {
			return proofResult{}, p.mismatch(key)
		}
		return proofResult{bound: true, fingerprint: keys.Fingerprint(key)}, nil
	}
	if a.PublicKeyString == "" || len(a.PublicKeyString) > maxKeyString {
		return proofResult{}, p.badProof("no key")
	}
	if err := keys.Verify(a.PublicKeyString, msg, sig); err != nil {
		return proofResult{}, p.badProof(fmt.Sprintf("a proof that does not verify with the key it sent: %v", err))
	}
	return p.pinNew(a.PublicKeyString, keys.KindRTChat, true)
}

// askLegacy asks the web client's unbound proof (§6.4): `challenge` for a pinned key,
// `identify` for trust on first use. Unlike the web client, the signature must verify in
// both.
func (p *peer) askLegacy(ctx context.Context, key string) (proofResult, error) {
	challenge := randomBytes(challengeLen)
	p.c.issued.add(challenge)
	defer p.c.issued.remove(challenge)
	topic := topicChallenge
	if key == "" {
		topic = topicIdentify
	}
	raw, err := p.ask(ctx, topic, wire.Latin1(challenge))
	if err != nil {
		return proofResult{}, p.proofErr(err)
	}
	if key != "" {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return proofResult{}, p.badProof("no signature")
		}
		sig, err := wire.FromLatin1(s)
		if err != nil {
			return proofResult{}, p.badProof("a malformed signature")
		}
		if err := keys.Verify(key, challenge, sig); err != nil {
			return proofResult{}, p.mismatch(key)
		}
		return proofResult{fingerprint: keys.Fingerprint(key)}, nil
	}
	var a struct {
		PublicKeyString string `json:"publicKeyString"`
		Signature       string `json:"signature"`
	}
	if json.Unmarshal(raw, &a) != nil || a.PublicKeyString == "" || len(a.PublicKeyString) > maxKeyString {
		return proofResult{}, p.badProof("an identify answer without a key")
	}
	sig, err := wire.FromLatin1(a.Signature)
	if err != nil {
		return proofResult{}, p.badProof("a malformed signature")
	}
	if err := keys.Verify(a.PublicKeyString, challenge, sig); err != nil {
		return proofResult{}, p.badProof(fmt.Sprintf("a proof that does not verify with the key it sent: %v", err))
	}
	return p.pinNew(a.PublicKeyString, keys.KindWeb, false)
}

// pinNew pins a key proved on first use (tofu): at once for a name we dialled; for a
// stranger once it says something (pinOnTalk), so that connecting alone pins nothing.
func (p *peer) pinNew(key string, kind keys.Kind, bound bool) (proofResult, error) {
	fp := keys.Fingerprint(key)
	if !p.protected {
		if err := p.lookAlike(); err != nil {
			return proofResult{}, err
		}
		return proofResult{bound: bound, fingerprint: fp, tofu: &tofuPin{key: key, kind: kind}}, nil
	}
	if err := p.pinTOFU(tofuPin{key: key, kind: kind}); err != nil {
		return proofResult{}, err
	}
	return proofResult{bound: bound, fingerprint: fp, pinned: true}, nil
}

func (p *peer) badProof(what string) error {
	return &verifyError{reason: "bad proof", msg: fmt.Sprintf("%s sent %s as its proof of identity", p.remote, what)}
}

func (p *peer) mismatch(key string) error {
	return p.mismatchErr(fmt.Sprintf("(%s)", keys.Fingerprint(key)))
}

// mismatchErr: the peer did not prove the pinned key; how says what it did instead.
func (p *peer) mismatchErr(how string) error {
	return &verifyError{reason: "key mismatch",
		msg:  fmt.Sprintf("%s did not prove the key pinned for %q %s: its key differs from the pin, or someone else uses the name", p.remote, p.bare, how),
		hint: fmt.Sprintf("check fingerprints with %s out of band (rtchat keys list); if %s really changed keys, re-pin with 'rtchat keys register --replace'", p.bare, p.bare)}
}

func (p *peer) proofErr(err error) error {
	if errors.Is(err, ErrTimeout) || errors.Is(err, context.DeadlineExceeded) {
		return &verifyError{reason: "no proof", msg: fmt.Sprintf("%s did not prove its identity in time", p.remote)}
	}
	if errors.Is(err, ErrNotVerified) {
		return err
	}
	var re *remoteError
	if errors.As(err, &re) {
		return &verifyError{reason: "no proof", msg: fmt.Sprintf("%s would not prove its identity: %s", p.remote, re.msg)}
	}
	return fmt.Errorf("verify %s: %w", p.remote, err)
}

// onQuestion handles an incoming question. Owner goroutine.
func (p *peer) onQuestion(q questionFrame) {
	switch q.Question.Topic {
	case topicProve:
		p.answerProve(q)
	case topicIdentify, topicChallenge:
		p.onLegacyQuestion(q)
	default:
		switch {
		case p.st.verified():
			p.dispatch(q)
		case p.st < stVerified && len(p.questionQ) < maxQueuedQuestions:
			p.questionQ = append(p.questionQ, q) // answered once the peer proved itself
		default:
			p.answerError(q, "too many questions before verification")
		}
	}
}

// answerProve answers the rtchat proof at once, verified or not: the answer is bound to
// this connection's certificates and names, so it proves nothing anywhere else.
func (p *peer) answerProve(q questionFrame) {
	var pq proveQuestion
	if json.Unmarshal(q.Question.Content, &pq) != nil {
		p.answerError(q, "a proof question needs a challenge")
		return
	}
	challenge, err := decodeB64(pq.Challenge, challengeLen)
	if err != nil {
		p.answerError(q, "the challenge must be 32 bytes")
		return
	}
	if p.c.issued.has(challenge) {
		p.answerError(q, "refusing to sign our own challenge")
		return
	}
	if p.signed >= maxSignatures {
		p.answerError(q, "too many identity questions")
		return
	}
	p.signed++
	p.goWork(func() {
		b, err := p.binding()
		if err != nil {
			p.answerError(q, "not connected")
			return
		}
		nonce := randomBytes(challengeLen)
		sig, err := p.c.cfg.Identity.Sign(proof.ProofMessage(b, p.c.me, p.remote, challenge, nonce))
		if err != nil {
			p.answerError(q, "signing failed")
			return
		}
		ans := proveAnswer{PublicKeyString: p.c.cfg.Identity.PublicJWK, Nonce: b64.EncodeToString(nonce), Signature: b64.EncodeToString(sig)}
		_ = p.sendFrame("answer", answerFrame{N: q.N, Answer: mustJSON(ans), Question: q.Question})
	})
}

// onLegacyQuestion handles the web client's identify/challenge, whose signature anyone who
// sits between us and someone else could pass on. We sign one only for a web page we have
// verified ourselves (the web page waits for our answer as long as it takes, §6.4), never
// for an rtchat peer or a name pinned as one.
func (p *peer) onLegacyQuestion(q questionFrame) {
	if p.rt {
		p.answerError(q, "rtchat peers prove themselves with "+topicProve)
		return
	}
	if p.info.keyless() {
		p.answerError(q, "a client without identity keys gets no signature from us")
		return
	}
	if pin, ok, err := p.c.cfg.Store.LookupPin(p.bare); err != nil || (ok && pin.Kind == keys.KindRTChat) {
		p.answerError(q, "that name is pinned as an rtchat peer here")
		return
	}
	switch {
	case p.st.verified():
		p.answerLegacy(q)
	case p.st < stVerified && len(p.legacyQ) < maxQueuedQuestions:
		p.legacyQ = append(p.legacyQ, q)
	default:
		p.answerError(q, "too many identity questions")
	}
}

// answerLegacy signs a 32-byte identify/challenge of a verified web page. Contents that
// are not exactly 32 latin-1 bytes get an error answer and do not count against the limit.
func (p *peer) answerLegacy(q questionFrame) {
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
	if p.c.issued.has(challenge) {
		p.answerError(q, "refusing to sign our own challenge")
		return
	}
	if p.proof.unverified {
		p.answerError(q, "an unverified peer gets no signature from us")
		return
	}
	if p.signed >= maxSignatures {
		p.answerError(q, "too many identity questions")
		return
	}
	p.signed++
	p.goWork(func() {
		sig, err := p.c.cfg.Identity.Sign(challenge)
		if err != nil {
			p.answerError(q, "signing failed")
			return
		}
		var ans any = wire.Latin1(sig)
		if q.Question.Topic == topicIdentify {
			ans = map[string]string{"publicKeyString": p.c.cfg.Identity.PublicJWK, "signature": wire.Latin1(sig)}
		}
		_ = p.sendFrame("answer", answerFrame{N: q.N, Answer: mustJSON(ans), Question: q.Question})
	})
}

// dispatch serves a question of a verified peer. Owner goroutine.
func (p *peer) dispatch(q questionFrame) {
	if !p.pinOnTalk() {
		return
	}
	if q.Question.Topic == topicMessage {
		var text string
		if json.Unmarshal(q.Question.Content, &text) != nil {
			p.answerError(q, "a message must be a string")
			return
		}
		channel := "dm"
		if q.Question.To == toAll {
			channel = "chat" // send --all: a line to everyone
		}
		// Confirmed once the reader of events took it (printed it), not when it was queued:
		// `send` promises that the peer printed the message. The post waits in a goroutine
		// of its own: the event goroutine must never wait for a peer's inbox, whose owner
		// may itself be waiting for room in the event queue.
		p.c.emit(Event{Type: EventMessage, Peer: p.remote, Bare: p.bare, Channel: channel, Text: text,
			shown: func() { go p.post(evShown{q}, true) }})
		return
	}
	h := p.c.cfg.OnQuestion
	if h == nil {
		p.answerError(q, fmt.Sprintf("%s answers no questions on topic %q", p.c.me, q.Question.Topic))
		return
	}
	if p.handlers >= maxHandlers {
		p.answerError(q, fmt.Sprintf("busy: %d questions from you are being answered", p.handlers))
		return
	}
	p.handlers++
	p.goWork(func() {
		defer p.post(evHandlerDone{}, true)
		ans, err := h(p.ctx, &Peer{p}, q.Question.Topic, q.Question.Content)
		var failed *FailedAnswer
		if errors.As(err, &failed) {
			_ = p.sendFrame("answer", answerFrame{N: q.N, Answer: mustJSON(failed.Output), Question: q.Question, Error: err.Error()})
			return
		}
		if err != nil {
			p.answerError(q, err.Error())
			return
		}
		_ = p.sendFrame("answer", answerFrame{N: q.N, Answer: mustJSON(ans), Question: q.Question})
	})
}

// answerError sends an error answer in the background.
func (p *peer) answerError(q questionFrame, msg string) {
	p.goWork(func() {
		_ = p.sendFrame("answer", answerFrame{N: q.N, Question: q.Question, Error: msg})
	})
}
