package doctor

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/rtchat/rtchat/rtc/signal"
)

// PublicBroker is suggested when the configured broker cannot be reached.
const PublicBroker = "wss://broker.emqx.io:8084/mqtt"

// DoctorSubtopic is the envelope subtopic of the broker probe; browsers ignore it, and it is
// published on a private topic anyway (see Broker).
const DoctorSubtopic = "doctor"

// BrokerOptions configures Broker.
type BrokerOptions struct {
	URL     string        // --broker, any form signal.ParseBrokerURL accepts
	Room    string        // --room; the probe topic is mrtchat/ROOM/doctor/RANDOM
	Timeout time.Duration // bound of the whole check; 0 means signal.DefaultConnectTimeout
	Logger  *slog.Logger  // nil discards
}

// Broker checks the MQTT broker in three steps, each with its own diagnosis: a TCP connect
// to its host and port (DNS, refused, filtered), an MQTT connect and subscribe (scheme, TLS,
// WebSocket path, credentials), and a round trip: an envelope made with signal.Encode is
// published on a private topic under the room (mrtchat/ROOM/doctor/RANDOM, which no room
// member subscribes to, so nobody sees it) and timed until the broker delivers it back.
func Broker(ctx context.Context, o BrokerOptions) Result {
	r := Result{Name: CheckBroker, Target: signal.RedactURL(o.URL)}
	bu, err := signal.ParseBrokerURL(o.URL)
	if err != nil {
		r.Status = StatusFail
		r.Detail = err.Error()
		r.Fix = "give --broker (or RTCHAT_BROKER) as one of: mqtt://HOST:1883, mqtts://HOST:8883, ws://HOST/mqtt, wss://HOST:PORT/mqtt; e.g. --broker " + PublicBroker
		return r
	}
	room, err := signal.Topic(o.Room)
	if err != nil {
		r.Status = StatusFail
		r.Detail = "--room: " + err.Error()
		r.Fix = "pick a room name without + # or NUL, e.g. --room chat"
		return r
	}
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = signal.DefaultConnectTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := time.Now()

	// 1. TCP: does anything answer at host:port?
	hostport := hostPortOf(bu)
	var d net.Dialer
	tc, err := d.DialContext(ctx, "tcp", hostport)
	if err != nil {
		r.Status = StatusFail
		r.Detail, r.Fix = tcpDiagnosis(r.Target, hostport, timeout, err)
		return r
	}
	tcpTime := time.Since(start)
	tc.Close()

	// 2. MQTT connect and subscribe to the private probe topic.
	topic := room + "/doctor/" + randomHex(8)
	remaining := time.Until(deadlineOf(ctx, start.Add(timeout)))
	conn, err := signal.Dial(ctx, signal.Config{
		BrokerURL: o.URL, Topic: topic, Logger: o.Logger,
		ConnectTimeout: max(remaining, 100*time.Millisecond),
	})
	if err != nil {
		r.Status = StatusFail
		r.Detail = fmt.Sprintf("%s: TCP port open (%s) but the MQTT session failed: %v", r.Target, Ms(tcpTime), err)
		r.Fix = mqttFix(bu, err)
		return r
	}
	connTime := time.Since(start)
	defer func() {
		cctx, ccancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer ccancel()
		_ = conn.Close(cctx)
	}()

	// 3. Round trip of one envelope.
	nonce := randomHex(12)
	sender := "rtchat-doctor-" + nonce[:8]
	payload, err := signal.Encode(sender, DoctorSubtopic, map[string]string{"nonce": nonce}, time.Now())
	if err != nil {
		r.Status = StatusFail
		r.Detail = "encoding the probe: " + err.Error()
		return r
	}
	t0 := time.Now()
	if err := conn.Publish(ctx, payload); err != nil {
		r.Status = StatusFail
		r.Detail = fmt.Sprintf("%s: connected in %s but publishing failed: %v", r.Target, Ms(connTime), err)
		r.Fix = "the broker may refuse publishing on " + room + "/# (ACL) or dropped the connection; try again, or another broker (--broker " + PublicBroker + ")"
		return r
	}
	for {
		select {
		case p, ok := <-conn.Messages():
			if !ok {
				r.Status = StatusFail
				r.Detail = fmt.Sprintf("%s: the connection closed before our test message came back", r.Target)
				r.Fix = "the broker dropped the connection; try again, or another broker (--broker " + PublicBroker + ")"
				return r
			}
			if !isProbe(p, sender, nonce) {
				continue
			}
			r.RTT = time.Since(t0)
			r.Status = StatusOK
			r.Detail = fmt.Sprintf("%s: connected in %s (TCP %s), message round trip %s (private topic %s)",
				r.Target, Ms(connTime), Ms(tcpTime), Ms(r.RTT), topic)
			if r.RTT > 2*time.Second {
				r.Status = StatusWarn
				r.Detail += ": slow"
				r.Fix = "signaling will be slow; a broker closer to you (or a local one: rtchat broker) helps"
			}
			return r
		case <-ctx.Done():
			r.Status = StatusFail
			r.Detail = fmt.Sprintf("%s: connected in %s, but our test message did not come back within %v", r.Target, Ms(connTime), timeout)
			r.Fix = "the broker accepts connections but does not relay messages under " + room + "/ (ACL, quota or overload); try another broker (--broker " + PublicBroker + ") or a larger --timeout"
			return r
		}
	}
}

