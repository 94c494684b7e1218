// Package commands holds rtchat's Cobra commands: flag parsing, environment, printing and
// exit codes. The protocol lives in rtc; identities in keys.
package commands

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/rtchat/rtchat/rtc"
	"github.com/rtchat/rtchat/rtc/iceconf"
)

// Defaults of the CLI contract.
const (
	DefaultBroker  = "wss://broker.emqx.io:8084/mqtt"
	DefaultRoom    = "chat"
	DefaultTimeout = 30 * time.Second
	DefaultTrust   = "known"
)

// Globals holds the global flags after flag > environment > default resolution.
type Globals struct {
	ConfigDir string
	Name      string
	Broker    string
	Room      string
	ICE       string
	Trust     string
	Timeout   time.Duration
	Reconnect time.Duration
	JSON      bool
	Verbose   bool // -v given at least once
	Verbosity int  // how many times -v was given

	// Sources says where each global came from (flag, env, file or default).
	Sources    map[string]string
	ConfigFile string

	Log *slog.Logger

	lookupEnv func(string) (string, bool) // the environment (tests pass their own)
}

// envOf names the environment variable behind each global flag.
var envOf = map[string]string{
	"config-dir": "RTCHAT_CONFIG_DIR",
	"name":       "RTCHAT_NAME",
	"broker":     "RTCHAT_BROKER",
	"room":       "RTCHAT_ROOM",
	"ice":        "RTCHAT_ICE",
	"timeout":    "RTCHAT_TIMEOUT",
	"trust":      "RTCHAT_TRUST",
	"reconnect":  "RTCHAT_RECONNECT",
}

// Execute runs rtchat with the process's arguments and streams and returns the exit code.
func Execute() int {
	ctx, stop := interruptContext(context.Background())
	defer stop()
	return Run(ctx, SystemIO(), os.Args[1:], os.LookupEnv)
}

// interrupted is the cause of a context ended by a signal (Ctrl-C, SIGTERM).
type interrupted struct{ sig os.Signal }

func (e interrupted) Error() string { return "interrupted (" + e.sig.String() + ")" }

// code is the shell's convention for a process ended by the signal: 128 + its number.
func (e interrupted) code() int {
	if s, ok := e.sig.(syscall.Signal); ok {
		return 128 + int(s)
	}
	return 128 + 2
}

// interruptContext is cancelled with an interrupted cause by the first SIGINT or SIGTERM.
// It stops catching them then, so a second Ctrl-C ends the process at once.
func interruptContext(parent context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(parent)
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		select {
		case s := <-ch:
			signal.Stop(ch)
			cancel(interrupted{sig: s})
		case <-ctx.Done():
		}
	}()
	return ctx, func() { signal.Stop(ch); cancel(nil) }
}

// interruptOf reports the signal that ended ctx, if one did.
func interruptOf(ctx context.Context) (interrupted, bool) {
	var in interrupted
	if ctx.Err() == nil {
		return in, false
	}
	ok := errors.As(context.Cause(ctx), &in)
	return in, ok
}

// Run runs rtchat in-process: tests call it with buffers and their own environment.
func Run(ctx context.Context, ios *IO, args []string, lookupEnv func(string) (string, bool)) int {
	root, g := newRoot(ios, lookupEnv)
	return execute(ctx, root, g, ios, args)
}

