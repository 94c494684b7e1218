package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/rtchat/rtchat/rtc/lzstring"
)

// floodSetup is what the flood modes share: a room connection, the victim's full name,
// and the "connected" event after which the test says "go".
func floodSetup(ctx context.Context, c common) (*room, string, error) {
	_, r, err := mallory(ctx, c)
	if err != nil {
		return nil, "", err
	}
	bob, _, err := r.findListener(ctx, c.victim)
	if err != nil {
		r.close()
		return nil, "", err
	}
	return r, bob, nil
}

// flush waits for the last queued publication (paho sends in order).
func flush(ctx context.Context, last paho.Token) error {
	if last == nil {
		return nil
	}
	return wait(ctx, last)
}

// lzbomb mode: -n payloads of about 1.8 kB that LZ-decompress (lz-string
// compressToUint8Array, §2.2) to -units UTF-16 units: a connect envelope whose
// publicKeyString is one character repeated (LZW phrases grow by one per code, so the
// compressed size grows with the square root). The payload has an even length and does
// not start with '{', so a receiver following the §2.2 rule LZ-decodes it. Sent at -rate
// per second after "go". Events: connected, bomb (sizes), flooding, done, drained
// (barrier after the flood), summary.
func runLZBomb(ctx context.Context, args []string, ctl *control) error {
	fs := flag.NewFlagSet("lzbomb", flag.ExitOnError)
	var c common
	var n, units int
	var rate float64
	fs.IntVar(&n, "n", 200, "payloads")
	fs.IntVar(&units, "units", 1_000_000, "decompressed size in UTF-16 units")
	fs.Float64Var(&rate, "rate", 40, "payloads per second")
	ctx, cancel := parse(ctx, fs, &c, args)
	defer cancel()
	r, bob, err := floodSetup(ctx, c)
	if err != nil {
		return err
	}
	defer r.close()
	head := `{"sender":"lz0001(b0mb)","timestamp":1,"subtopic":"connect","data":{"publicKeyString":"`
	tail := `"}}`
	env := head + strings.Repeat("A", units-len(head)-len(tail)) + tail
	bomb := lzstring.CompressToUint8Array(env)
	if len(bomb)%2 != 0 || bomb[0] == '{' {
		return fmt.Errorf("bomb of %d bytes starting with %q would not be LZ-decoded", len(bomb), bomb[0])
	}
	out.emit("bomb", map[string]any{"bytes": len(bomb), "units": len(env)})
	out.emit("connected", map[string]any{"victim": bob})
	if !ctl.waitGo(ctx) {
		return nil
	}
	start := time.Now()
	var last paho.Token
	for i := 0; i < n && ctx.Err() == nil; i++ {
		pace(ctx, start, i, rate)
		last = r.publishAsync(bomb)
		if i == 0 {
			out.emit("flooding", nil)
		}
	}
	if err := flush(ctx, last); err != nil {
		return err
	}
	sendTime := time.Since(start)
	out.emit("done", map[string]any{"sent": n, "bytes": n * len(bomb), "ms": sendTime.Milliseconds()})
	synced := r.barrier(ctx, bob, 30*time.Second)
	out.emit("drained", map[string]any{"barrier": synced, "ms": time.Since(start).Milliseconds()})
	out.emit("summary", map[string]any{"sent": n, "payload_bytes": len(bomb), "units": len(env), "send_ms": sendTime.Milliseconds()})
	return nil
}

// presence mode: -n connect messages from made-up web-page names, each carrying a
// publicKeyString of -size bytes (receivers drop payloads over 64 KiB), at -rate
// per second after "go" (paced, so that brokers that disconnect subscribers who fall
// behind do not throw the victim out instead). A receiver that keeps every presence it sees keeps
// n*size bytes. Events: connected, done, drained (barrier), summary.
func runPresence(ctx context.Context, args []string, ctl *control) error {
	fs := flag.NewFlagSet("presence", flag.ExitOnError)
	var c common
	var n, size int
	var rate float64
	fs.IntVar(&n, "n", 500, "messages")
	fs.IntVar(&size, "size", 200_000, "publicKeyString bytes")
	fs.Float64Var(&rate, "rate", 200, "messages per second")
	ctx, cancel := parse(ctx, fs, &c, args)
	defer cancel()
	r, bob, err := floodSetup(ctx, c)
	if err != nil {
		return err
	}
	defer r.close()
	out.emit("connected", map[string]any{"victim": bob})
	if !ctl.waitGo(ctx) {
		return nil
	}
	// A JWK-looking prefix and base64url filler; every key differs (its first chars).
	filler := []byte(strings.Repeat("Zm9vYmFy", size/8+1)[:size])
	start := time.Now()
	var last paho.Token
	total := 0
	for i := 0; i < n && ctx.Err() == nil; i++ {
		pace(ctx, start, i, rate)
		copy(filler, fmt.Sprintf(`{"alg":"PS256","n":"%06d`, i))
		b, err := encode(fmt.Sprintf("pk%04d(f00d)", i), subConnect, userInfo{PublicKeyString: string(filler)}, r.nextStamp())
		if err != nil {
			return err
		}
		total += len(b)
		last = r.publishAsync(b)
	}
	if err := flush(ctx, last); err != nil {
		return err
	}
	out.emit("done", map[string]any{"sent": n, "bytes": total, "ms": time.Since(start).Milliseconds()})
	synced := r.barrier(ctx, bob, 30*time.Second)
	out.emit("drained", map[string]any{"barrier": synced, "ms": time.Since(start).Milliseconds()})
	out.emit("summary", map[string]any{"sent": n, "bytes": total})
	return nil
}

