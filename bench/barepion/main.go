// Command barepion is the throughput baseline for rtchat pipe: it moves N bytes over one
// bare detached pion data channel between two processes on loopback, with the settings of
// iceconf's loopback mode (4 MiB UDP socket buffers, blocking detached writes) and
// 64,000-byte writes. This process sends (offerer); a child copy of itself receives and
// hashes with sha256 (answerer). Signaling: one JSON SDP per line over the child's
// stdin/stdout pipes, non-trickle. Prints one JSON line with both sides' MB/s, peak RSS
// (VmHWM) and the change of the kernel's Udp RcvbufErrors counter.
//
//	go run ./bench/barepion -n 256MiB
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
	"os"
	"os/exec"
	"time"

	"github.com/pion/datachannel"
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
	Error   string  `json:"error,omitempty"`
}

func main() {
	size := flag.String("n", "256MiB", "bytes to move (suffix KiB, MiB, GiB)")
	child := flag.Bool("recv", false, "internal: act as the receiving child")
	flag.Parse()
	n, err := benchutil.ParseSize(*size)
	if err != nil {
		fatal(err)
	}
	if *child {
		err = receive(n)
	} else {
		err = send(n)
	}
	if err != nil {
		fatal(err)
	}
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

func receive(n int64) error {
	conn, err := iceconf.Loopback().NewConn(nil)
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
		SHA256: hex.EncodeToString(h.Sum(nil)), RSSKiB: benchutil.PeakRSSKiB(), RecvBuf: conn.RecvBuffer}
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

func send(n int64) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	cmd := exec.Command(self, "-recv", "-n", fmt.Sprint(n))
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
	conn, err := iceconf.Loopback().NewConn(nil)
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

	block := benchutil.Block()
	start := time.Now()
	for left := n; left > 0; {
		b := block
		if int64(len(b)) > left {
			b = b[:left]
		}
		if _, err := ch.WriteDataChannel(b, false); err != nil {
			return err
		}
		left -= int64(len(b))
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
		"rcvbuf": r.RecvBuf, "rmem_max": rmem,
		"rcvbuf_errors_delta": snmpAfter - snmpBefore, "error": r.Error,
	})
	fmt.Println(string(line))
	if !ok {
		return fmt.Errorf("transfer mismatch: got %d bytes sha %s, want %d sha %s", r.Bytes, r.SHA256, n, want)
	}
	return nil
}