// execute runs a command tree and reports a failure: "rtchat: ERROR" on stderr, then
// "rtchat: hint: HINT" when there is something to do about it, and with --json an error
// object as the last NDJSON line. It returns the exit code.
func execute(ctx context.Context, root *cobra.Command, g *Globals, ios *IO, args []string) int {
	if len(args) == 0 {
		// rtchat alone is a usage error, as git alone is: the usage on stderr and exit 2,
		// so a script that lost its arguments does not carry on as if something ran.
		fmt.Fprint(ios.Err, root.UsageString())
		err := withHint(errors.New("no command given"), "run 'rtchat --help' for usage")
		fmt.Fprintf(ios.Err, "rtchat: %s\n%s", err, hintLine(err))
		return ExitUsage
	}
	root.SetArgs(args)
	root.SetIn(ios.In)
	root.SetOut(ios.Out)
	root.SetErr(ios.Err)
	cmd, err := root.ExecuteContextC(ctx)
	if cmd == nil {
		cmd = root
	}
	if in, ok := interruptOf(ctx); ok {
		// Ctrl-C is 130 whatever the command was doing when it came (waiting is not a
		// timeout, an unfinished pipe is not a lost connection). A command whose normal
		// end is a signal (listen, broker) stops cleanly on SIGTERM.
		if cmd.Annotations[annotStopsOnSignal] == "true" && in.sig == syscall.SIGTERM && err == nil {
			return ExitOK
		}
		err = &ExitError{Code: in.code(), Err: errors.New("interrupted")}
	}
	if err == nil {
		return ExitOK
	}
	code := codeOf(err)
	if isCobraUsage(err) {
		code = ExitUsage
	}
	if code == ExitUsage && !strings.Contains(err.Error(), "--help") {
		// Every usage error says where the usage is (unless its text already does).
		err = withHint(err, fmt.Sprintf("run '%s --help' for usage", cmd.CommandPath()))
	}
	// Error texts may quote what a peer said (an error answer, an abort reason): shown
	// safely, on one line.
	fmt.Fprintf(ios.Err, "rtchat: %s\n", safeText(err.Error()))
	fmt.Fprint(ios.Err, hintLine(err))
	if g.JSON {
		// Scripts reading NDJSON see the failure too, with the exit code it causes, on the
		// stream that carries the command's NDJSON.
		_ = writeJSON(ndjsonStream(cmd, ios), newErrorJSON(err, code))
	}
	return code
}

// annotNDJSON on a command names the stream its NDJSON goes to when it is not stdout.
const annotNDJSON = "rtchat/ndjson"

// annotStopsOnSignal marks a command that runs until it is stopped (listen, broker): SIGTERM
// is its clean end (exit 0); Ctrl-C still exits 130, as everywhere.
const annotStopsOnSignal = "rtchat/stops-on-signal"

// ndjsonStream is where cmd's NDJSON goes: stdout, or stderr for a command whose stdout is
// data (pipe's byte stream).
func ndjsonStream(cmd *cobra.Command, ios *IO) io.Writer {
	if cmd.Annotations[annotNDJSON] == "stderr" {
		return ios.Err
	}
	return ios.Out
}

// isCobraUsage spots the usage errors Cobra makes itself (unknown command, bad arg count).
func isCobraUsage(err error) bool {
	msg := err.Error()
	return strings.HasPrefix(msg, "unknown command") || strings.HasPrefix(msg, "accepts ") ||
		strings.HasPrefix(msg, "requires at least") || strings.HasPrefix(msg, "requires at most") ||
		strings.HasPrefix(msg, "unknown flag") || strings.HasPrefix(msg, "unknown shorthand flag")
}

// NewRootCmd builds the whole command tree.
func NewRootCmd(ios *IO, lookupEnv func(string) (string, bool)) *cobra.Command {
	root, _ := newRoot(ios, lookupEnv)
	return root
}

