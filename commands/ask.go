package commands

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rtchat/rtchat/rtc"
)

// askOptions is what 'rtchat ask' runs with.
type askOptions struct {
	Globals *Globals
	IO      *IO

	Peer     string
	Topic    string
	Question string // the words joined by spaces
}

func newAskCmd(g *Globals, ios *IO, runF func(context.Context, *askOptions) error) *cobra.Command {
	opts := &askOptions{Globals: g, IO: ios}
	cmd := &cobra.Command{
		Use:   "ask PEER QUESTION...",
		Short: "Ask a verified peer one question and print the answer",
		Long: `Connect to PEER, verify its key, send one question and print the answer on stdout.
The words of QUESTION are joined by spaces. PEER answers with its 'rtchat listen --exec'
command; an error answer exits 1 with the peer's message on stderr.

A web-page peer answers only the 'identify' and 'challenge' topics.`,
		Example: `  rtchat ask bob "what time is it?"
  rtchat ask --topic uptime server1 now
  rtchat ask --json bob ping | jq -r 'select(.type=="answer") | .answer'`,
		Args: positional,
		RunE: func(cmd *cobra.Command, args []string) error {
			peer, err := peerArg(args[0])
			if err != nil {
				return err
			}
			if opts.Topic == "" {
				return usageErrorf("--topic must not be empty")
			}
			opts.Peer, opts.Question = peer, strings.Join(args[1:], " ")
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runAsk(cmd.Context(), opts)
		},
		ValidArgsFunction: completePeers(g),
	}
	cmd.Flags().StringVar(&opts.Topic, "topic", "question", "question topic (the answering side sees it as RTCHAT_TOPIC)")
	return cmd
}

func runAsk(ctx context.Context, opts *askOptions) error {
	g := opts.Globals
	s, p, err := openPeer(ctx, g, opts.IO, rtc.RoleAsk, opts.Peer, nil)
	if err != nil {
		return err
	}
	defer s.close()
	actx, cancel := g.withTimeout(ctx)
	defer cancel()
	ans, err := p.Ask(actx, opts.Topic, opts.Question)
	if err != nil {
		return err
	}
	s.finished.Store(true)
	// The answer proves the question arrived: print it, then leave without waiting on the peer.
	defer s.closeNow()
	if g.JSON {
		return s.out.object(answerJSON{Type: "answer", Peer: p.Name(), Name: p.Bare(), Topic: opts.Topic, Answer: ans})
	}
	var text string
	if json.Unmarshal(ans, &text) == nil {
		return s.out.line("%s", text)
	}
	return s.out.line("%s", ans)
}
