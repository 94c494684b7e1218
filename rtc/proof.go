package rtc

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strconv"
)

// What rtchat signs between rtchat peers (docs/protocol.md, Part II). Every message is a list
// of fields, each prefixed with its length, under a domain label, so that a signature made
// for one purpose can never be read as another, and no two field lists share bytes.
const (
	proofDomain  = "rtchat proof v2"
	signalDomain = "rtchat signal v2"
	// protocolVersion is the rtchat extension version in userInfo.rtchat.v.
	protocolVersion = 2
)

// fieldsMessage concatenates fields, each prefixed by its length as 4 bytes big-endian.
func fieldsMessage(fields ...[]byte) []byte {
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

// binding is what one connection's proofs are bound to: the room, both ends' full names, and
// the SHA-256 of each end's certificate as DTLS negotiated it. A relay in the middle holds two
// DTLS sessions with other certificates, so a proof made on one cannot verify on the other.
type binding struct {
	room                      string // the room topic
	offerer, answerer         string // full names
	offererCert, answererCert [32]byte
}

// proofMessage is what a prover signs to answer a verifier's challenge on this connection.
// The prover adds its own fresh nonce, so the verifier never chooses all of what is signed.
func proofMessage(b binding, prover, verifier string, challenge, nonce []byte) []byte {
	return fieldsMessage([]byte(proofDomain), []byte(b.room),
		[]byte(b.offerer), []byte(b.answerer), b.offererCert[:], b.answererCert[:],
		[]byte(prover), []byte(verifier), challenge, nonce)
}

// signedSignal is what an rtchat peer signs in an offer or answer, so that nobody else can
// send signaling in its name: a forged or replayed offer then tears nothing down.
type signedSignal struct {
	kind       string // "offer" or "answer"
	room       string // the room topic
	sender     string // full names
	target     string
	ts         int64  // sender's clock, Unix milliseconds
	nonce      string // base64url, fresh per message
	offerNonce string // answers: the nonce of the offer answered
	role       Role
	pipe       string
	sdp        string
	restart    bool // an ICE restart of the connection the sender already has with target
}

func (s signedSignal) message() []byte {
	kind := s.kind
	if s.restart {
		kind += " restart"
	}
	return fieldsMessage([]byte(signalDomain), []byte(kind), []byte(s.room),
		[]byte(s.sender), []byte(s.target), []byte(strconv.FormatInt(s.ts, 10)),
		[]byte(s.nonce), []byte(s.offerNonce), []byte(s.role), []byte(s.pipe), []byte(s.sdp))
}

// b64 is the encoding of binary values in rtchat's own messages (as JWK uses).
var b64 = base64.RawURLEncoding

// randomBytes returns n bytes from the system's CSPRNG.
func randomBytes(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err)) // the OS has no randomness: nothing is safe
	}
	return b
}

// decodeB64 decodes a base64url value of exactly want bytes (any length if want is 0).
func decodeB64(s string, want int) ([]byte, error) {
	if len(s) > 4096 {
		return nil, fmt.Errorf("base64 value of %d characters is too long", len(s))
	}
	b, err := b64.DecodeString(s)
	if err != nil {
		return nil, err
	}
	if want > 0 && len(b) != want {
		return nil, fmt.Errorf("want %d bytes, got %d", want, len(b))
	}
	return b, nil
}
