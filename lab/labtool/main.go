// Command labtool is the network lab's helper (see package lab):
//
//	labtool delayline -a NS:IF -b NS:IF -delay D
//	    a virtual cable with a fixed one-way delay between two network namespaces: it creates
//	    a TUN device IF in each namespace (by entering it), copies every IP packet read from
//	    one to the other after D, and prints "ready" once both exist. The lab then gives the
//	    devices their addresses. It runs until killed (SIGTERM/SIGINT) and prints how many
//	    packets it moved and dropped (queue full) on exit.
//	labtool tcprecv -listen ADDR
//	    accepts one TCP connection, reads it to EOF, prints {"bytes","seconds","sha256"} and,
//	    for the sender's sake, writes its 32-byte digest back before closing.
//	labtool tcpsend -to ADDR -n BYTES [-cc cubic|bbr|reno]
//	    sends BYTES pseudo-random bytes (64,000-byte writes) with the given congestion control
//	    and prints {"bytes","seconds","sha256","cc"}; seconds include waiting for the receiver's
//	    digest, so they cover delivery, not just the local socket buffer.
//	labtool tcprelay -listen ADDR -to ADDR [-cc cubic|bbr|reno]
//	    accepts one TCP connection, connects onward to ADDR with the given congestion
//	    control and copies both ways (half-closes passed on), then exits: the TCP baseline
//	    of a TURN-relayed path, run where coturn runs (the benchmark's /turn profiles).
//
// Why a delay line and not netem: this kernel has no sch_netem; pion's vnet only simulates
// a network inside one Go process, so it cannot carry real rtchat binaries, coturn and the
// kernel's NAT. A TUN pair keeps every other part real (routing, conntrack NAT, tbf, nftables
// loss) and adds nothing but the delay.
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

func main() {
	if len(os.Args) < 2 {
		fatal(errors.New("usage: labtool delayline|tcprecv|tcpsend|tcprelay ..."))
	}
	var err error
	switch os.Args[1] {
	case "delayline":
		err = delayline(os.Args[2:])
	case "tcprecv":
		err = tcprecv(os.Args[2:])
	case "tcpsend":
		err = tcpsend(os.Args[2:])
	case "tcprelay":
		err = tcprelay(os.Args[2:])
	default:
		err = fmt.Errorf("unknown subcommand %q", os.Args[1])
	}
	if err != nil {
		fatal(err)
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "labtool:", err)
	os.Exit(1)
}

// ---- delay line ----

func delayline(args []string) error {
	fs := flag.NewFlagSet("delayline", flag.ExitOnError)
	a := fs.String("a", "", "NS:IF of one end")
	b := fs.String("b", "", "NS:IF of the other end")
	delay := fs.Duration("delay", 0, "one-way delay, each direction")
	queue := fs.Int("queue", 1<<16, "packets held per direction before dropping")
	_ = fs.Parse(args)
	fa, err := tunIn(*a)
	if err != nil {
		return err
	}
	fb, err := tunIn(*b)
	if err != nil {
		return err
	}
	var moved, dropped atomic.Int64
	go pump(fa, fb, *delay, *queue, &moved, &dropped)
	go pump(fb, fa, *delay, *queue, &moved, &dropped)
	fmt.Println("ready")
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	<-sig
	fmt.Fprintf(os.Stderr, "delayline %s<->%s: %d packets moved, %d dropped (queue full)\n", *a, *b, moved.Load(), dropped.Load())
	return nil
}

// tunIn creates a TUN device in a named network namespace (NS:IF) and returns its file.
func tunIn(spec string) (*os.File, error) {
	ns, ifname, ok := strings.Cut(spec, ":")
	if !ok || ns == "" || ifname == "" || len(ifname) >= unix.IFNAMSIZ {
		return nil, fmt.Errorf("bad NS:IF %q", spec)
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	self, err := os.Open("/proc/thread-self/ns/net")
	if err != nil {
		return nil, err
	}
	defer self.Close()
	target, err := os.Open("/var/run/netns/" + ns)
	if err != nil {
		return nil, err
	}
	defer target.Close()
	if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
		return nil, fmt.Errorf("setns %s: %w", ns, err)
	}
	f, terr := openTUN(ifname)
	if err := unix.Setns(int(self.Fd()), unix.CLONE_NEWNET); err != nil {
		// This thread is in the wrong namespace now: never hand it back to the runtime.
		fatal(fmt.Errorf("setns back: %w", err))
	}
	return f, terr
}

