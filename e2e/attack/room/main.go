// Command room is an attacker on an honest MQTT broker: anyone may publish on the room
// topic mrtchat/ROOM, so it forges, replays and floods signaling there and runs real pion
// peers against rtchat processes. It is written against the wire format (shared protocol
// rtchat-wire.md and docs/protocol.md), never against rtchat's core, and is driven by the
// e2e tests in e2e/attack_room_test.go.
//
// Usage:
//
//	room MODE -broker mqtt://127.0.0.1:PORT [-room chat] [flags]
//
// Modes (each documents its flags in its file):
//
//	impostor      relay alice's identity question to bob and answer alice's ask itself
//	forge         forged or replayed RTCOffer, forged unload/nameChange against a live session
//	race          a self-signed offer or an unload in alice's name the moment she offers
//	deadoffers    offers with dead SDPs from made-up names (connection slot exhaustion)
//	zombies       real pion peers that connect and never prove an identity
//	lzbomb        tiny LZ payloads that expand to ~1 M UTF-16 units
//	presence      connect messages with huge publicKeyString values
//	candidates    one offer with thousands of candidates aimed at our own UDP sockets
//	msgflood      many small messages as fast as the broker takes them
//	badname       a presence whose sender name holds escape sequences and a forged line
//	webpage       a web page of our own (or a keyless client) under any name says a line
//	brokerslots   TCP connections that never log in, holding the broker's places
//
// Output: one JSON object per line on stdout, each with an "event" member. A mode that ran
// its attack ends with {"event":"summary",...} and exits 0; {"event":"error",...} and exit
// 1 mean the attacker itself failed. Input: lines on stdin are commands: "go" (modes that wait for a
// trigger) and "stop"; EOF on stdin is "stop".
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/rtchat/rtchat/keys"
)

// out writes the NDJSON status lines.
var out = &reporter{w: bufio.NewWriter(os.Stdout)}

type reporter struct {
	mu sync.Mutex
	w  *bufio.Writer
}

// emit prints one status line: {"event":event, kv...}.
func (r *reporter) emit(event string, kv map[string]any) {
	m := map[string]any{"event": event}
	for k, v := range kv {
		m[k] = v
	}
	b, err := json.Marshal(m)
	if err != nil {
		b = []byte(fmt.Sprintf(`{"event":"error","error":%q}`, err.Error()))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	_, _ = r.w.Write(append(b, '\n'))
	_ = r.w.Flush()
}

// control is what the test says on stdin.
type control struct {
	goCh   chan struct{} // one value per "go" line
	stopCh chan struct{} // closed on "stop" or EOF
}

func readControl() *control {
	c := &control{goCh: make(chan struct{}, 16), stopCh: make(chan struct{})}
	go func() {
		defer close(c.stopCh)
		sc := bufio.NewScanner(os.Stdin)
		for sc.Scan() {
			switch strings.TrimSpace(sc.Text()) {
			case "go":
				c.goCh <- struct{}{}
			case "stop":
				return
			}
		}
	}()
	return c
}

// waitGo waits for a "go" line; false if stopped first or ctx ended.
func (c *control) waitGo(ctx context.Context) bool {
	select {
	case <-c.goCh:
		return true
	case <-c.stopCh:
		return false
	case <-ctx.Done():
		return false
	}
}

// common flags of every mode.
type common struct {
	broker   string
	room     string
	victim   string
	deadline time.Duration
}

func (c *common) register(fs *flag.FlagSet) {
	fs.StringVar(&c.broker, "broker", "", "broker URL (mqtt://HOST:PORT or tcp://HOST:PORT)")
	fs.StringVar(&c.room, "room", "chat", "room (topic mrtchat/ROOM)")
	fs.StringVar(&c.victim, "victim", "bob", "bare name of the listener under attack")
	fs.DurationVar(&c.deadline, "deadline", 80*time.Second, "the attacker gives up and exits after this")
}

type mode struct {
	run   func(ctx context.Context, args []string, ctl *control) error
	about string
}

var modes = map[string]mode{
	"impostor":    {runImpostor, "pose as the victim to alice, relaying identity questions"},
	"forge":       {runForge, "forged/replayed offer, forged unload and nameChange"},
	"race":        {runRace, "self-signed offer or unload in alice's name as she offers"},
	"deadoffers":  {runDeadOffers, "offers with dead SDPs from made-up names"},
	"zombies":     {runZombies, "real peers that connect and never prove an identity"},
	"lzbomb":      {runLZBomb, "LZ decompression bombs"},
	"presence":    {runPresence, "connect messages with huge keys"},
	"candidates":  {runCandidates, "an offer with thousands of candidates"},
	"msgflood":    {runMsgFlood, "many small messages"},
	"badname":     {runBadName, "a presence whose sender name holds escape sequences"},
	"webpage":     {runWebPage, "a web page of our own (or keyless) under any name says a line"},
	"brokerslots": {runBrokerSlots, "hold the broker's connection places without logging in"},
}

func main() {
	if len(os.Args) < 2 || modes[os.Args[1]].run == nil {
		fmt.Fprintln(os.Stderr, "usage: room MODE [flags]; modes:")
		for name, m := range modes {
			fmt.Fprintf(os.Stderr, "  %-11s %s\n", name, m.about)
		}
		os.Exit(2)
	}
	m := modes[os.Args[1]]
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctl := readControl()
	if err := m.run(ctx, os.Args[2:], ctl); err != nil {
		out.emit("error", map[string]any{"error": err.Error()})
		os.Exit(1)
	}
}

// parseAttack parses a mode's flags (see parse) and starts the attacker (see mallory); done
// closes the room connection and ends the context.
func parseAttack(ctx context.Context, fs *flag.FlagSet, c *common, args []string) (context.Context, *room, *keys.Identity, func(), error) {
	ctx, cancel := parse(ctx, fs, c, args)
	id, r, err := mallory(ctx, *c)
	if err != nil {
		cancel()
		return ctx, nil, nil, nil, err
	}
	return ctx, r, id, func() { r.close(); cancel() }, nil
}

// mallory is the attacker's own identity and its connection to the room, under a full name
// of its own.
func mallory(ctx context.Context, c common) (*keys.Identity, *room, error) {
	id, err := keys.Generate("mallory")
	if err != nil {
		return nil, nil, err
	}
	r, err := dialRoom(ctx, c.broker, c.room, "mallory("+randHex(2)+")", id.PublicJWK)
	if err != nil {
		return nil, nil, err
	}
	r.seal = newSealer()
	if r.sealI, err = r.seal.info(id, r.topic, r.me); err != nil {
		r.close()
		return nil, nil, err
	}
	return id, r, nil
}

// parse parses a mode's flags (exits 2 on a usage error) and returns a context bounded by
// -deadline.
func parse(ctx context.Context, fs *flag.FlagSet, c *common, args []string) (context.Context, context.CancelFunc) {
	c.register(fs)
	if err := fs.Parse(args); err != nil {
		os.Exit(2)
	}
	if c.broker == "" {
		fmt.Fprintln(os.Stderr, "-broker is required")
		os.Exit(2)
	}
	return context.WithTimeout(ctx, c.deadline)
}
