// Command barepion is the throughput baseline for rtchat pipe: it moves N bytes over one
// bare detached pion data channel between two processes on loopback, with the settings of
// iceconf's loopback mode (4 MiB UDP socket buffers, blocking detached writes) and
// 64,000-byte writes. This process sends (offerer); a child copy of itself receives and
// hashes with sha256 (answerer). Signaling: one JSON SDP per line over the child's
// stdin/stdout pipes, non-trickle. Prints one JSON line with both sides' MB/s, peak RSS
// (VmHWM) and the change of the kernel's Udp RcvbufErrors counter.
//
//	go run ./bench/barepion -n 256MiB
//
// Tuning knobs (both processes get the same values; bench/knobs.sh compares them):
//
//	-sockbuf BYTES   SO_RCVBUF/SO_SNDBUF requested for the ICE UDP socket (default
//	                 iceconf.SocketBuffer = 4 MiB; 0 = not set: the kernel default,
//	                 net.core.rmem_default, about 208 KiB). The kernel caps the request at
//	                 net.core.rmem_max / wmem_max, so -sockbuf 208KiB simulates a stock host.
//	-chunk BYTES     size of each data-channel write (default 64000, at most 65535)
//	-sctprecv BYTES  SettingEngine.SetSCTPMaxReceiveBufferSize (0 = pion's default, 1 MiB)
//	-zerochecksum    SettingEngine.EnableSCTPZeroChecksum(true)
//
// The PeerConnection is built by a local copy of iceconf's loopback setup (newConn below)
// so that these knobs can vary; with the defaults it is the same configuration.
package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime/pprof"
	"strconv"
	"time"

	"github.com/pion/datachannel"
	"github.com/pion/ice/v4"
	"github.com/pion/logging"
	"github.com/pion/webrtc/v4"

	"github.com/rtchat/rtchat/bench/benchutil"
	"github.com/rtchat/rtchat/rtc/iceconf"
)

type recvReport struct {
	Bytes   int64   `json:"bytes"`
	Seconds float64 `json:"seconds"`
	MBps    float64 `json:"mbps"`
	SHA256  string  `json:"sha256"`
	RSSKiB  int64   `json:"peak_rss_kib"`
	RecvBuf int     `json:"rcvbuf"`
	SendBuf int     `json:"sndbuf"`
	Error   string  `json:"error,omitempty"`
}

func main() {
	size := flag.String("n", "256MiB", "bytes to move (suffix KiB, MiB, GiB)")
	child := flag.Bool("recv", false, "internal: act as the receiving child")
	sockbuf := flag.String("sockbuf", strconv.Itoa(iceconf.SocketBuffer),
		"SO_RCVBUF/SO_SNDBUF requested for the ICE UDP socket (suffix KiB, MiB; 0 = kernel default)")
	chunk := flag.String("chunk", strconv.Itoa(benchutil.ChunkSize), "bytes per data-channel write (at most 65535)")
	sctpRecv := flag.String("sctprecv", "0", "SCTP max receive buffer (SetSCTPMaxReceiveBufferSize; 0 = pion default, 1 MiB)")
	zeroCsum := flag.Bool("zerochecksum", false, "enable SCTP zero checksum (EnableSCTPZeroChecksum)")
	cpuProfile := flag.String("cpuprofile", "", "write CPU profiles to FILE.send and FILE.recv")
	flag.Parse()
	profilePath = *cpuProfile
	n, err := benchutil.ParseSize(*size)
	if err != nil {
		fatal(err)
	}
	var k knobs
	k.ZeroChecksum = *zeroCsum
	for _, f := range []struct {
		name string
		val  string
		dst  *int64
		max  int64
	}{{"sockbuf", *sockbuf, &k.SockBuf, 1 << 30}, {"chunk", *chunk, &k.Chunk, 65535}, {"sctprecv", *sctpRecv, &k.SCTPRecv, 1<<32 - 1}} {
		v, err := benchutil.ParseSize(f.val)
		if err != nil || v < 0 || v > f.max || (f.name == "chunk" && v == 0) {
			fatal(fmt.Errorf("bad -%s %q", f.name, f.val))
		}
		*f.dst = v
	}
	stop, err := startProfile(*child)
	if err != nil {
		fatal(err)
	}
	if *child {
		err = receive(n, k)
	} else {
		err = send(n, k)
	}
	stop()
	if err != nil {
		fatal(err)
	}
}

// profilePath: -cpuprofile; the sender writes PATH.send, its receiving child PATH.recv.
var profilePath string

