package rtc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/rtchat/rtchat/rtc/stream"
)

// ErrRemote wraps an error answer from the peer.
var ErrRemote = errors.New("peer answered with an error")

type remoteError struct {
	msg    string
	output json.RawMessage // what came with the error (an --exec command's output), or nil
}

func (e *remoteError) Error() string { return fmt.Sprintf("%v: %s", ErrRemote, e.msg) }
func (e *remoteError) Unwrap() error { return ErrRemote }

// RemoteOutput is the output that came with a peer's error answer (what its --exec
// command printed before it exited non-zero), if any.
func RemoteOutput(err error) (json.RawMessage, bool) {
	var re *remoteError
	if errors.As(err, &re) && len(re.output) > 0 && string(re.output) != "null" {
		return re.output, true
	}
	return nil, false
}

// FailedAnswer is what a question handler returns for an answer that failed but has output
// to send with the error (an --exec command that exited non-zero): the asker gets both.
type FailedAnswer struct {
	Err    error
	Output any
}

func (e *FailedAnswer) Error() string { return e.Err.Error() }
func (e *FailedAnswer) Unwrap() error { return e.Err }

// Peer is a connected peer whose identity we verified (rtchat peers: both ways).
type Peer struct{ p *peer }

// Name is the peer's full name in the room.
func (pr *Peer) Name() string { return pr.p.remote }

// Bare is the peer's bare name: whose key it proved.
func (pr *Peer) Bare() string { return pr.p.bare }

// Fingerprint is the short fingerprint of the key the peer proved.
func (pr *Peer) Fingerprint() string { return pr.p.proof.fingerprint }

// Bound reports whether the proof was bound to this connection's DTLS certificates (rtchat
// peers); web pages give the unbound proof.
func (pr *Peer) Bound() bool { return pr.p.proof.bound }

// IsRTChat reports whether the peer is an rtchat process rather than a web page.
func (pr *Peer) IsRTChat() bool { return pr.p.rt }

// Done is closed when the connection ends; Err then says why.
func (pr *Peer) Done() <-chan struct{} { return pr.p.done }

// Err is why the connection ended, or nil while it is up.
func (pr *Peer) Err() error {
	select {
	case <-pr.p.done:
		return pr.p.err
	default:
		return nil
	}
}

// Close ends the connection gracefully (what was sent is delivered first) and waits.
func (pr *Peer) Close() {
	pr.p.requestClose(nil)
	<-pr.p.done
}

// Chat sends one chat message (fire and forget, like the web client).
func (pr *Peer) Chat(text string) error {
	if text == "" {
		text = "chat" // the browser's falsy-value quirk (§5.3): never send an empty value
	}
	return pr.p.sendFrame("chat", text)
}

// Deliver sends a message and, with rtchat peers, returns once the peer printed it. A web
// page gets a chat frame, which is all it displays.
func (pr *Peer) Deliver(ctx context.Context, text string) error {
	if !pr.p.rt {
		return pr.Chat(text)
	}
	_, err := pr.p.ask(ctx, topicMessage, text)
	return err
}

// DeliverAll is Deliver for a message that goes to everyone (send --all): the receiver
// shows it as a line to everyone, not as a direct message.
func (pr *Peer) DeliverAll(ctx context.Context, text string) error {
	if !pr.p.rt {
		return pr.Chat(text)
	}
	_, err := pr.p.askTo(ctx, topicMessage, toAll, text)
	return err
}

// Ask sends a question and waits for its answer.
func (pr *Peer) Ask(ctx context.Context, topic string, content any) (json.RawMessage, error) {
	return pr.p.ask(ctx, topic, content)
}

// Stream returns the byte stream of two rtchat pipe processes.
func (pr *Peer) Stream(ctx context.Context) (*stream.Stream, error) {
	s := pr.p.slots[labelPipe]
	if s == nil {
		return nil, fmt.Errorf("%s is not piping with us", pr.p.remote)
	}
	select {
	case <-s.open:
		return pr.p.pipeStream(ctx, s) // the direct path when both sides take it (directpath.go)
	case <-pr.p.done:
		return nil, pr.p.err
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: waiting for the pipe channel of %s", ErrTimeout, pr.p.remote)
	}
}

// ConnectionType is the local candidate type of the selected pair: host, srflx, prflx or
// relay ("" before ICE selected one).
func (pr *Peer) ConnectionType() string {
	pc := pr.p.pc
	if pc == nil || pc.SCTP() == nil || pc.SCTP().Transport() == nil {
		return ""
	}
	pair, err := pc.SCTP().Transport().ICETransport().GetSelectedCandidatePair()
	if err != nil || pair == nil || pair.Local == nil {
		return ""
	}
	return pair.Local.Typ.String()
}

// ask sends a question and waits for the answer with the same number.
func (p *peer) ask(ctx context.Context, topic string, content any) (json.RawMessage, error) {
	return p.askTo(ctx, topic, "", content)
}

// toAll is question.To of a message to everyone.
const toAll = "all"

// askTo is ask with the question's To.
func (p *peer) askTo(ctx context.Context, topic, to string, content any) (json.RawMessage, error) {
	raw, err := json.Marshal(content)
	if err != nil {
		return nil, err
	}
	n := int(p.c.nextQ.Add(1) - 1)
	reply := make(chan answerFrame, 1)
	if err := p.call(ctx, evAsk{n: n, reply: reply}); err != nil {
		return nil, p.askErr(ctx, topic, err)
	}
	defer p.post(evAskDone{n}, true)
	if err := p.sendFrame("question", questionFrame{N: n, Question: question{Topic: topic, Content: raw, To: to}}); err != nil {
		return nil, err
	}
	select {
	case a, ok := <-reply:
		if !ok {
			return nil, p.lostErr()
		}
		if a.Error != "" {
			msg := a.Error
			if len(msg) > 1000 {
				msg = msg[:1000]
			}
			return nil, &remoteError{msg: msg, output: a.Answer}
		}
		if a.Answer == nil {
			return json.RawMessage("null"), nil
		}
		return a.Answer, nil
	case <-p.done:
		return nil, p.lostErr()
	case <-ctx.Done():
		return nil, p.askErr(ctx, topic, ctx.Err())
	}
}

func (p *peer) askErr(ctx context.Context, topic string, err error) error {
	select {
	case <-p.done: // the connection ended: say why, not "timed out"
		return p.err
	default:
	}
	if ctx.Err() != nil {
		return fmt.Errorf("%w: %s did not answer %q", ErrTimeout, p.remote, topic)
	}
	return err
}

// DM sends one direct message on the web client's dm channel (fire and forget).
func (pr *Peer) DM(text string) error {
	if text == "" {
		text = "dm" // the browser's falsy-value quirk (§5.3)
	}
	return pr.p.sendFrame("dm", text)
}

// Verified reports whether the peer proved a key; false only for a client without
// identity keys let in by --trust unverified.
func (pr *Peer) Verified() bool { return !pr.p.proof.unverified }
