package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"time"

	"github.com/rtchat/rtchat/keys"
)

// forge mode: attacks a live session between -from (alice, running `rtchat connect bob`)
// and the victim listener with signaling in alice's name. It watches the topic until alice
// offers to bob (capturing the offer's exact bytes and both full names), emits
// "captured", waits for "go" on stdin, then publishes, per -kind:
//
//	offer       a fresh RTCOffer in alice's name (alice's userInfo, a real pion offer with
//	            our own DTLS certificate and the 12 rtchat channels) to bob; if bob answers,
//	            we complete the connection (hijack attempt) and never prove anything
//	replay      alice's captured RTCOffer, byte for byte, at least -replay-after after it
//	            was captured
//	unload      a forged unload in alice's name, then a forged nameChange
//	            {oldName: alice, newName: alice(evil)}
//	namechange  only the forged nameChange {oldName: alice, newName: alice(evil)}
//	replayother alice's captured (sealed) RTCOffer to bob, readdressed to another process of
//	            bob's (same identity, started after the capture)
//	selfsigned  an RTCOffer in alice's full name signed with our own key (and carrying it)
//	floodreplay -flood ICE restart offers to bob under made-up names, each signed with our
//	            own key (cheap for bob: no connection to restart, but each signature
//	            verifies against the key it carries), at -rate per second; then, after a
//	            barrier, alice's captured RTCOffer byte for byte (a receiver that keeps one
//	            table of nonces for everyone has forgotten it by then)
//
// then runs a barrier (bob's presence reply to our probe: bob's receive loop handled the
// forgery) and emits "sent". Summary: whether bob answered the forged offer and whether
// our hijack connection came up.
func runForge(ctx context.Context, args []string, ctl *control) error {
	fs := flag.NewFlagSet("forge", flag.ExitOnError)
	var c common
	var from, kind string
	var replayAfter time.Duration
	fs.StringVar(&from, "from", "alice", "bare name of the honest peer we forge")
	fs.StringVar(&kind, "kind", "offer", "offer, replay or unload")
	fs.DurationVar(&replayAfter, "replay-after", 3*time.Second, "replay: the least age of the captured offer")
	var flood int
	var rate float64
	fs.IntVar(&flood, "flood", 4600, "floodreplay: made-up offers before the replay")
	fs.Float64Var(&rate, "rate", 600, "floodreplay: made-up offers per second")
	ctx, r, id, done, err := parseAttack(ctx, fs, &c, args)
	if err != nil {
		return err
	}
	defer done()

	type capture struct {
		raw    []byte
		data   []byte
		sender string
		target string
		info   userInfo
		at     time.Time
	}
	captured := make(chan capture, 1)
	off := r.on(func(env envelope, raw []byte) {
		if env.Subtopic != subOffer || keys.BareName(env.Sender) != from {
			return
		}
		var d offerData
		if json.Unmarshal(env.Data, &d) != nil || keys.BareName(d.Offer.Target) != c.victim {
			return
		}
		select {
		case captured <- capture{raw: append([]byte(nil), raw...), data: append([]byte(nil), env.Data...), sender: env.Sender, target: d.Offer.Target, info: d.UserInfo, at: time.Now()}:
		default: // keep the first
		}
	})
	out.emit("watching", nil)
	var cp capture
	select {
	case cp = <-captured:
	case <-ctx.Done():
		return ctx.Err()
	}
	off()
	out.emit("captured", map[string]any{"alice": cp.sender, "bob": cp.target, "bytes": len(cp.raw)})
	if !ctl.waitGo(ctx) {
		return nil
	}

	var hijack *peer
	answered := make(chan struct{})
	summary := map[string]any{"kind": kind}
	switch kind {
	case "offer":
		p, err := newPeer(cp.sender, cp.target, true, rtchatLabels(), nil)
		if err != nil {
			return err
		}
		hijack = p
		defer p.close()
		sdp, err := p.createOffer(ctx)
		if err != nil {
			return err
		}
		ans, offAns := awaitAnswer(r, cp.target, cp.sender)
		defer offAns()
		go func() {
			select {
			case env := <-ans:
				close(answered)
				var d answerData
				if json.Unmarshal(env.Data, &d) == nil {
					_ = p.applyAnswer(d.LocalDescription.SDP)
				}
			case <-ctx.Done():
			}
		}()
		if err := r.publish(ctx, cp.sender, subOffer, map[string]any{
			"userInfo": cp.info,
			"offer":    map[string]any{"localDescription": sessionDesc{Type: "offer", SDP: sdp}, "target": cp.target},
		}); err != nil {
			return err
		}
	case "replay":
		if d := replayAfter - time.Since(cp.at); d > 0 {
			select { // the attack replays an old offer: let it age
			case <-time.After(d):
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		summary["age_ms"] = time.Since(cp.at).Milliseconds()
		if err := r.publishRaw(ctx, cp.raw); err != nil {
			return err
		}
	case "replayother":
		// Another process of bob's (same identity, another full name and sealing key):
		// alice's sealed offer, readdressed to it. It was sealed to the first process.
		other, _, err := r.findPeer(ctx, func(full string, info userInfo) bool {
			return keys.BareName(full) == keys.BareName(cp.target) && full != cp.target && sealKeyOf(info) != ""
		})
		if err != nil {
			return err
		}
		var d map[string]any
		if err := json.Unmarshal(cp.data, &d); err != nil {
			return err
		}
		o, _ := d["offer"].(map[string]any)
		if o == nil {
			return fmt.Errorf("captured offer without an offer member")
		}
		o["target"] = other
		if err := r.publish(ctx, cp.sender, subOffer, d); err != nil {
			return err
		}
		summary["replayed_to"] = other
		cp.target = other // the barrier: the other process handled it
	case "selfsigned":
		sdp, err := deadSDP(ctx)
		if err != nil {
			return err
		}
		role := ""
		if cp.info.RTChat != nil {
			role = cp.info.RTChat.Role
		}
		peerKey, err := r.sealKeyFor(ctx, cp.target)
		if err != nil {
			return err
		}
		d, err := signedOffer(r, id, cp.sender, cp.target, peerKey, role, sdp, false)
		if err != nil {
			return err
		}
		if err := r.publish(ctx, cp.sender, subOffer, d); err != nil {
			return err
		}
	case "floodreplay":
		sdp, err := deadSDP(ctx)
		if err != nil {
			return err
		}
		peerKey, err := r.sealKeyFor(ctx, cp.target)
		if err != nil {
			return err
		}
		start := time.Now()
		tick := time.NewTicker(time.Duration(float64(time.Second) / rate))
		for i := range flood {
			name := "x" + randHex(4) + "(" + randHex(2) + ")"
			d, err := signedOffer(r, id, name, cp.target, peerKey, "ask", sdp, true)
			if err != nil {
				return err
			}
			b, err := encode(name, subOffer, d, r.nextStamp())
			if err != nil {
				return err
			}
			r.publishAsync(b)
			if i%500 == 0 {
				out.emit("flooding", map[string]any{"sent": i})
			}
			select {
			case <-tick.C:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		tick.Stop()
		summary["flood"] = flood
		summary["flood_ms"] = time.Since(start).Milliseconds()
		summary["flood_barrier"] = r.barrier(ctx, cp.target, 30*time.Second)
		summary["age_ms"] = time.Since(cp.at).Milliseconds()
		if err := r.publishRaw(ctx, cp.raw); err != nil {
			return err
		}
	case "unload", "namechange":
		if kind == "unload" {
			if err := r.publish(ctx, cp.sender, subUnload, "disconnecting"); err != nil {
				return err
			}
		}
		if err := r.publish(ctx, keys.BareName(cp.sender)+"(evil)", subNameChange,
			map[string]string{"oldName": cp.sender, "newName": keys.BareName(cp.sender) + "(evil)"}); err != nil {
			return err
		}
	default:
		out.emit("error", map[string]any{"error": "unknown -kind " + kind})
		return nil
	}
	synced := r.barrier(ctx, cp.target, 20*time.Second)
	out.emit("sent", map[string]any{"kind": kind, "barrier": synced})

	select {
	case <-ctl.stopCh:
	case <-ctx.Done():
	}
	if hijack != nil {
		select {
		case <-answered:
			summary["bob_answered"] = true
		default:
			summary["bob_answered"] = false
		}
		select {
		case <-hijack.allOpen:
			summary["hijack_connected"] = true
		default:
			summary["hijack_connected"] = false
		}
	}
	out.emit("summary", summary)
	return nil
}
