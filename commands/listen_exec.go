package commands

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/rtchat/rtchat/rtc"
)

const (
	// maxAnswer keeps an --exec answer inside one data channel message.
	maxAnswer = 60000
	// execStderrTail is how much of an --exec command's stderr is kept: its last line
	// becomes the error answer, the rest is dropped as it streams.
	execStderrTail = 4096
	// execGrace bounds the wait for the pipes to close after the command's process group
	// was killed: a process that left the group (setsid) may still hold them.
	execGrace = time.Second
)

// execRunner answers questions with 'sh -c CMD' within budgets: a number of commands at
// once, a time limit and an output limit. Each command runs in its own process group so
// that whatever it starts is killed with it.
type execRunner struct {
	cmd     string
	max     int
	timeout time.Duration
	environ []string // the environment the commands get, before the RTCHAT_* variables
	log     *slog.Logger
	slots   chan struct{} // one token per running command
	queue   chan struct{} // one token per question waiting for a slot

	// started, if set, learns each command's process group as soon as it runs (tests).
	started func(pgid int)
}

// execQuestion is one question to answer, with what the command's environment says about it.
type execQuestion struct {
	Peer     string // RTCHAT_PEER: the asker's bare name
	PeerFull string // RTCHAT_PEER_FULL: the asker's full name
	Topic    string // RTCHAT_TOPIC
	Content  json.RawMessage
}

func newExecRunner(cmd string, maxRunning, maxWaiting int, timeout time.Duration, environ []string, log *slog.Logger) *execRunner {
	maxRunning = max(maxRunning, 1)
	maxWaiting = max(maxWaiting, 0)
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &execRunner{cmd: cmd, max: maxRunning, timeout: timeout, environ: environ, log: log,
		slots: make(chan struct{}, maxRunning), queue: make(chan struct{}, maxWaiting)}
}

// answer runs the command for q and returns its answer, or the error to answer with.
func (r *execRunner) answer(ctx context.Context, q execQuestion) (string, error) {
	select {
	case r.slots <- struct{}{}:
	default:
		// A burst waits in a short queue; beyond it a flood of questions would only pile up
		// behind slow commands, so the asker is told to try again.
		select {
		case r.queue <- struct{}{}:
		default:
			r.log.Warn("--exec busy: question refused", "peer", q.PeerFull, "topic", q.Topic, "running", r.max)
			return "", fmt.Errorf("busy: %d question%s running and %d waiting, try again", r.max, plural(r.max), cap(r.queue))
		}
		select {
		case r.slots <- struct{}{}:
			<-r.queue
		case <-ctx.Done():
			<-r.queue
			return "", fmt.Errorf("gave up waiting for a free --exec slot: %w", ctx.Err())
		}
	}
	defer func() { <-r.slots }()
	r.log.Debug("--exec: answering", "peer", q.PeerFull, "topic", q.Topic)
	ans, err := r.run(ctx, q)
	if err != nil {
		r.log.Debug("--exec: error answer", "peer", q.PeerFull, "topic", q.Topic, "err", err)
	}
	return ans, err
}

// errAnswerTooBig: the command wrote more than an answer can hold.
var errAnswerTooBig = fmt.Errorf("the answer is over the %d-byte limit", maxAnswer)

