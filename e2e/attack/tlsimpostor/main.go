// Command tlsimpostor is a man in the middle on rtchat's direct path for the end-to-end
// attack tests (e2e/direct_test.go). The test's firewall redirects the victims' direct TCP
// connections to it (iptables REDIRECT in a private network namespace, as a LAN attacker
// would with ARP or DNS spoofing); it answers each with TLS 1.3 under a certificate of its
// own, asks for the victim's certificate, speaks the direct path's ALPN, and pretends to be
// a follower (it writes Ready) if any handshake ever completes, then reads whatever comes.
// It is written against docs/rtchat-protocol.md, not rtchat's code.
//
// Status goes to stdout as NDJSON, one object per line: {"event":"ready","addr":…} once
// listening, {"event":"accepted"}, {"event":"handshake-failed","err":…},
// {"event":"handshake-ok"}, {"event":"read","bytes":N} (application bytes it could read
// in the clear), and {"event":"summary",…} on SIGTERM/SIGINT.
package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/big"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

var (
	outMu sync.Mutex
	enc   = json.NewEncoder(os.Stdout)
)

func emit(v map[string]any) {
	outMu.Lock()
	defer outMu.Unlock()
	_ = enc.Encode(v)
}

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to accept the redirected connections on")
	flag.Parse()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		fatal(err)
	}
	cfg := &tls.Config{
		Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}},
		MinVersion:   tls.VersionTLS13,
		NextProtos:   []string{"rtchat-direct/1"},
		ClientAuth:   tls.RequestClientCert, // take whatever the victim offers
	}
	ln, err := tls.Listen("tcp", *listen, cfg)
	if err != nil {
		fatal(err)
	}
	var accepted, failed, completed, read atomic.Int64
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-sig
		emit(map[string]any{"event": "summary", "accepted": accepted.Load(), "handshake_failed": failed.Load(),
			"handshake_ok": completed.Load(), "read_bytes": read.Load()})
		os.Exit(0)
	}()
	emit(map[string]any{"event": "ready", "addr": ln.Addr().String()})
	for {
		c, err := ln.Accept()
		if err != nil {
			fatal(err)
		}
		accepted.Add(1)
		emit(map[string]any{"event": "accepted", "from": c.RemoteAddr().String()})
		go func() {
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(10 * time.Second))
			if err := c.(*tls.Conn).Handshake(); err != nil {
				failed.Add(1)
				emit(map[string]any{"event": "handshake-failed", "err": err.Error()})
				return
			}
			completed.Add(1)
			emit(map[string]any{"event": "handshake-ok"})
			_, _ = c.Write([]byte{'R'}) // as the follower would
			n, _ := io.Copy(io.Discard, c)
			read.Add(n)
			emit(map[string]any{"event": "read", "bytes": n})
		}()
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "tlsimpostor:", err)
	os.Exit(1)
}
