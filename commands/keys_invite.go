package commands

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rtchat/rtchat/keys"
	"github.com/rtchat/rtchat/rtc/pair"
	"github.com/rtchat/rtchat/rtc/signal"
)

// DefaultInviteTimeout is how long 'keys invite' waits when --timeout is not given: long
// enough to read the code aloud and for the other side to type it.
const DefaultInviteTimeout = 5 * time.Minute

// pairOptions are the inputs 'keys invite' and 'keys accept' share.
type pairOptions struct {
	keysCommon
	G       *Globals
	As      string // pin the other side under this name instead of its own
	Replace bool   // replace a different key pinned for that name
}

func (o *pairOptions) flags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&o.As, "as", "", "pin the other side under `NAME` instead of the name it gives (two people called alex)")
	cmd.Flags().BoolVar(&o.Replace, "replace", false, "replace the key of a name that is already pinned to a different key")
}

// keysInviteOptions are the inputs of 'rtchat keys invite'.
type keysInviteOptions struct{ pairOptions }

func newKeysInviteCmd(g *Globals, ios *IO) *cobra.Command {
	o := &keysInviteOptions{}
	cmd := &cobra.Command{
		Use:   "invite",
		Short: "Pair with another rtchat: print a one-time code and wait for it",
		Long: `Print a short one-time code, such as 7-amber-orbit, and wait for the other side to run
'rtchat keys accept 7-amber-orbit' with the same --broker and --room. The two then pin each
other's key as rtchat peers, for good: every later ask, send, pipe or connect is verified
with no code at all. Each side prints the other's name and fingerprint.

The code is a password for a PAKE (CPace): someone watching the room learns nothing from
the exchange, and someone who tries to guess the code gets one guess. A wrong code ends
the invitation on both sides (exit 3, nothing pinned): make a new one. A code works once
and expires after --timeout (default 5m here; 0 waits until Ctrl-C). Read the code to the
other person over a channel where you know who you are talking to: whoever types it is
who you pair with.

The other side is pinned under the name it gives, or under --as NAME. A name already
pinned to another key is refused unless --replace is given; pairing with my own key is
refused.

Works between rtchat peers only: the RTChat web page has no pairing. Pin a web page user
with 'rtchat keys show' and 'rtchat keys register --web'.

With --json, {"type":"invite","code":"..."} is printed as soon as the code exists, then
a "paired" object.`,
		Example: `  rtchat keys invite                      # then, on the other machine: rtchat keys accept CODE
  rtchat keys invite --as alex-work
  rtchat keys invite --json | jq -r 'select(.type=="invite").code'`,
		Args: keysArgs(0, 0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.keysCommon, o.G = keysCommonOf(g, ios), g
			return runKeysInvite(cmd.Context(), o)
		},
	}
	o.flags(cmd)
	return cmd
}

func runKeysInvite(ctx context.Context, o *keysInviteOptions) error {
	p, err := o.prepare("rtchat keys invite")
	if err != nil {
		return err
	}
	code, err := pair.NewCode(nil)
	if err != nil {
		return err
	}
	timeout := o.G.Timeout
	if o.G.Sources["timeout"] == "default" || o.G.Sources["timeout"] == "" {
		timeout = DefaultInviteTimeout
	}
	ctx, cancel := withTimeoutOf(ctx, timeout)
	defer cancel()
	conn, err := p.dial(ctx)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if o.JSON {
		if err := writeJSON(o.IO.Out, inviteJSON{Type: "invite", Code: code.String()}); err != nil {
			return err
		}
	} else {
		printInvite(o.IO, code, acceptCommand(o.G, code), timeout)
	}
	peer, err := pair.Invite(ctx, p.config(conn, code))
	if err != nil {
		return pairError(ctx, err)
	}
	return p.report(peer)
}

// withTimeoutOf bounds ctx by d; 0 leaves it without a deadline.
func withTimeoutOf(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if d == 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, d)
}

