package commands

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/rtchat/rtchat/rtc"
)

// targets is who a send or ask goes to: one PEER (the classic form), the names of --to, or
// everyone in the room that serves it (--all).
type targets struct {
	To     []string      // --to, validated and without repeats
	All    bool          // --all
	Settle time.Duration // --all: how long peers may take to appear
}

// many reports whether the command goes to several peers (one result each).
func (t targets) many() bool { return t.All || len(t.To) > 0 }

// addTargetFlags adds --to, --all and --settle to send or ask.
func addTargetFlags(cmd *cobra.Command, g *Globals, t *targets, verb string) {
	f := cmd.Flags()
	f.StringSliceVar(&t.To, "to", nil, "`NAME`s to "+verb+" (repeat it or separate names with commas); every argument is then the "+map[string]string{"send": "message", "ask": "question"}[verb])
	f.BoolVar(&t.All, "all", false, verb+" to everyone in the room that serves it; every argument is then the "+map[string]string{"send": "message", "ask": "question"}[verb])
	durationVar(f, &t.Settle, "settle", defaultSettle, "with --all: how long peers may take to appear in the room (those that appear are then connected and verified within --timeout)")
	_ = cmd.RegisterFlagCompletionFunc("to", completePeerList(g))
}

// checkTargets validates --to, --all and --settle, and cleans up the names of --to.
func checkTargets(cmd *cobra.Command, t *targets) error {
	if t.All && len(t.To) > 0 {
		return usageErrorf("--to and --all do not go together: name the peers, or take everyone")
	}
	if cmd.Flags().Changed("settle") && !t.All {
		return usageErrorf("--settle needs --all")
	}
	if t.Settle < 0 {
		return usageErrorf("--settle must not be negative, got %v", t.Settle)
	}
	if cmd.Flags().Changed("to") && len(t.To) == 0 {
		return usageErrorf("--to needs at least one NAME")
	}
	seen := map[string]bool{}
	var names []string
	for _, n := range t.To {
		n = strings.TrimSpace(n)
		if _, err := peerArg(n); err != nil {
			return fmt.Errorf("--to: %w", err)
		}
		if !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	}
	t.To = names
	return nil
}

// split splits the arguments of send or ask: without --to/--all the first is PEER (checked)
// and the rest the words of the text; with them every argument is a word.
func (t targets) split(args []string) (peer string, words []string, err error) {
	if t.many() {
		return "", args, nil
	}
	if peer, err = peerArg(args[0]); err != nil {
		return "", nil, err
	}
	return peer, args[1:], nil
}

// manyArgs checks the arguments of send and ask: PEER and the rest without --to/--all, only
// the rest with them.
func manyArgs(t *targets, needText bool, textName string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if t.All || cmd.Flags().Changed("to") {
			if needText && len(args) == 0 {
				return withHint(usageErrorf("missing %s (usage: %s)", textName, manyUsage(cmd, textName)), fmt.Sprintf("run '%s --help' for usage", cmd.CommandPath()))
			}
			return nil
		}
		return positional(cmd, args)
	}
}

func manyUsage(cmd *cobra.Command, textName string) string {
	return fmt.Sprintf("%s --to NAME[,NAME...] %s... or %s --all %s...", cmd.CommandPath(), textName, cmd.CommandPath(), textName)
}

// peerResult is the outcome of a send or ask for one peer.
type peerResult struct {
	Peer   string // full name; "" when no process of Name was reached
	Name   string // bare name
	Err    error
	p      *rtc.Peer       // the peer reached, or nil
	Answer json.RawMessage // ask
	// Skipped: not asked at all (a web page answers no questions): no result is printed.
	Skipped string
	// Unverified: the peer reached is a client without identity keys (--trust unverified).
	Unverified bool
}

// multiWork is what send or ask does with one verified peer.
type multiWork func(ctx context.Context, p *rtc.Peer) (json.RawMessage, error)

