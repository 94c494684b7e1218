package main

import (
	"encoding/json"
	"errors"
	"strings"

	"github.com/rtchat/rtchat/keys"
)

// Question and answer frames of the `question` / `answer` channels (rtchat-wire.md §5.3).
type questionFrame struct {
	N        int `json:"n"`
	Question struct {
		Topic   string          `json:"topic"`
		Content json.RawMessage `json:"content"`
	} `json:"question"`
}

// identityTopic says whether a question topic looks like a proof of identity, whatever its
// exact name: the web client's identify/challenge and rtchat's own variants.
func identityTopic(topic string) bool {
	t := strings.ToLower(topic)
	return strings.Contains(t, "identif") || strings.Contains(t, "challenge") || strings.Contains(t, "proof")
}

// latin1 and fromLatin1: binary values inside JSON as strings of char codes 0-255 (§6.2).
func latin1(b []byte) string {
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
	}
	return string(r)
}

func fromLatin1(s string) ([]byte, error) {
	out := make([]byte, 0, len(s))
	for _, r := range s {
		if r > 0xff {
			return nil, errors.New("not a latin-1 string")
		}
		out = append(out, byte(r))
	}
	return out, nil
}

// boundMessage is what rtchat's rtchat.identify / rtchat.challenge proofs sign in the build
// under attack (docs/rtchat-protocol.md "Bound proofs"): a tag, the challenge and both SDPs' first
// a=fingerprint values as their text states them.
func boundMessage(challenge []byte, offererFP, answererFP string) []byte {
	msg := []byte("rtchat-dtls-bound-v1\x00")
	msg = append(msg, challenge...)
	msg = append(msg, 0)
	msg = append(msg, offererFP...)
	msg = append(msg, 0)
	msg = append(msg, answererFP...)
	return msg
}

// answerAsSelf answers a question put to the attacker's own identity (relay-sessions: the
// victim verifies mallory, whom it pinned) with the wire shapes of §6.4 and rtchat's bound
// variants. offererFP/answererFP are the fingerprints of that connection as its SDPs state
// them. Anything else gets an error answer, as an rtchat process would send.
func answerAsSelf(id *keys.Identity, frame []byte, offererFP, answererFP string) ([]byte, string) {
	var q questionFrame
	if json.Unmarshal(frame, &q) != nil {
		return nil, ""
	}
	reply := map[string]any{"n": q.N, "question": q.Question}
	var content string
	challenge, err := []byte(nil), error(nil)
	if json.Unmarshal(q.Question.Content, &content) == nil {
		challenge, err = fromLatin1(content)
	} else {
		err = errors.New("not a string")
	}
	if !identityTopic(q.Question.Topic) || err != nil {
		reply["error"] = id.Name + " answers no questions on topic " + q.Question.Topic
		b, _ := json.Marshal(reply)
		return b, q.Question.Topic
	}
	msg := challenge
	if strings.HasPrefix(q.Question.Topic, "rtchat.") {
		msg = boundMessage(challenge, offererFP, answererFP)
	}
	sig, err := id.Sign(msg)
	if err != nil {
		reply["error"] = "signing failed"
	} else if strings.Contains(strings.ToLower(q.Question.Topic), "identif") {
		reply["answer"] = map[string]string{"publicKeyString": id.PublicJWK, "signature": latin1(sig)}
	} else {
		reply["answer"] = latin1(sig)
	}
	b, _ := json.Marshal(reply)
	return b, q.Question.Topic
}