// acceptCommand is what the other side runs: with the broker and room when they are not
// the defaults, as the other machine must meet on the same topic (a password stays out).
func acceptCommand(g *Globals, code pair.Code) string {
	cmd := "rtchat "
	if g.Broker != DefaultBroker {
		cmd += "--broker " + shellWord(signal.RedactURL(g.Broker)) + " "
	}
	if g.Room != DefaultRoom {
		cmd += "--room " + shellWord(g.Room) + " "
	}
	return cmd + "keys accept " + code.String()
}

// shellWord quotes s for a POSIX shell when it needs it.
func shellWord(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\"$`\\!*?&;|<>()[]{}#~") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// printInvite shows the code on stderr: on a terminal spaced out and upper-cased, to be
// read aloud, with the command for the other side.
func printInvite(ios *IO, code pair.Code, cmd string, timeout time.Duration) {
	w := ios.Err
	if !ios.ErrTTY {
		fmt.Fprintf(w, "rtchat: invitation code %s: on the other machine run: %s\n", code, cmd)
		return
	}
	big := func(s string) string { return strings.Join(strings.Split(strings.ToUpper(s), ""), " ") }
	wait := "until Ctrl-C"
	if timeout > 0 {
		wait = "for " + timeout.String()
	}
	fmt.Fprintf(w, "\n  Your invitation code (read it aloud, it works once):\n\n")
	fmt.Fprintf(w, "        %s   -   %s   -   %s\n\n", big(fmt.Sprint(code.Plate)), big(code.Words[0]), big(code.Words[1]))
	fmt.Fprintf(w, "  On the other machine, run:\n\n        %s\n\n", cmd)
	fmt.Fprintf(w, "  Waiting %s (Ctrl-C cancels)...\n", wait)
}

// pairing is one run of invite or accept: my identity, the store, the broker.
type pairing struct {
	o      *pairOptions
	store  *keys.Store
	me     *keys.Identity
	topic  string
	result keys.PinOutcome
	pinAs  string
}

func (o *pairOptions) prepare(path string) (*pairing, error) {
	if o.As != "" {
		if err := keys.ValidateName(o.As); err != nil {
			return nil, keysUsagef(path, "--as: %v", err)
		}
	}
	name, err := keysName(path, o.G.Name)
	if err != nil {
		return nil, err
	}
	if _, err := signal.ParseBrokerURL(o.G.Broker); err != nil {
		return nil, usageErrorf("--broker: %v", err)
	}
	topic, err := signal.Topic(o.G.Room)
	if err != nil {
		return nil, usageErrorf("--room: %v", err)
	}
	store := o.store()
	me, err := store.LoadIdentity()
	if err != nil {
		return nil, err
	}
	if name != "" {
		me.Name = name
	}
	return &pairing{o: o, store: store, me: me, topic: topic}, nil
}

func (p *pairing) dial(ctx context.Context) (*signal.Conn, error) {
	conn, err := signal.Dial(ctx, signal.Config{BrokerURL: p.o.G.Broker, Topic: p.topic, Logger: p.o.G.Log})
	if err != nil {
		return nil, withHint(fmt.Errorf("cannot join room %q on the broker %s: %w", p.o.G.Room, signal.RedactURL(p.o.G.Broker), err),
			"check --broker (or RTCHAT_BROKER) and that the broker is running, or run 'rtchat doctor'")
	}
	return conn, nil
}

// Why a pairing is refused on this side.
var (
	errPairSelf      = errors.New("that is my own key: pairing with myself is refused")
	errPairNameTaken = errors.New("the name is already pinned to another key")
)

func (p *pairing) config(conn *signal.Conn, code pair.Code) pair.Config {
	return pair.Config{
		Conn: conn, Topic: p.topic, Code: code, Log: p.o.G.Log,
		Me:     pair.Identity{Name: p.me.Name, Key: p.me.PublicJWK},
		Check:  p.check,
		Commit: p.commit,
	}
}

