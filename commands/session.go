package commands

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rtchat/rtchat/keys"
	"github.com/rtchat/rtchat/rtc"
	"github.com/rtchat/rtchat/rtc/iceconf"
	"github.com/rtchat/rtchat/rtc/signal"
)

// session is what the network commands share: my identity, the room, and a printer.
type session struct {
	g      *Globals
	ios    *IO
	client *rtc.Client
	out    *printer
	// finished: the command's result is out; later lifecycle events (the teardown) are
	// not reported, so a result is always the last NDJSON line.
	finished atomic.Bool
	role     rtc.Role
	// status is the one-line state shown on a terminal's stderr while we wait.
	status *statusLine
	// watch, when set, sees every core event first (the waiting line follows the peer).
	watch atomic.Pointer[func(rtc.Event)]
}

// startSession loads the identity, parses --ice and joins the room. The caller closes it.
func startSession(ctx context.Context, g *Globals, ios *IO, role rtc.Role, pipeTo string, tune func(*rtc.Config)) (*session, error) {
	store := keys.Open(g.ConfigDir)
	id, err := store.LoadIdentity()
	if err != nil {
		return nil, err
	}
	// Pins that others control are refused here, with the fix, not later as "not pinned".
	if _, err := store.Pins(); errors.Is(err, keys.ErrUnsafePermissions) {
		return nil, err
	}
	if g.Name != "" && g.Name != id.Name {
		if err := keys.ValidateName(g.Name); err != nil {
			return nil, usageErrorf("--name: %v", err)
		}
		id, err = keys.NewIdentity(g.Name, id.PublicJWK, id.PrivateJWK)
		if err != nil {
			return nil, err
		}
	}
	ice, err := iceconf.Parse(g.ICE)
	if err != nil {
		return nil, withHint(usageErrorf("%v", err), "--ice (or RTCHAT_ICE) takes comma-separated stun:/turn: URLs, 'none' or 'loopback'")
	}
	if _, err := signal.ParseBrokerURL(g.Broker); err != nil {
		return nil, usageErrorf("--broker: %v", err)
	}
	s := &session{g: g, ios: ios, out: &printer{w: ios.Out}, status: newStatusLine(ios, g.JSON), role: role}
	if role == rtc.RolePipe {
		s.out.w = ios.Err // pipe's stdout is the byte stream: its NDJSON goes to stderr
	}
	cfg := rtc.Config{
		Broker: g.Broker, Room: g.Room, Identity: id, Store: store, Trust: rtc.Trust(g.Trust),
		// --timeout 0 (wait without limit) leaves both at the core's defaults.
		ICE: ice, Role: role, PipeTo: pipeTo, Log: g.Log, VerifyTimeout: g.Timeout,
		BrokerTimeout: g.Timeout, Reconnect: g.Reconnect,
	}
	if g.Reconnect <= 0 {
		cfg.Reconnect = -1 // the core's "no waiting"
	}
	if v, ok := g.lookupEnv(testBudgetEnv); ok {
		// Tests only: a small room past the budgets of unverified connections.
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			cfg.PendingBudget = n
		}
	}
	if v, ok := g.lookupEnv(directPunchEnv); ok {
		// Experiments and the lab's fallback case: "always" or "off" (default: auto).
		switch v {
		case rtc.PunchAlways, rtc.PunchOff:
			cfg.DirectPunch = v
		}
	}
	if v, ok := g.lookupEnv(directEarlyEnv); ok && v == "0" {
		cfg.DirectWait = true // measurements: the first byte after the negotiation, as before
	}
	if v, ok := g.lookupEnv(directCCEnv); ok {
		cfg.DirectCC = v // measurements: e.g. cubic beside the kernel's bbr
	}
	if prefix, ok := g.lookupEnv(testBugLogEnv); ok && prefix != "" {
		cfg.OnBadTransition = bugReporter(prefix)
	}
	if tune != nil {
		tune(&cfg)
	}
	// listen and the room (connect without a peer) render every event themselves.
	ownEvents := role == rtc.RoleListen || role == rtc.RoleRoom
	if !g.JSON && !ownEvents {
		// What a user must know about a peer we verify: that a key was pinned on first use
		// (like ssh's "Permanently added"), and that a web page's proof is weaker.
		next := cfg.OnEvent
		cfg.OnEvent = func(e rtc.Event) {
			if e.Type == rtc.EventVerified && (e.Pinned || !e.Bound) {
				s.status.println("rtchat: " + verifiedText(e))
			}
			if next != nil {
				next(e)
			}
		}
	}
	if g.JSON && !ownEvents {
		// Dialling commands report the lifecycle of the peers they meet as NDJSON too (a
		// dial returns once the peer joined: their result says so).
		next := cfg.OnEvent
		cfg.OnEvent = func(e rtc.Event) {
			if e.Type != rtc.EventMessage && e.Type != rtc.EventJoined && !s.finished.Load() {
				_ = s.out.object(eventJSON(e))
			}
			if next != nil {
				next(e)
			}
		}
	}
	{
		next := cfg.OnEvent
		cfg.OnEvent = func(e rtc.Event) {
			if f := s.watch.Load(); f != nil {
				(*f)(e)
			}
			if next != nil {
				next(e)
			}
		}
	}
	dctx, cancel := g.withTimeout(ctx)
	defer cancel()
	s.client, err = rtc.Start(dctx, cfg)
	if err != nil {
		if _, ok := interruptOf(ctx); ok {
			return nil, err
		}
		// Name the broker as the user gave it (less any password).
		hint := "check --broker (or RTCHAT_BROKER) and that the broker is running, or run 'rtchat doctor'"
		if errors.Is(err, signal.ErrUnresolvable) {
			hint = "check the host name in --broker (or RTCHAT_BROKER) and that you are online; without internet, run a broker on the LAN ('rtchat broker') and give its address"
		}
		return nil, withHint(fmt.Errorf("cannot join room %q on the broker %s: %w", g.Room, signal.RedactURL(g.Broker), err), hint)
	}
	g.Log.Debug("joined room", "room", g.Room, "as", s.client.Name())
	return s, nil
}

