package broker

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/mochi-mqtt/server/v2/packets"
)

// connectAs sends CONNECT (clean session) with this client ID and waits for CONNACK 0.
func (c *rawClient) connectAs(id string) {
	c.t.Helper()
	pk := packets.Packet{
		FixedHeader: packets.FixedHeader{Type: packets.Connect},
		Connect: packets.ConnectParams{ProtocolName: []byte("MQTT"), Clean: true, Keepalive: 60,
			ClientIdentifier: id},
	}
	if err := c.write(pk, (*packets.Packet).ConnectEncode); err != nil {
		c.t.Fatal(err)
	}
	if ack, _, err := c.readUntil(packets.Connack); err != nil || ack.ReasonCode != 0 {
		c.t.Fatalf("connect as %s: code %#x, %v", id, ack.ReasonCode, err)
	}
}

// TestTakeoverKeepsNewSession: a client whose connection died silently (its host changed
// address) connects again with the same client ID; the broker takes the session over and
// closes the old connection. The new connection must get the messages of what it
// subscribes to. In mochi v2.7.9 the old connection's teardown could pass its "not taken
// over" check before the takeover marked it, and then delete the client ID from the
// client list after the new connection was added under it: the new connection got its
// SUBACK, could publish, and received nothing until the broker dropped it for silence
// (third_party/mochi-server patch 0002). A window that small needs many takeovers: on the
// unpatched mochi every run of 1000 failed (5 of 5, at takeover 48 to 670), each at the
// broker's keepalive timeout (90 s); the old connection's subscriptions widen it a little.
func TestTakeoverKeepsNewSession(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	b := startT(t, Options{})
	pub := dialRaw(t, ctx, b.TCPAddr())
	pub.mustConnect()
	for i := range 1000 {
		id := fmt.Sprintf("laptop-%d", i)
		topic := "mrtchat/" + id
		old := dialRaw(t, ctx, b.TCPAddr())
		old.connectAs(id)
		for j := range 14 {
			old.mustSubscribe(fmt.Sprintf("%s/%d", topic, j))
		}
		old.mustSubscribe(topic)

		cur := dialRaw(t, ctx, b.TCPAddr())
		cur.connectAs(id)
		cur.mustSubscribe(topic)
		if err := old.waitClosed(); err != nil {
			t.Fatalf("takeover %d: the old connection: %v", i, err)
		}
		msg := []byte(fmt.Sprintf("after takeover %d", i))
		if err := pub.publish(topic, msg, false); err != nil {
			t.Fatal(err)
		}
		pk, err := cur.read()
		for err == nil && pk.FixedHeader.Type != packets.Publish {
			pk, err = cur.read()
		}
		if err != nil || !bytes.Equal(pk.Payload, msg) {
			t.Fatalf("takeover %d: the new connection got no message (%v): the old connection's teardown removed it", i, err)
		}
		cur.conn.Close()
	}
}
