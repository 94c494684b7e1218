// Package signal is rtchat's MQTT signaling layer: the room topic, the RTChat envelope and
// its payload encodings, and a paho client that publishes and receives envelopes.
package signal

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/rtchat/rtchat/rtc/lzstring"
)

// Subtopics of the RTChat protocol (§3).
const (
	SubConnect    = "connect"
	SubNameChange = "nameChange"
	SubUnload     = "unload"
	SubOffer      = "RTCOffer"
	SubAnswer     = "RTCAnswer"
	SubCandidate  = "RTCIceCandidate"
)

// MaxPayload caps what we accept from the broker, and MaxDecoded what LZ may expand to.
const (
	MaxPayload = 256 << 10
	MaxDecoded = 1 << 20 // UTF-16 units
)

// Envelope is one MQTT message (§2.1).
type Envelope struct {
	Sender    string          `json:"sender"`
	Timestamp int64           `json:"timestamp"`
	Subtopic  string          `json:"subtopic"`
	Data      json.RawMessage `json:"data,omitempty"`
}

// ErrBadPayload wraps every reason a payload was dropped.
var ErrBadPayload = errors.New("bad signaling payload")

// Encode makes the wire form: plain UTF-8 JSON, padded with one space to an odd length so
// that LZ-mode browsers take their plain-JSON fallback (§2.2).
func Encode(sender, subtopic string, data any, now time.Time) ([]byte, error) {
	raw, err := json.Marshal(data)
	if err != nil {
		return nil, fmt.Errorf("encode %s data: %w", subtopic, err)
	}
	b, err := json.Marshal(Envelope{Sender: sender, Timestamp: now.UnixMilli(), Subtopic: subtopic, Data: raw})
	if err != nil {
		return nil, fmt.Errorf("encode %s envelope: %w", subtopic, err)
	}
	if len(b)%2 == 0 {
		b = append(b, ' ')
	}
	return b, nil
}

// Decode accepts plain JSON and LZ-String compressToUint8Array payloads (§2.2 receiver rule).
func Decode(payload []byte) (Envelope, error) {
	var env Envelope
	if len(payload) == 0 {
		return env, fmt.Errorf("%w: empty", ErrBadPayload)
	}
	if len(payload) > MaxPayload {
		return env, fmt.Errorf("%w: %d bytes is over the %d-byte cap", ErrBadPayload, len(payload), MaxPayload)
	}
	text := payload
	if payload[0] != '{' && len(payload)%2 == 0 {
		s, err := lzstring.DecompressFromUint8Array(payload, MaxDecoded)
		if err == nil && s != "" {
			text = []byte(s)
		}
	}
	text = bytes.TrimSpace(text)
	if len(text) == 0 || text[0] != '{' {
		return env, fmt.Errorf("%w: not a JSON object", ErrBadPayload)
	}
	if err := json.Unmarshal(text, &env); err != nil {
		return env, fmt.Errorf("%w: %v", ErrBadPayload, err)
	}
	if env.Sender == "" {
		return env, fmt.Errorf("%w: no sender", ErrBadPayload)
	}
	if env.Subtopic == "" {
		return env, fmt.Errorf("%w: no subtopic", ErrBadPayload)
	}
	return env, nil
}

// Topic is the room topic: base "mrtchat", separator "/", room (§1.1).
func Topic(room string) (string, error) {
	if room == "" {
		return "", errors.New("empty room name")
	}
	if bytes.ContainsAny([]byte(room), "+#\x00") {
		return "", fmt.Errorf("room %q contains an MQTT wildcard (+ or #) or NUL", room)
	}
	return "mrtchat/" + room, nil
}
