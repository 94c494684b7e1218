package rtc

import (
	"errors"
	"fmt"
	"strings"

	"github.com/pion/ice/v4"
	"github.com/pion/sdp/v3"
)

// Bounds on what a remote SDP may carry. An SDP of a data-only connection has one media
// section and a handful of candidates; thousands of candidates only make us send thousands
// of connectivity checks wherever a stranger points them.
const (
	maxSDPBytes      = 32 << 10
	maxSDPCandidates = 40
	maxSDPMedia      = 4
)

// sdpFacts is what we take from a remote SDP, as a real SDP parser reads it.
type sdpFacts struct {
	ufrag       string
	fingerprint string // "algo value", lower case
	candidates  int
}

var errBadSDP = errors.New("bad SDP")

// checkSDP parses a remote SDP with pion's parser (the one SetRemoteDescription uses) and
// refuses what could be read two ways: bare carriage returns or other control characters,
// more than one distinct fingerprint or ICE username fragment, too many candidates.
func checkSDP(text string) (sdpFacts, error) {
	var f sdpFacts
	bad := func(format string, a ...any) (sdpFacts, error) {
		return sdpFacts{}, fmt.Errorf("%w: %s", errBadSDP, fmt.Sprintf(format, a...))
	}
	if len(text) > maxSDPBytes {
		return bad("%d bytes is over the %d-byte cap", len(text), maxSDPBytes)
	}
	for i := 0; i < len(text); i++ {
		switch c := text[i]; {
		case c == '\r':
			if i+1 >= len(text) || text[i+1] != '\n' {
				return bad("carriage return not followed by a line feed at byte %d", i)
			}
		case c == '\n' || c == '\t':
		case c < 0x20 || c == 0x7f:
			return bad("control character %#x at byte %d", c, i)
		}
	}
	var d sdp.SessionDescription
	if err := d.UnmarshalString(text); err != nil {
		return bad("%v", err)
	}
	if len(d.MediaDescriptions) == 0 || len(d.MediaDescriptions) > maxSDPMedia {
		return bad("%d media sections", len(d.MediaDescriptions))
	}
	fps := map[string]bool{}
	ufrags := map[string]bool{}
	collect := func(attrs []sdp.Attribute) {
		for _, a := range attrs {
			switch a.Key {
			case "fingerprint":
				fps[strings.ToLower(strings.Join(strings.Fields(a.Value), " "))] = true
			case "ice-ufrag":
				ufrags[a.Value] = true
			case "candidate":
				f.candidates++
			}
		}
	}
	collect(d.Attributes)
	for _, m := range d.MediaDescriptions {
		collect(m.Attributes)
	}
	if len(fps) != 1 {
		return bad("%d distinct DTLS fingerprints (want exactly one)", len(fps))
	}
	if len(ufrags) != 1 {
		return bad("%d distinct ICE username fragments (want exactly one)", len(ufrags))
	}
	if f.candidates > maxSDPCandidates {
		return bad("%d candidates (at most %d)", f.candidates, maxSDPCandidates)
	}
	for fp := range fps {
		f.fingerprint = fp
	}
	for u := range ufrags {
		f.ufrag = u
	}
	return f, nil
}

// sdpCandidates lists an SDP's candidates as "typ address:port transport" (for logs); a
// line pion's candidate parser refuses is listed as it is.
func sdpCandidates(text string) []string {
	var out []string
	for _, v := range candidateLines(text) {
		c, err := ice.UnmarshalCandidate(v)
		if err != nil {
			out = append(out, v)
			continue
		}
		out = append(out, fmt.Sprintf("%s %s:%d %s", c.Type(), c.Address(), c.Port(), strings.ToLower(c.NetworkType().NetworkShort())))
	}
	return out
}

// candidateLines returns the values of an SDP's a=candidate attributes (session and media
// level), as pion's SDP parser reads them; nothing if the SDP does not parse.
func candidateLines(text string) []string {
	var d sdp.SessionDescription
	if d.UnmarshalString(text) != nil {
		return nil
	}
	var out []string
	add := func(attrs []sdp.Attribute) {
		for _, a := range attrs {
			if a.Key == "candidate" {
				out = append(out, a.Value)
			}
		}
	}
	add(d.Attributes)
	for _, m := range d.MediaDescriptions {
		add(m.Attributes)
	}
	return out
}
