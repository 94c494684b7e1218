package rtc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/rtchat/rtchat/keys"
	"github.com/rtchat/rtchat/rtc/stream"
)

// questionFrame and answerFrame are the question/answer channel values (§5.3). The error
// key is our extension: rtchat peers answer a question they cannot serve with an error
// instead of silence; browsers ignore it.
type questionFrame struct {
	N        int      `json:"n"`
	Question question `json:"question"`
}

type question struct {
	Topic   string          `json:"topic"`
	Content json.RawMessage `json:"content,omitempty"`
}

type answerFrame struct {
	N        int             `json:"n"`
	Answer   json.RawMessage `json:"answer,omitempty"`
	Question question        `json:"question"`
	Error    string          `json:"error,omitempty"`
}

// ErrRemote wraps an error answer from the peer.
var ErrRemote = errors.New("peer answered with an error")

// Peer is a connected peer whose identity we verified.
type Peer struct{ p *conn }

// Name is the peer's full name in the room.
func (pr *Peer) Name() string { return pr.p.remote }

// Bare is the peer's bare name: whose key it proved.
func (pr *Peer) Bare() string { return pr.p.bare }

// Fingerprint is the short fingerprint of the key the peer proved.
func (pr *Peer) Fingerprint() string { return pr.p.fingerprint }

// Bound reports whether the proof was bound to this connection's DTLS fingerprints (rtchat
// peers); browsers give the unbound legacy proof.
func (pr *Peer) Bound() bool { return pr.p.boundProof }

// IsRTChat reports whether the peer is an rtchat process rather than a web page.
func (pr *Peer) IsRTChat() bool { return pr.p.isRTChat() }

// Done is closed when the connection ends; Err then says why.
func (pr *Peer) Done() <-chan struct{} { return pr.p.done }

// Err is why the connection ended, or nil while it is up.
func (pr *Peer) Err() error {
	select {
	case <-pr.p.done:
		return pr.p.lostErr()
	default:
		return nil
	}
}

// Close ends the connection.
func (pr *Peer) Close() { pr.p.close(nil) }

// Chat sends one chat message (fire and forget, like the web client).
func (pr *Peer) Chat(text string) error {
	if text == "" {
		text = "chat" // the browser's falsy-value quirk (§5.3): never send an empty value
	}
	return pr.p.send("chat", text)
}

// Deliver sends a message and, with rtchat peers, returns once the peer printed it. A web
// page gets a chat frame, which is all it displays.
func (pr *Peer) Deliver(ctx context.Context, text string) error {
	if !pr.p.isRTChat() {
		return pr.Chat(text)
	}
	_, err := pr.p.ask(ctx, topicMessage, text)
	return err
}

// Ask sends a question and waits for its answer.
func (pr *Peer) Ask(ctx context.Context, topic string, content any) (json.RawMessage, error) {
	return pr.p.ask(ctx, topic, content)
}

// Stream waits for the pipe channel of two rtchat pipe processes.
func (pr *Peer) Stream(ctx context.Context) (*stream.Stream, error) {
	select {
	case <-pr.p.pipeCh:
		pr.p.mu.Lock()
		defer pr.p.mu.Unlock()
		return pr.p.pipe, nil
	case <-pr.p.done:
		return nil, pr.p.lostErr()
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: waiting for the pipe channel of %s", ErrTimeout, pr.p.remote)
	}
}

func (p *conn) ask(ctx context.Context, topic string, content any) (json.RawMessage, error) {
	raw, err := json.Marshal(content)
	if err != nil {
		return nil, err
	}
	n := p.c.nextN()
	ch := make(chan answerFrame, 1)
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, p.lostErr()
	}
	p.asks[n] = ch
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		delete(p.asks, n)
		p.mu.Unlock()
	}()
	if err := p.send("question", questionFrame{N: n, Question: question{Topic: topic, Content: raw}}); err != nil {
		return nil, err
	}
	select {
	case a, ok := <-ch:
		if !ok {
			return nil, p.lostErr()
		}
		if a.Error != "" {
			return nil, fmt.Errorf("%w: %s", ErrRemote, a.Error)
		}
		if a.Answer == nil {
			return json.RawMessage("null"), nil
		}
		return a.Answer, nil
	case <-p.done:
		return nil, p.lostErr()
	case <-ctx.Done():
		select {
		case <-p.done: // the connection ended: say why, not "timed out"
			return nil, p.lostErr()
		default:
		}
		return nil, fmt.Errorf("%w: %s did not answer %q", ErrTimeout, p.remote, topic)
	}
}

