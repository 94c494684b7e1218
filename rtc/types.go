package rtc

import (
	"errors"
	"fmt"
)

// Role says what a process serves, so that a command addressing NAME reaches the process of
// that identity that serves it (a `listen` answers questions, a `pipe` pipes).
type Role string

// The roles of the CLI's network commands.
const (
	RoleListen  Role = "listen"
	RoleConnect Role = "connect"
	RoleSend    Role = "send"
	RoleAsk     Role = "ask"
	RolePipe    Role = "pipe"
	// RoleRoom: `rtchat connect` without a peer: in the room with everyone, like the web page.
	RoleRoom Role = "room"
)

// roleSpec is what one role does; roleTable is read everywhere a decision depends on roles.
type roleSpec struct {
	// dials: the process dials one named peer (Client.Dial); otherwise it stays in the room
	// and accepts whoever the trust policy allows.
	dials bool
	// servedBy lists the rtchat roles that serve this role's Dial.
	servedBy []Role
	// webPage: a web page can serve this role's Dial (it chats and answers identity
	// questions).
	webPage bool
	// pipe: the connection carries the rtchat-pipe byte stream; both sides pipe to each
	// other by bare name.
	pipe bool
}

var roleTable = map[Role]roleSpec{
	RoleListen:  {},
	RoleRoom:    {},
	RoleConnect: {dials: true, servedBy: []Role{RoleListen, RoleConnect, RoleRoom}, webPage: true},
	RoleSend:    {dials: true, servedBy: []Role{RoleListen, RoleRoom}, webPage: true},
	RoleAsk:     {dials: true, servedBy: []Role{RoleListen}, webPage: true},
	RolePipe:    {dials: true, servedBy: []Role{RolePipe}, pipe: true},
}

// Valid reports whether r is one of the roles.
func (r Role) Valid() bool { _, ok := roleTable[r]; return ok }

func (r Role) spec() roleSpec { return roleTable[r] }

// Dials reports whether the role dials one named peer.
func (r Role) Dials() bool { return r.spec().dials }

// servedBy reports whether a peer of role other serves a Dial of role r.
func (r Role) servedBy(other Role) bool {
	for _, s := range r.spec().servedBy {
		if s == other {
			return true
		}
	}
	return false
}

// symmetric: two processes of these roles may each offer, and the tie-break decides who
// does first (as between two web pages): two that stay in the room (listen, room), or two
// of the same role. Otherwise the dialer offers to the one that stays.
func (r Role) symmetric(other Role) bool {
	return r == other || (!r.Dials() && other.Valid() && !other.Dials())
}

// Trust is a trust policy of the CLI contract.
type Trust string

// Trust policies.
const (
	// TrustKnown: only peers whose key is pinned.
	TrustKnown Trust = "known"
	// TrustTOFU: as known, and a never-seen name is pinned on its first verified connection.
	TrustTOFU Trust = "tofu"
	// TrustUnverified: as tofu, and peers without identity keys (the web client's barebones
	// MQTTRTCClient) are talked to unverified, every message marked so. Never for pipe.
	TrustUnverified Trust = "unverified"
)

// firstUse: the policy pins never-seen names on their first verified connection.
func (t Trust) firstUse() bool { return t == TrustTOFU || t == TrustUnverified }

// ParseTrust checks a --trust value.
func ParseTrust(s string) (Trust, error) {
	switch t := Trust(s); t {
	case TrustKnown, TrustTOFU, TrustUnverified:
		return t, nil
	}
	return "", fmt.Errorf("invalid trust policy %q: use 'known', 'tofu' or 'unverified'", s)
}

// EventType names what an Event reports.
type EventType string

// Event types.
const (
	EventSeen         EventType = "seen"
	EventConnected    EventType = "connected"
	EventVerified     EventType = "verified"
	EventRefused      EventType = "refused"
	EventMessage      EventType = "message"
	EventDisconnected EventType = "disconnected"
	// EventRenamed: a peer said it has a new name (the web page's nameChange).
	EventRenamed EventType = "renamed"
	// EventReconnecting: a verified peer became unreachable; rtchat waits for the path to
	// come back (or restarts ICE) for Config.Reconnect before giving up.
	EventReconnecting EventType = "reconnecting"
	// EventReconnected: the peer is reachable again; nothing was lost.
	EventReconnected EventType = "reconnected"
)

// Event is something the commands may render.
type Event struct {
	Type    EventType
	Peer    string // full name
	Bare    string
	Channel string // for messages: chat or dm
	Text    string
	// Bound: verified with the rtchat proof bound to this connection's DTLS certificates;
	// false for a web page's proof, which a relay could pass on.
	Bound       bool
	Fingerprint string // verified: the short fingerprint of the key the peer proved
	Pinned      bool   // verified: the key was pinned now, on first use (tofu)
	// Unverified: the peer has no identity key and was let in by --trust unverified;
	// nothing it says is proven to come from anyone in particular.
	Unverified bool
	NewName    string // renamed: the name it now uses (Peer stays the verified full name)
	Role       Role   // seen: what the process says it runs ("" for a web page)
	Dropped    int    // lagged: how many events the reader missed
	Err        error

	shown func() // a message: called once the reader returned from it (or there is none)
}

// Typed errors the commands map to exit codes.
var (
	// ErrNotVerified: the peer's key is unknown, differs from its pin, or its proof failed.
	ErrNotVerified = errors.New("peer not verified")
	// ErrTimeout: the peer did not appear, connect or answer in time.
	ErrTimeout = errors.New("timed out")
	// ErrTooLarge: a message too large for one data channel frame.
	ErrTooLarge = errors.New("message too large")
	// ErrConnectionLost: the connection ended before the work was done.
	ErrConnectionLost = errors.New("connection lost")
	// ErrPeerLeft: the peer ended the connection on purpose (it quit, or a web page was
	// closed). It matches ErrConnectionLost too: work still undone is lost all the same.
	ErrPeerLeft error = &leftError{}
)

// leftError says which peer left; every one matches ErrPeerLeft and ErrConnectionLost.
type leftError struct{ who string }

func (e *leftError) Error() string {
	if e.who == "" {
		return "the peer left"
	}
	return e.who + " left"
}

func (e *leftError) Is(target error) bool {
	return target == ErrPeerLeft || target == ErrConnectionLost
}

// peerLeft is the error of a connection the peer ended on purpose.
func peerLeft(who string) error { return &leftError{who: who} }

// hinted is an error that knows what the user can do about it.
type hinted interface{ Hint() string }

// Hint returns what the user can do about err ("" if nothing specific), kept apart from
// the error text so commands can print it on its own line or in its own JSON field.
func Hint(err error) string {
	var h hinted
	if errors.As(err, &h) {
		return h.Hint()
	}
	return ""
}

// hintError adds a hint to an error.
type hintError struct {
	err  error
	hint string
}

func (e *hintError) Error() string { return e.err.Error() }
func (e *hintError) Unwrap() error { return e.err }
func (e *hintError) Hint() string  { return e.hint }

// withHint wraps err with a hint for the user.
func withHint(err error, hint string) error {
	if err == nil {
		return nil
	}
	return &hintError{err: err, hint: hint}
}

// errorsIsAny reports whether err matches any of targets.
func errorsIsAny(err error, targets ...error) bool {
	for _, t := range targets {
		if errors.Is(err, t) {
			return true
		}
	}
	return false
}