func openTUN(name string) (*os.File, error) {
	fd, err := unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open /dev/net/tun: %w", err)
	}
	var req [unix.IFNAMSIZ + 64]byte
	copy(req[:], name)
	*(*uint16)(unsafe.Pointer(&req[unix.IFNAMSIZ])) = unix.IFF_TUN | unix.IFF_NO_PI
	if _, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.TUNSETIFF, uintptr(unsafe.Pointer(&req[0]))); e != 0 {
		unix.Close(fd)
		return nil, fmt.Errorf("TUNSETIFF %s: %w", name, e)
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return nil, err
	}
	return os.NewFile(uintptr(fd), "/dev/net/tun:"+name), nil
}

type packet struct {
	b   []byte
	due time.Time
}

var bufPool = sync.Pool{New: func() any { return make([]byte, 2048) }}

// pump copies packets from src to dst, each delay after it was read, in order.
func pump(src, dst *os.File, delay time.Duration, queue int, moved, dropped *atomic.Int64) {
	q := make(chan packet, queue)
	go func() {
		for p := range q {
			if d := time.Until(p.due); d > 0 {
				time.Sleep(d)
			}
			_, _ = dst.Write(p.b)
			bufPool.Put(p.b[:cap(p.b)]) //nolint:staticcheck
			moved.Add(1)
		}
	}()
	for {
		buf := bufPool.Get().([]byte)
		n, err := src.Read(buf)
		if err != nil {
			close(q)
			return
		}
		select {
		case q <- packet{b: buf[:n], due: time.Now().Add(delay)}:
		default:
			dropped.Add(1)
			bufPool.Put(buf)
		}
	}
}

// ---- TCP baseline ----

type tcpReport struct {
	Bytes   int64   `json:"bytes"`
	Seconds float64 `json:"seconds"`
	MBps    float64 `json:"mbps"`
	SHA256  string  `json:"sha256"`
	CC      string  `json:"cc,omitempty"`
}

func tcprecv(args []string) error {
	fs := flag.NewFlagSet("tcprecv", flag.ExitOnError)
	listen := fs.String("listen", "", "address to listen on")
	plain := fs.Bool("plain", false, "discard without hashing (CPU per byte of the copy alone; answers a zero digest)")
	_ = fs.Parse(args)
	l, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	fmt.Println("ready")
	c, err := l.Accept()
	l.Close()
	if err != nil {
		return err
	}
	defer c.Close()
	h := sha256.New()
	var dst io.Writer = h
	if *plain {
		dst = io.Discard
	}
	t0 := time.Now()
	n, err := io.CopyBuffer(dst, onlyReader{c}, make([]byte, 1<<20))
	if err != nil {
		return err
	}
	secs := time.Since(t0).Seconds()
	sum := h.Sum(nil)
	if *plain {
		sum = make([]byte, sha256.Size)
	}
	_, _ = c.Write(sum)
	return json.NewEncoder(os.Stdout).Encode(tcpReport{Bytes: n, Seconds: secs, MBps: float64(n) / secs / 1e6, SHA256: hex.EncodeToString(sum)})
}

// tcprelay is a TCP relay for one connection, as a relay server (croc's, a TURN server's
// TCP allocation) would be: two TCP connections joined in userspace at the relay's place.
func tcprelay(args []string) error {
	fs := flag.NewFlagSet("tcprelay", flag.ExitOnError)
	listen := fs.String("listen", "", "address to listen on")
	to := fs.String("to", "", "address to relay to")
	cc := fs.String("cc", "", "congestion control of the onward connection (empty: the kernel default)")
	_ = fs.Parse(args)
	l, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	fmt.Println("ready")
	return relayOnce(l, *to, *cc)
}

