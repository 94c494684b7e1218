package commands

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/rtchat/rtchat/rtc"
	"github.com/rtchat/rtchat/rtc/stream"
)

// pipeChunk is the copy buffer: the largest message every WebRTC stack accepts (pion-notes).
const pipeChunk = stream.MaxChunk

// pipeOptions is what 'rtchat pipe' runs with.
type pipeOptions struct {
	Globals *Globals
	IO      *IO

	Peer   string
	Direct bool   // --direct: take the verified direct path when the peers reach each other
	Size   string // --size: how many bytes stdin holds, for the percentage and ETA
}

func newPipeCmd(g *Globals, ios *IO, runF func(context.Context, *pipeOptions) error) *cobra.Command {
	opts := &pipeOptions{Globals: g, IO: ios}
	cmd := &cobra.Command{
		Use:   "pipe PEER",
		Short: "Join stdin/stdout to a verified peer's byte stream",
		Long: `Both ends run 'rtchat pipe OTHER'. They meet in the room, connect directly, prove
their pinned keys to each other, and then stdin goes to PEER and PEER's bytes come out on
stdout: binary, reliable, ordered, both directions at once, in constant memory.

EOF on stdin ends only my sending side (like 'nc -N'): the other direction keeps flowing
until PEER ends it too. When PEER's direction ends, stdout is closed at once, so a reader
such as '| tar x' finishes without waiting for my side. rtchat exits 0 only when both
directions ended cleanly and PEER acknowledged every byte I sent. If PEER vanishes, the
connection fails or PEER's output closes early, rtchat says so on stderr and exits
non-zero (5). Once the stream is up the MQTT broker is no longer needed.
When the two machines reach each other over TCP (the same machine, a LAN, a public
address, or two NATs that keep ports, which TCP hole punching gets through), the verified
peers move the stream to a direct TLS connection whose certificates they exchanged over the
verified channel: faster, and as private. The bytes start on WebRTC at once and move there
mid-stream when it comes up, none lost or repeated. A pipe on the direct path does not
survive a change of this machine's address; --direct=false keeps it on WebRTC, which does.
The summary says which carried the bytes.

When stdin is a terminal, pipe only receives: it sends nothing and exits once PEER's
bytes have all arrived ('rtchat pipe alice > file' ends by itself). To send what you type,
pipe it in: 'cat | rtchat pipe bob'.

On a terminal (stderr), pipe waits for PEER without limit unless --timeout or
RTCHAT_TIMEOUT is set (Ctrl-C ends it); in a script it gives up after --timeout (30s by
default).

On a terminal, stderr shows what we wait for (and what PEER must run), then a progress
line with each direction and its rate (with a percentage and an ETA when the size is
known: stdin is a file, or --size says it), then a summary: bytes each way, each direction's
rate over its own transfer time, and the connection type. With --json the NDJSON (events,
progress each second, the final summary and any error) goes to stderr, since stdout is
the byte stream.`,
		Example: `  # machine A                          # machine B
  tar c . | rtchat pipe bob              rtchat pipe alice | tar x
  rtchat pipe bob < backup.sql.gz        rtchat pipe alice > backup.sql.gz
  tar cz dir | rtchat pipe bob           rtchat pipe alice | tar xz
  pg_dump db | gzip | rtchat pipe bob    rtchat pipe alice | gunzip | psql db`,
		Args: positional,
		RunE: func(cmd *cobra.Command, args []string) error {
			peer, err := peerArg(args[0])
			if err != nil {
				return err
			}
			opts.Peer = peer
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runPipe(cmd.Context(), opts)
		},
		ValidArgsFunction: completePeers(g),
		// Run writes the error object with the rest of the NDJSON: on stderr.
		Annotations: map[string]string{annotNDJSON: "stderr"},
	}
	cmd.Flags().StringVar(&opts.Size, "size", "", "how much stdin holds (bytes, or with a unit: 500M, 4.2GiB), for the progress line's percentage and ETA; known without it when stdin is a file")
	cmd.Flags().BoolVar(&opts.Direct, "direct", true, "once verified, move the stream to a direct TLS connection (certificates exchanged over the verified channel) when the peers reach each other; false keeps it on WebRTC")
	return cmd
}

