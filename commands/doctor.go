package commands

import (
	"context"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rtchat/rtchat/rtc/doctor"
	"github.com/rtchat/rtchat/rtc/signal"
)

// doctorBrokerDefault bounds the broker check when --timeout keeps its 30 s default.
const doctorBrokerDefault = signal.DefaultConnectTimeout

// doctorOptions is what 'rtchat doctor' runs with.
type doctorOptions struct {
	Globals *Globals
	IO      *IO
}

func newDoctorCmd(g *Globals, ios *IO, runF func(context.Context, *doctorOptions) error) *cobra.Command {
	opts := &doctorOptions{Globals: g, IO: ios}
	return &cobra.Command{
		Use:   "doctor",
		Short: "Check identity, broker, ICE servers and UDP buffers when something does not connect",
		Long: `doctor checks, one line each, what rtchat needs to connect, and says what to do about
anything that is wrong:

  identity    my identity exists and loads; the key file is 0600, the config dir 0700
  peers       how many peers are pinned (none: nobody can connect under --trust known)
  broker      the --broker answers over TCP, accepts an MQTT session, and relays a test
              message back to us (on a private topic mrtchat/ROOM/doctor/RANDOM, which no
              room member sees); the round-trip time is shown
  ice         each --ice server answers: stun: a STUN Binding request over UDP, showing my
              public (reflexive) address and the round trip; turn: a Binding and a TURN
              allocation with the given credentials, showing the relay address
  nat         what NAT I am behind: one UDP socket asks two STUN addresses of --ice for my
              public address; the same for both is an endpoint-independent NAT (STUN is
              enough), different is a symmetric NAT (a peer behind a NAT needs TURN), no
              answer means UDP is blocked (TURN over TCP/TLS only)
  turn-relay  each turn:/turns: server relays between two allocations of mine (what two
              peers behind symmetric NATs need)
  udp-buffer  net.core.rmem_max/wmem_max are at least the 4 MiB 'rtchat pipe' asks for

Each line is "ok", "WARN" or "FAIL" (✓ ! ✗ on a terminal). Warnings do not fail the
run; any FAIL makes doctor exit 1. A STUN server that does not answer is a warning: peers
on the LAN (--ice none) or this machine (--ice loopback) connect without STUN; a TURN
server that fails is a failure. The broker check is bounded by --timeout (10s when
--timeout is left at its default), each ICE server by 3s (or --timeout if smaller); the
servers are checked at the same time. With --json, one NDJSON object per check
({"type":"check","name","status","detail","fix","rtt_ms",...}) and then a summary
({"type":"summary","ok","warn","fail"}). See docs/doctor.md.`,
		Example: `  rtchat doctor                                   # the defaults: public broker, Google STUN
  rtchat doctor --broker mqtt://192.168.1.10:1883   # my own broker on the LAN
  rtchat doctor --ice 'stun:stun.example.org:3478,turn:me:secret@turn.example.org:3478'
  rtchat doctor --ice none --timeout 5s
  rtchat doctor --json | jq -r 'select(.status=="fail") | .fix'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runDoctor(cmd.Context(), opts)
		},
	}
}

func runDoctor(ctx context.Context, opts *doctorOptions) error {
	g, ios := opts.Globals, opts.IO
	brokerTimeout := g.Timeout
	if g.Timeout == DefaultTimeout {
		brokerTimeout = doctorBrokerDefault
	}
	if g.Timeout == 0 { // --timeout 0: no limit for peers; the checks keep theirs
		brokerTimeout = doctorBrokerDefault
	}
	iceTimeout := doctor.DefaultICETimeout
	if g.Timeout > 0 {
		iceTimeout = min(iceTimeout, g.Timeout)
	}

	// The network checks run at the same time; the report keeps a fixed order.
	brokerCh := make(chan doctor.Result, 1)
	go func() {
		brokerCh <- doctor.Broker(ctx, doctor.BrokerOptions{
			URL: g.Broker, Room: g.Room, Timeout: brokerTimeout, Logger: g.Log,
		})
	}()
	iceCh := make(chan []doctor.Result, 1)
	go func() { iceCh <- doctor.ICE(ctx, g.ICE, iceTimeout) }()
	natCh := make(chan []doctor.Result, 1) // NAT type, and TURN relaying (rtc/doctor/nat.go)
	go func() { natCh <- doctor.NATChecks(ctx, g.ICE, iceTimeout) }()

	rep := &doctorReport{w: ios.Out, json: g.JSON, tty: ios.OutTTY}
	rep.add(doctor.Identity(g.ConfigDir, g.Name))
	rep.add(doctor.Peers(g.ConfigDir))
	rep.add(<-brokerCh)
	for _, r := range <-iceCh {
		rep.add(r)
	}
	for _, r := range <-natCh {
		rep.add(r)
	}
	rep.add(doctor.UDPBuffer())
	rep.summary()
	if err := ctx.Err(); err != nil {
		return err
	}
	if rep.fail > 0 {
		return &ExitError{Code: ExitFailure, Err: fmt.Errorf("doctor: %d check%s failed", rep.fail, doctorPlural(rep.fail))}
	}
	return nil
}

// doctorReport prints the check results as aligned lines or NDJSON, and counts them.
type doctorReport struct {
	w              io.Writer
	json, tty      bool
	ok, warn, fail int
	lastFix        string // the fix of the line before: the same advice is said once
}

const doctorNameWidth = 11

func (p *doctorReport) add(r doctor.Result) {
	switch r.Status {
	case doctor.StatusOK:
		p.ok++
	case doctor.StatusWarn:
		p.warn++
	default:
		p.fail++
	}
	if p.json {
		obj := checkJSON{Type: "check", Name: r.Name, Target: r.Target, Status: string(r.Status),
			Detail: r.Detail, Fix: r.Fix, Reflexive: r.Reflexive, Relay: r.Relay}
		if r.RTT > 0 {
			ms := math.Round(float64(r.RTT)/float64(time.Microsecond)) / 1000
			obj.RTTms = &ms
		}
		_ = writeJSON(p.w, obj)
		return
	}
	marker := map[doctor.Status][2]string{
		doctor.StatusOK:   {"ok  ", "✓"},
		doctor.StatusWarn: {"WARN", "!"},
		doctor.StatusFail: {"FAIL", "✗"},
	}[r.Status]
	defer func() { p.lastFix = r.Fix }()
	m := marker[0]
	if p.tty {
		m = marker[1]
	}
	fmt.Fprintf(p.w, "%s %-*s %s\n", m, doctorNameWidth, r.Name, doctorOneLine(r.Detail))
	if r.Fix != "" && r.Fix != p.lastFix {
		fmt.Fprintf(p.w, "%s %-*s fix: %s\n", strings.Repeat(" ", len([]rune(m))), doctorNameWidth, "", doctorOneLine(r.Fix))
	}
}

func (p *doctorReport) summary() {
	if p.json {
		_ = writeJSON(p.w, doctorSummaryJSON{Type: "summary", OK: p.ok, Warn: p.warn, Fail: p.fail})
		return
	}
	switch {
	case p.fail == 0 && p.warn == 0:
		fmt.Fprintf(p.w, "\nall %d checks passed\n", p.ok)
	default:
		fmt.Fprintf(p.w, "\n%d ok, %d warning%s, %d failure%s\n", p.ok, p.warn, doctorPlural(p.warn), p.fail, doctorPlural(p.fail))
	}
}

func doctorOneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func doctorPlural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
