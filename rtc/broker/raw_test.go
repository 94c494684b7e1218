package broker

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mochi-mqtt/server/v2/packets"
)

// rawClient speaks MQTT 3.1.1 byte by byte over a real socket (mochi's packet codec), so
// tests can behave like attackers: never read, send oversize packets, skip CONNECT.
type rawClient struct {
	t    *testing.T
	ctx  context.Context
	conn net.Conn
	br   *bufio.Reader
	id   uint16
}

var rawIDs atomic.Int64

func dialRaw(t *testing.T, ctx context.Context, addr string) *rawClient {
	t.Helper()
	d := net.Dialer{}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return &rawClient{t: t, ctx: ctx, conn: c, br: bufio.NewReader(c)}
}

func (c *rawClient) deadline() time.Time {
	if dl, ok := c.ctx.Deadline(); ok {
		return dl
	}
	return time.Now().Add(10 * time.Second)
}

func (c *rawClient) write(pk packets.Packet, encode func(*packets.Packet, *bytes.Buffer) error) error {
	pk.ProtocolVersion = 4
	var buf bytes.Buffer
	if err := encode(&pk, &buf); err != nil {
		c.t.Fatalf("encode: %v", err)
	}
	_ = c.conn.SetWriteDeadline(c.deadline())
	_, err := c.conn.Write(buf.Bytes())
	return err
}

// read returns the next packet from the broker.
func (c *rawClient) read() (packets.Packet, error) {
	_ = c.conn.SetReadDeadline(c.deadline())
	b, err := c.br.ReadByte()
	if err != nil {
		return packets.Packet{}, err
	}
	var pk packets.Packet
	pk.ProtocolVersion = 4
	if err := pk.FixedHeader.Decode(b); err != nil {
		return pk, err
	}
	n, _, err := packets.DecodeLength(c.br)
	if err != nil {
		return pk, err
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(c.br, body); err != nil {
		return pk, err
	}
	switch pk.FixedHeader.Type {
	case packets.Connack:
		err = pk.ConnackDecode(body)
	case packets.Suback:
		err = pk.SubackDecode(body)
	case packets.Publish:
		err = pk.PublishDecode(body)
	}
	return pk, err
}

// readUntil returns the first packet of type typ, and the publishes that came before it.
func (c *rawClient) readUntil(typ byte) (packets.Packet, []packets.Packet, error) {
	var pubs []packets.Packet
	for {
		pk, err := c.read()
		if err != nil {
			return pk, pubs, err
		}
		if pk.FixedHeader.Type == typ {
			return pk, pubs, nil
		}
		if pk.FixedHeader.Type == packets.Publish {
			pubs = append(pubs, pk)
		}
	}
}

// connect sends CONNECT (with user and password unless user is "") and returns the
// CONNACK return code.
func (c *rawClient) connect(user, pass string) (byte, error) {
	pk := packets.Packet{
		FixedHeader: packets.FixedHeader{Type: packets.Connect},
		Connect: packets.ConnectParams{
			ProtocolName:     []byte("MQTT"),
			Clean:            true,
			Keepalive:        60,
			ClientIdentifier: fmt.Sprintf("raw-%d", rawIDs.Add(1)),
		},
	}
	if user != "" {
		pk.Connect.UsernameFlag, pk.Connect.Username = true, []byte(user)
	}
	if pass != "" {
		pk.Connect.PasswordFlag, pk.Connect.Password = true, []byte(pass)
	}
	if err := c.write(pk, (*packets.Packet).ConnectEncode); err != nil {
		return 0, err
	}
	ack, _, err := c.readUntil(packets.Connack)
	return ack.ReasonCode, err
}

func (c *rawClient) mustConnect() {
	c.t.Helper()
	if code, err := c.connect("", ""); err != nil || code != 0 {
		c.t.Fatalf("connect: code %#x, %v", code, err)
	}
}

// subscribe returns the SUBACK return code for filter (0 = granted QoS 0, 0x80 = refused).
func (c *rawClient) subscribe(filter string) (byte, error) { return c.subscribeQoS(filter, 0) }

func (c *rawClient) subscribeQoS(filter string, qos byte) (byte, error) {
	c.id++
	pk := packets.Packet{
		FixedHeader: packets.FixedHeader{Type: packets.Subscribe, Qos: 1},
		PacketID:    c.id,
		Filters:     packets.Subscriptions{{Filter: filter, Qos: qos}},
	}
	if err := c.write(pk, (*packets.Packet).SubscribeEncode); err != nil {
		return 0, err
	}
	ack, _, err := c.readUntil(packets.Suback)
	if err != nil {
		return 0, err
	}
	if len(ack.ReasonCodes) != 1 {
		return 0, fmt.Errorf("SUBACK with %d codes", len(ack.ReasonCodes))
	}
	return ack.ReasonCodes[0], nil
}

func (c *rawClient) mustSubscribe(filter string) {
	c.t.Helper()
	if code, err := c.subscribe(filter); err != nil || code != 0 {
		c.t.Fatalf("subscribe %q: code %#x, %v", filter, code, err)
	}
}

func (c *rawClient) publish(topic string, payload []byte, retain bool) error {
	pk := packets.Packet{
		FixedHeader: packets.FixedHeader{Type: packets.Publish, Retain: retain},
		TopicName:   topic,
		Payload:     payload,
	}
	return c.write(pk, (*packets.Packet).PublishEncode)
}

// ping sends PINGREQ and waits for PINGRESP. The broker handles a client's packets in
// order, so once it answers, everything this client sent before has been processed. (It
// is no barrier for messages to this client: the PINGRESP may overtake them.)
func (c *rawClient) ping() (packets.Packet, []packets.Packet, error) {
	if err := c.write(packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Pingreq}}, (*packets.Packet).PingreqEncode); err != nil {
		return packets.Packet{}, nil, err
	}
	return c.readUntil(packets.Pingresp)
}

// mark publishes a marker message; a subscriber's queue is first in, first out, so
// reading until the marker (until) collects everything queued for it before.
func (c *rawClient) mark(topic string) string {
	c.t.Helper()
	m := fmt.Sprintf("MARK-%d", rawIDs.Add(1))
	if err := c.publish(topic, []byte(m), false); err != nil {
		c.t.Fatal(err)
	}
	return m
}

// until returns the messages received before the one whose payload is marker.
func (c *rawClient) until(marker string) ([]packets.Packet, error) {
	var got []packets.Packet
	for {
		pk, err := c.read()
		if err != nil {
			return got, err
		}
		if pk.FixedHeader.Type != packets.Publish {
			continue
		}
		if string(pk.Payload) == marker {
			return got, nil
		}
		got = append(got, pk)
	}
}

// waitClosed reads until the broker closes the connection; an error means it did not
// before the context's deadline.
func (c *rawClient) waitClosed() error {
	_ = c.conn.SetReadDeadline(c.deadline())
	_, err := io.Copy(io.Discard, c.br)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("connection still open: %w", err)
	}
	return nil // EOF or reset: closed
}

// logBuf is a slog handler target tests can search.
type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuf) contains(s string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Contains(l.b.String(), s)
}

func (l *logBuf) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

func startT(t *testing.T, o Options) *Broker {
	t.Helper()
	if o.TCP == "" && o.WS == "" {
		o.TCP = "127.0.0.1:0"
	}
	b, err := Start(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}
