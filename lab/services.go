package lab

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"
)

// TURNHost is the name in the lab TURN server's certificate (and its IP SAN is ServerIP).
const TURNHost = "turn.lab.test"

// StartBroker runs `rtchat broker` in the internet namespace on ServerIP:1883.
func (l *Lab) StartBroker(ctx context.Context, rtchat string) (*Proc, error) {
	p, err := l.StartProc(ctx, l.inet, rtchat, "broker", "--listen", ServerIP+":1883")
	if err != nil {
		return nil, err
	}
	if err := l.waitTCP(ctx, ServerIP+":1883"); err != nil {
		return nil, fmt.Errorf("broker: %w\n%s", err, p.Stderr.String())
	}
	return p, nil
}

// TURN is the lab's coturn.
type TURN struct {
	Proc   *Proc
	CAFile string // the test CA that signed the TLS certificate (trust it with RTCHAT_ICE_CA)
	Log    string // coturn's log file
}

// STUN returns the STUN URL of the lab (ServerIP, or ServerIP2 when second).
func STUN(second bool) string {
	ip := ServerIP
	if second {
		ip = ServerIP2
	}
	return "stun:" + ip + ":" + strconv.Itoa(TURNPort)
}

// TURNURL returns the lab's TURN URL with credentials for a transport: "udp", "tcp" or
// "tls" (turns: over TCP).
func TURNURL(transport string) string {
	cred := TURNUser + ":" + TURNPass + "@"
	switch transport {
	case "tcp":
		return fmt.Sprintf("turn:%s%s:%d?transport=tcp", cred, ServerIP, TURNPort)
	case "tls":
		return fmt.Sprintf("turns:%s%s:%d?transport=tcp", cred, ServerIP, TURNSPort)
	}
	return fmt.Sprintf("turn:%s%s:%d?transport=udp", cred, ServerIP, TURNPort)
}

// StartTURN runs Debian's coturn in the internet namespace: STUN and TURN on ServerIP and
// ServerIP2 port 3478 (UDP and TCP), TURN over TLS on 5349 with a certificate for TURNHost
// and ServerIP signed by a fresh test CA, long-term credentials TURNUser:TURNPass, relay
// addresses on ServerIP. The certificate names ServerIP too, so turns: URLs use the
// address. rtchat trusts the test CA through RTCHAT_ICE_CA=CAFile.
func (l *Lab) StartTURN(ctx context.Context) (*TURN, error) {
	return l.StartTURNWith(ctx, TURNConfig{})
}

// TURNConfig changes the lab's coturn.
type TURNConfig struct {
	// RelayBuffer, when > 0, raises every socket buffer coturn asks for (SO_RCVBUF,
	// SO_SNDBUF) to at least this many bytes (within net.core.rmem_max/wmem_max). coturn
	// 4.6 gives the relay sockets of its allocations, which receive what a peer sends to a
	// relayed client, a fixed 64 KiB with no option to change it (its listening sockets get
	// 2 MiB); a sender that sends a window in bursts overflows them (docs/benchmarks.md,
	// "Through TURN"). This needs a C compiler (cc): a small LD_PRELOAD library around
	// setsockopt, built into the lab's directory.
	RelayBuffer int
}

// sockbufShim is the LD_PRELOAD library of TURNConfig.RelayBuffer: setsockopt with a
// smaller SO_RCVBUF or SO_SNDBUF than LAB_SOCKBUF_MIN asks for LAB_SOCKBUF_MIN instead.
const sockbufShim = `#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <sys/socket.h>
int setsockopt(int fd, int level, int opt, const void *val, socklen_t len) {
	static int (*real)(int, int, int, const void *, socklen_t);
	if (!real) real = (int (*)(int, int, int, const void *, socklen_t))dlsym(RTLD_NEXT, "setsockopt");
	const char *m = getenv("LAB_SOCKBUF_MIN");
	int min = m ? atoi(m) : 0;
	if (level == SOL_SOCKET && (opt == SO_RCVBUF || opt == SO_SNDBUF) && len == sizeof(int) && *(const int *)val < min)
		return real(fd, level, opt, &min, sizeof min);
	return real(fd, level, opt, val, len);
}
`

