package iceconf

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pion/stun/v4"
)

// CAEnv names an extra PEM file of CA certificates that TLS connections to TURN servers
// (turns:) trust besides the system's roots: for a TURN server with a private or test CA.
const CAEnv = "RTCHAT_ICE_CA"

// caPool caches the pools per file.
var caPool struct {
	sync.Mutex
	m map[string]*x509.CertPool
}

// RootCAs returns the system roots plus the certificates in caFile ("" : the system roots
// only, nil pool = Go's default).
func RootCAs(caFile string) (*x509.CertPool, error) {
	if caFile == "" {
		return nil, nil
	}
	caPool.Lock()
	defer caPool.Unlock()
	if p := caPool.m[caFile]; p != nil {
		return p, nil
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", CAEnv, err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s: %s holds no PEM certificate", CAEnv, caFile)
	}
	if caPool.m == nil {
		caPool.m = map[string]*x509.CertPool{}
	}
	caPool.m[caFile] = pool
	return pool, nil
}

// TLSConfig is the TLS client configuration for a TURN server named host (turns:).
func (c Config) TLSConfig(host string) (*tls.Config, error) {
	roots, err := RootCAs(c.CAFile)
	if err != nil {
		return nil, err
	}
	return &tls.Config{ServerName: host, RootCAs: roots, MinVersion: tls.VersionTLS12}, nil
}

// TLSHint explains a TLS failure toward a TURN server ("" when err is something else).
func TLSHint(err error) string {
	var unknown x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	switch {
	case errors.As(err, &unknown):
		return "the TURN server's certificate is signed by a CA this machine does not trust: if that is expected (a private CA), give its PEM file with " + CAEnv + "=FILE"
	case errors.As(err, &hostErr):
		return "the TURN server's certificate does not name the host in the turns: URL: use the name (or IP) the certificate was made for"
	}
	return ""
}

// tcpDialer dials TCP TURN servers for pion (SettingEngine.SetICEProxyDialer): plain TCP
// for turn:…?transport=tcp, TLS with RootCAs for turns:. pion's own turns: client trusts
// only the system roots; this one also trusts CAFile.
type tcpDialer struct {
	cfg Config
	tls map[string]string // host:port of turns: servers → TLS server name
	log func(msg string, args ...any)
}

// newTCPDialer returns nil when no server is reached over TCP.
func (c Config) newTCPDialer(log func(string, ...any)) *tcpDialer {
	d := &tcpDialer{cfg: c, tls: map[string]string{}, log: log}
	tcp := false
	for _, s := range c.Servers {
		for _, raw := range s.URLs {
			u, err := stun.ParseURI(raw)
			if err != nil {
				continue
			}
			switch {
			case u.Scheme == stun.SchemeTypeTURNS:
				tcp = true
				d.tls[net.JoinHostPort(u.Host, strconv.Itoa(u.Port))] = u.Host
			case u.Scheme == stun.SchemeTypeTURN && u.Proto == stun.ProtoTypeTCP:
				tcp = true
			}
		}
	}
	if !tcp {
		return nil
	}
	return d
}

// Dial implements proxy.Dialer.
func (d *tcpDialer) Dial(network, addr string) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var nd net.Dialer
	c, err := nd.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	name, isTLS := d.tls[addr]
	if !isTLS {
		return c, nil
	}
	cfg, err := d.cfg.TLSConfig(strings.Trim(name, "[]"))
	if err != nil {
		c.Close()
		return nil, err
	}
	tc := tls.Client(c, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		c.Close()
		d.log("TLS to the TURN server failed", "server", addr, "err", err, "hint", TLSHint(err))
		return nil, fmt.Errorf("turns %s: %w", addr, err)
	}
	return tc, nil
}
