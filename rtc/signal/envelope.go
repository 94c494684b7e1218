// Package signal is rtchat's MQTT signaling layer: the room topic, the RTChat envelope and
// its payload encodings, and a paho client that publishes and receives envelopes.
package signal

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/rtchat/rtchat/rtc/lzstring"
)

// Subtopics of the RTChat protocol (§3).
const (
	SubConnect    = "connect"
	SubNameChange = "nameChange"
	// SubRestartRequest is rtchat's own: an rtchat peer asks the one that offered their
	// connection to restart ICE (docs/rtchat-protocol.md). Web pages ignore it.
	SubRestartRequest = "rtchatRestart"
	SubUnload         = "unload"
	SubOffer          = "RTCOffer"
	SubAnswer         = "RTCAnswer"
	SubCandidate      = "RTCIceCandidate"
)

// MaxPayload caps what we accept from the broker, and MaxDecoded what LZ may expand to.
// RTChat's largest messages are offers: a few kB (about 8 kB with 40 candidates), so both
// caps leave ample room while bounding what one hostile payload can cost.
const (
	MaxPayload = 64 << 10
	MaxDecoded = lzstring.DefaultMaxUnits // UTF-16 units; also at most DefaultMaxRatio per payload byte
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

// Decode accepts plain JSON and LZ-String compressToUint8Array payloads (§2.2 receiver
// rule): a payload that does not start with '{' and has an even length is LZ-decoded
// first (output capped at MaxDecoded UTF-16 units); if that fails, yields "" or yields
// something that is not an envelope, the bytes are parsed as plain UTF-8 JSON.
//
// Keys are matched exactly, as JavaScript does (encoding/json alone would match
// "Sender" or "SENDER" too, so a payload carrying both could name a different sender to
// Go than to browsers); for duplicate keys the last one wins, as in JSON.parse. sender
// and subtopic must be non-empty strings; timestamp is informational and only kept when
// it is a number; data is kept raw ("null" when the sender sent null, nil when absent).
func Decode(payload []byte) (Envelope, error) {
	if len(payload) == 0 {
		return Envelope{}, fmt.Errorf("%w: empty", ErrBadPayload)
	}
	if len(payload) > MaxPayload {
		return Envelope{}, fmt.Errorf("%w: %d bytes is over the %d-byte cap", ErrBadPayload, len(payload), MaxPayload)
	}
	var lzErr error
	if payload[0] != '{' && len(payload)%2 == 0 {
		s, err := lzstring.DecompressFromUint8ArrayLimit(payload, MaxDecoded, lzstring.DefaultMaxRatio)
		switch {
		case err != nil:
			lzErr = err
		case s != "":
			env, err := parseEnvelope([]byte(s))
			if err == nil {
				return env, nil
			}
			lzErr = fmt.Errorf("LZ-decoded text: %v", err)
		}
	}
	env, err := parseEnvelope(payload)
	if err != nil {
		if lzErr != nil {
			return Envelope{}, fmt.Errorf("%w: %v (LZ: %v)", ErrBadPayload, err, lzErr)
		}
		return Envelope{}, fmt.Errorf("%w: %v", ErrBadPayload, err)
	}
	return env, nil
}

// parseEnvelope parses one JSON envelope text (see Decode for the rules).
func parseEnvelope(text []byte) (Envelope, error) {
	var env Envelope
	text = bytes.TrimSpace(text)
	if len(text) == 0 || text[0] != '{' {
		return env, errors.New("not a JSON object")
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(text, &fields); err != nil {
		return env, err
	}
	if err := json.Unmarshal(fields["sender"], &env.Sender); err != nil || env.Sender == "" {
		return Envelope{}, errors.New("no sender")
	}
	if err := json.Unmarshal(fields["subtopic"], &env.Subtopic); err != nil || env.Subtopic == "" {
		return Envelope{}, errors.New("no subtopic")
	}
	var ts float64
	if json.Unmarshal(fields["timestamp"], &ts) == nil && ts >= -1<<62 && ts <= 1<<62 {
		env.Timestamp = int64(ts)
	}
	if d, ok := fields["data"]; ok {
		env.Data = d
	}
	return env, nil
}

const (
	topicPrefix = "mrtchat/"
	maxTopic    = 65535 // MQTT UTF-8 string limit in bytes
)

// Topic is the room topic: base "mrtchat", separator "/", room (§1.1). The room is used
// as is ("/" inside it is legal); it must be non-empty valid UTF-8 without + # or NUL.
func Topic(room string) (string, error) {
	if room == "" {
		return "", errors.New("empty room name")
	}
	if bytes.ContainsAny([]byte(room), "+#\x00") {
		return "", fmt.Errorf("room %q contains an MQTT wildcard (+ or #) or NUL", room)
	}
	if !utf8.ValidString(room) {
		return "", fmt.Errorf("room %q is not valid UTF-8", room)
	}
	if len(room) > maxTopic-len(topicPrefix) {
		return "", fmt.Errorf("room name of %d bytes is too long for an MQTT topic", len(room))
	}
	return topicPrefix + room, nil
}
