package e2e

import (
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/rtchat/rtchat/rtc/broker"
)

// TestAttackBrokerSlots (issue 17, 8): an attacker without credentials opens TCP
// connections to a broker that requires a login, never sends CONNECT, and replaces each
// one the broker closes, at 40 per second, aiming for 200 open: more than the broker's 128
// places. The CONNECT timeout is a minute, so only the broker's policy on places decides.
// Three asks from alice, each with its own new login, must all get through while it runs
// (the old broker let the attacker hold every place, and no login got one).
func TestAttackBrokerSlots(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	// bcrypt's lowest cost: at the default one each login costs this race-built test
	// binary's broker about 3 s of CPU under load, time the tests running beside it lose.
	// (A slow password check is rtc/broker's TestLoginBeingCheckedIsNotPushedOut.)
	hash, err := bcrypt.GenerateFromPassword([]byte("secret"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	users, err := broker.ParseUsers(strings.NewReader("rt:" + string(hash) + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := broker.Start(w.ctx, broker.Options{TCP: "127.0.0.1:0", Users: users, Limits: broker.Limits{ConnectTimeout: time.Minute}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	w.url = "mqtt://rt:secret@" + b.TCPAddr()
	roomVictims(w)
	w.url = "mqtt://" + b.TCPAddr() // the attacker has no credentials
	a := roomStartAttack(t, w, "brokerslots", "-n", "200", "-rate", "40")
	w.url = "mqtt://rt:secret@" + b.TCPAddr()
	ready := a.wait(w.ctx, "ready")
	t.Logf("attacker: %v", ready)
	for i := range 3 {
		r := roomAsk(w)
		roomMustHello(t, "ask "+string(rune('1'+i))+" of 3 while connections without a login hold the broker's places", r)
	}
	t.Logf("attacker: %v", a.stop(w.ctx))
}
