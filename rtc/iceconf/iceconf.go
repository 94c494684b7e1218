// Package iceconf turns the --ice flag into a pion WebRTC API and configuration.
//
// Accepted values (Parse):
//
//	""          the RTChat web page's STUN list (stun:stun.l.google.com:19302, stun1..stun4)
//	"none"      no ICE servers: host candidates only (mDNS in QueryOnly mode so that
//	            browsers' .local candidates still resolve on a LAN)
//	"loopback"  127.0.0.1 host candidates only, UDP4, no servers, mDNS disabled
//	            (one-machine use: tests, CI, the offline demo)
//	LIST        comma-separated ICE server URLs:
//	              stun:HOST[:PORT]
//	              turn:USER:PASS@HOST[:PORT][?transport=udp|tcp]
//	              turns:USER:PASS@HOST[:PORT][?transport=tcp]
//	            USER and PASS may be percent-encoded (%3A for ':', %40 for '@').
//	            turns: trusts the system's CAs and those in the PEM file named by
//	            RTCHAT_ICE_CA (a TURN server with a private or test CA).
//	            TURN entries need credentials; STUN entries must not carry any.
//
// Every PeerConnection built here detaches ALL its data channels
// (SettingEngine.DetachDataChannels) with blocking writes (backpressure) and uses its own
// ICE UDP socket(s) with 4 MiB receive/send buffers; see Conn.
package iceconf

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/pion/stun/v4"
	"github.com/pion/webrtc/v4"
)

// Modes reported in Config.Mode.
const (
	ModeDefault  = "default"  // the web page's STUN list
	ModeNone     = "none"     // host candidates only
	ModeLoopback = "loopback" // 127.0.0.1 only, mDNS off
	ModeServers  = "servers"  // a user-supplied server list
)

// DefaultSTUN is the RTChat web page's iceServers list (protocol §5.1).
var DefaultSTUN = []string{
	"stun:stun.l.google.com:19302",
	"stun:stun1.l.google.com:19302",
	"stun:stun2.l.google.com:19302",
	"stun:stun3.l.google.com:19302",
	"stun:stun4.l.google.com:19302",
}

// ErrBadICE is wrapped by every Parse error.
var ErrBadICE = errors.New("bad --ice value")

// Config is a parsed --ice value.
type Config struct {
	Mode    string // ModeDefault, ModeNone, ModeLoopback or ModeServers
	Servers []webrtc.ICEServer
	// CAFile: extra CA certificates (PEM) trusted for turns: servers besides the system's
	// roots. Parse takes it from RTCHAT_ICE_CA (CAEnv).
	CAFile string
	// SNAP offers the SCTP association's INIT in the SDP (a=sctp-init) so that, when the
	// peer does the same, SCTP needs no handshake round trips (2 fewer before the first
	// byte). The core may set it for connections with rtchat peers; web pages are not
	// known to speak it (pion falls back when the peer's SDP lacks it).
	SNAP bool

	// shared is what the copies of one parsed Config share: the pacer that spreads the ICE
	// checks of connections connecting at the same time (checks.go) and the spare
	// connection (spare.go). Parse and Loopback set it; a Config literal has none (checks
	// at CheckInterval throughout, no spare).
	shared *shared
}

type shared struct {
	pacer checkPacer
	spare spare
}

// Loopback is the configuration tests and one-machine setups use.
func Loopback() Config { return Config{Mode: ModeLoopback, shared: &shared{}} }

// Parse interprets the --ice flag value.
func Parse(list string) (Config, error) {
	c, err := parse(list)
	if err == nil {
		c.shared = &shared{}
	}
	return c, err
}

func parse(list string) (Config, error) {
	s := strings.TrimSpace(list)
	switch strings.ToLower(s) {
	case "":
		c := Config{Mode: ModeDefault}
		for _, u := range DefaultSTUN {
			c.Servers = append(c.Servers, webrtc.ICEServer{URLs: []string{u}})
		}
		return c, nil
	case ModeNone:
		return Config{Mode: ModeNone}, nil
	case ModeLoopback:
		return Config{Mode: ModeLoopback}, nil
	}
	c := Config{Mode: ModeServers, CAFile: os.Getenv(CAEnv)}
	for i, entry := range strings.Split(s, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			return Config{}, fmt.Errorf("%w: entry %d is empty (want comma-separated stun:/turn:/turns: URLs, or none, or loopback)", ErrBadICE, i+1)
		}
		srv, err := parseEntry(entry)
		if err != nil {
			return Config{}, fmt.Errorf("%w: entry %d %q: %v", ErrBadICE, i+1, redact(entry), err)
		}
		c.Servers = append(c.Servers, srv)
	}
	return c, nil
}

