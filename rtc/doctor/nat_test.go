package doctor

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/pion/stun/v4"
)

// stunResponder answers Binding requests on 127.0.0.1 with the sender's address, its port
// shifted by shift (a NAT that maps differently per destination when shift differs).
func stunResponder(t *testing.T, shift int) string {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := c.ReadFromUDP(buf)
			if err != nil {
				return
			}
			req := &stun.Message{Raw: append([]byte(nil), buf[:n]...)}
			if req.Decode() != nil {
				continue
			}
			res, err := stun.Build(stun.NewTransactionIDSetter(req.TransactionID), stun.BindingSuccess,
				&stun.XORMappedAddress{IP: from.IP, Port: from.Port + shift}, stun.Fingerprint)
			if err == nil {
				_, _ = c.WriteToUDP(res.Raw, from)
			}
		}
	}()
	return c.LocalAddr().String()
}

func TestNATType(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	a, b := stunResponder(t, 0), stunResponder(t, 0)
	r, err := NATType(ctx, []string{a, b}, 2*time.Second)
	if err != nil || r.Kind != NATNone {
		t.Errorf("same mapping, the local address: %+v %v, want %s", r, err, NATNone)
	}
	c, d := stunResponder(t, 1000), stunResponder(t, 1000)
	if r, err := NATType(ctx, []string{c, d}, 2*time.Second); err != nil || r.Kind != NATIndependent {
		t.Errorf("same translated mapping: %+v %v, want %s", r, err, NATIndependent)
	}
	e := stunResponder(t, 2000)
	if r, err := NATType(ctx, []string{c, e}, 2*time.Second); err != nil || r.Kind != NATSymmetric {
		t.Errorf("a mapping per destination: %+v %v, want %s", r, err, NATSymmetric)
	}
	if r, err := NATType(ctx, []string{c}, 2*time.Second); err != nil || r.Kind != NATUnknown {
		t.Errorf("one server: %+v %v, want %s", r, err, NATUnknown)
	}
	// A port nobody answers on: UDP "blocked".
	dead, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer dead.Close()
	if r, err := NATType(ctx, []string{dead.LocalAddr().String()}, 600*time.Millisecond); err != nil || r.Kind != NATBlocked {
		t.Errorf("no answer: %+v %v, want %s", r, err, NATBlocked)
	}
}

func TestNATVerdicts(t *testing.T) {
	ctx := context.Background()
	if r := NATChecks(ctx, "none", time.Second); r != nil {
		t.Errorf("--ice none: %+v", r)
	}
	a, b := stunResponder(t, 1000), stunResponder(t, 2000)
	r := NAT(ctx, "stun:"+a+",stun:"+b, 2*time.Second)
	if r.Name != CheckNAT || r.Status != StatusWarn || r.Fix == "" {
		t.Errorf("symmetric: %+v", r)
	}
}
