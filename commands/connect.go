package commands

import (
	"bufio"
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/rtchat/rtchat/rtc"
)

// connectOptions is what 'rtchat connect' runs with.
type connectOptions struct {
	Globals *Globals
	IO      *IO

	Peer string
}

func newConnectCmd(g *Globals, ios *IO, runF func(context.Context, *connectOptions) error) *cobra.Command {
	opts := &connectOptions{Globals: g, IO: ios}
	return &cobra.Command{
		Use:   "connect PEER",
		Short: "Chat with a verified peer",
		Long: `Connect to PEER, verify its key, then chat: each line of stdin is sent as a chat
message and PEER's messages are printed on stdout as "NAME: text". End with Ctrl-D (EOF)
or Ctrl-C. When stdin is a terminal a prompt is shown on stderr.`,
		Example: `  rtchat connect bob
  echo "deploy done" | rtchat connect bob`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			peer, err := peerArg(args[0])
			if err != nil {
				return err
			}
			opts.Peer = peer
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runConnect(cmd.Context(), opts)
		},
		ValidArgsFunction: completePeers(g),
	}
}

func runConnect(ctx context.Context, opts *connectOptions) error {
	g, ios, peer := opts.Globals, opts.IO, opts.Peer
	events := make(chan rtc.Event, 64)
	stopped := make(chan struct{}) // closed before the session closes, so no sender blocks
	s, p, err := openPeer(ctx, g, ios, rtc.RoleConnect, peer, func(c *rtc.Config) {
		c.OnEvent = func(e rtc.Event) {
			if e.Type == rtc.EventMessage {
				select {
				case events <- e:
				case <-stopped:
				}
			}
		}
	})
	if err != nil {
		return err
	}
	defer s.close()
	defer close(stopped)
	out := s.out
	target := p.Name()
	interactive := ios.InTTY && ios.ErrTTY
	prompt := func() {
		if interactive {
			fmt.Fprint(ios.Err, "> ")
		}
	}
	if g.JSON {
		_ = out.object(verifiedJSON{Type: "verified", Peer: p.Name(), Name: p.Bare(), Bound: p.Bound(), Fingerprint: p.Fingerprint()})
	} else {
		how := "key verified"
		if !p.Bound() {
			how = "key verified (web page, not bound to this connection)"
		}
		fmt.Fprintf(ios.Err, "rtchat: connected to %s, %s (%s). Ctrl-D to quit.\n", p.Name(), how, p.Fingerprint())
	}
	prompt()
	lines := make(chan string)
	readErr := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(ios.In)
		sc.Buffer(make([]byte, 64<<10), maxMessage)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-ctx.Done():
				return
			}
		}
		readErr <- sc.Err()
	}()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-p.Done():
			return p.Err()
		case e := <-events:
			if e.Peer != target {
				continue
			}
			if g.JSON {
				_ = out.object(eventJSON(e))
			} else {
				if interactive {
					fmt.Fprint(ios.Err, "\r")
				}
				_ = out.line("%s: %s", e.Bare, e.Text)
				prompt()
			}
		case line := <-lines:
			if err := p.Chat(line); err != nil {
				return err
			}
			prompt()
		case err := <-readErr:
			if interactive {
				fmt.Fprintln(ios.Err)
			}
			if err != nil {
				return fmt.Errorf("read stdin: %w", err)
			}
			return nil
		}
	}
}