// parseEntry turns one stun:/turn:/turns: entry into an ICEServer.
func parseEntry(entry string) (webrtc.ICEServer, error) {
	if l := strings.ToLower(entry); l == ModeNone || l == ModeLoopback {
		return webrtc.ICEServer{}, fmt.Errorf("%q cannot be combined with other entries", l)
	}
	scheme, rest, ok := strings.Cut(entry, ":")
	if !ok {
		return webrtc.ICEServer{}, errors.New("missing scheme (want stun:, turn: or turns:)")
	}
	scheme = strings.ToLower(scheme)
	switch scheme {
	case "stun", "stuns", "turn", "turns":
	default:
		return webrtc.ICEServer{}, fmt.Errorf("unknown scheme %q (want stun:, turn: or turns:)", scheme)
	}
	rest = strings.TrimPrefix(rest, "//")
	var user, pass string
	hostPart := rest
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		cred := rest[:at]
		hostPart = rest[at+1:]
		u, p, ok := strings.Cut(cred, ":")
		if !ok || u == "" || p == "" {
			return webrtc.ICEServer{}, errors.New("credentials must be USER:PASS@ (both non-empty)")
		}
		var err error
		if user, err = url.PathUnescape(u); err != nil {
			return webrtc.ICEServer{}, fmt.Errorf("bad percent-encoding in user: %v", err)
		}
		if pass, err = url.PathUnescape(p); err != nil {
			return webrtc.ICEServer{}, errors.New("bad percent-encoding in password")
		}
	}
	if hostPart == "" {
		return webrtc.ICEServer{}, errors.New("missing host")
	}
	host, _, _ := strings.Cut(hostPart, "?")
	if h, port, hasPort := strings.Cut(host, ":"); hasPort && !strings.HasPrefix(host, "[") {
		if h == "" {
			return webrtc.ICEServer{}, errors.New("missing host")
		}
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return webrtc.ICEServer{}, fmt.Errorf("bad port %q", port)
		}
	}
	raw := scheme + ":" + hostPart
	uri, err := stun.ParseURI(raw)
	if err != nil {
		return webrtc.ICEServer{}, err
	}
	if uri.Host == "" {
		return webrtc.ICEServer{}, errors.New("missing host")
	}
	isTURN := scheme == "turn" || scheme == "turns"
	if isTURN && user == "" {
		return webrtc.ICEServer{}, errors.New("TURN needs credentials: turn:USER:PASS@host:port")
	}
	if !isTURN && user != "" {
		return webrtc.ICEServer{}, errors.New("STUN takes no credentials")
	}
	srv := webrtc.ICEServer{URLs: []string{raw}}
	if isTURN {
		srv.Username = user
		srv.Credential = pass
		srv.CredentialType = webrtc.ICECredentialTypePassword
	}
	return srv, nil
}

// redact hides a password in an entry echoed back in an error message.
func redact(entry string) string {
	at := strings.LastIndex(entry, "@")
	if at < 0 {
		return entry
	}
	scheme, cred, ok := strings.Cut(entry[:at], ":")
	if !ok {
		return entry
	}
	user, _, hasPass := strings.Cut(cred, ":")
	if !hasPass {
		return entry
	}
	return scheme + ":" + user + ":***@" + entry[at+1:]
}

// String renders the config the way --ice would accept it back (passwords hidden).
func (c Config) String() string {
	switch c.Mode {
	case ModeNone, ModeLoopback:
		return c.Mode
	case ModeDefault:
		return "default(" + strings.Join(DefaultSTUN, ",") + ")"
	}
	var parts []string
	for _, s := range c.Servers {
		for _, u := range s.URLs {
			if s.Username != "" {
				scheme, rest, _ := strings.Cut(u, ":")
				u = scheme + ":" + s.Username + ":***@" + rest
			}
			parts = append(parts, u)
		}
	}
	return strings.Join(parts, ",")
}

// ReadRmemMax returns net.core.rmem_max (bytes), the kernel's cap on SO_RCVBUF requests.
func ReadRmemMax() (int, error) { return readSysctlInt("/proc/sys/net/core/rmem_max") }

// ReadWmemMax returns net.core.wmem_max (bytes), the kernel's cap on SO_SNDBUF requests.
func ReadWmemMax() (int, error) { return readSysctlInt("/proc/sys/net/core/wmem_max") }

func readSysctlInt(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(string(b)))
}
