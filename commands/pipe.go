package commands

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/schollz/progressbar/v3"
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
	Direct bool // --direct: take the verified direct path when the peers reach each other
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
until PEER ends it too. rtchat exits 0 only when both directions ended cleanly and PEER
acknowledged every byte I sent. If PEER vanishes, the connection fails or PEER's output
closes early, rtchat says so on stderr and exits non-zero (5). Once the stream is up the
MQTT broker is no longer needed. When the two machines reach each other (the same
machine, a LAN, a public address) the verified peers move the stream to a direct TLS
connection whose certificates they exchanged over the verified channel, which is faster
and as private; --direct=false keeps it on WebRTC. The --json summary's "path" says which.

A progress line appears on stderr when it is a terminal. With --json the NDJSON (events,
progress each second, the final summary and any error) goes to stderr, since stdout is
the byte stream.`,
		Example: `  # machine A                          # machine B
  tar c . | rtchat pipe bob              rtchat pipe alice | tar x
  rtchat pipe bob < backup.sql.gz        rtchat pipe alice > backup.sql.gz
  pg_dump db | gzip | rtchat pipe bob    rtchat pipe alice | gunzip | psql db`,
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
			return runPipe(cmd.Context(), opts)
		},
		ValidArgsFunction: completePeers(g),
		// Run writes the error object with the rest of the NDJSON: on stderr.
		Annotations: map[string]string{annotNDJSON: "stderr"},
	}
	cmd.Flags().BoolVar(&opts.Direct, "direct", true, "once verified, move the stream to a direct TLS connection (certificates exchanged over the verified channel) when the peers reach each other; false keeps it on WebRTC")
	return cmd
}

func runPipe(ctx context.Context, opts *pipeOptions) error {
	g, ios, peer := opts.Globals, opts.IO, opts.Peer
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
	sctx, cancel := context.WithTimeout(ctx, g.Timeout)
	st, err := p.Stream(sctx)
	cancel()
	if err != nil {
		return err
	}
	g.Log.Debug("pipe open", "peer", p.Name(), "connection", p.ConnectionType(), "path", p.StreamPath())
	start := time.Now()
	connType := p.ConnectionType()
	stopProgress := func() {}
	if g.JSON {
		stop, done := make(chan struct{}), make(chan struct{})
		go func() { defer close(done); pipeProgress(s.out, st, start, stop) }()
		var once sync.Once
		stopProgress = func() { once.Do(func() { close(stop); <-done }) }
		defer stopProgress()
	}

	var bar *progressbar.ProgressBar
	if ios.ErrTTY && !g.JSON {
		bar = progressbar.NewOptions64(-1,
			progressbar.OptionSetWriter(ios.Err),
			progressbar.OptionSetDescription("rtchat pipe "+peer),
			progressbar.OptionShowBytes(true),
			progressbar.OptionShowCount(),
			progressbar.OptionSetElapsedTime(true),
			progressbar.OptionThrottle(200*time.Millisecond),
			progressbar.OptionClearOnFinish(),
		)
	}
	sendDone := make(chan error, 1)
	recvDone := make(chan error, 1)
	go func() { sendDone <- explainLoss(p, "sending", pipeSend(ctx, st, ios.In, bar)) }()
	go func() { recvDone <- explainLoss(p, "receiving", pipeReceive(st, ios.Out, bar)) }()

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
			return fmt.Errorf("interrupted: %w", ctx.Err())
		}
	}
	if bar != nil {
		_ = bar.Finish()
	}
	stats := st.Stats()
	_ = st.Close() // waits until our last frames are acknowledged
	secs := time.Since(start).Seconds()
	err = errors.Join(recvErr, sendErr)
	stopProgress()
	s.finished.Store(true)
	if g.JSON {
		// The summary comes on failure too (bytes each way so far); Run then adds the
		// error object with its exit code.
		summary := pipeSummaryJSON{
			Type: "summary", Peer: p.Name(), Name: p.Bare(), OK: err == nil,
			Sent: stats.Sent, Received: stats.Received, Seconds: secs, Connection: connType,
			Path: p.StreamPath(),
		}
		if err := s.out.object(summary); err != nil {
			g.Log.Debug("writing the summary", "err", err)
		}
	}
	return err
}

// pipeProgress writes a progress object each second until stop is closed.
func pipeProgress(out *printer, st *stream.Stream, start time.Time, stop <-chan struct{}) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			stats := st.Stats()
			_ = out.object(progressJSON{Type: "progress", Sent: stats.Sent, Received: stats.Received, Seconds: time.Since(start).Seconds()})
		}
	}
}

func pipeSend(ctx context.Context, st *stream.Stream, in io.Reader, bar *progressbar.ProgressBar) error {
	buf := make([]byte, pipeChunk)
	for {
		n, rerr := in.Read(buf)
		if n > 0 {
			if _, err := st.Write(buf[:n]); err != nil {
				return fmt.Errorf("sending: %w", err)
			}
			if bar != nil {
				_ = bar.Add(n)
			}
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
	return nil
}

func pipeReceive(st *stream.Stream, out io.Writer, bar *progressbar.ProgressBar) error {
	buf := make([]byte, pipeChunk)
	for {
		n, rerr := st.Read(buf)
		if n > 0 {
			if _, err := out.Write(buf[:n]); err != nil {
				_ = st.Abort("the receiver's output closed early")
				return fmt.Errorf("writing stdout: %w", err)
			}
			if bar != nil {
				_ = bar.Add(n)
			}
		}
		if rerr == io.EOF {
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