// startProfile starts a CPU profile when -cpuprofile was given; stop writes it.
func startProfile(child bool) (stop func(), err error) {
	if profilePath == "" {
		return func() {}, nil
	}
	name := profilePath + ".send"
	if child {
		name = profilePath + ".recv"
	}
	f, err := os.Create(name)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		_ = f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); _ = f.Close() }, nil
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "barepion:", err)
	os.Exit(1)
}

func waitGathered(pc *webrtc.PeerConnection, sd webrtc.SessionDescription) (*webrtc.SessionDescription, error) {
	done := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(sd); err != nil {
		return nil, err
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		return nil, errors.New("ICE gathering timed out")
	}
	return pc.LocalDescription(), nil
}

// knobs are the tuning parameters under test; the parent passes them to the child.
type knobs struct {
	SockBuf      int64 `json:"sockbuf"`
	Chunk        int64 `json:"chunk"`
	SCTPRecv     int64 `json:"sctprecv"`
	ZeroChecksum bool  `json:"zerochecksum"`
}

func (k knobs) args() []string {
	return []string{"-sockbuf", fmt.Sprint(k.SockBuf), "-chunk", fmt.Sprint(k.Chunk),
		"-sctprecv", fmt.Sprint(k.SCTPRecv), "-zerochecksum=" + strconv.FormatBool(k.ZeroChecksum)}
}

// benchConn is a PeerConnection with its ICE UDP mux and the buffers the kernel granted.
type benchConn struct {
	PC                  *webrtc.PeerConnection
	RecvBuffer, SendBuf int
	mux                 ice.UDPMux
}

func (c *benchConn) Close() error {
	return errors.Join(c.PC.GracefulClose(), c.mux.Close())
}

// newConn is iceconf.Loopback().NewConn with the knobs applied: detached data channels,
// blocking detached writes, one UDP mux on 127.0.0.1:0 (UDP4, loopback candidates only,
// mDNS off) whose socket buffers are k.SockBuf (not set when 0), pion logs discarded.
func newConn(k knobs) (*benchConn, error) {
	lf := logging.NewDefaultLoggerFactory()
	lf.Writer = io.Discard
	se := webrtc.SettingEngine{LoggerFactory: lf}
	se.DetachDataChannels()
	se.EnableDataChannelBlockWrite(true)
	if k.SCTPRecv > 0 {
		se.SetSCTPMaxReceiveBufferSize(uint32(k.SCTPRecv))
	}
	if k.ZeroChecksum {
		se.EnableSCTPZeroChecksum(true)
	}
	udp, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, fmt.Errorf("ice socket: %w", err)
	}
	if k.SockBuf > 0 {
		_ = udp.SetReadBuffer(int(k.SockBuf))
		_ = udp.SetWriteBuffer(int(k.SockBuf))
	}
	c := &benchConn{}
	c.RecvBuffer, c.SendBuf, _ = iceconf.SocketBuffers(udp) // 0, 0 when unknown
	c.mux = ice.NewUDPMuxDefault(ice.UDPMuxParams{Logger: lf.NewLogger("ice-mux"), UDPConn: udp})
	se.SetIncludeLoopbackCandidate(true)
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetICEUDPMux(c.mux)
	c.PC, err = webrtc.NewAPI(webrtc.WithSettingEngine(se)).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		_ = c.mux.Close()
		return nil, err
	}
	return c, nil
}

func receive(n int64, k knobs) error {
	conn, err := newConn(k)
	if err != nil {
		return err
	}
	defer conn.Close()
	pc := conn.PC
	opened := make(chan datachannel.ReadWriteCloser, 1)
	pc.OnDataChannel(func(d *webrtc.DataChannel) {
		d.OnOpen(func() {
			ch, err := d.Detach()
			if err == nil {
				opened <- ch
			}
		})
	})
	in := bufio.NewReader(os.Stdin)
	var offer webrtc.SessionDescription
	if err := json.NewDecoder(in).Decode(&offer); err != nil {
		return fmt.Errorf("reading offer: %w", err)
	}
	if err := pc.SetRemoteDescription(offer); err != nil {
		return err
	}
	answer, err := pc.CreateAnswer(nil)
	if err != nil {
		return err
	}
	local, err := waitGathered(pc, answer)
	if err != nil {
		return err
	}
	out := json.NewEncoder(os.Stdout)
	if err := out.Encode(local); err != nil {
		return err
	}
	var ch datachannel.ReadWriteCloser
	select {
	case ch = <-opened:
	case <-time.After(15 * time.Second):
		return errors.New("data channel did not open")
	}
	h := sha256.New()
	buf := make([]byte, 65536)
	var got int64
	var start time.Time
	var rerr error
	for got < n {
		k, _, err := ch.ReadDataChannel(buf)
		if err != nil {
			rerr = err
			break
		}
		if got == 0 {
			start = time.Now()
		}
		h.Write(buf[:k])
		got += int64(k)
	}
	el := time.Since(start).Seconds()
	_, _ = ch.WriteDataChannel([]byte("done"), true)
	r := recvReport{Bytes: got, Seconds: el, MBps: float64(got) / el / 1e6,
		SHA256: hex.EncodeToString(h.Sum(nil)), RSSKiB: benchutil.PeakRSSKiB(),
		RecvBuf: conn.RecvBuffer, SendBuf: conn.SendBuf}
	if rerr != nil {
		r.Error = rerr.Error()
	}
	if err := out.Encode(r); err != nil {
		return err
	}
	// Keep the connection until the sender has read "done" and closed our stdin.
	_, _ = io.Copy(io.Discard, in)
	return nil
}

