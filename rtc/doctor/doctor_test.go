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