// openPeer joins the room and finds, connects and verifies peer. The caller closes the
// session when the peer is returned.
func openPeer(ctx context.Context, g *Globals, ios *IO, role rtc.Role, peer string, tune func(*rtc.Config)) (*session, *rtc.Peer, error) {
	if _, err := peerArg(peer); err != nil {
		return nil, nil, err
	}
	pipeTo := ""
	if role == rtc.RolePipe {
		pipeTo = peer
	}
	s, err := startSession(ctx, g, ios, role, pipeTo, tune)
	if err != nil {
		return nil, nil, err
	}
	p, err := s.dial(ctx, peer)
	if err != nil {
		s.close()
		return nil, nil, err
	}
	return s, p, nil
}

// waitForPerson: on a terminal, connect and pipe wait for the peer without limit unless
// --timeout (or RTCHAT_TIMEOUT, or the config file) sets one: a person starts one side
// and walks to the other machine, and the waiting line says what it waits for and that
// Ctrl-C ends it. Scripts (stderr not a terminal) and --json keep the finite default.
func waitForPerson(g *Globals, ios *IO) {
	if ios.ErrTTY && !g.JSON && g.Sources["timeout"] == "default" {
		g.Timeout = 0
	}
}

// peerArg checks a PEER argument: a bare name (protocol §4).
func peerArg(name string) (string, error) {
	if err := keys.ValidateName(name); err != nil {
		return "", usageErrorf("peer name %q: %w", name, err)
	}
	return name, nil
}

// close leaves the room, bounded so that a dead broker cannot hold the exit.
func (s *session) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := s.client.Close(ctx); err != nil {
		s.g.Log.Debug("leaving the room", "err", err)
	}
}

// closeNow leaves the room once the peer confirmed the command's work (an answer, a
// delivery): the exit does not wait for the peer's acknowledgements (rtc.Client.CloseNow).
func (s *session) closeNow() {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := s.client.CloseNow(ctx); err != nil {
		s.g.Log.Debug("leaving the room", "err", err)
	}
}

// dial finds, connects and verifies PEER within --timeout. On a terminal a status line says
// what we wait for, what PEER must run, and for how long we have waited.
func (s *session) dial(ctx context.Context, peer string) (*rtc.Peer, error) {
	dctx, cancel := s.g.withTimeout(ctx)
	defer cancel()
	stop := s.waiting(peer)
	p, err := s.client.Dial(dctx, peer)
	stop()
	if err != nil {
		return nil, err
	}
	s.g.Log.Debug("verified peer", "peer", p.Name(), "fingerprint", p.Fingerprint(), "bound", p.Bound())
	return p, nil
}

// verifiedText says who was verified, how strongly, and whether a key was pinned now.
func verifiedText(e rtc.Event) string {
	if e.Unverified {
		return fmt.Sprintf("%s connected UNVERIFIED: a client without identity keys; nothing proves who it is, its lines are marked [unverified]", safeLine(e.Peer))
	}
	how := "verified"
	if !e.Bound {
		how = "verified (web page, not bound to this connection)"
	}
	text := fmt.Sprintf("%s %s, key %s", safeLine(e.Peer), how, e.Fingerprint)
	if e.Pinned {
		text += fmt.Sprintf("; permanently pinned this key for %s (trust on first use)", safeLine(fmt.Sprintf("%q", e.Bare)))
	}
	return text
}

// testBugLogEnv: tests only (internal/racecheck sets it for the real-binary suites). Every
// state transition the core's table does not have (always a bug) is appended to the file
// PREFIX.PID, where the tests find it as they find race reports, and fail.
const testBugLogEnv = "RTCHAT_TEST_BUG_LOG"

// bugReporter appends each error to prefix.PID, one line each.
func bugReporter(prefix string) func(error) {
	path := fmt.Sprintf("%s.%d", prefix, os.Getpid())
	var mu sync.Mutex
	return func(err error) {
		mu.Lock()
		defer mu.Unlock()
		f, ferr := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
		if ferr != nil {
			return
		}
		defer f.Close()
		fmt.Fprintf(f, "BUG: %v\n", err)
	}
}

// directPunchEnv overrides when the pipe's direct path is tried by TCP hole punching:
// "always" whenever ICE connected without a relay (the lab's fallback case across a
// symmetric NAT), "off" never (benchmarks); unset, when both NATs keep ports.
const directPunchEnv = "RTCHAT_DIRECT_PUNCH"

// directEarlyEnv=0 makes the pipe wait for the direct path's negotiation before its first
// byte instead of starting on WebRTC and moving (benchmarks: the old behaviour).
const directEarlyEnv = "RTCHAT_DIRECT_EARLY"

// directCCEnv names the direct connection's TCP congestion control (Linux; benchmarks).
const directCCEnv = "RTCHAT_DIRECT_CC"

// testBudgetEnv lowers the core's budgets of connections not yet verified (tests only:
// a room of a few processes then exceeds them, as a room of dozens exceeds the real ones).
const testBudgetEnv = "RTCHAT_TEST_PENDING_BUDGET"