func newRoot(ios *IO, lookupEnv func(string) (string, bool)) (*cobra.Command, *Globals) {
	if lookupEnv == nil {
		lookupEnv = os.LookupEnv
	}
	g := &Globals{lookupEnv: lookupEnv}
	root := &cobra.Command{
		Use:   "rtchat",
		Short: "Serverless, end-to-end encrypted peer-to-peer messaging",
		Long: `rtchat finds peers on a topic of a public MQTT broker, connects to them directly over
WebRTC, proves who they are with public keys, and then chats, answers questions and pipes
bytes. It speaks the RTChat web client's protocol, so CLI and web users can talk.`,
		Example: `  rtchat keys gen --name alice          # make my identity
  rtchat keys show                      # print it for my peers
  rtchat keys register 'bob|{"alg":...}'  # pin a peer's key
  rtchat listen                         # stay online, print messages
  rtchat ask bob "what time is it?"     # one question, one answer
  tar c . | rtchat pipe bob             # stream bytes to a verified peer`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			return g.resolve(cmd, ios)
		},
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return withHint(usageErrorf("%v", err), fmt.Sprintf("run '%s --help' for usage", c.CommandPath()))
	})
	pf := root.PersistentFlags()
	pf.StringVar(&g.ConfigDir, "config-dir", "", "identity and pinned peers live here (env RTCHAT_CONFIG_DIR; default $XDG_CONFIG_HOME/rtchat or ~/.config/rtchat)")
	pf.StringVar(&g.Name, "name", "", "who I am in the room, a bare name (env RTCHAT_NAME; default the name stored by 'keys gen')")
	pf.StringVar(&g.Broker, "broker", DefaultBroker, "MQTT broker URL: mqtt://, tcp://, mqtts://, ssl://, tls://, ws://, wss://; user:pass@ allowed (env RTCHAT_BROKER)")
	pf.StringVar(&g.Room, "room", DefaultRoom, "room to meet in: topic mrtchat/ROOM (env RTCHAT_ROOM)")
	pf.StringVar(&g.ICE, "ice", "", "comma-separated stun:/turn: URLs, 'none' (host candidates only) or 'loopback' (127.0.0.1 only) (env RTCHAT_ICE; default the web page's STUN list)")
	durationVar(pf, &g.Reconnect, "reconnect", rtc.DefaultReconnect, "how long a verified connection may stay unreachable (outage, new address, paused peer) before it is given up; 0 gives up at once (env RTCHAT_RECONNECT)")
	durationVar(pf, &g.Timeout, "timeout", DefaultTimeout, "how long to wait for a peer to appear, connect, verify and answer, in seconds (5) or with a unit (1m30s); 0 waits without limit (env RTCHAT_TIMEOUT)")
	pf.StringVar(&g.Trust, "trust", DefaultTrust, "trust policy: 'known' (pinned keys only), 'tofu' (pin new names on first verified connection) or 'unverified' (as tofu, and talk to clients without identity keys, every line of theirs marked unverified; never for pipe; warned about unless given as this flag) (env RTCHAT_TRUST)")
	pf.BoolVar(&g.JSON, "json", false, "NDJSON on stdout, one object per event, message or result")
	pf.CountVarP(&g.Verbosity, "verbose", "v", "diagnostics on stderr: -v rtchat's own (signaling, ICE path, verification, transport), -vv also the WebRTC stack's debug")

	root.AddCommand(
		newKeysCmd(g, ios),
		newBrokerCmd(g, ios),
		newListenCmd(g, ios, nil),
		newConnectCmd(g, ios, nil),
		newSendCmd(g, ios, nil),
		newAskCmd(g, ios, nil),
		newPipeCmd(g, ios, nil),
		newDoctorCmd(g, ios, nil),
		newConfigCmd(g, ios, nil),
	)
	setupVersion(root, g, ios)
	setupCompletion(root, g, ios)
	return root, g
}