// StartTURNWith is StartTURN with changes to coturn.
func (l *Lab) StartTURNWith(ctx context.Context, tc TURNConfig) (*TURN, error) {
	bin, err := exec.LookPath("turnserver")
	if err != nil {
		return nil, fmt.Errorf("the network lab needs coturn: apt-get install coturn (see .ci/run): %w", err)
	}
	caPEM, certPEM, keyPEM, err := testCertificates()
	if err != nil {
		return nil, err
	}
	caFile, err := l.WriteFile("lab-ca.pem", caPEM)
	if err != nil {
		return nil, err
	}
	certFile, err := l.WriteFile("turn-cert.pem", certPEM)
	if err != nil {
		return nil, err
	}
	keyFile, err := l.WriteFile("turn-key.pem", keyPEM)
	if err != nil {
		return nil, err
	}
	logFile := filepath.Join(l.cfg.Dir, "coturn.log")
	args := []string{
		"-n", "--no-cli", "--no-dtls",
		"--listening-ip", ServerIP, "--listening-ip", ServerIP2,
		"--relay-ip", ServerIP,
		"--listening-port", strconv.Itoa(TURNPort), "--tls-listening-port", strconv.Itoa(TURNSPort),
		"--lt-cred-mech", "--fingerprint", "--realm", "rtchat.lab",
		"--user", TURNUser + ":" + TURNPass,
		"--userdb", filepath.Join(l.cfg.Dir, "turndb"),
		"--cert", certFile, "--pkey", keyFile,
		"--log-file", logFile, "--simple-log", "--verbose",
		"--pidfile", filepath.Join(l.cfg.Dir, "turnserver.pid"),
		"--min-port", "49152", "--max-port", "65535",
	}
	var env []string
	if tc.RelayBuffer > 0 {
		src, err := l.WriteFile("sockbuf.c", []byte(sockbufShim))
		if err != nil {
			return nil, err
		}
		lib := filepath.Join(l.cfg.Dir, "sockbuf.so")
		if out, err := exec.CommandContext(ctx, "cc", "-shared", "-fPIC", "-O2", "-o", lib, src, "-ldl").CombinedOutput(); err != nil {
			return nil, fmt.Errorf("coturn's larger relay buffers need a C compiler (cc): %w: %s", err, out)
		}
		env = append(os.Environ(), "LD_PRELOAD="+lib, "LAB_SOCKBUF_MIN="+strconv.Itoa(tc.RelayBuffer))
	}
	p, err := l.StartProcWith(ctx, l.inet, func(c *exec.Cmd) { c.Env = env }, bin, args...)
	if err != nil {
		return nil, err
	}
	for _, hp := range []string{ServerIP + ":3478", ServerIP2 + ":3478", ServerIP + ":5349"} {
		if err := l.waitTCP(ctx, hp); err != nil {
			return nil, fmt.Errorf("coturn: %w\n%s", err, p.Stderr.String())
		}
	}
	return &TURN{Proc: p, CAFile: caFile, Log: logFile}, nil
}

// waitTCP waits until a TCP port in the internet namespace accepts, probing from the
// internet namespace itself with the kernel's connect (no sleeps: each probe is a
// connect that either succeeds or is refused at once; refusals are retried).
func (l *Lab) waitTCP(ctx context.Context, hostport string) error {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	host, port, _ := net.SplitHostPort(hostport)
	for {
		// bash's /dev/tcp in the namespace: exit 0 once something listens.
		err := Command(ctx, l.inet, "bash", "-c", "exec 3<>/dev/tcp/"+host+"/"+port).Run()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("nothing listens on %s: %w", hostport, ctx.Err())
		}
		select {
		case <-ctx.Done():
		case <-time.After(50 * time.Millisecond): // polling a port: no event to wait for
		}
	}
}

// testCertificates makes a CA and a server certificate for TURNHost and ServerIP.
func testCertificates() (caPEM, certPEM, keyPEM []byte, err error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, nil, err
	}
	now := time.Now()
	ca := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "rtchat lab test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, nil, nil, err
	}
	caCert, _ := x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, nil, err
	}
	leaf := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: TURNHost},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		DNSNames: []string{TURNHost}, IPAddresses: []net.IP{net.ParseIP(ServerIP)},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, leaf, caCert, &key.PublicKey, caKey)
	if err != nil {
		return nil, nil, nil, err
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), nil
}
