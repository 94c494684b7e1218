package commands

import (
	"context"
	"encoding/json"
	"errors"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rtchat/rtchat/rtc"
)

// askOptions is what 'rtchat ask' runs with.
type askOptions struct {
	Globals *Globals
	IO      *IO

	Peer     string  // one PEER ("" with --to or --all)
	Targets  targets // --to, --all
	Topic    string
	Question string // the words joined by spaces
}

func newAskCmd(g *Globals, ios *IO, runF func(context.Context, *askOptions) error) *cobra.Command {
	opts := &askOptions{Globals: g, IO: ios}
	cmd := &cobra.Command{
		Use:   "ask PEER QUESTION...",
		Short: "Ask a verified peer (or several) one question and print the answer",
		Long: `Connect to PEER, verify its key, send one question and print the answer on stdout.
The words of QUESTION are joined by spaces. PEER answers with its 'rtchat listen --exec'
command; an error answer exits 1 with the peer's message on stderr.

A web-page peer answers only the 'identify' and 'challenge' topics.

To several peers: --to NAME (repeated, or NAME,NAME) instead of PEER; every argument is
then the question, and a name that is not pinned asks nobody (exit 3). To every 'rtchat listen' in the room: --all (the peers that appear
within --settle, 2s, are then connected and verified within --timeout; web pages are left
out, they answer no questions). All are asked at once; on a terminal a progress line on
stderr counts the peers found, verified and answered. Each answer is printed as
"NAME: answer" (the full name when two processes of one name answered), every line of a
multi-line answer prefixed and control characters shown as text; a peer that did not
answer is named on stderr with the reason. With --json one "result" object per peer
(peer, name, ok, error, hint, code, topic, answer; see docs/json.md).

Exit status with --to or --all: 0 when every peer answered; otherwise the highest exit
code of the peers that did not (5 connection lost, 4 timed out, 3 not verified, 1 an
error answer or any other failure). --all exits 4 when no 'rtchat listen' is in the room.`,
		Example: `  rtchat ask bob "what time is it?"
  rtchat ask --topic uptime server1 now
  rtchat ask --json bob ping | jq -r 'select(.type=="answer") | .answer'
  rtchat ask --to web1,web2 --topic uptime now
  rtchat ask --all --json --topic version x | jq -r 'select(.type=="result") | "\(.name) \(.answer // .error)"'`,
		Args: manyArgs(&opts.Targets, true, "QUESTION"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkTargets(cmd, &opts.Targets); err != nil {
				return err
			}
			if opts.Topic == "" {
				return usageErrorf("--topic must not be empty")
			}
			peer, words, err := opts.Targets.split(args)
			if err != nil {
				return err
			}
			opts.Peer, opts.Question = peer, strings.Join(words, " ")
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runAsk(cmd.Context(), opts)
		},
		ValidArgsFunction: completePeers(g),
	}
	cmd.Flags().StringVar(&opts.Topic, "topic", "question", "question topic (the answering side sees it as RTCHAT_TOPIC)")
	addTargetFlags(cmd, g, &opts.Targets, "ask")
	return cmd
}

// runAsk asks PEER, or every peer of --to or --all, and prints the answers.
func runAsk(ctx context.Context, opts *askOptions) error {
	g := opts.Globals
	s, results, err := runTargets(ctx, g, opts.IO, rtc.RoleAsk, opts.Peer, opts.Targets,
		func(p *rtc.Peer) string {
			if !p.IsRTChat() {
				return "a web page answers no questions"
			}
			return ""
		},
		func(ctx context.Context, p *rtc.Peer) (json.RawMessage, error) {
			return p.Ask(ctx, opts.Topic, opts.Question)
		})
	if err != nil {
		return err
	}
	defer s.close()
	if !opts.Targets.many() {
		return askOne(s, opts, results[0])
	}
	return askMany(s, opts, results)
}

// askOne prints the answer of one PEER: as it is for scripts, made safe on a terminal.
func askOne(s *session, opts *askOptions, r peerResult) error {
	g := opts.Globals
	if out, ok := rtc.RemoteOutput(r.Err); ok && !g.JSON {
		// The peer's command failed but printed something: shown as it would be there.
		_ = s.out.line("%s", answerText(out))
	}
	if r.Err != nil {
		return r.Err
	}
	ans := r.Answer
	s.finished.Store(true)
	// The answer proves the question arrived: print it, then leave without waiting on the peer.
	defer s.closeNow()
	if g.JSON {
		return s.out.object(answerJSON{Type: "answer", Peer: r.Peer, Name: r.Name, Topic: opts.Topic, Answer: ans, Verified: !r.Unverified})
	}
	switch {
	case r.Unverified:
		// Nothing proves who wrote it (--trust unverified): every line says so.
		return s.out.text(peerLines(senderName(r.Name, true), answerText(ans), opts.IO.outCols(false)))
	case opts.IO.OutTTY:
		// The peer's bytes never act on the terminal; scripts reading stdout get them raw.
		return s.out.line("%s", safeText(answerText(ans)))
	}
	return s.out.line("%s", answerText(ans))
}

// answerText is an answer as printed: a string as it is, anything else as JSON.
func answerText(ans json.RawMessage) string {
	var text string
	if json.Unmarshal(ans, &text) == nil {
		return text
	}
	return string(ans)
}

// askMany prints "NAME: answer" for each answer of --to or --all.
func askMany(s *session, opts *askOptions, results []peerResult) error {
	g := opts.Globals
	failed, remote := 0, 0
	for i, name := range displayNames(results) {
		r := results[i]
		if r.Skipped != "" {
			continue
		}
		ans := r.Answer
		if r.Err != nil {
			failed++
			if errors.Is(r.Err, rtc.ErrRemote) {
				remote++
			}
			// A command that exited non-zero: its output too, as 'ask PEER' shows it.
			out, ok := rtc.RemoteOutput(r.Err)
			if !ok {
				continue
			}
			ans = out
		}
		if !g.JSON {
			_ = s.out.text(peerLines(senderName(name, r.Unverified), answerText(ans), opts.IO.outCols(false)))
		}
	}
	printResults(s, results, opts.Topic)
	if failed > 0 && failed == remote {
		return manyOutcome(results, "error answer from") // they answered: not "no answer"
	}
	return manyOutcome(results, "no answer from")
}