// runTargets is the one path of send and ask: it connects to peer (one PEER) or to the
// targets of --to or --all (each verified as one PEER is), runs work on every one that was
// reached, at once, and returns one result per peer: in the order of --to, or sorted by
// full name for --all. With one PEER, failing to reach it is the error returned (the
// waiting line says what we wait for); with several, skip leaves some out and a progress
// line counts them.
func runTargets(ctx context.Context, g *Globals, ios *IO, role rtc.Role, peer string, t targets, skip func(*rtc.Peer) string, work multiWork) (*session, []peerResult, error) {
	s, err := startSession(ctx, g, ios, role, "", nil)
	if err != nil {
		return nil, nil, err
	}
	var results []peerResult
	var reached []*rtc.Peer
	dctx, cancel := g.withTimeout(ctx)
	defer cancel()
	start := time.Now()
	switch {
	case peer != "":
		p, err := s.dial(ctx, peer)
		if err != nil {
			s.close()
			return nil, nil, err
		}
		results = []peerResult{{Peer: p.Name(), Name: p.Bare()}}
		reached = []*rtc.Peer{p}
		skip = func(*rtc.Peer) string { return "" }
	case t.All:
		stop := s.progress(func() string {
			found, ready, failed := s.client.AllProgress()
			if found == 0 {
				return fmt.Sprintf("rtchat: looking for peers in room %q… (%s)", g.Room, sinceText(start))
			}
			return fmt.Sprintf("rtchat: %d found, %d verified%s (%s)", found, ready, failedText(failed), sinceText(start))
		})
		res, err := s.client.DialAll(dctx, t.Settle)
		stop()
		if err != nil {
			s.close()
			return nil, nil, err
		}
		if ctx.Err() != nil {
			s.close()
			return nil, nil, context.Cause(ctx)
		}
		for _, r := range res {
			results = append(results, peerResult{Peer: r.Name, Name: r.Bare, Err: r.Err})
			reached = append(reached, r.Peer)
		}
		if len(results) == 0 {
			s.close()
			serves := "'rtchat listen' or 'rtchat connect' (the room)"
			if role == rtc.RoleAsk {
				serves = "'rtchat listen --exec CMD'"
			}
			return nil, nil, withHint(fmt.Errorf("%w: nobody in room %q to %s (waited %v for peers to appear)", rtc.ErrTimeout, g.Room, role, t.Settle),
				fmt.Sprintf("is anyone running %s in room %q on this broker? --settle waits longer", serves, g.Room))
		}
	default:
		// Every name is checked before any is reached: 'send --to bob,bbo' sends nothing.
		var bad []peerResult
		for _, name := range t.To {
			if err := s.client.Dialable(name); err != nil {
				bad = append(bad, peerResult{Name: name, Err: err})
			}
		}
		if len(bad) > 0 {
			s.close()
			return nil, nil, notDialableErr(role, bad)
		}
		results = make([]peerResult, len(t.To))
		reached = make([]*rtc.Peer, len(t.To))
		var wg sync.WaitGroup
		var ready, failed atomic.Int64
		stop := s.progress(func() string {
			return fmt.Sprintf("rtchat: %d of %d verified%s (%s)", ready.Load(), len(t.To), failedText(int(failed.Load())), sinceText(start))
		})
		for i, name := range t.To {
			wg.Add(1)
			go func() {
				defer wg.Done()
				p, err := s.client.Dial(dctx, name)
				results[i] = peerResult{Name: name, Err: err}
				if p != nil {
					results[i].Peer, reached[i] = p.Name(), p
				}
				if err != nil {
					failed.Add(1)
				} else {
					ready.Add(1)
				}
			}()
		}
		wg.Wait()
		stop()
		if ctx.Err() != nil {
			s.close()
			return nil, nil, context.Cause(ctx)
		}
	}
	var wg sync.WaitGroup
	var done, failed atomic.Int64
	total := 0
	for i, p := range reached {
		if p == nil || results[i].Err != nil {
			continue
		}
		results[i].p, results[i].Unverified = p, !p.Verified()
		if why := skip(p); why != "" {
			results[i].Skipped = why
			continue
		}
		total++
		wg.Add(1)
		go func() {
			defer wg.Done()
			wctx, cancel := g.withTimeout(ctx)
			defer cancel()
			results[i].Answer, results[i].Err = work(wctx, p)
			if results[i].Err != nil {
				failed.Add(1)
			} else {
				done.Add(1)
			}
		}()
	}
	stop := func() {}
	if peer == "" {
		stop = s.progress(func() string {
			return fmt.Sprintf("rtchat: %d of %d %s%s (%s)", done.Load(), total, workDone[role], failedText(int(failed.Load())), sinceText(start))
		})
	}
	wg.Wait()
	stop()
	if peer != "" {
		return s, results, nil // the caller reports the one result, or its error
	}
	if ctx.Err() != nil {
		s.close()
		return nil, nil, context.Cause(ctx)
	}
	s.finished.Store(true)
	return s, results, nil
}

