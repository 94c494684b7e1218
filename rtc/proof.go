package rtc

import (
	"crypto/rand"
	"fmt"

	"github.com/rtchat/rtchat/rtc/proof"
)

// What rtchat signs, how fresh it must be and what was already accepted live in rtc/proof
// (docs/rtchat-protocol.md); these are the core's short names for it.

// protocolVersion is the rtchat extension version in userInfo.rtchat.v.
const protocolVersion = proof.Version

// b64 is the encoding of binary values in rtchat's own messages (as JWK uses).
var b64 = proof.B64

// randomBytes returns n bytes from the system's CSPRNG.
func randomBytes(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err)) // the OS has no randomness: nothing is safe
	}
	return b
}

// decodeB64 decodes a base64url value of exactly want bytes (any length if want is 0).
func decodeB64(s string, want int) ([]byte, error) { return proof.DecodeB64(s, want) }
