//go:build unix

package iceconf

import (
	"errors"
	"net"
	"net/netip"
	"sync"
	"syscall"
	"time"

	"github.com/pion/transport/v5"
	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// Batched ICE sockets (docs/benchmarks.md, "CPU per byte"). pion's SCTP sends one
// 1,191-byte packet per write through DTLS and ICE, and its UDP mux reads one datagram per
// read: a pipe makes one sendto and one recvfrom per packet on each side, and the syscalls
// and the wake-ups between them are a large part of its CPU per byte. pion lets us hand
// its mux any PacketConn, so the ICE sockets are wrapped:
//
//   - writes are queued (copied) and a flusher goroutine sends whatever has queued up with
//     one sendmmsg: under load that is dozens of packets per syscall, when idle one packet
//     at once. Order is kept (one queue, one flusher). A write no longer reports the
//     socket's error (UDP loses packets anyway; SCTP and ICE retransmit), and it blocks only
//     when the queue is full;
//   - reads take up to batchLen datagrams with one recvmmsg and hand them out one by one;
//   - Close first sends what is queued (the DTLS close_notify and SCTP ABORT of a closing
//     PeerConnection are among the last packets), then closes the socket.
//
// On systems without sendmmsg/recvmmsg golang.org/x/net sends and receives one message
// per call, which is what pion did.

const (
	batchLen  = 32   // datagrams per sendmmsg / recvmmsg
	queueLen  = 512  // queued outgoing datagrams before a write blocks
	slotBytes = 2048 // a receive slot and a pooled send buffer: WebRTC stacks send ≤ ~1,300 bytes
)

// batchIO is what ipv4.PacketConn and ipv6.PacketConn both offer.
type batchIO interface {
	ReadBatch(ms []ipv4.Message, flags int) (int, error)
	WriteBatch(ms []ipv4.Message, flags int) (int, error)
}

// batchConn is an ICE UDP socket with batched reads and writes. It implements pion's
// transport.UDPConn (the methods it does not override go straight to the socket, which
// pion's mux does not use) and ice.AddrPortReaderWriter.
type batchConn struct {
	transport.UDPConn
	io batchIO

	q       chan outDatagram
	closing chan struct{}
	flushed chan struct{}
	once    sync.Once
	bufs    sync.Pool

	rmu   sync.Mutex
	rmsgs []ipv4.Message
	rn    int // datagrams in the current batch
	ri    int // next one to hand out
}

type outDatagram struct {
	buf  *[]byte
	n    int
	addr *net.UDPAddr
}

// errBatchClosed is a write after Close.
var errBatchClosed = errors.New("iceconf: socket closed")

// batchUDP wraps a UDP socket for pion's mux; anything else is returned as it is.
func batchUDP(c transport.UDPConn) transport.UDPConn {
	uc, ok := c.(*net.UDPConn)
	if !ok {
		return c
	}
	la, ok := uc.LocalAddr().(*net.UDPAddr)
	if !ok {
		return c
	}
	b := &batchConn{UDPConn: uc, q: make(chan outDatagram, queueLen), closing: make(chan struct{}), flushed: make(chan struct{})}
	if la.IP.To4() != nil {
		b.io = ipv4.NewPacketConn(uc)
	} else {
		b.io = ipv6.NewPacketConn(uc)
	}
	b.bufs.New = func() any { s := make([]byte, slotBytes); return &s }
	b.rmsgs = make([]ipv4.Message, batchLen)
	for i := range b.rmsgs {
		b.rmsgs[i].Buffers = [][]byte{make([]byte, slotBytes)}
	}
	go b.flush()
	return b
}

// flush sends queued datagrams, as many per sendmmsg as have queued up, until Close; then
// it sends what is left and returns.
func (b *batchConn) flush() {
	defer close(b.flushed)
	msgs := make([]ipv4.Message, batchLen)
	pend := make([]outDatagram, 0, batchLen)
	for {
		var d outDatagram
		closing := false
		select {
		case d = <-b.q:
		case <-b.closing:
			closing = true
		}
		pend = pend[:0]
		if !closing {
			pend = append(pend, d)
		}
	more:
		for len(pend) < batchLen {
			select {
			case d = <-b.q:
				pend = append(pend, d)
			default:
				break more
			}
		}
		if len(pend) == 0 && closing {
			return
		}
		for i, d := range pend {
			msgs[i].Buffers = [][]byte{(*d.buf)[:d.n]}
			msgs[i].Addr = d.addr
		}
		for m := msgs[:len(pend)]; len(m) > 0; {
			n, err := b.io.WriteBatch(m, 0)
			if err != nil {
				// Like a lost datagram: drop the one that failed, send the rest (a
				// write deadline set by pion's mux to abort writes drops them all).
				if isTimeout(err) {
					break
				}
				n = max(n, 1)
			}
			m = m[n:]
		}
		for i, d := range pend {
			msgs[i].Buffers, msgs[i].Addr = nil, nil
			if cap(*d.buf) == slotBytes {
				b.bufs.Put(d.buf)
			}
		}
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// WriteTo queues one datagram.
func (b *batchConn) WriteTo(p []byte, addr net.Addr) (int, error) {
	ua, ok := addr.(*net.UDPAddr)
	if !ok {
		return 0, errors.New("iceconf: not a UDP address")
	}
	var buf *[]byte
	if len(p) <= slotBytes {
		buf = b.bufs.Get().(*[]byte)
	} else {
		s := make([]byte, len(p))
		buf = &s
	}
	n := copy(*buf, p)
	select {
	case <-b.closing:
		return 0, errBatchClosed
	default:
	}
	select {
	case b.q <- outDatagram{buf: buf, n: n, addr: ua}:
		return len(p), nil
	case <-b.closing:
		return 0, errBatchClosed
	}
}

// WriteToAddrPort is pion's allocation-free write path.
func (b *batchConn) WriteToAddrPort(p []byte, addr netip.AddrPort) (int, error) {
	return b.WriteTo(p, net.UDPAddrFromAddrPort(addr))
}

// ReadFrom returns the next datagram of the current batch, reading a new batch when it is
// used up. Datagrams larger than a slot are dropped (no WebRTC peer sends them).
func (b *batchConn) ReadFrom(p []byte) (int, net.Addr, error) {
	b.rmu.Lock()
	defer b.rmu.Unlock()
	for {
		if b.ri >= b.rn {
			n, err := b.io.ReadBatch(b.rmsgs, 0)
			if err != nil {
				return 0, nil, err
			}
			b.rn, b.ri = n, 0
		}
		m := &b.rmsgs[b.ri]
		b.ri++
		if m.Flags&syscall.MSG_TRUNC != 0 || m.N > slotBytes {
			continue
		}
		return copy(p, m.Buffers[0][:m.N]), m.Addr, nil
	}
}

// ReadFromAddrPort is pion's allocation-free read path.
func (b *batchConn) ReadFromAddrPort(p []byte) (int, netip.AddrPort, error) {
	n, addr, err := b.ReadFrom(p)
	if err != nil {
		return 0, netip.AddrPort{}, err
	}
	ua, ok := addr.(*net.UDPAddr)
	if !ok {
		return 0, netip.AddrPort{}, errors.New("iceconf: not a UDP address")
	}
	return n, ua.AddrPort(), nil
}

// Close sends what is queued (bounded by a short deadline) and closes the socket.
func (b *batchConn) Close() error {
	b.once.Do(func() {
		_ = b.UDPConn.SetWriteDeadline(time.Now().Add(time.Second))
		close(b.closing)
		<-b.flushed
	})
	return b.UDPConn.Close()
}
