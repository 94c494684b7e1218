package iceconf

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
)

func TestBindable(t *testing.T) {
	if !bindable(net.IPv4(127, 0, 0, 1)) {
		t.Error("127.0.0.1 not bindable")
	}
	// TEST-NET-1: never an address of this machine.
	if bindable(net.IPv4(192, 0, 2, 1)) {
		t.Error("192.0.2.1 bindable")
	}
}

func TestSCTPWindow(t *testing.T) {
	var se webrtc.SettingEngine
	if w := sizeSCTPWindow(&se, ModeLoopback, 8<<20); w != 0 {
		t.Errorf("loopback: window %d, want pion's default (0)", w)
	}
	if w := sizeSCTPWindow(&se, ModeServers, 8<<20); w != SCTPWindow {
		t.Errorf("4 MiB socket: window %d, want %d", w, SCTPWindow)
	}
	// A capped socket buffer (rmem_max 208 KiB reads back as 425984) caps the window, but
	// never below pion's 1 MiB.
	if w := sizeSCTPWindow(&se, ModeServers, 425984); w != 1<<20 {
		t.Errorf("208 KiB socket: window %d, want 1 MiB", w)
	}
	if w := sizeSCTPWindow(&se, ModeServers, 4<<20); w != 2<<20 {
		t.Errorf("2 MiB socket: window %d, want 2 MiB", w)
	}
	t.Setenv(envSCTPWindow, "123456")
	if w := sizeSCTPWindow(&se, ModeServers, 8<<20); w != 123456 {
		t.Errorf("%s: window %d", envSCTPWindow, w)
	}
}

func TestTCPDialerOnlyForTCP(t *testing.T) {
	c, err := Parse("stun:a.example:3478,turn:u:p@b.example:3478")
	if err != nil {
		t.Fatal(err)
	}
	if c.newTCPDialer(t.Logf) != nil {
		t.Error("a dialer for UDP-only servers")
	}
	c, _ = Parse("turns:u:p@b.example:5349?transport=tcp")
	if d := c.newTCPDialer(t.Logf); d == nil || d.tls["b.example:5349"] != "b.example" {
		t.Errorf("turns: dialer %+v", d)
	}
}

// TestTURNSExtraCA: a turns: server whose certificate a private CA signed is refused with
// the system roots (and the hint names RTCHAT_ICE_CA), and accepted with that CA's file in
// RTCHAT_ICE_CA.
func TestTURNSExtraCA(t *testing.T) {
	caPEM, cert := testServerCert(t)
	l, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				_ = c.(*tls.Conn).Handshake()
				c.Close()
			}()
		}
	}()
	addr := l.Addr().String()

	c, err := Parse("turns:u:p@127.0.0.1:" + portOf(addr) + "?transport=tcp")
	if err != nil {
		t.Fatal(err)
	}
	d := c.newTCPDialer(t.Logf)
	_, err = d.Dial("tcp4", addr)
	if err == nil || TLSHint(err) == "" {
		t.Fatalf("unknown CA accepted or no hint: %v", err)
	}
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, caPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv(CAEnv, caFile)
	c, _ = Parse("turns:u:p@127.0.0.1:" + portOf(addr) + "?transport=tcp")
	if c.CAFile != caFile {
		t.Fatalf("CAFile %q", c.CAFile)
	}
	conn, err := c.newTCPDialer(t.Logf).Dial("tcp4", addr)
	if err != nil {
		t.Fatalf("with %s: %v", CAEnv, err)
	}
	conn.Close()
}

func portOf(hostport string) string {
	_, p, _ := net.SplitHostPort(hostport)
	return p
}

func testServerCert(t *testing.T) ([]byte, tls.Certificate) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, leaf, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}