// check decides whether the other side may be pinned here. Its error text also goes to
// the other side, as why it was refused.
func (p *pairing) check(peer pair.Identity) error {
	if peer.Key == p.me.PublicJWK || keys.Fingerprint(peer.Key) == p.me.Fingerprint() {
		return withHint(errPairSelf, "run 'rtchat keys accept' on the other machine, with its own identity (its own --config-dir)")
	}
	if _, err := keys.ParsePublicJWK(peer.Key); err != nil {
		return fmt.Errorf("the key of %q: %w", peer.Name, err)
	}
	name := p.o.As
	if name == "" {
		name = keys.BareName(peer.Name)
		if err := keys.ValidateName(name); err != nil {
			return withHint(fmt.Errorf("the other side's name %q: %w", peer.Name, err), "pin it under another name with --as NAME")
		}
	}
	p.pinAs = name
	pin, ok, err := p.store.LookupPin(name)
	if err != nil {
		return err
	}
	if ok && pin.Key != peer.Key && !p.o.Replace {
		return withHint(fmt.Errorf("%w: %s is pinned to %s here, not to %s", errPairNameTaken, name, keys.Fingerprint(pin.Key), keys.Fingerprint(peer.Key)),
			"if "+name+" made a new identity, pair again with --replace; if this is someone else, pair again with --as ANOTHER-NAME")
	}
	return nil
}

func (p *pairing) commit(peer pair.Identity) error {
	out, err := p.store.PinPeer(keys.PinRequest{Name: p.pinAs, Key: peer.Key, Kind: keys.KindRTChat, Replace: p.o.Replace})
	if err != nil {
		return err
	}
	p.result = out
	return nil
}

// report prints the other side's name and fingerprint: a "paired" object with --json,
// else "NAME FINGERPRINT" on stdout and what was pinned on stderr.
func (p *pairing) report(peer pair.Identity) error {
	fp := keys.Fingerprint(peer.Key)
	if p.o.JSON {
		return writeJSON(p.o.IO.Out, pairedJSON{Type: "paired", Name: p.pinAs, IdentityName: peer.Name, Fingerprint: fp,
			PublicKeyString: peer.Key, Result: p.result.Result.String()})
	}
	as := ""
	if p.pinAs != peer.Name {
		as = " (their name: " + safeLine(peer.Name) + ")"
	}
	switch p.result.Result {
	case keys.PinReplaced:
		fmt.Fprintf(p.o.IO.Err, "rtchat: paired: replaced %s%s, now %s (was %s), as an rtchat peer\n", p.pinAs, as, fp, keys.Fingerprint(p.result.OldKey))
	case keys.PinKindChanged:
		fmt.Fprintf(p.o.IO.Err, "rtchat: paired: %s%s (%s), pinned as a web peer until now, is now an rtchat peer\n", p.pinAs, as, fp)
	case keys.PinUnchanged:
		fmt.Fprintf(p.o.IO.Err, "rtchat: paired: %s%s (%s) was already pinned\n", p.pinAs, as, fp)
	default:
		fmt.Fprintf(p.o.IO.Err, "rtchat: paired: pinned %s%s (%s) as an rtchat peer\n", p.pinAs, as, fp)
	}
	_, err := fmt.Fprintf(p.o.IO.Out, "%s %s\n", p.pinAs, fp)
	return err
}

// pairError gives a failed pairing its exit code: a wrong code is "not verified" (3), an
// expired invitation a timeout (4).
func pairError(ctx context.Context, err error) error {
	if _, ok := interruptOf(ctx); ok {
		return err
	}
	switch {
	case errors.Is(err, pair.ErrCrowded):
		return withHint(&ExitError{Code: ExitNotVerified, Err: err}, "make a new code with 'rtchat keys invite' and give it only to the person you mean")
	case errors.Is(err, pair.ErrWrongCode):
		return withHint(&ExitError{Code: ExitNotVerified, Err: err}, "nothing was pinned; make a new code with 'rtchat keys invite' and check it is read out right")
	case errors.Is(err, pair.ErrExpired):
		return &ExitError{Code: ExitTimeout, Err: err}
	}
	return err
}
