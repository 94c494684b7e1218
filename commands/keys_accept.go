package commands

import (
	"context"
	"errors"

	"github.com/spf13/cobra"

	"github.com/rtchat/rtchat/rtc/pair"
)

// keysAcceptOptions are the inputs of 'rtchat keys accept'.
type keysAcceptOptions struct {
	pairOptions
	Code string
}

func newKeysAcceptCmd(g *Globals, ios *IO) *cobra.Command {
	o := &keysAcceptOptions{}
	cmd := &cobra.Command{
		Use:   "accept CODE",
		Short: "Pair with another rtchat: accept the code that 'keys invite' printed",
		Long: `Accept an invitation made by 'rtchat keys invite' on another machine: both sides pin each
other's key as rtchat peers, for good, and each prints the other's name and fingerprint.
Use the same --broker and --room as the inviter. CODE is what it printed, e.g.
7-amber-orbit (case and spaces do not matter).

A wrong code ends the invitation on both sides (exit 3, nothing pinned): ask for a new
one. The other side is pinned under the name it gives, or under --as NAME; a name already
pinned to another key is refused unless --replace is given; my own key is refused.

Works between rtchat peers only: the RTChat web page has no pairing.

With --json a "paired" object is printed.`,
		Example: `  rtchat keys accept 7-amber-orbit
  rtchat keys accept 7-amber-orbit --as alex-work
  rtchat --broker mqtt://192.168.1.2:1883 keys accept 7-amber-orbit`,
		Args: keysArgs(1, 1, "the CODE printed by 'rtchat keys invite'"),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.keysCommon, o.G, o.Code = keysCommonOf(g, ios), g, args[0]
			return runKeysAccept(cmd.Context(), o)
		},
	}
	o.flags(cmd)
	return cmd
}

func runKeysAccept(ctx context.Context, o *keysAcceptOptions) error {
	code, err := pair.ParseCode(o.Code)
	if err != nil {
		if errors.Is(err, pair.ErrBadCode) {
			return keysUsagef("rtchat keys accept", "%v", err)
		}
		return err
	}
	p, err := o.prepare("rtchat keys accept")
	if err != nil {
		return err
	}
	ctx, cancel := o.G.withTimeout(ctx)
	defer cancel()
	conn, err := p.dial(ctx)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	peer, err := pair.Accept(ctx, p.config(conn, code))
	if err != nil {
		return pairError(ctx, err)
	}
	return p.report(peer)
}
