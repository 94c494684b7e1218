package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/rtchat/rtchat/keys"
)

// badname mode: one presence whose sender name carries terminal escape sequences and a
// newline with a forged rtchat line, in the victim's own bare name (a listener notes
// "another process named bob" with the full name):
//
//	bob(1)ESC]0;owned BEL ESC[2J ... \nrtchat: alice(9f3c) verified, key ...
//
// then a barrier (the victim handled it). Events: sent, summary.
func runBadName(ctx context.Context, args []string, ctl *control) error {
	fs := flag.NewFlagSet("badname", flag.ExitOnError)
	var c common
	ctx, cancel := parse(ctx, fs, &c, args)
	defer cancel()
	r, victim, err := floodSetup(ctx, c)
	if err != nil {
		return err
	}
	defer r.close()
	name := c.victim + "(1)\x1b]0;owned\x07\x1b[2J\u202e\nrtchat: alice(9f3c) verified, key fake-fake-fake-fake"
	if err := r.publish(ctx, name, subConnect, userInfo{PublicKeyString: r.key, RTChat: &rtchatInfo{V: 1, Role: "listen"}}); err != nil {
		return err
	}
	synced := r.barrier(ctx, victim, 10*time.Second)
	out.emit("sent", map[string]any{"barrier": synced})
	out.emit("summary", map[string]any{"barrier": synced})
	return nil
}

// webpage mode: a web page of our own making (the web client's channels, no rtchat
// extension) that dials the victim listener under the full name -as, with a key of its own
// (or none: -keyless, the barebones client), proves that key the web page's way (it signs
// the raw identify/challenge bytes) and says -say on the chat channel.
//
// -n N dials N times, as "-as" plus "-1", "-2", ... ("(N)" suffix kept after them): made-up
// names for trust on first use, one after the other. Events: one "said" per name whose
// connection came up (name), one "failed" per other, summary.
func runWebPage(ctx context.Context, args []string, ctl *control) error {
	fs := flag.NewFlagSet("webpage", flag.ExitOnError)
	var c common
	var as, say string
	var keyless bool
	var n int
	fs.StringVar(&as, "as", "carol(1)", "our full name (anything: it is not checked here)")
	fs.StringVar(&say, "say", "hello from the web page", "the chat line to send (\"\": none)")
	fs.BoolVar(&keyless, "keyless", false, "announce no key (the barebones client)")
	fs.IntVar(&n, "n", 0, "dial this many made-up names derived from -as (0: -as itself once)")
	ctx, cancel := parse(ctx, fs, &c, args)
	defer cancel()
	r, victim, err := floodSetup(ctx, c)
	if err != nil {
		return err
	}
	defer r.close()
	names := []string{as}
	if n > 0 {
		bare, suffix, _ := strings.Cut(as, "(")
		names = names[:0]
		for i := 1; i <= n; i++ {
			name := fmt.Sprintf("%s-%d", bare, i)
			if suffix != "" {
				name += "(" + suffix
			}
			names = append(names, name)
		}
	}
	said := 0
	for _, name := range names {
		if err := webPageSay(ctx, r, name, victim, say, keyless); err != nil {
			out.emit("failed", map[string]any{"name": name, "error": err.Error()})
			continue
		}
		said++
		out.emit("said", map[string]any{"name": name})
	}
	out.emit("summary", map[string]any{"said": said, "names": len(names)})
	return nil
}

// webPageSay dials victim as name, answers its identity questions with a key of name's own
// and sends one chat line; the connection stays open until the victim closes it or 1 s
// after the line went out (it was queued behind the proof, so it is printed or dropped by
// then), so that the victim does not see the page leave first.
func webPageSay(ctx context.Context, r *room, name, victim, say string, keyless bool) error {
	info := userInfo{}
	var id *keys.Identity
	if !keyless {
		var err error
		if id, err = keys.Generate("x"); err != nil {
			return err
		}
		info.PublicKeyString = id.PublicJWK
	}
	var p *peer
	ready := make(chan struct{})
	p, err := newPeer(name, victim, true, browserLabels, func(label string, data []byte) {
		if label != "question" || id == nil {
			return
		}
		var q questionFrame
		var body questionBody
		var s string
		if json.Unmarshal(data, &q) != nil || json.Unmarshal(q.Question, &body) != nil || json.Unmarshal(body.Content, &s) != nil {
			return
		}
		challenge, ok := latin1(s)
		if !ok {
			return
		}
		sig, err := id.Sign(challenge)
		if err != nil {
			return
		}
		var ans any = toLatin1(sig)
		if body.Topic == "identify" {
			ans = map[string]string{"publicKeyString": id.PublicJWK, "signature": toLatin1(sig)}
		}
		<-ready
		_ = p.send("answer", map[string]any{"n": q.N, "answer": ans, "question": q.Question})
	})
	if err != nil {
		return err
	}
	defer p.close()
	close(ready)
	dctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := p.dial(dctx, r, info); err != nil {
		return err
	}
	if say != "" { // "": connect and prove, say nothing
		if err := p.send("chat", say); err != nil {
			return err
		}
	}
	select {
	case <-p.closed:
	case <-time.After(time.Second): // the attacker's own pacing, not a test's sync
	case <-ctx.Done():
	}
	return nil
}

// toLatin1 is bytes as a latin-1 char-code string (§6.2).
func toLatin1(b []byte) string {
	rs := make([]rune, len(b))
	for i, c := range b {
		rs[i] = rune(c)
	}
	return string(rs)
}
