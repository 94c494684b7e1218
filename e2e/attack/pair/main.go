// Command pair is a fake inviter on an honest MQTT broker: it waits on the room topic for
// the first pairing hello of any invitation and answers it as the inviter would, with a
// code it guesses (the plate it saw and words it picks). It is the attack on an acceptor:
// whoever can publish on the topic can answer an acceptor before the real inviter does.
// It uses rtc/pair's exported protocol (what an attacker who read docs/rtchat-protocol.md would
// write), and is driven by e2e/pair_test.go.
//
// Usage:
//
//	pair -broker mqtt://127.0.0.1:PORT [-room chat] -words amber-orbit [-name mallory]
//
// Output: {"event":"answered","plate":N} once it answered a hello, then
// {"event":"result","paired":BOOL,"error":"..."}; exit 0 when the attack ran.
package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/big"
	"os"
	"strings"
	"time"

	"github.com/rtchat/rtchat/rtc/pair"
	"github.com/rtchat/rtchat/rtc/signal"
)

func main() {
	broker := flag.String("broker", "", "broker URL")
	room := flag.String("room", "chat", "room")
	guess := flag.String("words", "amber-orbit", "the two words guessed")
	name := flag.String("name", "mallory", "the name it claims")
	timeout := flag.Duration("timeout", 60*time.Second, "how long it waits")
	flag.Parse()
	if err := run(*broker, *room, *guess, *name, *timeout); err != nil {
		emit(map[string]any{"event": "error", "error": err.Error()})
		os.Exit(1)
	}
}

func emit(v map[string]any) {
	b, _ := json.Marshal(v)
	fmt.Println(string(b))
}

// conn is the room topic with one payload put back in front: the hello it waited for.
type conn struct {
	*signal.Conn
	ch chan []byte
}

func (c *conn) Messages() <-chan []byte { return c.ch }

func run(broker, room, guess, name string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	topic, err := signal.Topic(room)
	if err != nil {
		return err
	}
	c, err := signal.Dial(ctx, signal.Config{BrokerURL: broker, Topic: topic})
	if err != nil {
		return err
	}
	defer c.Close(context.Background())
	emit(map[string]any{"event": "ready"})
	var hello []byte
	var plate int
	for hello == nil {
		select {
		case <-ctx.Done():
			return errors.New("no hello seen")
		case p := <-c.Messages():
			if m, err := pair.Decode(p); err == nil && m.T == pair.THello {
				hello, plate = p, m.Plate
			}
		}
	}
	code, err := pair.ParseCode(fmt.Sprintf("%d-%s", plate, guess))
	if err != nil {
		return err
	}
	ch := make(chan []byte, signal.MessageBuffer)
	ch <- hello
	go func() {
		for p := range c.Messages() {
			select {
			case ch <- p:
			default:
			}
		}
	}()
	emit(map[string]any{"event": "answered", "plate": plate})
	peer, err := pair.Invite(ctx, pair.Config{
		Conn: &conn{Conn: c, ch: ch}, Topic: topic, Code: code,
		Me:     pair.Identity{Name: name, Key: fakeKey()},
		Check:  func(pair.Identity) error { return nil },
		Commit: func(pair.Identity) error { return nil },
	})
	res := map[string]any{"event": "result", "paired": err == nil}
	if err != nil {
		res["error"] = err.Error()
	} else {
		res["peer"] = peer.Name
	}
	emit(res)
	return nil
}

// fakeKey is a well-formed public JWK of the web client's shape (RSA-PSS 2048).
func fakeKey() string {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	b64 := func(i *big.Int) string { return base64.RawURLEncoding.EncodeToString(i.Bytes()) }
	return strings.Join([]string{`{"alg":"PS256","e":"`, b64(big.NewInt(int64(k.E))), `","ext":true,"key_ops":["verify"],"kty":"RSA","n":"`, b64(k.N), `"}`}, "")
}