func send(n int64, k knobs) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	args := append([]string{"-recv", "-n", fmt.Sprint(n)}, k.args()...)
	if profilePath != "" {
		args = append(args, "-cpuprofile", profilePath)
	}
	cmd := exec.Command(self, args...)
	cmd.Stderr = os.Stderr
	childIn, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	childOut, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() { _ = childIn.Close(); _ = cmd.Wait() }()
	snmpBefore := benchutil.RcvbufErrors()

	t0 := time.Now()
	conn, err := newConn(k)
	if err != nil {
		return err
	}
	defer conn.Close()
	pc := conn.PC
	dc, err := pc.CreateDataChannel("bench", nil)
	if err != nil {
		return err
	}
	opened := make(chan datachannel.ReadWriteCloser, 1)
	dc.OnOpen(func() {
		ch, err := dc.Detach()
		if err == nil {
			opened <- ch
		}
	})
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		return err
	}
	local, err := waitGathered(pc, offer)
	if err != nil {
		return err
	}
	if err := json.NewEncoder(childIn).Encode(local); err != nil {
		return err
	}
	dec := json.NewDecoder(bufio.NewReader(childOut))
	var answer webrtc.SessionDescription
	if err := dec.Decode(&answer); err != nil {
		return fmt.Errorf("reading answer: %w", err)
	}
	if err := pc.SetRemoteDescription(answer); err != nil {
		return err
	}
	var ch datachannel.ReadWriteCloser
	select {
	case ch = <-opened:
	case <-time.After(15 * time.Second):
		return errors.New("data channel did not open")
	}
	connectMs := time.Since(t0).Seconds() * 1000

	// The byte stream is always Block repeated (what ExpectedSum hashes); writes of
	// k.Chunk bytes start at offset pos%len(Block) of a buffer holding enough copies.
	block := benchutil.Block()
	ring := make([]byte, 0, 3*len(block))
	for len(ring) < len(block)+int(k.Chunk) {
		ring = append(ring, block...)
	}
	start := time.Now()
	for pos := int64(0); pos < n; {
		off := int(pos % int64(len(block)))
		w := min(k.Chunk, n-pos)
		if _, err := ch.WriteDataChannel(ring[off:off+int(w)], false); err != nil {
			return err
		}
		pos += w
	}
	buf := make([]byte, 65536)
	if k, isString, err := ch.ReadDataChannel(buf); err != nil || !isString || string(buf[:k]) != "done" {
		return fmt.Errorf("waiting for done: %q %v", buf[:k], err)
	}
	el := time.Since(start).Seconds()
	var r recvReport
	if err := dec.Decode(&r); err != nil {
		return fmt.Errorf("receiver report: %w", err)
	}
	_ = childIn.Close()
	_ = cmd.Wait()
	snmpAfter := benchutil.RcvbufErrors()
	want := hex.EncodeToString(benchutil.ExpectedSum(n))
	ok := r.SHA256 == want && r.Bytes == n && r.Error == ""
	rmem, _ := iceconf.ReadRmemMax()
	line, _ := json.Marshal(map[string]any{
		"bench": "barepion", "bytes": n, "ok": ok, "connect_ms": connectMs,
		"send_mbps": float64(n) / el / 1e6, "recv_mbps": r.MBps,
		"send_peak_rss_kib": benchutil.PeakRSSKiB(), "recv_peak_rss_kib": r.RSSKiB,
		"rcvbuf": r.RecvBuf, "sndbuf": conn.SendBuf, "rmem_max": rmem, "knobs": k,
		"rcvbuf_errors_delta": snmpAfter - snmpBefore, "error": r.Error,
	})
	fmt.Println(string(line))
	if !ok {
		return fmt.Errorf("transfer mismatch: got %d bytes sha %s, want %d sha %s", r.Bytes, r.SHA256, n, want)
	}
	return nil
}
