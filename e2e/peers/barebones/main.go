// Command barebones is a test peer written from the wire contract (docs/protocol.md Part I):
// the web client's barebones MQTTRTCClient, which has no identity layer. It announces an
// empty userInfo (no publicKeyString), answers offers addressed to it (the web client's
// data channels, the connectedViaRTC handshake), prints every chat it receives and sends
// each stdin line as chat to every connected peer. It answers no identity question (it has
// none) and pongs pings.
//
//	barebones --broker mqtt://127.0.0.1:1883 --room chat --name zed
//
// stdout: "connected PEER", "chat PEER TEXT", "dm PEER TEXT" lines.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"
)

type envelope struct {
	Sender    string          `json:"sender"`
	Timestamp int64           `json:"timestamp"`
	Subtopic  string          `json:"subtopic"`
	Data      json.RawMessage `json:"data,omitempty"`
}

type peer struct {
	name string
	pc   *webrtc.PeerConnection
	mu   sync.Mutex
	dcs  map[string]*webrtc.DataChannel
	// open labels and what was sent on a label before its channel opened: a line typed
	// while the offerer already counts us joined (its side opens first) is sent on open,
	// not dropped, so tests can type as soon as the other side reports the join.
	open    map[string]bool
	pending map[string][][]byte
}

type client struct {
	name, topic string
	mq          paho.Client
	out         *bufio.Writer
	outMu       sync.Mutex
	mu          sync.Mutex
	peers       map[string]*peer
}

func main() {
	broker := flag.String("broker", "", "MQTT broker URL (mqtt://host:port)")
	room := flag.String("room", "chat", "room")
	name := flag.String("name", "", "full name")
	flag.Parse()
	if *broker == "" || *name == "" {
		fmt.Fprintln(os.Stderr, "usage: barebones --broker URL --room ROOM --name NAME")
		os.Exit(2)
	}
	u, err := url.Parse(*broker)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	c := &client{name: *name, topic: "mrtchat/" + *room, out: bufio.NewWriter(os.Stdout), peers: map[string]*peer{}}
	opts := paho.NewClientOptions().AddBroker("tcp://" + u.Host).SetClientID(fmt.Sprintf("barebones-%d", os.Getpid())).
		SetOrderMatters(false)
	c.mq = paho.NewClient(opts)
	if tok := c.mq.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		fmt.Fprintln(os.Stderr, "connect:", tok.Error())
		os.Exit(1)
	}
	if tok := c.mq.Subscribe(c.topic, 0, func(_ paho.Client, m paho.Message) { go c.onMessage(m.Payload()) }); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		fmt.Fprintln(os.Stderr, "subscribe:", tok.Error())
		os.Exit(1)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// Presence like the web client: 500 ms after subscribing, then every 3 s.
	go func() {
		t := time.NewTimer(500 * time.Millisecond)
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				c.publish("connect", map[string]any{})
				t.Reset(3 * time.Second)
			}
		}
	}()
	go func() {
		sc := bufio.NewScanner(os.Stdin)
		for sc.Scan() {
			c.broadcast(sc.Text())
		}
	}()
	<-ctx.Done()
	c.publish("unload", "disconnecting")
	c.mq.Disconnect(200)
}

func (c *client) println(format string, a ...any) {
	c.outMu.Lock()
	defer c.outMu.Unlock()
	fmt.Fprintf(c.out, format+"\n", a...)
	c.out.Flush()
}

func (c *client) publish(subtopic string, data any) {
	raw, _ := json.Marshal(data)
	b, _ := json.Marshal(envelope{Sender: c.name, Timestamp: time.Now().UnixMilli(), Subtopic: subtopic, Data: raw})
	if len(b)%2 == 0 {
		b = append(b, ' ') // odd length, as LZ-mode web pages need (§2.2)
	}
	c.mq.Publish(c.topic, 0, false, b)
}

func (c *client) onMessage(payload []byte) {
	var env envelope
	if json.Unmarshal(payload, &env) != nil || env.Sender == "" || env.Sender == c.name {
		return
	}
	if env.Subtopic != "RTCOffer" {
		return
	}
	var d struct {
		Offer struct {
			LocalDescription webrtc.SessionDescription `json:"localDescription"`
			Target           string                    `json:"target"`
		} `json:"offer"`
	}
	if json.Unmarshal(env.Data, &d) != nil || d.Offer.Target != c.name {
		return
	}
	if err := c.answer(env.Sender, d.Offer.LocalDescription); err != nil {
		fmt.Fprintln(os.Stderr, "answer:", err)
	}
}

// answer makes a loopback PeerConnection for an offer and publishes the gathered answer.
func (c *client) answer(from string, offer webrtc.SessionDescription) error {
	se := webrtc.SettingEngine{}
	se.SetIncludeLoopbackCandidate(true)
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	pc, err := webrtc.NewAPI(webrtc.WithSettingEngine(se)).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return err
	}
	p := &peer{name: from, pc: pc, dcs: map[string]*webrtc.DataChannel{}, open: map[string]bool{}, pending: map[string][][]byte{}}
	c.mu.Lock()
	if old := c.peers[from]; old != nil {
		_ = old.pc.Close()
	}
	c.peers[from] = p
	c.mu.Unlock()
	pc.OnDataChannel(func(dc *webrtc.DataChannel) {
		label := dc.Label()
		p.mu.Lock()
		p.dcs[label] = dc
		p.mu.Unlock()
		dc.OnOpen(func() {
			p.mu.Lock()
			defer p.mu.Unlock()
			for _, b := range p.pending[label] {
				_ = dc.SendText(string(b))
			}
			delete(p.pending, label)
			p.open[label] = true
		})
		dc.OnMessage(func(m webrtc.DataChannelMessage) {
			if !m.IsString {
				return
			}
			switch label {
			case "connectedViaRTC":
				c.println("connected %s", from)
			case "chat", "dm":
				var text string
				if json.Unmarshal(m.Data, &text) == nil {
					c.println("%s %s %s", label, from, strings.ReplaceAll(text, "\n", `\n`))
				}
			case "ping":
				p.send("pong", "pong")
			}
		})
	})
	if err := pc.SetRemoteDescription(offer); err != nil {
		return err
	}
	answer, err := pc.CreateAnswer(nil)
	if err != nil {
		return err
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(answer); err != nil {
		return err
	}
	<-gathered
	c.publish("RTCAnswer", map[string]any{"localDescription": pc.LocalDescription(), "target": from})
	return nil
}

func (p *peer) send(label string, v any) {
	b, _ := json.Marshal(v)
	p.mu.Lock()
	if !p.open[label] {
		p.pending[label] = append(p.pending[label], b)
		p.mu.Unlock()
		return
	}
	dc := p.dcs[label]
	p.mu.Unlock()
	_ = dc.SendText(string(b))
}

func (c *client) broadcast(line string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range c.peers {
		p.send("chat", line)
	}
}
