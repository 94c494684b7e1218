// Package testbroker starts Debian's mosquitto for tests, so that rtchat is proven against a
// broker we did not write. It is not part of the rtchat binary.
package testbroker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// ErrNoMosquitto means the mosquitto binary is not installed (Debian: apt-get install mosquitto).
var ErrNoMosquitto = errors.New("mosquitto is not installed (apt-get install -y mosquitto)")

// MosquittoPath finds the mosquitto binary: $PATH, then /usr/sbin/mosquitto.
func MosquittoPath() (string, error) {
	if p, err := exec.LookPath("mosquitto"); err == nil {
		return p, nil
	}
	const deb = "/usr/sbin/mosquitto"
	if st, err := os.Stat(deb); err == nil && !st.IsDir() {
		return deb, nil
	}
	return "", ErrNoMosquitto
}

// StartMosquitto runs a private mosquitto (for interop tests) on a free 127.0.0.1 port with
// a config written into dir: anonymous access, TCP_NODELAY, no persistence, errors and
// warnings on stderr. It returns once the port accepts connections; url is
// "mqtt://127.0.0.1:PORT". stop kills the process and waits for it; call it once.
// Errors wrap ErrNoMosquitto when the binary is missing.
func StartMosquitto(ctx context.Context, dir string) (url string, stop func(), err error) {
	bin, err := MosquittoPath()
	if err != nil {
		return "", nil, err
	}
	port, err := freePort()
	if err != nil {
		return "", nil, err
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	conf := filepath.Join(dir, "mosquitto.conf")
	text := fmt.Sprintf(`# written by rtchat's broker.StartMosquitto
listener %d 127.0.0.1
allow_anonymous true
set_tcp_nodelay true
persistence false
log_dest stderr
log_type error
log_type warning
`, port)
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		return "", nil, fmt.Errorf("mosquitto config: %w", err)
	}
	var stderr lockedBuffer
	cmd := exec.Command(bin, "-c", conf)
	cmd.Stdout = &stderr
	cmd.Stderr = &stderr
	cmd.SysProcAttr = dieWithParent()
	if err := cmd.Start(); err != nil {
		return "", nil, fmt.Errorf("start %s: %w", bin, err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			_ = cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-exited:
			case <-time.After(3 * time.Second):
				_ = cmd.Process.Kill()
				<-exited
			}
		})
	}

	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var d net.Dialer
	for {
		c, derr := d.DialContext(ctx, "tcp", addr)
		if derr == nil {
			_ = c.Close()
			return "mqtt://" + addr, stop, nil
		}
		select {
		case <-exited:
			return "", nil, fmt.Errorf("mosquitto exited before listening on %s: %s", addr, bytes.TrimSpace(stderr.Bytes()))
		case <-ctx.Done():
			stop()
			return "", nil, fmt.Errorf("mosquitto did not listen on %s: %w (stderr: %s)", addr, ctx.Err(), bytes.TrimSpace(stderr.Bytes()))
		case <-time.After(20 * time.Millisecond): // poll interval, not synchronisation
		}
	}
}

// freePort asks the kernel for a free TCP port on 127.0.0.1.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) Bytes() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]byte(nil), l.b.Bytes()...)
}