func runPipe(ctx context.Context, opts *pipeOptions) error {
	g, ios, peer := opts.Globals, opts.IO, opts.Peer
	total, err := inputSize(ios.In, opts.Size)
	if err != nil {
		return err
	}
	waitForPerson(g, ios)
	// A closed stdout must be a write error we report (and tell the peer about), not a
	// silent death by SIGPIPE: Go kills a program writing to a broken pipe on fd 1 unless
	// SIGPIPE is ignored or notified.
	signal.Ignore(syscall.SIGPIPE)
	s, p, err := openPeer(ctx, g, ios, rtc.RolePipe, peer, func(c *rtc.Config) { c.Direct = opts.Direct })
	if err != nil {
		return err
	}
	defer s.close()
	defer p.Close()
	sctx, cancel := g.withTimeout(ctx)
	st, err := p.Stream(sctx)
	cancel()
	if err != nil {
		return err
	}
	start := time.Now()
	path, _ := p.Path()
	g.Log.Debug("pipe open", "peer", p.Name(), "path", path.String(), "transport", p.StreamPath())
	if g.JSON {
		_ = s.out.object(newPathJSON(p, path))
	}
	in := ios.In
	if ios.InTTY {
		total = 0
		// Like a download: a terminal on stdin means "receive". Reading it would hold the
		// pipe open until Ctrl-D and send whatever was typed.
		in = strings.NewReader("")
		if !g.JSON {
			s.status.println(fmt.Sprintf("rtchat: stdin is a terminal: receiving only (to send what you type: cat | rtchat pipe %s)", peer))
		}
	}
	var sent, recv pipeMeter
	stopProgress := func() {}
	if g.JSON || s.status.on {
		stop, done := make(chan struct{}), make(chan struct{})
		go func() {
			defer close(done)
			if g.JSON {
				pipeProgressJSON(s.out, st, start, total, stop)
			} else {
				pipeProgressLine(s.status, &sent, &recv, start, total, stop)
			}
		}()
		var once sync.Once
		stopProgress = func() { once.Do(func() { close(stop); <-done; s.status.clear() }) }
		defer stopProgress()
	}

	sendDone := make(chan error, 1)
	recvDone := make(chan error, 1)
	go func() { sendDone <- explainLoss(p, "sending", pipeSend(ctx, st, in, &sent)) }()
	go func() { recvDone <- explainLoss(p, "receiving", pipeReceive(st, ios.Out, ios.CloseOut, &recv)) }()

	var sendErr, recvErr error
	for sendDone != nil || recvDone != nil {
		select {
		case err := <-sendDone:
			sendErr, sendDone = err, nil
			if err != nil {
				recvDone = nil // a failed direction ends the pipe
			}
		case err := <-recvDone:
			recvErr, recvDone = err, nil
			if err != nil {
				sendDone = nil
			}
		case <-ctx.Done():
			_ = st.Abort("the peer was interrupted")
			stopProgress()
			stats := st.Stats()
			s.finished.Store(true)
			pipeReport(s, p, false, stats, &sent, &recv, time.Since(start), path)
			return fmt.Errorf("interrupted: %w", context.Cause(ctx))
		}
	}
	stats := st.Stats()
	_ = st.Close() // waits until the peer has our last frames
	err = errors.Join(recvErr, sendErr)
	if err == nil {
		// Both directions ended and were acknowledged, and the peer has our last frame:
		// nothing is left to deliver, so leave without the bye and the SCTP shutdown (up
		// to 400 ms of the peer's delayed acknowledgements).
		s.closeNow()
	}
	stopProgress()
	s.finished.Store(true)
	pipeReport(s, p, err == nil, stats, &sent, &recv, time.Since(start), path)
	return err
}

// pipeReport prints the summary: one line on a terminal, the summary object with --json (on
// failure too: bytes each way so far; Run then adds the error object).
func pipeReport(s *session, p *rtc.Peer, ok bool, stats stream.Stats, sent, recv *pipeMeter, ran time.Duration, path rtc.Path) {
	connType := path.Local
	if p.StreamPath() == "direct" {
		connType = "direct TLS" // the stream left WebRTC for the verified direct path
	}
	if s.g.JSON {
		summary := pipeSummaryJSON{
			Type: "summary", Peer: p.Name(), Name: p.Bare(), OK: ok,
			Sent: stats.Sent, Received: stats.Received, Seconds: ran.Seconds(), Connection: path.Local,
			RemoteConnection: path.Remote, Protocol: path.Protocol, Relay: path.Relay, Transport: p.StreamPath(),
			SentSeconds: sent.active().Seconds(), ReceivedSeconds: recv.active().Seconds(),
		}
		if err := s.out.object(summary); err != nil {
			s.g.Log.Debug("writing the summary", "err", err)
		}
		return
	}
	if s.status.on {
		s.status.println("rtchat: " + pipeSummaryText(p.Name(), ok, stats, sent, recv, connType))
	}
}