// isProbe reports whether payload is our own probe envelope.
func isProbe(payload []byte, sender, nonce string) bool {
	env, err := signal.Decode(payload)
	if err != nil || env.Sender != sender || env.Subtopic != DoctorSubtopic {
		return false
	}
	var data struct {
		Nonce string `json:"nonce"`
	}
	return json.Unmarshal(env.Data, &data) == nil && data.Nonce == nonce
}

func hostPortOf(bu signal.BrokerURL) string {
	u, err := url.Parse(bu.Server)
	if err != nil {
		return bu.Server
	}
	return u.Host
}

func deadlineOf(ctx context.Context, fallback time.Time) time.Time {
	if dl, ok := ctx.Deadline(); ok {
		return dl
	}
	return fallback
}

// tcpDiagnosis explains a failed TCP connect to the broker.
func tcpDiagnosis(target, hostport string, timeout time.Duration, err error) (detail, fix string) {
	host, port, _ := net.SplitHostPort(hostport)
	var dnsErr *net.DNSError
	switch {
	case errors.As(err, &dnsErr):
		return fmt.Sprintf("%s unreachable: cannot resolve %s: %v", target, host, dnsErr.Err),
			"check the host name in --broker and your network/DNS (try: getent hosts " + host + ")"
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Sprintf("%s unreachable: connection refused at %s (nothing listens there)", target, hostport),
			"check the URL and port; if it is your own broker, start it (rtchat broker --listen " + hostport + "); or use the public one: --broker " + PublicBroker
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		return fmt.Sprintf("%s unreachable: no answer from %s within %v", target, hostport, timeout),
			"a firewall may block port " + port + "; check your network, or try a WebSocket broker on a web port: --broker " + PublicBroker
	case errors.Is(err, syscall.ENETUNREACH) || errors.Is(err, syscall.EHOSTUNREACH):
		return fmt.Sprintf("%s unreachable: %v", target, err),
			"no route to the broker: check your network connection (and IPv6 vs IPv4)"
	}
	return fmt.Sprintf("%s unreachable: %v", target, err),
		"check the URL / your network / try --broker " + PublicBroker
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout() || errors.Is(err, os.ErrDeadlineExceeded)
}

// mqttFix suggests what to check when TCP works but the MQTT session does not.
func mqttFix(bu signal.BrokerURL, err error) string {
	msg := strings.ToLower(err.Error())
	var hints []string
	switch {
	case strings.Contains(msg, "not authorized") || strings.Contains(msg, "bad user name or password") ||
		strings.Contains(msg, "username") || strings.Contains(msg, "password"):
		hints = append(hints, "check the user:pass@ in --broker")
	case strings.Contains(msg, "x509") || strings.Contains(msg, "tls") || strings.Contains(msg, "certificate"):
		hints = append(hints, "TLS failed: check the host name and that the port really speaks TLS (mqtts:// and wss:// do, mqtt:// and ws:// do not)")
	case strings.Contains(msg, "bad handshake") || strings.Contains(msg, "websocket"):
		hints = append(hints, "WebSocket upgrade failed: check the path (usually /mqtt) and the port")
	}
	if bu.TLS {
		hints = append(hints, "if the port has no TLS use mqtt:// or ws://")
	} else {
		hints = append(hints, "if the port expects TLS use mqtts:// or wss://")
	}
	if bu.WebSocket {
		hints = append(hints, "if it is a plain MQTT port use mqtt://")
	} else {
		hints = append(hints, "if it is a WebSocket port use ws:// or wss:// with its path")
	}
	return strings.Join(hints, "; ")
}

// Ms formats a duration in milliseconds with a precision that suits its size.
func Ms(d time.Duration) string {
	ms := float64(d) / float64(time.Millisecond)
	switch {
	case ms < 10:
		return fmt.Sprintf("%.2f ms", ms)
	case ms < 100:
		return fmt.Sprintf("%.1f ms", ms)
	}
	return fmt.Sprintf("%.0f ms", ms)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
