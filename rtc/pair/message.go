package pair

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rtchat/rtchat/rtc/signal"
)

// Subtopic is the envelope subtopic of pairing messages. Web pages and rtchat's room
// ignore it; they share the room topic.
const Subtopic = "rtchatPair"

// Version is the protocol version in every message ("v").
const Version = 1

// Message types ("t").
const (
	THello   = "hello"   // acceptor → inviter: sid, Ya
	TReply   = "reply"   // inviter → acceptor: Yb, box(inviter's identity)
	TConfirm = "confirm" // acceptor → inviter: box(acceptor's identity, or its refusal)
	TDone    = "done"    // inviter → acceptor: box(pinned, or why not)
	TAbort   = "abort"   // either: the invitation ended (Reason)
)

// Abort reasons.
const (
	ReasonWrongCode = "wrong-code" // a key confirmation failed: someone used a wrong code
	ReasonExpired   = "expired"    // the inviter gave up waiting
	ReasonCrowded   = "crowded"    // a second acceptor came while the first was served
)

// Limits of a decoded message.
const (
	idLen   = 16 // bytes of a session id ("from", "to") and of sid
	maxBox  = 8 << 10
	boxOver = 16 // the AEAD's tag
)

// Message is one pairing message, the data of an envelope with Subtopic.
type Message struct {
	V      int    `json:"v"`
	T      string `json:"t"`
	Plate  int    `json:"plate"`
	From   string `json:"from"`             // the sender's session id, 32 hex digits
	To     string `json:"to,omitempty"`     // the addressee's session id (not in hello, abort may lack it)
	Sid    []byte `json:"sid,omitempty"`    // hello: CPace's session id, 16 bytes
	Y      []byte `json:"y,omitempty"`      // hello, reply: the CPace share, 32 bytes
	Box    []byte `json:"box,omitempty"`    // reply, confirm, done: AEAD ciphertext
	Reason string `json:"reason,omitempty"` // abort: ReasonWrongCode, ReasonExpired or ReasonCrowded
}

// ErrNotPair: the payload is an envelope, but not a pairing message.
var ErrNotPair = errors.New("not a pairing message")

// ErrBadMessage wraps every reason a pairing message was dropped.
var ErrBadMessage = errors.New("bad pairing message")

// Decode reads one MQTT payload of the room topic: ErrNotPair for the room's other
// traffic, ErrBadMessage (or signal.ErrBadPayload) for anything malformed.
func Decode(payload []byte) (Message, error) {
	env, err := signal.Decode(payload)
	if err != nil {
		return Message{}, err
	}
	if env.Subtopic != Subtopic {
		return Message{}, ErrNotPair
	}
	return DecodeData(env.Data)
}

// DecodeData checks one message's JSON: the fields its type needs, of the right sizes,
// and no others of ours.
func DecodeData(data []byte) (Message, error) {
	var m Message
	bad := func(format string, a ...any) (Message, error) {
		return Message{}, fmt.Errorf("%w: %s", ErrBadMessage, fmt.Sprintf(format, a...))
	}
	if len(bytes.TrimSpace(data)) == 0 || bytes.TrimSpace(data)[0] != '{' {
		return bad("not a JSON object")
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return bad("%v", err)
	}
	if m.V != Version {
		return bad("version %d (this rtchat speaks %d)", m.V, Version)
	}
	if m.Plate < 1 || m.Plate > MaxPlate {
		return bad("invitation number %d", m.Plate)
	}
	if !isID(m.From) {
		return bad("sender id %q", m.From)
	}
	if m.To != "" && !isID(m.To) {
		return bad("addressee id %q", m.To)
	}
	need := func(to, sid, y, box, reason bool) error {
		switch {
		case to != (m.To != ""):
			return fmt.Errorf("%s: addressee", m.T)
		case sid != (m.Sid != nil), sid && len(m.Sid) != idLen:
			return fmt.Errorf("%s: sid", m.T)
		case y != (m.Y != nil), y && len(m.Y) != pointSize:
			return fmt.Errorf("%s: share", m.T)
		case box != (m.Box != nil), box && (len(m.Box) < boxOver || len(m.Box) > maxBox):
			return fmt.Errorf("%s: box", m.T)
		case reason != (m.Reason != ""):
			return fmt.Errorf("%s: reason", m.T)
		}
		return nil
	}
	var err error
	switch m.T {
	case THello:
		err = need(false, true, true, false, false)
	case TReply:
		err = need(true, false, true, true, false)
	case TConfirm, TDone:
		err = need(true, false, false, true, false)
	case TAbort:
		if m.Reason != ReasonWrongCode && m.Reason != ReasonExpired && m.Reason != ReasonCrowded {
			return bad("abort: reason %q", m.Reason)
		}
		to := m.To // an abort may be for one acceptor or for the whole invitation
		m.To = ""
		err = need(false, false, false, false, true)
		m.To = to
	default:
		return bad("type %q", m.T)
	}
	if err != nil {
		return bad("%v", err)
	}
	return m, nil
}

// isID: 32 lowercase hex digits.
func isID(s string) bool {
	if len(s) != 2*idLen {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil && s == strings.ToLower(s)
}

// encode makes the envelope of m: sender is the session id, so that every client of the
// room sees a well-formed envelope.
func encode(m Message, now time.Time) ([]byte, error) {
	m.V = Version
	return signal.Encode("rtchat-pair-"+m.From, Subtopic, m, now)
}