// pipeSummaryText: "sent 64.0 MiB in 1.2s (53.3 MiB/s), received 0 B; direct TLS connection
// to bob(x1y2)" (or "host", "srflx", "relay" connection over WebRTC). Each rate is over that direction's own transfer, from its first byte to its
// end, never the time spent waiting.
func pipeSummaryText(peer string, ok bool, stats stream.Stats, sent, recv *pipeMeter, connType string) string {
	dir := func(verb string, n uint64, m *pipeMeter) string {
		t := verb + " " + humanBytes(float64(n))
		if d := m.active(); n > 0 && d > 0 {
			t += fmt.Sprintf(" in %s (%s/s)", d.Round(time.Millisecond), humanBytes(float64(n)/d.Seconds()))
		}
		return t
	}
	text := dir("sent", stats.Sent, sent) + ", " + dir("received", stats.Received, recv)
	if connType != "" {
		text += "; " + connType + " connection to " + peer
	}
	if !ok {
		text = "pipe ended early: " + text
	}
	return text
}

// pipeMeter times one direction: from its first byte to its end.
type pipeMeter struct {
	bytes atomic.Uint64
	first atomic.Int64 // unix nanoseconds of the first byte; 0 before it
	end   atomic.Int64 // unix nanoseconds of the end (EOF read, our EOF acknowledged)
}

func (m *pipeMeter) add(n int) {
	if m.first.Load() == 0 {
		m.first.CompareAndSwap(0, time.Now().UnixNano())
	}
	m.bytes.Add(uint64(n))
}

func (m *pipeMeter) finish() {
	if m.first.Load() != 0 {
		m.end.CompareAndSwap(0, time.Now().UnixNano())
	}
}

// active is how long the direction has been moving bytes (until its end, or now).
func (m *pipeMeter) active() time.Duration {
	first := m.first.Load()
	if first == 0 {
		return 0
	}
	end := m.end.Load()
	if end == 0 {
		end = time.Now().UnixNano()
	}
	return time.Duration(end - first)
}

// humanBytes is n in B, KiB, MiB or GiB.
func humanBytes(n float64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	i := 0
	for n >= 1024 && i < len(units)-1 {
		n /= 1024
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%.0f B", n)
	}
	return fmt.Sprintf("%.1f %s", n, units[i])
}

// pipeProgressJSON writes a progress object each second until stop is closed.
func pipeProgressJSON(out *printer, st *stream.Stream, start time.Time, total int64, stop <-chan struct{}) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			stats := st.Stats()
			_ = out.object(progressJSON{Type: "progress", Sent: stats.Sent, Received: stats.Received, Total: total, Seconds: time.Since(start).Seconds()})
		}
	}
}

// pipeProgressLine keeps a progress line on the terminal until stop is closed: each
// direction labelled, with its rate over the last second.
func pipeProgressLine(status *statusLine, sent, recv *pipeMeter, start time.Time, total int64, stop <-chan struct{}) {
	const tick = 250 * time.Millisecond
	const window = 4 // ticks: the rate is over the last second
	type sample struct{ sent, recv uint64 }
	var hist []sample
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		cur := sample{sent.bytes.Load(), recv.bytes.Load()}
		hist = append(hist, cur)
		if len(hist) > window+1 {
			hist = hist[1:]
		}
		old := hist[0]
		secs := float64(len(hist)-1) * tick.Seconds()
		rate := func(now, then uint64) string {
			if secs == 0 {
				return ""
			}
			return fmt.Sprintf(" (%s/s)", humanBytes(float64(now-then)/secs))
		}
		sentText := humanBytes(float64(cur.sent)) + rate(cur.sent, old.sent)
		if total > 0 {
			sentText = sentOfTotal(cur.sent, uint64(total), time.Since(start))
		}
		status.set(fmt.Sprintf("rtchat: sent %s · received %s%s · %s",
			sentText, humanBytes(float64(cur.recv)), rate(cur.recv, old.recv),
			time.Since(start).Truncate(time.Second)))
	}
}