func (p *conn) answerError(q questionFrame, msg string) {
	_ = p.send("answer", answerFrame{N: q.N, Question: q.Question, Error: msg})
}

func (p *conn) onQuestion(q questionFrame) {
	switch q.Question.Topic {
	case topicIdentify, topicChallenge, topicBoundIdentify, topicBoundChallenge:
		p.answerIdentity(q)
		return
	}
	if !p.awaitVerified() {
		return // never serve an unverified peer
	}
	if q.Question.Topic == topicMessage {
		var text string
		if json.Unmarshal(q.Question.Content, &text) != nil {
			p.answerError(q, "a message must be a string")
			return
		}
		p.c.emit(Event{Type: EventMessage, Peer: p.remote, Bare: p.bare, Channel: "dm", Text: text})
		_ = p.send("answer", answerFrame{N: q.N, Answer: json.RawMessage("true"), Question: q.Question})
		return
	}
	h := p.c.cfg.OnQuestion
	if h == nil {
		p.answerError(q, fmt.Sprintf("%s answers no questions on topic %q", p.c.me, q.Question.Topic))
		return
	}
	ans, err := h(p.ctx, &Peer{p}, q.Question.Topic, q.Question.Content)
	if err != nil {
		p.answerError(q, err.Error())
		return
	}
	_ = p.send("answer", answerFrame{N: q.N, Answer: mustJSON(ans), Question: q.Question})
}

// Dial finds a peer with this bare name that serves what our role asks for, connects,
// verifies it, and (rtchat peers) waits until it verified us too.
func (c *Client) Dial(ctx context.Context, bare string) (*Peer, error) {
	if err := keys.ValidateName(bare); err != nil {
		return nil, fmt.Errorf("peer name: %w", err)
	}
	w := &want{bare: bare, done: make(chan struct{})}
	c.mu.Lock()
	if c.wants[bare] != nil {
		c.mu.Unlock()
		return nil, fmt.Errorf("already dialling %s", bare)
	}
	c.wants[bare] = w
	known := map[string]userInfo{}
	for full, info := range c.seen {
		if keys.BareName(full) == bare {
			known[full] = info
		}
	}
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.wants, bare)
		c.mu.Unlock()
	}()
	for full, info := range known {
		c.onConnect(full, info)
	}
	c.poke()
	select {
	case <-w.done:
		return w.peer, w.err
	case <-ctx.Done():
		c.mu.Lock()
		appeared := w.appeared
		c.mu.Unlock()
		if !appeared {
			return nil, fmt.Errorf("%w: no peer named %q that serves %s appeared in room %q", ErrTimeout, bare, c.cfg.Role, c.cfg.Room)
		}
		return nil, fmt.Errorf("%w: %q appeared but did not connect and verify in time", ErrTimeout, bare)
	}
}

// resolveWants settles a Dial for p's bare name: on success once both sides verified, on
// failure only for verification errors (a lost attempt may be retried by the peer).
func (c *Client) resolveWants(p *conn, err error) {
	c.mu.Lock()
	w := c.wants[p.bare]
	c.mu.Unlock()
	if w == nil || !servesFor(p.info, c.cfg.Role, c.bare) {
		return
	}
	settle := func(peer *Peer, err error) {
		c.mu.Lock()
		defer c.mu.Unlock()
		select {
		case <-w.done:
		default:
			w.peer, w.err = peer, err
			close(w.done)
		}
	}
	if err != nil {
		if errors.Is(err, ErrNotVerified) {
			settle(nil, err)
		}
		return
	}
	if !p.isRTChat() {
		settle(&Peer{p}, nil)
		return
	}
	go func() {
		select {
		case <-p.theyVerifiedCh:
			settle(&Peer{p}, nil)
		case <-p.done:
			if errors.Is(p.lostErr(), ErrNotVerified) {
				settle(nil, p.lostErr())
			}
		case <-w.done:
		}
	}()
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
