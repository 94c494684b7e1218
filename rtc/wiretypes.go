package rtc

import (
	"encoding/json"

	"github.com/rtchat/rtchat/rtc/seal"
)

// userInfo is what `connect` and `RTCOffer` carry about the sender (§3.1). The rtchat member
// is our extension; web pages ignore unknown keys.
type userInfo struct {
	PublicKeyString string      `json:"publicKeyString,omitempty"`
	RTChat          *rtchatInfo `json:"rtchat,omitempty"`
}

// rtchatInfo says the sender is an rtchat process and what it serves.
type rtchatInfo struct {
	V    int       `json:"v"`
	Role Role      `json:"role,omitempty"`
	Pipe string    `json:"pipe,omitempty"`
	Seal *sealInfo `json:"seal,omitempty"`
	// Bind: the sender takes the signal proof (signalProofVersion): a signed offer or answer
	// that verified with the pin, plus DTLS, proves the peer without rtchat.prove. Older
	// releases leave it out and ignore it.
	Bind int `json:"bind,omitempty"`
}

// signalProofVersion is the version of the signal proof we announce in rtchatInfo.Bind.
const signalProofVersion = 1

// takesSignalProof: the sender verifies signaling that carries the Bound claim (older rtchat
// releases would find its signature bad, so they never get it).
func (u userInfo) takesSignalProof() bool {
	return u.isRTChat() && u.RTChat.Bind >= signalProofVersion
}

// sealInfo is an rtchat process's sealing key (rtc/seal), signed by its identity key over
// seal.KeyMessage (room, full name, key): peers seal their offers and answers to it.
type sealInfo struct {
	Key string `json:"key"` // base64url, seal.KeySize bytes
	Sig string `json:"sig"` // base64url
}

// Bounds on what a stranger's userInfo may hold: an RSA-4096 JWK is about 800 characters.
const (
	maxKeyString = 4096
	maxNameBytes = 256
)

// sane reports whether info is within bounds and names a known protocol version and role.
func (u userInfo) sane() bool {
	if len(u.PublicKeyString) > maxKeyString {
		return false
	}
	if u.RTChat != nil && (len(u.RTChat.Pipe) > maxNameBytes || (u.RTChat.Role != "" && !u.RTChat.Role.Valid())) {
		return false
	}
	if u.RTChat != nil && u.RTChat.V == protocolVersion && u.sealKey() == nil {
		return false // this version always seals: a presence without a key is not one of ours
	}
	return true
}

// isRTChat: the sender says it speaks this version of the rtchat extension (which seals).
func (u userInfo) isRTChat() bool {
	return u.RTChat != nil && u.RTChat.V == protocolVersion && u.PublicKeyString != "" && u.sealKey() != nil
}

// sealKey returns the sender's sealing key, nil if it has none or a malformed one.
func (u userInfo) sealKey() []byte {
	if u.RTChat == nil || u.RTChat.Seal == nil || len(u.RTChat.Seal.Sig) > maxKeyString {
		return nil
	}
	k, err := decodeB64(u.RTChat.Seal.Key, seal.KeySize)
	if err != nil {
		return nil
	}
	return k
}

// keyless: the sender offers no identity key (the web client's barebones MQTTRTCClient).
func (u userInfo) keyless() bool { return u.PublicKeyString == "" }

func (u userInfo) role() Role {
	if u.RTChat == nil {
		return ""
	}
	return u.RTChat.Role
}

// signalSig is the signature of an rtchat peer's offer or answer, in the `rtchat` member of
// the envelope's data (see proof.Signal).
type signalSig struct {
	V          int    `json:"v"`
	TS         int64  `json:"ts"`
	Nonce      string `json:"nonce"`
	OfferNonce string `json:"offerNonce,omitempty"`
	Role       Role   `json:"role,omitempty"`
	Pipe       string `json:"pipe,omitempty"`
	Restart    bool   `json:"restart,omitempty"`
	// Bound: the sender takes this exchange as our proof of identity (proof.Signal.Bound).
	Bound bool   `json:"bound,omitempty"`
	Sig   string `json:"sig"`
}

type sessionDesc struct {
	Type string `json:"type"`
	SDP  string `json:"sdp"`
}

// offerData and answerData are the data of RTCOffer and RTCAnswer (§3.1) with our signature.
type offerData struct {
	UserInfo userInfo `json:"userInfo"`
	Offer    struct {
		LocalDescription sessionDesc `json:"localDescription"`
		Target           string      `json:"target"`
	} `json:"offer"`
	RTChat *signalSig `json:"rtchat,omitempty"`
	// Sealed: between rtchat peers, the SDP and the signature travel sealed (rtc/seal), as a
	// sealedSignal; the clear localDescription then has an empty sdp.
	Sealed string `json:"sealed,omitempty"`
}

type answerData struct {
	LocalDescription sessionDesc `json:"localDescription"`
	Target           string      `json:"target"`
	RTChat           *signalSig  `json:"rtchat,omitempty"`
	Sealed           string      `json:"sealed,omitempty"`
}

// sealedSignal is what a sealed offer or answer holds.
type sealedSignal struct {
	SDP    string     `json:"sdp"`
	RTChat *signalSig `json:"rtchat"`
}

// restartRequest is the data of rtchatRestart.
type restartRequest struct {
	Target string     `json:"target"`
	RTChat *signalSig `json:"rtchat"`
}

type candidate struct {
	Candidate        string  `json:"candidate"`
	SDPMid           *string `json:"sdpMid,omitempty"`
	SDPMLineIndex    *uint16 `json:"sdpMLineIndex,omitempty"`
	UsernameFragment *string `json:"usernameFragment,omitempty"`
}

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
	// To is "all" on an rtchat.message sent to everyone (send --all): shown as a line to
	// everyone, not as a direct message. Older receivers ignore it.
	To string `json:"to,omitempty"`
}

type answerFrame struct {
	N        int             `json:"n"`
	Answer   json.RawMessage `json:"answer,omitempty"`
	Question question        `json:"question"`
	Error    string          `json:"error,omitempty"`
}

// controlFrame is a message on the rtchat control channel.
type controlFrame struct {
	Type   string `json:"type"`
	Reason string `json:"reason,omitempty"`
}

// proveQuestion and proveAnswer are the content and answer of the rtchat proof (topicProve).
type proveQuestion struct {
	Challenge string `json:"challenge"`
}

type proveAnswer struct {
	PublicKeyString string `json:"publicKeyString"`
	Nonce           string `json:"nonce"`
	Signature       string `json:"signature"`
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		return json.RawMessage("null")
	}
	return b
}
