package broker

import (
	"errors"
	"fmt"
	"strings"
)

// DefaultTopic is what clients may publish and subscribe within unless Options.Topics says
// otherwise: the rtchat/RTChat room topics mrtchat/ROOM and nothing else.
const DefaultTopic = "mrtchat/#"

// DefaultTopics is DefaultTopic as a list, the form of Options.Topics.
func DefaultTopics() []string { return []string{DefaultTopic} }

// topicSet is a list of MQTT topic filters (the patterns of --topics) that bounds what
// clients may use.
type topicSet []string

// parseTopics validates patterns (MQTT filter syntax: "+" one level, "#" last level only).
func parseTopics(patterns []string) (topicSet, error) {
	if len(patterns) == 0 {
		return nil, errors.New("no topic pattern: give at least one, e.g. mrtchat/#")
	}
	var ts topicSet
	for _, p := range patterns {
		if err := checkFilter(p); err != nil {
			return nil, fmt.Errorf("topic pattern %q: %w", p, err)
		}
		ts = append(ts, p)
	}
	return ts, nil
}

// checkFilter reports whether f is a well-formed MQTT topic filter.
func checkFilter(f string) error {
	if f == "" {
		return errors.New("empty")
	}
	if strings.ContainsRune(f, 0) {
		return errors.New("contains NUL")
	}
	levels := strings.Split(f, "/")
	for i, l := range levels {
		if strings.Contains(l, "#") && (l != "#" || i != len(levels)-1) {
			return errors.New(`"#" must be a whole level and the last one`)
		}
		if strings.Contains(l, "+") && l != "+" {
			return errors.New(`"+" must be a whole level`)
		}
	}
	return nil
}

// allows reports whether every topic that f (a topic name or a subscription filter)
// can match is matched by one of the patterns, so that a subscription cannot reach
// beyond them either.
func (ts topicSet) allows(f string) bool {
	if f == "" {
		return false
	}
	fl := strings.Split(f, "/")
	for _, p := range ts {
		if within(fl, strings.Split(p, "/")) {
			return true
		}
	}
	return false
}

// within reports whether filter f is a subset of filter p, level by level.
func within(f, p []string) bool {
	// MQTT: wildcards in the first level never match topics starting with "$" ($SYS).
	if strings.HasPrefix(f[0], "$") && (p[0] == "#" || p[0] == "+") {
		return false
	}
	for i, pl := range p {
		if pl == "#" {
			return true // "a/#" covers "a" too, and anything deeper
		}
		if i >= len(f) {
			return false
		}
		switch fl := f[i]; {
		case fl == "#":
			return false // f reaches everything below; p does not
		case pl == "+":
			continue
		case fl != pl: // includes fl == "+" against a literal level
			return false
		}
	}
	return len(f) == len(p)
}
