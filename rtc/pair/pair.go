// Package pair is rtchat's first contact: `keys invite` and `keys accept CODE` meet on the
// room topic, run CPace (draft-irtf-cfrg-cpace, ristretto255) keyed by the one-time code,
// swap their identities under the resulting key, confirm the key both ways, and hand the
// other's identity to the caller to pin. docs/rtchat-protocol.md, "Pairing", is the
// protocol; docs/security.md its threat model.
package pair

import (
	"bytes"
	"context"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/chacha20poly1305"
)

// Identity is what the two sides swap: a bare name and a public key string (JWK).
type Identity struct {
	Name string `json:"name"`
	Key  string `json:"key"`
}

// Errors of a pairing.
var (
	// ErrWrongCode: a key confirmation failed, so the two sides did not use the same code.
	// The invitation is over on both sides.
	ErrWrongCode = errors.New("wrong code")
	// ErrRefused: the other side refused to pin us (its reason follows).
	ErrRefused = errors.New("the other side refused the pairing")
	// ErrExpired: the invitation ended before the pairing was done.
	ErrExpired = errors.New("the invitation expired")
	// ErrCrowded: two acceptors came for one invitation, so someone other than the person
	// it was meant for knows or guesses its number. It is over on every side.
	ErrCrowded = errors.New("invitation crowded")
)

// Conn is the room topic: rtc/signal's Conn.
type Conn interface {
	Publish(ctx context.Context, payload []byte) error
	Messages() <-chan []byte
}

// Config is one side of a pairing.
type Config struct {
	Conn  Conn
	Topic string // the room topic: part of CPace's channel identifier
	Code  Code
	Me    Identity
	// Check decides whether the other side may be pinned (not my own key, not a name
	// pinned to another key); its error is sent to the other side as the reason.
	Check func(peer Identity) error
	// Commit pins the other side; it is called once both sides confirmed the key and
	// (on the acceptor's side) the inviter pinned us.
	Commit func(peer Identity) error
	Log    *slog.Logger
	Rand   io.Reader     // nil: crypto/rand
	Resend time.Duration // how often an unanswered message is sent again; 0: 1 s
}

func (c *Config) defaults() {
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	if c.Rand == nil {
		c.Rand = rand.Reader
	}
	if c.Resend <= 0 {
		c.Resend = time.Second
	}
}

// ci is CPace's channel identifier: the protocol and the room topic.
func (c *Config) ci() []byte { return lvCat([]byte("rtchat keys pair v1"), []byte(c.Topic)) }

// keys are the AEAD keys of one session, one per message, all from the ISK.
type sessionKeys struct{ reply, confirm, done []byte }

func deriveKeys(isk []byte) (sessionKeys, error) {
	k := func(label string) ([]byte, error) {
		return hkdf.Key(sha512.New, isk, nil, "rtchat pair v1 "+label, chacha20poly1305.KeySize)
	}
	var s sessionKeys
	var err error
	if s.reply, err = k(TReply); err != nil {
		return s, err
	}
	if s.confirm, err = k(TConfirm); err != nil {
		return s, err
	}
	s.done, err = k(TDone)
	return s, err
}

// Each key seals one message, so a zero nonce is never reused under a key.
func seal(key []byte, label string, v any) ([]byte, error) {
	a, err := chacha20poly1305.New(key)
	if err != nil {
		return nil, err
	}
	pt, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return a.Seal(nil, make([]byte, a.NonceSize()), pt, []byte(label)), nil
}

func open(key []byte, label string, box []byte, v any) error {
	a, err := chacha20poly1305.New(key)
	if err != nil {
		return err
	}
	pt, err := a.Open(nil, make([]byte, a.NonceSize()), box, []byte(label))
	if err != nil {
		return err
	}
	return json.Unmarshal(pt, v)
}

// Box contents.
type (
	confirmBox struct {
		Identity
		Refuse string `json:"refuse,omitempty"`
	}
	doneBox struct {
		OK     bool   `json:"ok"`
		Reason string `json:"reason,omitempty"`
	}
)

// checkIdentity bounds what the other side sent before the caller sees it.
func checkIdentity(id Identity) error {
	if id.Name == "" || len(id.Name) > 256 || !utf8.ValidString(id.Name) {
		return fmt.Errorf("%w: the other side sent no usable name", ErrBadMessage)
	}
	if id.Key == "" || len(id.Key) > 4096 {
		return fmt.Errorf("%w: the other side sent no usable key", ErrBadMessage)
	}
	return nil
}

// reasonText makes the other side's reason safe to print: one line, printable, short.
func reasonText(s string) string {
	out := []rune{}
	for _, r := range s {
		if len(out) >= 300 {
			break
		}
		if unicode.IsPrint(r) {
			out = append(out, r)
		} else {
			out = append(out, ' ')
		}
	}
	return string(out)
}

func newID(rnd io.Reader) (string, []byte, error) {
	b := make([]byte, idLen)
	if _, err := io.ReadFull(rnd, b); err != nil {
		return "", nil, err
	}
	return hex.EncodeToString(b), b, nil
}

