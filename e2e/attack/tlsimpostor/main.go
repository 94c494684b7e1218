// Command tlsimpostor is a man in the middle on rtchat's direct path for the end-to-end
// attack tests (e2e/direct_test.go). The test's firewall redirects the victims' direct TCP
// connections to it (iptables REDIRECT in a private network namespace, as a LAN attacker
// would with ARP or DNS spoofing); it answers each with TLS 1.3 under a certificate of its
// own, asks for the victim's certificate, speaks the direct path's ALPN, and pretends to be
// a follower (it writes Ready) if any handshake ever completes, then reads whatever comes.
// It is written against docs/rtchat-protocol.md, not rtchat's code.
//
// With -punch it attacks the hole-punched direct path, where the TLS roles go by decider
// and follower rather than by who connected: it waits briefly for the victim's ClientHello
// and answers as a server, and when none comes (the victim is the decider, a TLS server)
// it starts the handshake itself as a client, with its own client certificate.
//
// Status goes to stdout as NDJSON, one object per line: {"event":"ready","addr":…} once
// listening, {"event":"accepted"}, {"event":"handshake-failed","err":…},
// {"event":"handshake-ok"}, {"event":"read","bytes":N} (application bytes it could read
// in the clear), and {"event":"summary",…} on SIGTERM/SIGINT.
package main

import (
	"bufio"
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
	"net"
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
	punch := flag.Bool("punch", false, "take either TLS role: server if the victim speaks first, else client")
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
	clientCfg := &tls.Config{
		Certificates:       cfg.Certificates,
		MinVersion:         tls.VersionTLS13,
		NextProtos:         cfg.NextProtos,
		InsecureSkipVerify: true, //nolint:gosec // an impostor takes any server
	}
	ln, err := net.Listen("tcp", *listen)
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
			tc := tls.Server(c, cfg)
			if *punch {
				// Does the victim speak first (a TLS client)?
				br := bufio.NewReader(c)
				_ = c.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
				_, perr := br.Peek(1)
				pc := &peeked{Conn: c, r: br}
				if perr != nil {
					tc = tls.Client(pc, clientCfg)
				} else {
					tc = tls.Server(pc, cfg)
				}
			}
			_ = c.SetDeadline(time.Now().Add(10 * time.Second))
			if err := tc.Handshake(); err != nil {
				failed.Add(1)
				emit(map[string]any{"event": "handshake-failed", "err": err.Error()})
				return
			}
			completed.Add(1)
			emit(map[string]any{"event": "handshake-ok"})
			_, _ = tc.Write([]byte{'R'}) // as the follower would
			n, _ := io.Copy(io.Discard, tc)
			read.Add(n)
			emit(map[string]any{"event": "read", "bytes": n})
		}()
	}
}

// peeked is a connection whose first bytes were peeked into r.
type peeked struct {
	net.Conn
	r *bufio.Reader
}

func (p *peeked) Read(b []byte) (int, error) { return p.r.Read(b) }

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "tlsimpostor:", err)
	os.Exit(1)
}
