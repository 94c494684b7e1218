package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"time"

	"github.com/rtchat/rtchat/rtc/lzstring"
)

// Subtopics of the RTChat signaling (rtchat-wire.md §3.1).
const (
	subConnect = "connect"
	subOffer   = "RTCOffer"
	subAnswer  = "RTCAnswer"
)

// envelope is one MQTT message of the room (rtchat-wire.md §2.1). Data stays raw JSON: the
// attacker edits it member by member so that whatever else a victim put there (including
// members it does not know) travels on unchanged.
type envelope struct {
	Sender    string          `json:"sender"`
	Timestamp int64           `json:"timestamp"`
	Subtopic  string          `json:"subtopic"`
	Data      json.RawMessage `json:"data,omitempty"`
}

// decodeEnvelope reads plain JSON or LZ-String compressToUint8Array payloads (§2.2).
func decodeEnvelope(payload []byte) (envelope, error) {
	var env envelope
	text := payload
	if len(payload) > 0 && payload[0] != '{' && len(payload)%2 == 0 {
		if s, err := lzstring.DecompressFromUint8Array(payload, 1<<20); err == nil && s != "" {
			text = []byte(s)
		}
	}
	text = bytes.TrimSpace(text)
	if err := json.Unmarshal(text, &env); err != nil {
		return envelope{}, err
	}
	if env.Sender == "" || env.Subtopic == "" {
		return envelope{}, errors.New("not an envelope")
	}
	return env, nil
}

// encodeEnvelope is the wire form rtchat sends: plain JSON padded to an odd length (§2.2).
func encodeEnvelope(env envelope) []byte {
	if env.Timestamp == 0 {
		env.Timestamp = time.Now().UnixMilli()
	}
	b, err := json.Marshal(env)
	if err != nil {
		panic(err) // every value here came out of json.Unmarshal or our own structs
	}
	if len(b)%2 == 0 {
		b = append(b, ' ')
	}
	return b
}

// getRaw returns the member at path inside a JSON value (nil if absent or not objects).
func getRaw(raw json.RawMessage, path ...string) json.RawMessage {
	for _, k := range path {
		var m map[string]json.RawMessage
		if json.Unmarshal(raw, &m) != nil {
			return nil
		}
		raw = m[k]
		if raw == nil {
			return nil
		}
	}
	return raw
}

// getString returns the string at path ("" if absent or not a string).
func getString(raw json.RawMessage, path ...string) string {
	var s string
	if json.Unmarshal(getRaw(raw, path...), &s) != nil {
		return ""
	}
	return s
}

// setPath returns raw with the member at path replaced by v (objects on the way must exist).
func setPath(raw json.RawMessage, v any, path ...string) (json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return nil, errors.New("not a JSON object")
	}
	var val json.RawMessage
	if len(path) == 1 {
		b, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		val = b
	} else {
		inner, ok := m[path[0]]
		if !ok {
			return nil, errors.New("missing member " + path[0])
		}
		b, err := setPath(inner, v, path[1:]...)
		if err != nil {
			return nil, err
		}
		val = b
	}
	m[path[0]] = val
	return json.Marshal(m)
}

// deletePath removes the member at path; ok reports whether there was one.
func deletePath(raw json.RawMessage, path ...string) (json.RawMessage, bool) {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil || m == nil {
		return raw, false
	}
	if len(path) == 1 {
		if _, ok := m[path[0]]; !ok {
			return raw, false
		}
		delete(m, path[0])
	} else {
		inner, ok := m[path[0]]
		if !ok {
			return raw, false
		}
		b, changed := deletePath(inner, path[1:]...)
		if !changed {
			return raw, false
		}
		m[path[0]] = b
	}
	b, err := json.Marshal(m)
	if err != nil {
		return raw, false
	}
	return b, true
}

// stripRTChat deletes every `rtchat` member rtchat puts into signaling data (docs/rtchat-protocol.md:
// the userInfo extension in connect and offers, the signature members of offers and answers),
// so that each side takes the other for a web page. It reports whether anything was removed.
func stripRTChat(env *envelope) bool {
	var paths [][]string
	switch env.Subtopic {
	case subConnect:
		paths = [][]string{{"rtchat"}}
	case subOffer:
		paths = [][]string{{"userInfo", "rtchat"}, {"rtchat"}, {"offer", "rtchat"}}
	case subAnswer:
		paths = [][]string{{"rtchat"}}
	default:
		paths = [][]string{{"rtchat"}, {"userInfo", "rtchat"}}
	}
	changed := false
	for _, p := range paths {
		if d, ok := deletePath(env.Data, p...); ok {
			env.Data = d
			changed = true
		}
	}
	return changed
}

// userRole is the rtchat role a userInfo object claims ("" for a web page).
func userRole(userInfo json.RawMessage) string {
	return getString(userInfo, "rtchat", "role")
}
