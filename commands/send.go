package commands

import (
	"context"
	"encoding/json"
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

	Peer    string  // one PEER ("" with --to or --all)
	Targets targets // --to, --all
	Message string  // the words joined, or stdin less one trailing newline
}

func newSendCmd(g *Globals, ios *IO, runF func(context.Context, *sendOptions) error) *cobra.Command {
	opts := &sendOptions{Globals: g, IO: ios}
	cmd := &cobra.Command{
		Use:   "send PEER [MESSAGE...]",
		Short: "Send one message to a verified peer, to several, or to everyone in the room",
		Long: `Connect to PEER, verify its key, send one message and exit 0 once it is delivered:
an rtchat peer confirms it printed the message; a web page gets it as a chat line.
The words of MESSAGE are joined by spaces; with none, all of stdin is the message
(one trailing newline removed). PEER runs 'rtchat listen' or 'rtchat connect' (the room),
or is a web page.

To several peers: --to NAME (repeated, or NAME,NAME) instead of PEER; every argument is
then the message, and a name that is not pinned (a typo) sends to nobody (exit 3). To everyone in the room that serves 'send': --all (the peers that appear
within --settle, 2s, are then connected and verified within --timeout). Each peer is
verified and gets the message as with one PEER, all at once; on a terminal a progress
line on stderr counts the peers found, verified and delivered to. On stderr, a line for
each peer that did not get it, with the reason, then a summary; with --json one "result"
object per peer (peer, name, ok, error, hint, code; see docs/json.md).

Exit status with --to or --all: 0 when every peer got the message; otherwise the highest
exit code of the peers that did not (5 connection lost, 4 timed out, 3 not verified,
1 any other failure), so any failure is non-zero and 3 says at least one was refused
(and none was lost or timed out). --all exits 4 when nobody serving 'send' is in the room.`,
		Example: `  rtchat send bob "build finished"
  git log -1 --oneline | rtchat send bob
  rtchat send --to bob,carol "lunch at noon?"
  rtchat send --all "deploying in 5 minutes"
  rtchat send --all --json "ping" | jq -r 'select(.type=="result" and (.ok|not)) | .name'`,
		Args: manyArgs(&opts.Targets, false, "MESSAGE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkTargets(cmd, &opts.Targets); err != nil {
				return err
			}
			peer, words, err := opts.Targets.split(args)
			if err != nil {
				return err
			}
			opts.Peer = peer
			msg := strings.Join(words, " ")
			if len(words) == 0 {
				b, err := io.ReadAll(io.LimitReader(ios.In, maxMessage+1))
				if err != nil {
					return fmt.Errorf("read message from stdin: %w", err)
				}
				msg = strings.TrimSuffix(string(b), "\n")
			}
			if len(msg) > maxMessage {
				return withHint(usageErrorf("message is over the %d-byte limit", maxMessage), "use 'rtchat pipe' for data")
			}
			opts.Message = msg
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runSend(cmd.Context(), opts)
		},
		ValidArgsFunction: completePeers(g),
	}
	addTargetFlags(cmd, g, &opts.Targets, "send")
	return cmd
}

// runSend delivers the message to PEER, or to every peer of --to or --all.
func runSend(ctx context.Context, opts *sendOptions) error {
	g := opts.Globals
	s, results, err := runTargets(ctx, g, opts.IO, rtc.RoleSend, opts.Peer, opts.Targets,
		func(*rtc.Peer) string { return "" },
		func(ctx context.Context, p *rtc.Peer) (json.RawMessage, error) {
			if opts.Targets.All {
				return nil, p.DeliverAll(ctx, opts.Message) // not shown as a direct message
			}
			return nil, p.Deliver(ctx, opts.Message)
		})
	if err != nil {
		return err
	}
	defer s.close()
	if !opts.Targets.many() {
		r := results[0]
		if r.Err != nil {
			return r.Err
		}
		s.finished.Store(true)
		// Delivery is confirmed (a web page gets a fire-and-forget chat frame: flush it).
		if r.p.IsRTChat() {
			defer s.closeNow()
		}
		if g.JSON {
			return s.out.object(deliveredJSON{Type: "delivered", Peer: r.Peer, Name: r.Name, Verified: !r.Unverified})
		}
		return nil
	}
	printResults(s, results, "")
	if !g.JSON {
		var got []string
		for i, name := range displayNames(results) {
			if results[i].Err == nil {
				got = append(got, senderName(name, results[i].Unverified))
			}
		}
		if len(got) > 0 {
			fmt.Fprintf(opts.IO.Err, "rtchat: delivered to %d of %d %s: %s\n", len(got), len(results), "peer"+plural(len(results)), strings.Join(got, ", "))
		}
	}
	return manyOutcome(results, "not delivered to")
}
