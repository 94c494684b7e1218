package commands

import (
	"encoding/json"

	"github.com/rtchat/rtchat/rtc"
)

// The NDJSON objects the commands print with --json: one struct per object, each documented
// field by field in docs/json.md (TestJSONMatchesDocs holds the two together).
//
// Convention: the struct is named after its type (seenJSON for "seen"; with the command
// first when one type has several shapes: pipeSummaryJSON, doctorSummaryJSON); `type` is its
// first field, set where the object is built; an optional field has omitempty (and is
// "…, optional" in the docs).

// errorJSON is the last line of a failed command.
//
// Its fields keep the order they always had (code, error, type: the sorted keys of the map
// it once was), so byte-exact scripts and tests of earlier builds keep matching.
type errorJSON struct {
	Code  int    `json:"code"`
	Error string `json:"error"`
	Hint  string `json:"hint,omitempty"`
	Type  string `json:"type"`
}

func newErrorJSON(err error, code int) errorJSON {
	return errorJSON{Type: "error", Error: err.Error(), Hint: hintOf(err), Code: code}
}

// The lifecycle events of the core, one struct per rtc.EventType.

type seenJSON struct {
	Type string `json:"type"`
	Peer string `json:"peer"`
	Name string `json:"name"`
}

type connectedJSON struct {
	Type string `json:"type"`
	Peer string `json:"peer"`
	Name string `json:"name"`
}

type verifiedJSON struct {
	Type        string `json:"type"`
	Peer        string `json:"peer"`
	Name        string `json:"name"`
	Bound       bool   `json:"bound"`
	Fingerprint string `json:"fingerprint,omitempty"`
	Pinned      bool   `json:"pinned,omitempty"`
	Unverified  bool   `json:"unverified,omitempty"`
}

type refusedJSON struct {
	Type  string `json:"type"`
	Peer  string `json:"peer"`
	Name  string `json:"name"`
	Error string `json:"error"`
	Hint  string `json:"hint,omitempty"`
	Code  int    `json:"code"`
}

type messageJSON struct {
	Type     string `json:"type"`
	Peer     string `json:"peer"`
	Name     string `json:"name"`
	Channel  string `json:"channel"`
	Text     string `json:"text"`
	Verified bool   `json:"verified"`
}

// joinedJSON: the connection is up and verified both ways (room mode of connect).
type joinedJSON struct {
	Type        string `json:"type"`
	Peer        string `json:"peer"`
	Name        string `json:"name"`
	Bound       bool   `json:"bound"`
	Fingerprint string `json:"fingerprint,omitempty"`
	Verified    bool   `json:"verified"`
}

type renamedJSON struct {
	Type    string `json:"type"`
	Peer    string `json:"peer"`
	Name    string `json:"name"`
	NewName string `json:"new_name"`
}

// reconnectJSON is both reconnecting and reconnected.
type reconnectJSON struct {
	Type string `json:"type"`
	Peer string `json:"peer"`
	Name string `json:"name"`
}

type laggedJSON struct {
	Type    string `json:"type"`
	Dropped int    `json:"dropped"`
}

type disconnectedJSON struct {
	Type  string `json:"type"`
	Peer  string `json:"peer"`
	Name  string `json:"name"`
	Error string `json:"error,omitempty"`
	Hint  string `json:"hint,omitempty"`
	Code  int    `json:"code,omitempty"`
}

// eventJSON is the NDJSON form of a core event; nil for an event type this build does not
// know (a newer core), which is then not printed rather than printed undocumented.
func eventJSON(e rtc.Event) any {
	switch e.Type {
	case rtc.EventSeen:
		return seenJSON{Type: string(e.Type), Peer: e.Peer, Name: e.Bare}
	case rtc.EventConnected:
		return connectedJSON{Type: string(e.Type), Peer: e.Peer, Name: e.Bare}
	case rtc.EventVerified:
		return verifiedJSON{Type: string(e.Type), Peer: e.Peer, Name: e.Bare, Bound: e.Bound, Fingerprint: e.Fingerprint, Pinned: e.Pinned, Unverified: e.Unverified}
	case rtc.EventRefused:
		o := refusedJSON{Type: string(e.Type), Peer: e.Peer, Name: e.Bare, Code: ExitNotVerified}
		if e.Err != nil {
			o.Error, o.Hint, o.Code = e.Err.Error(), hintOf(e.Err), codeOf(e.Err)
		}
		return o
	case rtc.EventMessage:
		return messageJSON{Type: string(e.Type), Peer: e.Peer, Name: e.Bare, Channel: e.Channel, Text: e.Text, Verified: !e.Unverified}
	case rtc.EventJoined:
		return joinedJSON{Type: string(e.Type), Peer: e.Peer, Name: e.Bare, Bound: e.Bound, Fingerprint: e.Fingerprint, Verified: !e.Unverified}
	case rtc.EventRenamed:
		return renamedJSON{Type: string(e.Type), Peer: e.Peer, Name: e.Bare, NewName: e.NewName}
	case rtc.EventReconnecting, rtc.EventReconnected:
		return reconnectJSON{Type: string(e.Type), Peer: e.Peer, Name: e.Bare}
	case rtc.EventLagged:
		return laggedJSON{Type: string(e.Type), Dropped: e.Dropped}
	case rtc.EventDisconnected:
		o := disconnectedJSON{Type: string(e.Type), Peer: e.Peer, Name: e.Bare}
		if e.Err != nil {
			o.Error, o.Hint, o.Code = e.Err.Error(), hintOf(e.Err), codeOf(e.Err)
		}
		return o
	}
	return nil
}