func (r *execRunner) run(ctx context.Context, q execQuestion) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()

	// The pipes are ours (*os.File for the child), so Wait returns when the shell exits,
	// whoever else in its group still holds them, and we read stdout as it streams.
	inR, inW, err := os.Pipe()
	if err != nil {
		return "", fmt.Errorf("cannot run the answering command: %w", err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		closeAll(inR, inW)
		return "", fmt.Errorf("cannot run the answering command: %w", err)
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		closeAll(inR, inW, outR, outW)
		return "", fmt.Errorf("cannot run the answering command: %w", err)
	}
	c := exec.Command("sh", "-c", r.cmd)
	c.Stdin, c.Stdout, c.Stderr = inR, outW, errW
	c.Env = append(append([]string(nil), r.environ...),
		"RTCHAT_PEER="+q.Peer, "RTCHAT_PEER_FULL="+q.PeerFull, "RTCHAT_TOPIC="+q.Topic)
	ownProcessGroup(c)
	err = c.Start()
	closeAll(inR, outW, errW) // the child has its copies
	if err != nil {
		closeAll(inW, outR, errR)
		return "", fmt.Errorf("cannot run the answering command: %w", err)
	}
	if r.started != nil {
		r.started(c.Process.Pid)
	}

	var wg sync.WaitGroup
	wg.Add(3)
	go func() {
		defer wg.Done()
		// A command that does not read its stdin gets EPIPE here once its group is dead.
		_, _ = inW.Write(questionText(q.Content))
		_ = inW.Close()
	}()
	overflow := make(chan struct{})
	var stdout bytes.Buffer
	go func() {
		defer wg.Done()
		if !readCapped(outR, &stdout, maxAnswer+1) { // +1: the trailing newline we drop
			close(overflow)
		}
	}()
	var stderr tailBuffer
	go func() {
		defer wg.Done()
		_, _ = io.Copy(&stderr, errR)
	}()

	exited := make(chan error, 1)
	go func() { exited <- c.Wait() }()
	var waitErr, why error
	select {
	case waitErr = <-exited:
		// Done; what it left running in its group goes too. (The group outlives its
		// reaped leader while members remain, so its id cannot have been reused.)
		killProcessGroup(c)
	case <-overflow:
		killProcessGroup(c)
		<-exited
		why = errAnswerTooBig
	case <-ctx.Done():
		killProcessGroup(c)
		<-exited
		why = fmt.Errorf("the answering command was cancelled: %w", ctx.Err())
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			why = fmt.Errorf("the answering command timed out after %v", r.timeout)
		}
	}

	// The group is dead, so the pipes reach EOF, unless a process left the group and holds
	// them: then closing our ends after a grace period ends the readers.
	readers := make(chan struct{})
	go func() { wg.Wait(); close(readers) }()
	grace := time.NewTimer(execGrace)
	defer grace.Stop()
	select {
	case <-readers:
	case <-grace.C:
		closeAll(inW, outR, errR)
		<-readers
	}
	closeAll(inW, outR, errR)

	if why != nil {
		// Over budget: the one running the listener should know.
		r.log.Warn("--exec: command killed", "peer", q.PeerFull, "topic", q.Topic, "why", why)
		return "", why
	}
	select {
	case <-overflow:
		r.log.Warn("--exec: command killed", "peer", q.PeerFull, "topic", q.Topic, "why", errAnswerTooBig)
		return "", errAnswerTooBig
	default:
	}
	if waitErr != nil {
		var ee *exec.ExitError
		if !errors.As(waitErr, &ee) {
			return "", fmt.Errorf("the answering command failed: %w", waitErr)
		}
		// ee reads "exit status 3", or "signal: segmentation fault" for a crash. What the
		// command printed goes with the error, as the asker would see it run here.
		err := error(ee)
		if msg := lastLine(strings.TrimSpace(stderr.String())); msg != "" {
			err = fmt.Errorf("%w: %s", ee, msg)
		}
		if out := strings.TrimSuffix(stdout.String(), "\n"); out != "" && len(out) <= maxAnswer {
			return "", &rtc.FailedAnswer{Err: err, Output: out}
		}
		return "", err
	}
	ans := strings.TrimSuffix(stdout.String(), "\n")
	if len(ans) > maxAnswer {
		return "", errAnswerTooBig
	}
	return ans, nil
}

// readCapped reads r into buf until EOF, and reports false, having stopped, once more than
// limit bytes came: memory stays bounded whatever the command writes.
func readCapped(r io.Reader, buf *bytes.Buffer, limit int) bool {
	chunk := make([]byte, 32<<10)
	for {
		n, err := r.Read(chunk)
		if buf.Len()+n > limit {
			return false
		}
		buf.Write(chunk[:n])
		if err != nil {
			return true
		}
	}
}

// tailBuffer keeps the last execStderrTail bytes written to it, at most twice that in memory.
type tailBuffer struct{ b []byte }

func (t *tailBuffer) Write(p []byte) (int, error) {
	n := len(p)
	if len(p) > execStderrTail {
		p = p[len(p)-execStderrTail:]
	}
	t.b = append(t.b, p...)
	if len(t.b) > 2*execStderrTail {
		t.b = append(t.b[:0], t.b[len(t.b)-execStderrTail:]...)
	}
	return n, nil
}

func (t *tailBuffer) String() string {
	if len(t.b) > execStderrTail {
		return string(t.b[len(t.b)-execStderrTail:])
	}
	return string(t.b)
}

func closeAll(fs ...*os.File) {
	for _, f := range fs {
		_ = f.Close()
	}
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

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