// resolve applies flag > environment > config file > default and checks the values. It
// records where each global came from, for 'rtchat config'.
func (g *Globals) resolve(cmd *cobra.Command, ios *IO) error {
	g.Sources = map[string]string{}
	flags := cmd.Flags()
	var err error
	// The config dir first: it holds the config file.
	if f := flags.Lookup("config-dir"); f != nil {
		err = g.resolveOne(f, nil)
	}
	if err != nil {
		return err
	}
	if g.ConfigDir == "" {
		g.ConfigDir, err = defaultConfigDir(g.lookupEnv)
		if err != nil {
			return err
		}
	}
	file, err := loadConfigFile(g.ConfigDir)
	if err != nil {
		return err
	}
	g.ConfigFile = file.path
	flags.VisitAll(func(f *pflag.Flag) {
		if err == nil && f.Name != "config-dir" {
			err = g.resolveOne(f, file)
		}
	})
	if err != nil {
		return err
	}
	if _, err := rtc.ParseTrust(g.Trust); err != nil {
		return usageErrorf("%v (from %s)", err, g.Sources["trust"])
	}
	if rtc.Trust(g.Trust) == rtc.TrustUnverified && g.Sources["trust"] != "flag --trust" && !completing(cmd) {
		// A standing setting that lets in peers who prove nothing is said every run: it
		// is meant to be a choice made on the command line, for one run.
		fmt.Fprintf(ios.Err, "rtchat: warning: trust policy 'unverified' from %s: clients without identity keys are talked to, and nothing proves who they are; give --trust unverified on the command line when you mean it\n", g.Sources["trust"])
	}
	if g.Timeout < 0 {
		return usageErrorf("--timeout must not be negative, got %v (from %s); 0 waits without limit", g.Timeout, g.Sources["timeout"])
	}
	if g.Reconnect < 0 {
		return usageErrorf("--reconnect must not be negative, got %v (from %s); 0 gives up at once", g.Reconnect, g.Sources["reconnect"])
	}
	g.Verbose = g.Verbosity > 0
	level := slog.LevelWarn
	switch {
	case g.Verbosity == 1:
		level = slog.LevelDebug // rtchat's own diagnostics
	case g.Verbosity > 1:
		level = iceconf.LevelStack // and the WebRTC stack's debug
	}
	g.Log = slog.New(slog.NewTextHandler(ios.Err, &slog.HandlerOptions{Level: level}))
	return nil
}

// completing: cmd is Cobra's hidden completion command (its stderr is not the user's).
func completing(cmd *cobra.Command) bool {
	return cmd.Name() == cobra.ShellCompRequestCmd || cmd.Name() == cobra.ShellCompNoDescRequestCmd
}

// resolveOne sets one global flag from the first source that has it.
func (g *Globals) resolveOne(f *pflag.Flag, file *configFile) error {
	env, global := envOf[f.Name]
	if !global {
		return nil
	}
	switch {
	case f.Changed:
		g.Sources[f.Name] = "flag --" + f.Name
		return nil
	case env != "":
		if v, set := g.lookupEnv(env); set && v != "" {
			if e := f.Value.Set(v); e != nil {
				return usageErrorf("invalid %s=%q: %v", env, v, e)
			}
			g.Sources[f.Name] = "env " + env
			return nil
		}
	}
	if file != nil {
		if v, ok := file.values[f.Name]; ok {
			if e := f.Value.Set(v); e != nil {
				return usageErrorf("invalid %s = %q in %s: %v", f.Name, v, file.path, e)
			}
			g.Sources[f.Name] = "file " + file.path
			return nil
		}
	}
	g.Sources[f.Name] = "default"
	return nil
}

// withTimeout bounds ctx by --timeout; --timeout 0 leaves it without a deadline (the core
// then waits until the peer comes or the user interrupts).
func (g *Globals) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if g.Timeout == 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, g.Timeout)
}

func defaultConfigDir(lookupEnv func(string) (string, bool)) (string, error) {
	if x, ok := lookupEnv("XDG_CONFIG_HOME"); ok && strings.TrimSpace(x) != "" {
		return filepath.Join(x, "rtchat"), nil
	}
	home, ok := lookupEnv("HOME")
	if !ok || home == "" {
		h, err := os.UserHomeDir()
		if err != nil {
			return "", withHint(fmt.Errorf("no config dir: %w", err), "set --config-dir or RTCHAT_CONFIG_DIR")
		}
		home = h
	}
	return filepath.Join(home, ".config", "rtchat"), nil
}
