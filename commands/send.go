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

// sendOptions is what 'rtchat send' runs with.
type sendOptions struct {
	Globals *Globals
	IO      *IO

	Peer    string
	Message string // the words joined, or stdin less one trailing newline
}

func newSendCmd(g *Globals, ios *IO, runF func(context.Context, *sendOptions) error) *cobra.Command {
	opts := &sendOptions{Globals: g, IO: ios}
	return &cobra.Command{
		Use:   "send PEER [MESSAGE...]",
		Short: "Send one message to a verified peer",
		Long: `Connect to PEER, verify its key, send one message and exit 0 once it is delivered:
an rtchat peer confirms it printed the message; a web page gets it as a chat line.
The words of MESSAGE are joined by spaces; with none, all of stdin is the message
(one trailing newline removed).`,
		Example: `  rtchat send bob "build finished"
  git log -1 --oneline | rtchat send bob`,
		Args: positional,
		RunE: func(cmd *cobra.Command, args []string) error {
			peer, err := peerArg(args[0])
			if err != nil {
				return err
			}
			msg := strings.Join(args[1:], " ")
			if len(args) == 1 {
				b, err := io.ReadAll(io.LimitReader(ios.In, maxMessage+1))
				if err != nil {
					return fmt.Errorf("read message from stdin: %w", err)
				}
				msg = strings.TrimSuffix(string(b), "\n")
			}
			if len(msg) > maxMessage {
				return withHint(usageErrorf("message is over the %d-byte limit", maxMessage), "use 'rtchat pipe' for data")
			}
			opts.Peer, opts.Message = peer, msg
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runSend(cmd.Context(), opts)
		},
		ValidArgsFunction: completePeers(g),
	}
}

func runSend(ctx context.Context, opts *sendOptions) error {
	g := opts.Globals
	s, p, err := openPeer(ctx, g, opts.IO, rtc.RoleSend, opts.Peer, nil)
	if err != nil {
		return err
	}
	defer s.close()
	dctx, cancel := g.withTimeout(ctx)
	defer cancel()
	if err := p.Deliver(dctx, opts.Message); err != nil {
		return err
	}
	s.finished.Store(true)
	// Delivery is confirmed (a web page gets a fire-and-forget chat frame: flush it).
	if p.IsRTChat() {
		defer s.closeNow()
	}
	if g.JSON {
		return s.out.object(deliveredJSON{Type: "delivered", Peer: p.Name(), Name: p.Bare()})
	}
	return nil
}
