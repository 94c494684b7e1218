package commands

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rtchat/rtchat/rtc"
)

// maxMessage keeps a message inside one data channel frame.
const maxMessage = 60000

func newSendCmd(g *Globals, ios *IO) *cobra.Command {
	return &cobra.Command{
		Use:   "send PEER [MESSAGE...]",
		Short: "Send one message to a verified peer",
		Long: `Connect to PEER, verify its key, send one message and exit 0 once it is delivered:
an rtchat peer confirms it printed the message; a web page gets it as a chat line.
The words of MESSAGE are joined by spaces; with none, all of stdin is the message
(one trailing newline removed).`,
		Example: `  rtchat send bob "build finished"
  git log -1 --oneline | rtchat send bob`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			msg := strings.Join(args[1:], " ")
			if len(args) == 1 {
				b, err := io.ReadAll(io.LimitReader(ios.In, maxMessage+1))
				if err != nil {
					return fmt.Errorf("read message from stdin: %w", err)
				}
				msg = strings.TrimSuffix(string(b), "\n")
			}
			if len(msg) > maxMessage {
				return usageErrorf("message is over the %d-byte limit; use 'rtchat pipe' for data", maxMessage)
			}
			return runSend(cmd.Context(), g, ios, args[0], msg)
		},
		ValidArgsFunction: completePeers(g),
	}
}

func runSend(ctx context.Context, g *Globals, ios *IO, peer, msg string) error {
	s, p, err := openPeer(ctx, g, ios, rtc.RoleSend, peer, nil)
	if err != nil {
		return err
	}
	defer s.close()
	dctx, cancel := context.WithTimeout(ctx, g.Timeout)
	defer cancel()
	if err := p.Deliver(dctx, msg); err != nil {
		return err
	}
	s.finished.Store(true)
	if g.JSON {
		return s.out.object(map[string]any{"type": "delivered", "peer": p.Name(), "name": p.Bare()})
	}
	return nil
}