// candidates mode: one RTCOffer to the victim, from a made-up rtchat-looking name (a
// listener gives an unpinned rtchat peer a connection), whose SDP lists -n host
// candidates on 127.0.0.1, one per UDP socket of ours (-n sockets, all different ports).
// A receiver that uses every candidate sends connectivity checks to each of them. We count
// the datagrams that arrive until nothing happened for -quiet (no answer, no datagram), or
// -window passed since the offer.
// Events: victim, sockets, sent, answered, summary (datagrams, ports hit).
func runCandidates(ctx context.Context, args []string, ctl *control) error {
	fs := flag.NewFlagSet("candidates", flag.ExitOnError)
	var c common
	var n int
	var quiet, window time.Duration
	fs.IntVar(&n, "n", 3000, "candidates (one UDP socket each)")
	fs.DurationVar(&quiet, "quiet", 4*time.Second, "stop counting after this long without a datagram (since the offer, its answer or the last datagram)")
	fs.DurationVar(&window, "window", 25*time.Second, "stop counting this long after the offer")
	ctx, cancel := parse(ctx, fs, &c, args)
	defer cancel()
	r, bob, err := floodSetup(ctx, c)
	if err != nil {
		return err
	}
	defer r.close()
	out.emit("victim", map[string]any{"name": bob})

	var datagrams atomic.Int64
	var lastAt atomic.Int64 // unix nanos of the last datagram
	hit := make([]atomic.Bool, n)
	conns := make([]*net.UDPConn, 0, n)
	var wg sync.WaitGroup
	defer func() {
		for _, u := range conns {
			_ = u.Close()
		}
		wg.Wait()
	}()
	ports := make([]int, 0, n)
	for i := 0; i < n; i++ {
		u, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			return fmt.Errorf("socket %d: %w", i, err)
		}
		conns = append(conns, u)
		ports = append(ports, u.LocalAddr().(*net.UDPAddr).Port)
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			buf := make([]byte, 1500)
			for {
				if _, _, err := u.ReadFromUDP(buf); err != nil {
					if errors.Is(err, net.ErrClosed) {
						return
					}
					continue
				}
				datagrams.Add(1)
				lastAt.Store(time.Now().UnixNano())
				hit[i].Store(true)
			}
		}(i)
	}
	out.emit("sockets", map[string]any{"n": n})

	id := "cand" + randHex(2) + "(c0de)"
	p, err := newPeer(id, bob, true, rtchatLabels(), nil)
	if err != nil {
		return err
	}
	sdp, err := p.createOffer(ctx)
	p.close() // its own candidate must not be the one that works
	if err != nil {
		return err
	}
	var cands strings.Builder
	for i, port := range ports {
		fmt.Fprintf(&cands, "a=candidate:%d 1 udp %d 127.0.0.1 %d typ host\r\n", 1000+i, 2130706431-i, port)
	}
	sdp = replaceCandidates(sdp, cands.String())
	ans, offAns := awaitAnswer(r, bob, id)
	defer offAns()
	r.mu.Lock()
	key := r.key
	r.mu.Unlock()
	sent := time.Now()
	if err := r.publish(ctx, id, subOffer, map[string]any{
		"userInfo": userInfo{PublicKeyString: key, RTChat: &rtchatInfo{V: 1, Role: "connect"}},
		"offer":    map[string]any{"localDescription": sessionDesc{Type: "offer", SDP: sdp}, "target": bob},
	}); err != nil {
		return err
	}
	out.emit("sent", map[string]any{"sdp_bytes": len(sdp), "candidates": n})
	answered, answeredAt := false, sent
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	deadline := time.NewTimer(window)
	defer deadline.Stop()
	why := "window"