// session is what both sides share while running.
type session struct {
	cfg  *Config
	me   string // my session id
	last []byte // my last message, sent again until answered (acceptor) or on a duplicate (inviter)
}

func (s *session) send(ctx context.Context, m Message) error {
	m.Plate, m.From = s.cfg.Code.Plate, s.me
	p, err := encode(m, time.Now())
	if err != nil {
		return err
	}
	s.last = p
	return s.cfg.Conn.Publish(ctx, p)
}

// sendFinal publishes a last message without waiting for anything after it; a failure
// only loses a courtesy to the other side.
func (s *session) sendFinal(ctx context.Context, m Message) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	if err := s.send(ctx, m); err != nil {
		s.cfg.Log.Debug("pair: final message not sent", "type", m.T, "error", err)
	}
}

// next returns the next pairing message for our plate, or ctx's end. Resend, when not
// nil, runs at every tick without a message.
func (s *session) next(ctx context.Context, resend func()) (Message, error) {
	t := time.NewTicker(s.cfg.Resend)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return Message{}, ctx.Err()
		case <-t.C:
			if resend != nil {
				resend()
			}
		case p, ok := <-s.cfg.Conn.Messages():
			if !ok {
				return Message{}, errors.New("the broker connection closed")
			}
			m, err := Decode(p)
			if err != nil {
				if !errors.Is(err, ErrNotPair) {
					s.cfg.Log.Debug("pair: dropped a message", "error", err)
				}
				continue
			}
			if m.Plate != s.cfg.Code.Plate || m.From == s.me {
				continue
			}
			return m, nil
		}
	}
}

// abortErr is the error for an abort message received.
func abortErr(m Message) error {
	switch m.Reason {
	case ReasonWrongCode:
		return fmt.Errorf("%w: the invitation %d ended because someone tried a wrong code", ErrWrongCode, m.Plate)
	case ReasonCrowded:
		return crowdedErr(m.Plate)
	}
	return fmt.Errorf("%w: the inviter stopped waiting", ErrExpired)
}

// Invite waits for one acceptor of cfg.Code and pairs with it. Only the first acceptor's
// attempt counts: whatever its outcome, the invitation is over (one online guess).
func Invite(ctx context.Context, cfg Config) (Identity, error) {
	cfg.defaults()
	id, ad, err := newID(cfg.Rand)
	if err != nil {
		return Identity{}, err
	}
	s := &session{cfg: &cfg, me: id}
	var (
		claimed bool
		hello   Message // the claimed attempt
		keys    sessionKeys
	)
	for {
		m, err := s.next(ctx, nil)
		if err != nil {
			if ctx.Err() != nil {
				s.sendFinal(ctx, Message{T: TAbort, Reason: ReasonExpired, To: hello.From})
				return Identity{}, fmt.Errorf("%w: nobody accepted it in time (%w)", ErrExpired, ctx.Err())
			}
			return Identity{}, err
		}
		switch {
		case m.T == THello && !claimed:
			aAD, _ := hex.DecodeString(m.From)
			g, err := calculateGenerator([]byte(cfg.Code.String()), cfg.ci(), m.Sid)
			if err != nil {
				return Identity{}, err
			}
			sh, err := newShare(g, cfg.Rand)
			if err != nil {
				return Identity{}, err
			}
			K, err := sh.scalarMultVfy(m.Y)
			if err != nil {
				cfg.Log.Debug("pair: ignored a hello with an invalid share", "from", m.From)
				continue // not a guess: it cannot have a key
			}
			if keys, err = deriveKeys(iskIR(m.Sid, K, m.Y, aAD, sh.Y, ad)); err != nil {
				return Identity{}, err
			}
			box, err := seal(keys.reply, TReply, cfg.Me)
			if err != nil {
				return Identity{}, err
			}
			claimed, hello = true, m
			cfg.Log.Debug("pair: an acceptor came", "from", m.From)
			if err := s.send(ctx, Message{T: TReply, To: m.From, Y: sh.Y, Box: box}); err != nil {
				cfg.Log.Debug("pair: reply not sent (sent again on the next hello)", "error", err)
			}
		case m.T == THello && m.From == hello.From && bytes.Equal(m.Sid, hello.Sid) && bytes.Equal(m.Y, hello.Y):
			_ = cfg.Conn.Publish(ctx, s.last) // our reply was lost
		case m.T == THello:
			// A second acceptor: someone else has the number, perhaps guessing. End it on
			// every side, as magic-wormhole's "crowded", rather than leave one side waiting.
			s.sendFinal(ctx, Message{T: TAbort, Reason: ReasonCrowded})
			return Identity{}, crowdedErr(cfg.Code.Plate)
		case !claimed || m.From != hello.From:
			continue
		case m.T == TAbort:
			// Whoever it was addressed to: the acceptor we serve gave up.
			return Identity{}, abortErr(m)
		case m.T == TConfirm && m.To == s.me:
			var cb confirmBox
			if err := open(keys.confirm, TConfirm, m.Box, &cb); err != nil {
				// To no one in particular: an honest acceptor waiting on the plate learns too.
				s.sendFinal(ctx, Message{T: TAbort, Reason: ReasonWrongCode})
				return Identity{}, fmt.Errorf("%w: someone tried to accept invitation %d with a wrong code; it is over: make a new one", ErrWrongCode, cfg.Code.Plate)
			}
			if cb.Refuse != "" {
				return Identity{}, fmt.Errorf("%w: %s", ErrRefused, reasonText(cb.Refuse))
			}
			peer := cb.Identity
			err := checkIdentity(peer)
			if err == nil {
				err = cfg.Check(peer)
			}
			if err == nil {
				err = cfg.Commit(peer)
			}
			done := doneBox{OK: err == nil}
			if err != nil {
				done.Reason = err.Error()
			}
			box, serr := seal(keys.done, TDone, done)
			if serr != nil {
				return Identity{}, serr
			}
			s.sendFinal(ctx, Message{T: TDone, To: m.From, Box: box})
			if err != nil {
				return Identity{}, err
			}
			return peer, nil
		}
	}
}

