package doctor

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"
)

func TestUDPBufferFrom(t *testing.T) {
	r := UDPBufferFrom(212992, 212992)
	if r.Status != StatusWarn || !strings.Contains(r.Fix, UDPBufferFix) || !strings.Contains(r.Fix, "/etc/sysctl.d/") {
		t.Errorf("208 KiB: %+v", r)
	}
	if r := UDPBufferFrom(4<<20, 4<<20); r.Status != StatusOK || r.Fix != "" {
		t.Errorf("4 MiB: %+v", r)
	}
	if r := UDPBufferFrom(8<<20, 1<<20); r.Status != StatusWarn {
		t.Errorf("small wmem_max: %+v", r)
	}
}

func TestBrokerNotMQTT(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	r := Broker(context.Background(), BrokerOptions{URL: "mqtt://" + ln.Addr().String(), Room: "chat", Timeout: 500 * time.Millisecond})
	if r.Status != StatusFail || !strings.Contains(r.Detail, "TCP port open") || r.Fix == "" {
		t.Errorf("%+v", r)
	}
}

func TestBrokerBadURL(t *testing.T) {
	r := Broker(context.Background(), BrokerOptions{URL: "http://x", Room: "chat", Timeout: time.Second})
	if r.Status != StatusFail || !strings.Contains(r.Fix, "mqtt://") {
		t.Errorf("%+v", r)
	}
}

func TestICEBadValue(t *testing.T) {
	rs := ICE(context.Background(), "stun:a:b:c,none", time.Second)
	if len(rs) != 1 || rs[0].Status != StatusFail {
		t.Errorf("%+v", rs)
	}
}

func TestSTUNRefused(t *testing.T) {
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := pc.LocalAddr().String()
	pc.Close()
	r := ICEServer(context.Background(), "stun:"+addr, "", "", time.Second)
	if r.Status != StatusFail {
		t.Errorf("%+v", r)
	}
	t.Log(r.Detail)
}

// TestJudgeSTUN: unreachable STUN servers are warnings with the --ice hint while this machine
// has host candidates (peers on the LAN still connect); without any network they stay
// failures pointing at --ice loopback; a TURN failure always fails.
func TestJudgeSTUN(t *testing.T) {
	fail := func(target string) Result {
		return Result{Name: CheckICE, Target: target, Status: StatusFail, Detail: target + ": cannot resolve", Fix: "check DNS"}
	}
	all := func() []Result {
		return []Result{fail("stun:stun.l.google.com:19302"), fail("stun:stun1.l.google.com:19302")}
	}
	for _, r := range judgeSTUN(all(), true, 1) {
		if r.Status != StatusWarn || !strings.Contains(r.Fix, "--ice none") || !strings.Contains(r.Fix, "LAN") {
			t.Errorf("offline with a LAN address: %+v", r)
		}
	}
	for _, r := range judgeSTUN(all(), true, 0) {
		if r.Status != StatusFail || !strings.Contains(r.Fix, "--ice loopback") {
			t.Errorf("no network at all: %+v", r)
		}
	}
	rs := judgeSTUN([]Result{fail("stun:a:3478"), fail("turn:u:p@b:3478")}, false, 1)
	if rs[0].Status != StatusWarn || !strings.HasPrefix(rs[0].Fix, "check DNS; ") || rs[1].Status != StatusFail || rs[1].Fix != "check DNS" {
		t.Errorf("STUN and TURN of my own list: %+v", rs)
	}
	ok := Result{Name: CheckICE, Target: "stun:stun2.l.google.com:19302", Status: StatusOK}
	rs = judgeSTUN([]Result{fail("stun:stun.l.google.com:19302"), ok}, true, 1)
	if rs[0].Status != StatusWarn || !strings.Contains(rs[0].Fix, "other default servers answer") || rs[1].Status != StatusOK {
		t.Errorf("one default server down: %+v", rs)
	}
}
