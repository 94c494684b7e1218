package commands

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/rtchat/rtchat/keys"
	"github.com/rtchat/rtchat/rtc"
)

// defaultExecMax is how many --exec commands run at once unless --exec-max says otherwise.
const defaultExecMax = 4

// defaultExecQueue is how many questions wait for a free --exec slot before more are
// answered "busy".
const defaultExecQueue = 16

// listenOptions is what 'rtchat listen' runs with.
type listenOptions struct {
	Globals *Globals
	IO      *IO

	Exec        string        // --exec: answer questions with sh -c Exec ("": no answers)
	ExecMax     int           // --exec-max: commands running at once
	ExecQueue   int           // --exec-queue: questions waiting for a free slot
	ExecTimeout time.Duration // --exec-timeout, resolved: --timeout when not given
}

func newListenCmd(g *Globals, ios *IO, runF func(context.Context, *listenOptions) error) *cobra.Command {
	opts := &listenOptions{Globals: g, IO: ios}
	cmd := &cobra.Command{
		Use:   "listen",
		Short: "Stay in the room: print messages, answer questions",
		Long: `Stay in the room until interrupted. Peers allowed by the trust policy may connect;
each must prove the key pinned for its name before anything it says is printed.

Messages go to stdout as "NAME: text" (or NDJSON with --json), control characters shown as
text; on a terminal a line too long for it continues on rows that start "NAME… ". Lines of
a client without identity keys (--trust unverified) start "[unverified] ". Connections,
verifications and refusals go to stderr.

Questions ('rtchat ask') are answered with --exec: the command runs under 'sh -c' with the
question on stdin and these in its environment (besides listen's own):

  RTCHAT_PEER       the asker's bare name (alice): the name its key is pinned under
  RTCHAT_PEER_FULL  the asker's full name in the room (alice-x1y2)
  RTCHAT_TOPIC      the question's topic ('rtchat ask --topic'; "question" by default)

Its stdout, less one trailing newline, is the answer; a non-zero exit sends an error answer
with the exit status and the last line of its stderr, and what it printed on stdout. Without --exec every question gets an error answer.

Each command is held to budgets, and the asker gets an error answer when one is exceeded:
at most --exec-max commands run at once, at most --exec-queue more questions wait for a
free slot, and a question beyond those is answered "busy" at once;
a command runs in its own process group, and the whole group is killed when the command
outlives --exec-timeout or writes more than 60000 bytes (the answer limit) to stdout.
When the command exits, whatever it left running in its group is killed too.`,
		Example: `  rtchat listen
  rtchat listen --exec 'date -u'
  rtchat listen --exec 'case "$RTCHAT_TOPIC" in uptime) uptime;; *) cat;; esac'
  rtchat listen --exec ./answer.sh --exec-max 2 --exec-timeout 10s
  rtchat listen --json | jq -r 'select(.type=="message") | .text'`,
		Args:        cobra.NoArgs,
		Annotations: map[string]string{annotStopsOnSignal: "true"},
		RunE: func(cmd *cobra.Command, args []string) error {
			flags := cmd.Flags()
			if opts.Exec == "" {
				for _, f := range []string{"exec-max", "exec-queue", "exec-timeout"} {
					if flags.Changed(f) {
						return usageErrorf("--%s needs --exec", f)
					}
				}
			}
			if opts.ExecMax < 1 {
				return usageErrorf("--exec-max must be at least 1, got %d", opts.ExecMax)
			}
			if opts.ExecQueue < 0 {
				return usageErrorf("--exec-queue must not be negative, got %d", opts.ExecQueue)
			}
			if opts.ExecTimeout < 0 {
				return usageErrorf("--exec-timeout must be positive, got %v", opts.ExecTimeout)
			}
			if opts.ExecTimeout == 0 {
				opts.ExecTimeout = g.Timeout
			}
			if opts.ExecTimeout == 0 { // --timeout 0 waits for peers, never for a command
				opts.ExecTimeout = DefaultTimeout
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runListen(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Exec, "exec", "", "answer questions by running `CMD` with sh -c (question on stdin, RTCHAT_PEER etc. in its environment)")
	f.IntVar(&opts.ExecMax, "exec-max", defaultExecMax, "at most `N` --exec commands at once")
	f.IntVar(&opts.ExecQueue, "exec-queue", defaultExecQueue, "at most `N` questions wait for a free --exec slot; more get a \"busy\" error answer")
	durationVar(f, &opts.ExecTimeout, "exec-timeout", 0, "kill an --exec command (its whole process group) after `DUR` and send an error answer (default --timeout)")
	return cmd
}

// ownBare is the bare name this process goes by: --name, else the identity's.
func ownBare(g *Globals) string {
	me := g.Name
	if me == "" {
		if id, err := keys.Open(g.ConfigDir).LoadIdentity(); err == nil {
			me = id.Name
		}
	}
	return keys.BareName(me)
}

func runListen(ctx context.Context, opts *listenOptions) error {
	g, ios := opts.Globals, opts.IO
	// Another process of my name in the room is worth a word: questions for my name may
	// reach either.
	me := ownBare(g)
	var refusals refusalGate
	// The core may report events before startSession returns; they wait for the printer.
	var printerReady atomic.Pointer[printer]
	onEvent := func(e rtc.Event) {
		out := printerReady.Load()
		if out == nil || e.Type == rtc.EventJoined {
			return // joined: verified said it (listen says nothing to anyone)
		}
		if g.JSON {
			_ = out.object(eventJSON(e))
			return
		}
		switch e.Type {
		case rtc.EventMessage:
			_ = out.text(messageLines(e, false, ios.outCols(false)))
		case rtc.EventSeen:
			if e.Bare == me {
				fmt.Fprintf(ios.Err, "rtchat: note: another process named %s is in the room (%s); if it is yours, a command for %s may reach either\n", safeLine(me), safeLine(e.Peer), safeLine(me))
			}
		case rtc.EventVerified:
			fmt.Fprintf(ios.Err, "rtchat: %s\n", verifiedText(e))
		case rtc.EventRefused:
			if e.Bare == me {
				return // another process of mine: said once as a note (EventSeen)
			}
			g.Log.Debug("refused", "peer", e.Peer, "why", e.Err)
			ok, dropped := refusals.allow(e.Peer, fmt.Sprint(e.Err), time.Now())
			if !ok {
				return
			}
			if dropped > 0 {
				fmt.Fprintf(ios.Err, "rtchat: %s\n", heldBack(dropped))
			}
			fmt.Fprintf(ios.Err, "rtchat: refused %s: %s\n", safeLine(e.Peer), safeText(fmt.Sprint(e.Err)))
			fmt.Fprint(ios.Err, hintLine(e.Err))
		case rtc.EventDisconnected:
			g.Log.Debug("peer left", "peer", e.Peer, "why", e.Err)
		case rtc.EventLagged:
			fmt.Fprintln(ios.Err, laggedText(e))
		}
	}
	var runner *execRunner
	if opts.Exec != "" {
		runner = newExecRunner(opts.Exec, opts.ExecMax, opts.ExecQueue, opts.ExecTimeout, os.Environ(), g.Log)
	}
	s, err := startSession(ctx, g, ios, rtc.RoleListen, "", func(c *rtc.Config) {
		c.OnEvent = onEvent
		if runner != nil {
			c.OnQuestion = func(qctx context.Context, p *rtc.Peer, topic string, content json.RawMessage) (any, error) {
				return runner.answer(qctx, execQuestion{Peer: p.Bare(), PeerFull: p.Name(), Topic: topic, Content: content})
			}
		}
	})
	if err != nil {
		return err
	}
	defer s.close()
	out := s.out
	if g.JSON {
		_ = out.object(listeningJSON{Type: "listening", Name: s.client.Name(), Room: g.Room})
	} else {
		fmt.Fprintf(ios.Err, "rtchat: listening in room %q as %s (Ctrl-C to stop)\n", g.Room, s.client.Name())
	}
	printerReady.Store(out)
	<-ctx.Done()
	return nil
}