loop:
	for {
		select {
		case <-ans:
			answered = true
			answeredAt = time.Now()
			out.emit("answered", map[string]any{"ms": time.Since(sent).Milliseconds()})
			ans = nil
		case <-tick.C:
			// Quiet: nothing for -quiet since the offer, its answer or the last datagram.
			since := answeredAt
			if l := lastAt.Load(); l != 0 && time.Unix(0, l).After(since) {
				since = time.Unix(0, l)
			}
			if time.Since(since) > quiet {
				why = "quiet"
				break loop
			}
		case <-deadline.C:
			break loop
		case <-ctl.stopCh:
			why = "stopped"
			break loop
		case <-ctx.Done():
			why = "deadline"
			break loop
		}
	}
	hits := 0
	for i := range hit {
		if hit[i].Load() {
			hits++
		}
	}
	lastMs := int64(0)
	if l := lastAt.Load(); l != 0 {
		lastMs = time.Unix(0, l).Sub(sent).Milliseconds()
	}
	out.emit("summary", map[string]any{
		"datagrams": datagrams.Load(), "ports_hit": hits, "candidates": n, "answered": answered,
		"ended_by": why, "last_datagram_ms": lastMs, "counted_ms": time.Since(sent).Milliseconds(),
	})
	return nil
}

// replaceCandidates swaps an SDP's candidate lines for ours (in the first media section).
func replaceCandidates(sdp, cands string) string {
	var b strings.Builder
	inserted := false
	for _, line := range strings.SplitAfter(sdp, "\n") {
		if strings.HasPrefix(line, "a=candidate") || strings.HasPrefix(line, "a=end-of-candidates") {
			continue
		}
		b.WriteString(line)
		if !inserted && strings.HasPrefix(line, "a=ice-pwd:") {
			b.WriteString(cands)
			inserted = true
		}
	}
	return b.String()
}

// msgflood mode: small connect messages from made-up web-page names at -rate per second
// (the default is 20,000 per 1.2 s), from "go" until "stop" or -n messages. "flooding"
// says when -flooding-after messages are out (receivers' queues are full by then): the
// moment for the victim to start. With -lz UNITS each message is instead a small LZ
// payload (a few hundred bytes, from a pool of 256 made-up senders) that expands to UNITS
// UTF-16 units: the same message rate, but every receiver must decompress each one
// before it can tell it is junk. Events: connected, lz (sizes), flooding, done, drained
// (barrier), summary.
func runMsgFlood(ctx context.Context, args []string, ctl *control) error {
	fs := flag.NewFlagSet("msgflood", flag.ExitOnError)
	var c common
	var n, announce, lzUnits int
	var rate float64
	fs.IntVar(&n, "n", 20000, "at most this many messages")
	fs.Float64Var(&rate, "rate", 20000/1.2, "messages per second")
	fs.IntVar(&announce, "flooding-after", 2000, "emit \"flooding\" once this many messages are out")
	fs.IntVar(&lzUnits, "lz", 0, "send LZ payloads that expand to this many UTF-16 units (0: plain JSON)")
	ctx, cancel := parse(ctx, fs, &c, args)
	defer cancel()
	r, bob, err := floodSetup(ctx, c)
	if err != nil {
		return err
	}
	defer r.close()
	msg := func(i int) []byte {
		b, _ := encode(fmt.Sprintf("fl%06d(f1)", i), subConnect, map[string]any{}, int64(i))
		return b
	}
	if lzUnits > 0 {
		pool := make([][]byte, 256)
		for k := range pool {
			head := fmt.Sprintf(`{"sender":"fl%06d(f1)","timestamp":1,"subtopic":"connect","data":{"publicKeyString":"`, k)
			pool[k] = lzstring.CompressToUint8Array(head + strings.Repeat("A", max(lzUnits-len(head)-3, 1)) + `"}}`)
		}
		out.emit("lz", map[string]any{"bytes": len(pool[0]), "units": lzUnits})
		msg = func(i int) []byte { return pool[i%len(pool)] }
	}
	out.emit("connected", map[string]any{"victim": bob})
	if !ctl.waitGo(ctx) {
		return nil
	}
	t0 := time.Now()
	var last paho.Token
	sent := 0
	why := "count"
flood:
	for sent < n {
		if sent%100 == 0 {
			pace(ctx, t0, sent, rate)
			select {
			case <-ctl.stopCh:
				why = "stopped"
				break flood
			case <-ctx.Done():
				why = "deadline"
				break flood
			default:
			}
		}
		last = r.publishAsync(msg(sent))
		sent++
		if sent == announce {
			out.emit("flooding", map[string]any{"sent": sent, "ms": time.Since(t0).Milliseconds()})
		}
	}
	if err := flush(ctx, last); err != nil {
		return err
	}
	took := time.Since(t0)
	out.emit("done", map[string]any{"sent": sent, "ms": took.Milliseconds(), "ended_by": why})
	synced := r.barrier(ctx, bob, 20*time.Second)
	out.emit("drained", map[string]any{"barrier": synced, "ms": time.Since(t0).Milliseconds()})
	out.emit("summary", map[string]any{"sent": sent, "send_ms": took.Milliseconds(), "rate": float64(sent) / took.Seconds()})
	return nil
}