// Accept pairs with the inviter of cfg.Code.
func Accept(ctx context.Context, cfg Config) (Identity, error) {
	cfg.defaults()
	id, ad, err := newID(cfg.Rand)
	if err != nil {
		return Identity{}, err
	}
	s := &session{cfg: &cfg, me: id}
	sid := make([]byte, idLen)
	if _, err := io.ReadFull(cfg.Rand, sid); err != nil {
		return Identity{}, err
	}
	g, err := calculateGenerator([]byte(cfg.Code.String()), cfg.ci(), sid)
	if err != nil {
		return Identity{}, err
	}
	sh, err := newShare(g, cfg.Rand)
	if err != nil {
		return Identity{}, err
	}
	resend := func() {
		if err := cfg.Conn.Publish(ctx, s.last); err != nil {
			cfg.Log.Debug("pair: resend failed", "error", err)
		}
	}
	if err := s.send(ctx, Message{T: THello, Sid: sid, Y: sh.Y}); err != nil {
		cfg.Log.Debug("pair: hello not sent yet (sent again)", "error", err)
	}
	var (
		inviter string
		keys    sessionKeys
		peer    Identity
	)
	for {
		m, err := s.next(ctx, resend)
		if err != nil {
			if ctx.Err() != nil {
				if inviter == "" {
					return Identity{}, fmt.Errorf("%w: no inviter answered on invitation %d (is 'rtchat keys invite' still waiting, on the same broker and room?) (%w)", ErrExpired, cfg.Code.Plate, ctx.Err())
				}
				return Identity{}, fmt.Errorf("%w: the inviter did not confirm in time; it may have pinned us: see 'rtchat keys list' on both sides (%w)", ErrExpired, ctx.Err())
			}
			return Identity{}, err
		}
		if m.T == TAbort && (inviter == "" || m.From == inviter) {
			return Identity{}, abortErr(m) // whoever it was addressed to: the invitation is over
		}
		if m.To != s.me {
			continue
		}
		switch {
		case m.T == TReply && inviter == "":
			K, err := sh.scalarMultVfy(m.Y)
			if err != nil {
				cfg.Log.Debug("pair: ignored a reply with an invalid share", "from", m.From)
				continue
			}
			bAD, _ := hex.DecodeString(m.From)
			if keys, err = deriveKeys(iskIR(sid, K, sh.Y, ad, m.Y, bAD)); err != nil {
				return Identity{}, err
			}
			inviter = m.From
			if err := open(keys.reply, TReply, m.Box, &peer); err != nil {
				s.sendFinal(ctx, Message{T: TAbort, Reason: ReasonWrongCode, To: m.From})
				return Identity{}, fmt.Errorf("%w: it does not match invitation %d: the invitation is over on both sides; ask for a new code", ErrWrongCode, cfg.Code.Plate)
			}
			cerr := checkIdentity(peer)
			if cerr == nil {
				cerr = cfg.Check(peer)
			}
			cb := confirmBox{Identity: cfg.Me}
			if cerr != nil {
				cb = confirmBox{Refuse: cerr.Error()}
			}
			box, err := seal(keys.confirm, TConfirm, cb)
			if err != nil {
				return Identity{}, err
			}
			if cerr != nil {
				s.sendFinal(ctx, Message{T: TConfirm, To: m.From, Box: box})
				return Identity{}, cerr
			}
			if err := s.send(ctx, Message{T: TConfirm, To: m.From, Box: box}); err != nil {
				cfg.Log.Debug("pair: confirm not sent yet (sent again)", "error", err)
			}
		case m.T == TDone && m.From == inviter:
			var d doneBox
			if err := open(keys.done, TDone, m.Box, &d); err != nil {
				cfg.Log.Debug("pair: ignored a done that does not open", "from", m.From)
				continue
			}
			if !d.OK {
				return Identity{}, fmt.Errorf("%w: %s", ErrRefused, reasonText(d.Reason))
			}
			if err := cfg.Commit(peer); err != nil {
				return Identity{}, err
			}
			return peer, nil
		}
	}
}

func crowdedErr(plate int) error {
	return fmt.Errorf("%w: two acceptors came for invitation %d: someone other than the person it was meant for is answering it; it is over, nothing was pinned", ErrCrowded, plate)
}