func pipeSend(ctx context.Context, st *stream.Stream, in io.Reader, m *pipeMeter) error {
	buf := make([]byte, pipeChunk)
	for {
		n, rerr := in.Read(buf)
		if n > 0 {
			if _, err := st.Write(buf[:n]); err != nil {
				return fmt.Errorf("sending: %w", err)
			}
			m.add(n)
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			_ = st.Abort("the sender's input failed")
			return fmt.Errorf("reading stdin: %w", rerr)
		}
	}
	// The peer acknowledges once its reader consumed every byte; no deadline but the
	// connection's own liveness, since a slow reader may take long.
	if err := st.CloseWrite(ctx); err != nil {
		return fmt.Errorf("finishing the send: %w", err)
	}
	m.finish()
	return nil
}

// pipeReceive copies the peer's bytes to out. When the peer's direction ends cleanly it
// closes out (closeOut, when we own it) at once, so that a reader downstream ('| tar x')
// sees EOF while our own direction may still be running.
func pipeReceive(st *stream.Stream, out io.Writer, closeOut func() error, m *pipeMeter) error {
	buf := make([]byte, pipeChunk)
	for {
		n, rerr := st.Read(buf)
		if n > 0 {
			if _, err := out.Write(buf[:n]); err != nil {
				_ = st.Abort("the receiver's output closed early")
				return fmt.Errorf("writing stdout: %w", err)
			}
			m.add(n)
		}
		if rerr == io.EOF {
			m.finish()
			if closeOut != nil {
				if err := closeOut(); err != nil {
					return fmt.Errorf("closing stdout: %w", err)
				}
			}
			return nil
		}
		if rerr != nil {
			return fmt.Errorf("receiving: %w", rerr)
		}
	}
}

// explainLoss replaces the stream's "closed"/"lost" with why the connection ended (for
// example "connection to bob-x1y2 disconnected") when the connection is gone.
func explainLoss(p *rtc.Peer, direction string, err error) error {
	if err == nil || !(errors.Is(err, stream.ErrClosed) || errors.Is(err, stream.ErrLost)) {
		return err
	}
	select {
	case <-p.Done():
	case <-time.After(time.Second): // the connection's own close may lag the stream's
	}
	if perr := p.Err(); perr != nil {
		return fmt.Errorf("%s: %w", direction, perr)
	}
	return err
}

// sentOfTotal is the sending direction's progress when its size is known, like pv:
// "12.0 MiB of 64.0 MiB (18%, 30.1 MiB/s, ETA 2s)", the rate and ETA over the whole send.
func sentOfTotal(sent, total uint64, elapsed time.Duration) string {
	pct := 100 * float64(sent) / float64(total)
	s := fmt.Sprintf("%s of %s (%.0f%%", humanBytes(float64(sent)), humanBytes(float64(total)), min(pct, 100))
	if secs := elapsed.Seconds(); sent > 0 && secs > 0 {
		r := float64(sent) / secs
		s += fmt.Sprintf(", %s/s", humanBytes(r))
		if sent < total {
			eta := time.Duration(float64(total-sent) / r * float64(time.Second))
			s += ", ETA " + eta.Round(time.Second).String()
		}
	}
	return s + ")"
}

// inputSize is how many bytes stdin will give: --size if set, else what is left of a
// regular file (0: unknown, as for a pipe or a terminal).
func inputSize(in io.Reader, flag string) (int64, error) {
	if flag != "" {
		n, err := parseSize(flag)
		if err != nil {
			return 0, usageErrorf("invalid --size %q: %v", flag, err)
		}
		return n, nil
	}
	f, ok := in.(*os.File)
	if !ok {
		return 0, nil
	}
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return 0, nil
	}
	off, err := f.Seek(0, io.SeekCurrent)
	if err != nil {
		return 0, nil
	}
	return max(fi.Size()-off, 0), nil
}

// parseSize reads a byte count: plain bytes, or a number with a unit (K, M, G, T: powers
// of 1024, as pv and dd; KB, MB, GB, TB: of 1000; KiB, MiB, GiB, TiB).
func parseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := strings.IndexFunc(t, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	num, unit := t, ""
	if i >= 0 {
		num, unit = t[:i], strings.TrimSpace(t[i:])
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || v < 0 {
		return 0, errors.New("want a number of bytes, e.g. 1048576, 500M or 4.2GiB")
	}
	mult := map[string]float64{"": 1, "b": 1,
		"k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40,
		"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40,
		"kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12}
	m, ok := mult[strings.ToLower(unit)]
	if !ok {
		return 0, fmt.Errorf("unknown unit %q (use K, M, G, T, KiB…, or KB…)", unit)
	}
	return int64(v * m), nil
}