// listen

type listeningJSON struct {
	Type string `json:"type"`
	Name string `json:"name"`
	Room string `json:"room"`
}

// ask

type answerJSON struct {
	Type   string          `json:"type"`
	Peer   string          `json:"peer"`
	Name   string          `json:"name"`
	Topic  string          `json:"topic"`
	Answer json.RawMessage `json:"answer"`
	// Verified is false only for a client without identity keys (--trust unverified).
	Verified bool `json:"verified"`
}

// send

type deliveredJSON struct {
	Type     string `json:"type"`
	Peer     string `json:"peer"`
	Name     string `json:"name"`
	Verified bool   `json:"verified"`
}

// send and ask to several peers (--to, --all): one result per peer

type resultJSON struct {
	Type   string          `json:"type"`
	Peer   string          `json:"peer,omitempty"`
	Name   string          `json:"name"`
	OK     bool            `json:"ok"`
	Error  string          `json:"error,omitempty"`
	Hint   string          `json:"hint,omitempty"`
	Code   int             `json:"code"`
	Topic  string          `json:"topic,omitempty"`
	Answer json.RawMessage `json:"answer,omitempty"`
	// Unverified: the peer reached is a client without identity keys (--trust unverified).
	Unverified bool `json:"unverified,omitempty"`
}

// pipe (on stderr: its stdout is the byte stream)

type progressJSON struct {
	Type     string  `json:"type"`
	Sent     uint64  `json:"sent"`
	Received uint64  `json:"received"`
	Total    int64   `json:"total,omitempty"`
	Seconds  float64 `json:"seconds"`
}

type pipeSummaryJSON struct {
	Type       string  `json:"type"`
	Peer       string  `json:"peer"`
	Name       string  `json:"name"`
	OK         bool    `json:"ok"`
	Sent       uint64  `json:"sent"`
	Received   uint64  `json:"received"`
	Seconds    float64 `json:"seconds"`
	Connection string  `json:"connection"`
	// The path (see pathJSON): the peer's candidate type, udp/tcp, through TURN or not.
	RemoteConnection string `json:"remote_connection"`
	Protocol         string `json:"protocol"`
	Relay            bool   `json:"relay"`
	// Each direction's own transfer time, first byte to end (no waiting counted).
	SentSeconds     float64 `json:"sent_seconds,omitempty"`
	ReceivedSeconds float64 `json:"received_seconds,omitempty"`
	// Transport is what carried the bytes: direct (verified TLS over TCP) or webrtc.
	Transport string `json:"transport"`
}

// pathJSON is the network path of a connection (pipe, on stderr, when the stream opens).
type pathJSON struct {
	Type          string   `json:"type"`
	Peer          string   `json:"peer"`
	Name          string   `json:"name"`
	Local         string   `json:"local"`
	Remote        string   `json:"remote"`
	Protocol      string   `json:"protocol"`
	Relay         bool     `json:"relay"`
	RelayProtocol string   `json:"relay_protocol,omitempty"`
	LocalAddress  string   `json:"local_address"`
	RemoteAddress string   `json:"remote_address"`
	RTTms         *float64 `json:"rtt_ms,omitempty"`
}

// doctor

type checkJSON struct {
	Type      string   `json:"type"`
	Name      string   `json:"name"`
	Target    string   `json:"target,omitempty"`
	Status    string   `json:"status"`
	Detail    string   `json:"detail"`
	Fix       string   `json:"fix,omitempty"`
	RTTms     *float64 `json:"rtt_ms,omitempty"`
	Reflexive string   `json:"reflexive,omitempty"`
	Relay     string   `json:"relay,omitempty"`
}

type doctorSummaryJSON struct {
	Type string `json:"type"`
	OK   int    `json:"ok"`
	Warn int    `json:"warn"`
	Fail int    `json:"fail"`
}

// config

type configJSON struct {
	Type   string `json:"type"`
	Key    string `json:"key"`
	Value  string `json:"value"`
	Source string `json:"source"`
}

// version

type versionJSON struct {
	Type string `json:"type"`
	versionInfo
}

// inviteJSON is the first line of 'keys invite': the code, as soon as it exists.
type inviteJSON struct {
	Type string `json:"type"`
	Code string `json:"code"`
}

// pairedJSON is the result of 'keys invite' and 'keys accept'.
type pairedJSON struct {
	Type            string `json:"type"`
	Name            string `json:"name"`
	IdentityName    string `json:"identityName"`
	Fingerprint     string `json:"fingerprint"`
	PublicKeyString string `json:"publicKeyString"`
	Result          string `json:"result"`
}