// relayOnce accepts one connection on l (and closes l), connects onward to to and copies
// both ways until both directions ended.
func relayOnce(l net.Listener, to, cc string) error {
	in, err := l.Accept()
	l.Close()
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := dialCC(to, cc)
	if err != nil {
		return err
	}
	defer out.Close()
	errs := make(chan error, 2)
	pass := func(dst, src *net.TCPConn) {
		_, err := io.Copy(dst, src) // splice(2) on Linux
		errs <- errors.Join(err, dst.CloseWrite())
	}
	go pass(out, in.(*net.TCPConn))
	go pass(in.(*net.TCPConn), out)
	return errors.Join(<-errs, <-errs)
}

// dialCC connects with a congestion control ("": the kernel's default).
func dialCC(to, cc string) (*net.TCPConn, error) {
	d := net.Dialer{Timeout: 10 * time.Second}
	if cc != "" {
		d.Control = func(_, _ string, rc syscall.RawConn) error {
			var serr error
			err := rc.Control(func(fd uintptr) { serr = unix.SetsockoptString(int(fd), unix.IPPROTO_TCP, unix.TCP_CONGESTION, cc) })
			return errors.Join(err, serr)
		}
	}
	c, err := d.Dial("tcp", to)
	if err != nil {
		return nil, err
	}
	return c.(*net.TCPConn), nil
}

func tcpsend(args []string) error {
	fs := flag.NewFlagSet("tcpsend", flag.ExitOnError)
	to := fs.String("to", "", "receiver address")
	size := fs.String("n", "16MiB", "bytes (suffix KiB, MiB, GiB)")
	cc := fs.String("cc", "", "congestion control (cubic, bbr, reno; empty: the kernel default)")
	plain := fs.Bool("plain", false, "send zeros without hashing (the receiver must run with -plain too)")
	_ = fs.Parse(args)
	n, err := parseSize(*size)
	if err != nil {
		return err
	}
	c, err := dialCC(*to, *cc)
	if err != nil {
		return err
	}
	defer c.Close()
	used := *cc
	if used == "" {
		if rc, err := c.SyscallConn(); err == nil {
			_ = rc.Control(func(fd uintptr) { used, _ = unix.GetsockoptString(int(fd), unix.IPPROTO_TCP, unix.TCP_CONGESTION) })
		}
	}
	h := sha256.New()
	src := rand.NewChaCha8([32]byte{'l', 'a', 'b'})
	buf := make([]byte, 64000)
	t0 := time.Now()
	for left := n; left > 0; {
		k := int64(len(buf))
		if k > left {
			k = left
		}
		if !*plain {
			_, _ = src.Read(buf[:k])
			h.Write(buf[:k])
		}
		if _, err := c.Write(buf[:k]); err != nil {
			return err
		}
		left -= k
	}
	if err := c.CloseWrite(); err != nil {
		return err
	}
	got := make([]byte, 32)
	if _, err := io.ReadFull(c, got); err != nil {
		return fmt.Errorf("waiting for the receiver's digest: %w", err)
	}
	secs := time.Since(t0).Seconds()
	sum := h.Sum(nil)
	if *plain {
		sum = make([]byte, sha256.Size)
	}
	if !bytes.Equal(got, sum) {
		return errors.New("the receiver's sha256 differs")
	}
	return json.NewEncoder(os.Stdout).Encode(tcpReport{Bytes: n, Seconds: secs, MBps: float64(n) / secs / 1e6, SHA256: hex.EncodeToString(sum), CC: used})
}

func parseSize(s string) (int64, error) {
	mult := int64(1)
	for _, u := range []struct {
		suf string
		m   int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if strings.HasSuffix(s, u.suf) {
			s, mult = strings.TrimSuffix(s, u.suf), u.m
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("bad size %q", s)
	}
	return n * mult, nil
}

// onlyReader hides a connection's WriteTo, so that io.CopyBuffer to io.Discard still reads
// every byte through our buffer (as a real consumer would) rather than being skipped.
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }
