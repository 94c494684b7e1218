package commands

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rtchat/rtchat/rtc"
)

// maxAnswer keeps an --exec answer inside one data channel message.
const maxAnswer = 60000

func newListenCmd(g *Globals, ios *IO) *cobra.Command {
	var execCmd string
	cmd := &cobra.Command{
		Use:   "listen",
		Short: "Stay in the room: print messages, answer questions",
		Long: `Stay in the room until interrupted. Peers allowed by the trust policy may connect;
each must prove the key pinned for its name before anything it says is printed.

Messages go to stdout as "NAME: text" (or NDJSON with --json); connections, verifications
and refusals go to stderr.

Questions ('rtchat ask') are answered with --exec: the command runs under 'sh -c' with the
question on stdin and RTCHAT_PEER (the asker's name) and RTCHAT_TOPIC in its environment.
Its stdout, less one trailing newline, is the answer; a non-zero exit sends an error answer.
Without --exec every question gets an error answer.`,
		Example: `  rtchat listen
  rtchat listen --exec 'date -u'
  rtchat listen --exec 'case "$RTCHAT_TOPIC" in uptime) uptime;; *) cat;; esac'
  rtchat listen --json | jq -r 'select(.type=="message") | .text'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runListen(cmd.Context(), g, ios, execCmd)
		},
	}
	cmd.Flags().StringVar(&execCmd, "exec", "", "answer questions by running `CMD` with sh -c (question on stdin)")
	return cmd
}

func runListen(ctx context.Context, g *Globals, ios *IO, execCmd string) error {
	var out *printer
	onEvent := func(e rtc.Event) {
		if out == nil {
			return
		}
		if g.JSON {
			_ = out.object(eventObject(e))
			return
		}
		switch e.Type {
		case rtc.EventMessage:
			_ = out.line("%s: %s", e.Bare, e.Text)
		case rtc.EventVerified:
			fmt.Fprintf(ios.Err, "rtchat: %s verified\n", e.Peer)
		case rtc.EventRefused:
			fmt.Fprintf(ios.Err, "rtchat: refused %s: %v\n", e.Peer, e.Err)
		case rtc.EventDisconnected:
			g.Log.Debug("peer left", "peer", e.Peer, "why", e.Err)
		}
	}
	s, err := startSession(ctx, g, ios, rtc.RoleListen, "", func(c *rtc.Config) {
		c.OnEvent = onEvent
		if execCmd != "" {
			c.OnQuestion = func(qctx context.Context, p *rtc.Peer, topic string, content json.RawMessage) (any, error) {
				return runExec(qctx, g, execCmd, p.Bare(), topic, content)
			}
		}
	})
	if err != nil {
		return err
	}
	defer s.close()
	out = s.out
	if g.JSON {
		_ = out.object(map[string]any{"type": "listening", "name": s.client.Name(), "room": g.Room})
	} else {
		fmt.Fprintf(ios.Err, "rtchat: listening in room %q as %s (Ctrl-C to stop)\n", g.Room, s.client.Name())
	}
	<-ctx.Done()
	return nil
}

// runExec answers one question with sh -c CMD.
func runExec(ctx context.Context, g *Globals, execCmd, peer, topic string, content json.RawMessage) (any, error) {
	ctx, cancel := context.WithTimeout(ctx, g.Timeout)
	defer cancel()
	c := exec.CommandContext(ctx, "sh", "-c", execCmd)
	c.Stdin = bytes.NewReader(questionText(content))
	c.Env = append(os.Environ(), "RTCHAT_PEER="+peer, "RTCHAT_TOPIC="+topic)
	var stdout, stderr bytes.Buffer
	c.Stdout, c.Stderr = &stdout, &stderr
	err := c.Run()
	if ctx.Err() != nil {
		return nil, fmt.Errorf("the answering command timed out after %v", g.Timeout)
	}
	if err != nil {
		var ee *exec.ExitError
		msg := strings.TrimSpace(stderr.String())
		if errors.As(err, &ee) {
			if msg != "" {
				return nil, fmt.Errorf("exit status %d: %s", ee.ExitCode(), lastLine(msg))
			}
			return nil, fmt.Errorf("exit status %d", ee.ExitCode())
		}
		return nil, fmt.Errorf("cannot run the answering command: %v", err)
	}
	ans := strings.TrimSuffix(stdout.String(), "\n")
	if len(ans) > maxAnswer {
		return nil, fmt.Errorf("answer of %d bytes is over the %d-byte limit", len(ans), maxAnswer)
	}
	return ans, nil
}

// questionText is the question as the answering command reads it: a JSON string's text,
// any other JSON value as JSON.
func questionText(content json.RawMessage) []byte {
	var s string
	if json.Unmarshal(content, &s) == nil {
		return []byte(s)
	}
	return content
}

func lastLine(s string) string {
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}
