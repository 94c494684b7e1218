package commands

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rtchat/rtchat/rtc"
)

func newAskCmd(g *Globals, ios *IO) *cobra.Command {
	var topic string
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
		Args: cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runAsk(cmd.Context(), g, ios, args[0], topic, strings.Join(args[1:], " "))
		},
		ValidArgsFunction: completePeers(g),
	}
	cmd.Flags().StringVar(&topic, "topic", "question", "question topic (the answering side sees it as RTCHAT_TOPIC)")
	return cmd
}

func runAsk(ctx context.Context, g *Globals, ios *IO, peer, topic, q string) error {
	s, p, err := openPeer(ctx, g, ios, rtc.RoleAsk, peer, nil)
	if err != nil {
		return err
	}
	defer s.close()
	actx, cancel := context.WithTimeout(ctx, g.Timeout)
	defer cancel()
	ans, err := p.Ask(actx, topic, q)
	if err != nil {
		return err
	}
	s.finished.Store(true)
	if g.JSON {
		return s.out.object(map[string]any{"type": "answer", "peer": p.Name(), "name": p.Bare(), "topic": topic, "answer": ans})
	}
	var text string
	if json.Unmarshal(ans, &text) == nil {
		return s.out.line("%s", text)
	}
	return s.out.line("%s", ans)
}
