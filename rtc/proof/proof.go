// Package proof owns every message an rtchat peer signs (docs/rtchat-protocol.md): what is
// signed, how fresh it must be, the memory of what was already accepted, and verification.
// It is pure: no network, no clock of its own (callers pass now), no global state, so that
// every rule has a table test and a new signed message type cannot forget one of them.
package proof

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/rtchat/rtchat/keys"
)

// Domain labels: a signature made for one purpose can never be read as another.
const (
	ProofDomain  = "rtchat proof v3"
	SignalDomain = "rtchat signal v3"
	// Version is the rtchat extension version in userInfo.rtchat.v and in every signature.
	Version = 3
	// Freshness is how far a signed message's clock may be from ours (both ways).
	Freshness = 10 * time.Minute
)

// Errors of Admit and Verify; callers tell them apart with errors.Is.
var (
	ErrBadSignature = errors.New("bad signature")
	ErrStale        = errors.New("not fresh")
	ErrReplayed     = errors.New("replayed")
)

// B64 is the encoding of binary values in rtchat's own messages (as JWK uses).
var B64 = base64.RawURLEncoding

// DecodeB64 decodes a base64url value of exactly want bytes (any length if want is 0).
func DecodeB64(s string, want int) ([]byte, error) {
	if len(s) > 4096 {
		return nil, fmt.Errorf("base64 value of %d characters is too long", len(s))
	}
	b, err := B64.DecodeString(s)
	if err != nil {
		return nil, err
	}
	if want > 0 && len(b) != want {
		return nil, fmt.Errorf("want %d bytes, got %d", want, len(b))
	}
	return b, nil
}

// Fields concatenates fields, each prefixed by its length as 4 bytes big-endian, so that no
// two field lists share bytes.
func Fields(fields ...[]byte) []byte {
	n := 0
	for _, f := range fields {
		n += 4 + len(f)
	}
	out := make([]byte, 0, n)
	for _, f := range fields {
		out = binary.BigEndian.AppendUint32(out, uint32(len(f)))
		out = append(out, f...)
	}
	return out
}

// Binding is what one connection's proofs are bound to: the room, both ends' full names, and
// the SHA-256 of each end's certificate as DTLS negotiated it. A relay in the middle holds two
// DTLS sessions with other certificates, so a proof made on one cannot verify on the other.
type Binding struct {
	Room                      string // the room topic
	Offerer, Answerer         string // full names
	OffererCert, AnswererCert [32]byte
}

// ProofMessage is what a prover signs to answer a verifier's challenge on this connection.
// The prover adds its own fresh nonce, so the verifier never chooses all of what is signed.
// It needs no replay memory: the challenge is the verifier's fresh random value, and the
// binding names this DTLS session.
func ProofMessage(b Binding, prover, verifier string, challenge, nonce []byte) []byte {
	return Fields([]byte(ProofDomain), []byte(b.Room),
		[]byte(b.Offerer), []byte(b.Answerer), b.OffererCert[:], b.AnswererCert[:],
		[]byte(prover), []byte(verifier), challenge, nonce)
}

// Kind is the kind of a signed signaling message.
type Kind string

const (
	KindOffer          Kind = "offer"
	KindAnswer         Kind = "answer"
	KindRestartRequest Kind = "restart request"
)

// Signal is what an rtchat peer signs in an offer, an answer or a restart request, so that
// nobody else can send signaling in its name.
//
// Offers and restart requests go to Memory.Admit (fresh, never seen, then signed). Answers
// need no memory: each signs the nonce of the one offer it answers (OfferNonce), a fresh
// random value of the offerer, who applies one answer per offer.
type Signal struct {
	Kind       Kind
	Room       string // the room topic
	Sender     string // full names
	Target     string
	TS         int64  // sender's clock, Unix milliseconds
	Nonce      string // base64url, fresh per message
	OfferNonce string // answers: the nonce of the offer answered
	Role       string
	Pipe       string
	SDP        string
	Restart    bool // an ICE restart of the connection the sender already has with target
	// Seal: sealed messages, the sender's and the target's process keys (base64url, joined
	// by "."), so that the signature says to whom the sender sealed it (rtc/seal).
	Seal string
	// Bound: the sender takes this exchange as the target's proof of identity (signal proof,
	// docs/rtchat-protocol.md): an offer says "I verified your sealing key with the key I
	// pinned for your name, and your signed answer will prove you"; an answer says "your
	// offer verified with the key I pinned for your name: it proved you". Signed only when
	// set, so a message without it is the same bytes as before the field existed.
	Bound bool
}

// Message is the byte string that is signed.
func (s Signal) Message() []byte {
	kind := string(s.Kind)
	if s.Restart {
		kind += " restart"
	}
	fields := [][]byte{[]byte(SignalDomain), []byte(kind), []byte(s.Room),
		[]byte(s.Sender), []byte(s.Target), []byte(strconv.FormatInt(s.TS, 10)),
		[]byte(s.Nonce), []byte(s.OfferNonce), []byte(s.Role), []byte(s.Pipe), []byte(s.SDP), []byte(s.Seal)}
	if s.Bound {
		fields = append(fields, []byte(BoundField))
	}
	return Fields(fields...)
}

// BoundField is the field a Signal with Bound set adds at the end of what is signed.
const BoundField = "bound"

// Sign signs the message with sign (an identity's Sign) and returns the base64url signature.
func (s Signal) Sign(sign func([]byte) ([]byte, error)) (string, error) {
	sig, err := sign(s.Message())
	if err != nil {
		return "", err
	}
	return B64.EncodeToString(sig), nil
}

// Verify checks sig (base64url) over the message with the public JWK key. Every failure
// wraps ErrBadSignature.
func (s Signal) Verify(key, sig string) error {
	raw, err := DecodeB64(sig, 0)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrBadSignature, err)
	}
	if err := keys.Verify(key, s.Message(), raw); err != nil {
		return fmt.Errorf("%w: %w", ErrBadSignature, err)
	}
	return nil
}

// Fresh says whether a message dated ts (Unix ms, the sender's clock) may be accepted now.
func Fresh(ts int64, now time.Time) error {
	age := now.Sub(time.UnixMilli(ts))
	if age > Freshness || age < -Freshness {
		return fmt.Errorf("%w: dated %v away from our clock (check the clocks)", ErrStale, age.Round(time.Second))
	}
	return nil
}