// notDialableErr: some names of --to cannot be dialled (typos, not pinned), so nobody
// was reached; the first one's error and hint, the others named.
func notDialableErr(role rtc.Role, bad []peerResult) error {
	err := bad[0].Err
	if len(bad) > 1 {
		var others []string
		for _, b := range bad[1:] {
			others = append(others, fmt.Sprintf("%q", b.Name))
		}
		err = fmt.Errorf("%w (and %s)", err, strings.Join(others, ", "))
	}
	return fmt.Errorf("nothing %s to anyone: %w", map[rtc.Role]string{rtc.RoleSend: "sent", rtc.RoleAsk: "asked"}[role], err)
}

// manyOutcome is the error of a command to several peers: nil when every peer succeeded,
// else an error with the highest exit code of the peers that failed (5 lost, 4 timed out,
// 3 not verified, 1 anything else).
func manyOutcome(results []peerResult, failed string) error {
	worst, n, total := ExitOK, 0, 0
	for _, r := range results {
		if r.Skipped != "" {
			continue
		}
		total++
		if r.Err != nil {
			n++
			worst = max(worst, codeOf(r.Err))
		}
	}
	if n == 0 {
		return nil
	}
	return &ExitError{Code: worst, Err: fmt.Errorf("%s %d of %d %s", failed, n, total, "peer"+plural(total))}
}

// printResults prints the NDJSON result objects, or the failures (with their hints) on
// stderr and the skipped peers.
func printResults(s *session, results []peerResult, topic string) {
	for _, r := range results {
		if r.Skipped != "" {
			if !s.g.JSON {
				fmt.Fprintf(s.ios.Err, "rtchat: left out %s: %s\n", safeLine(r.Peer), r.Skipped)
			}
			continue
		}
		if s.g.JSON {
			o := resultJSON{Type: "result", Peer: r.Peer, Name: r.Name, OK: r.Err == nil, Code: codeOf(r.Err), Unverified: r.Unverified}
			if r.Err != nil {
				o.Error, o.Hint = r.Err.Error(), hintOf(r.Err)
				if out, ok := rtc.RemoteOutput(r.Err); ok && topic != "" {
					o.Topic, o.Answer = topic, out // the output of a command that failed
				}
			} else if topic != "" {
				o.Topic, o.Answer = topic, r.Answer
			}
			_ = s.out.object(o)
			continue
		}
		if r.Err != nil {
			who := r.Peer
			if who == "" {
				who = r.Name
			}
			fmt.Fprintf(s.ios.Err, "rtchat: %s: %s\n", safeLine(who), safeText(r.Err.Error()))
			fmt.Fprint(s.ios.Err, hintLine(r.Err))
		}
	}
}

// displayNames names each result by its bare name, or its full name where two results share
// a bare name (two processes of one identity).
func displayNames(results []peerResult) []string {
	count := map[string]int{}
	for _, r := range results {
		count[r.Name]++
	}
	out := make([]string, len(results))
	for i, r := range results {
		out[i] = r.Name
		if count[r.Name] > 1 && r.Peer != "" {
			out[i] = r.Peer
		}
	}
	return out
}

// completePeerList completes --to: pinned names after the last comma.
func completePeerList(g *Globals) cobra.CompletionFunc {
	peers := completePeers(g)
	return func(cmd *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		head := ""
		if i := strings.LastIndexByte(toComplete, ','); i >= 0 {
			head, toComplete = toComplete[:i+1], toComplete[i+1:]
		}
		cands, dir := peers(cmd, nil, toComplete)
		for i, c := range cands {
			cands[i] = head + c
		}
		return cands, dir
	}
}

// workDone is what the progress line counts once the peers are verified.
var workDone = map[rtc.Role]string{rtc.RoleAsk: "answered", rtc.RoleSend: "delivered"}

// progressEvery is how often the progress line of a command to several peers is redrawn.
const progressEvery = 200 * time.Millisecond

// progress redraws text on the status line (a terminal's stderr, not with --json) every
// progressEvery, until stop is called: a fleet of a hundred peers takes seconds, and the
// user sees them come in.
func (s *session) progress(text func() string) (stop func()) {
	if !s.status.on {
		return func() {}
	}
	done, ended := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(ended)
		t := time.NewTicker(progressEvery)
		defer t.Stop()
		for {
			s.status.set(text())
			select {
			case <-t.C:
			case <-done:
				return
			}
		}
	}()
	return func() {
		close(done)
		<-ended
		s.status.clear()
	}
}

func sinceText(start time.Time) string {
	return time.Since(start).Truncate(100 * time.Millisecond).String()
}

func failedText(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(", %d failed", n)
}
