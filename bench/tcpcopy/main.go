// Command tcpcopy is a throughput baseline: it moves N bytes over a plain TCP loopback
// socket between two processes (this one sends; a child copy of itself receives and
// hashes with sha256) and prints one JSON line with both sides' MB/s and peak RSS.
//
//	go run ./bench/tcpcopy -n 256MiB
package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"time"

	"github.com/rtchat/rtchat/bench/benchutil"
)

type recvReport struct {
	Bytes   int64   `json:"bytes"`
	Seconds float64 `json:"seconds"`
	MBps    float64 `json:"mbps"`
	SHA256  string  `json:"sha256"`
	RSSKiB  int64   `json:"peak_rss_kib"`
	Error   string  `json:"error,omitempty"`
}

func main() {
	size := flag.String("n", "256MiB", "bytes to move (suffix KiB, MiB, GiB)")
	recvAddr := flag.String("recv", "", "internal: receive from this address")
	flag.Parse()
	n, err := benchutil.ParseSize(*size)
	if err != nil {
		fatal(err)
	}
	if *recvAddr != "" {
		_ = json.NewEncoder(os.Stdout).Encode(receive(*recvAddr, n))
		return
	}
	if err := send(n); err != nil {
		fatal(err)
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "tcpcopy:", err)
	os.Exit(1)
}

func receive(addr string, n int64) recvReport {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return recvReport{Error: err.Error()}
	}
	defer c.Close()
	h := sha256.New()
	start := time.Now()
	got, err := io.CopyBuffer(h, io.LimitReader(c, n), make([]byte, 256<<10))
	el := time.Since(start).Seconds()
	r := recvReport{Bytes: got, Seconds: el, MBps: float64(got) / el / 1e6,
		SHA256: hex.EncodeToString(h.Sum(nil)), RSSKiB: benchutil.PeakRSSKiB()}
	if err != nil {
		r.Error = err.Error()
	}
	_, _ = c.Write([]byte{1}) // done
	return r
}

func send(n int64) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer ln.Close()
	self, err := os.Executable()
	if err != nil {
		return err
	}
	cmd := exec.Command(self, "-n", fmt.Sprint(n), "-recv", ln.Addr().String())
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	c, err := ln.Accept()
	if err != nil {
		return err
	}
	block := benchutil.Block()
	start := time.Now()
	for left := n; left > 0; {
		b := block
		if int64(len(b)) > left {
			b = b[:left]
		}
		if _, err := c.Write(b); err != nil {
			return err
		}
		left -= int64(len(b))
	}
	if _, err := io.ReadFull(c, make([]byte, 1)); err != nil {
		return fmt.Errorf("waiting for done: %w", err)
	}
	el := time.Since(start).Seconds()
	c.Close()
	var r recvReport
	if err := json.NewDecoder(bufio.NewReader(out)).Decode(&r); err != nil {
		return fmt.Errorf("receiver report: %w", err)
	}
	if err := cmd.Wait(); err != nil {
		return err
	}
	want := hex.EncodeToString(benchutil.ExpectedSum(n))
	ok := r.SHA256 == want && r.Bytes == n && r.Error == ""
	line, _ := json.Marshal(map[string]any{
		"bench": "tcpcopy", "bytes": n, "ok": ok,
		"send_mbps": float64(n) / el / 1e6, "recv_mbps": r.MBps,
		"send_peak_rss_kib": benchutil.PeakRSSKiB(), "recv_peak_rss_kib": r.RSSKiB,
		"error": r.Error,
	})
	fmt.Println(string(bytes.TrimSpace(line)))
	if !ok {
		return fmt.Errorf("transfer mismatch: got %d bytes sha %s, want %d sha %s", r.Bytes, r.SHA256, n, want)
	}
	return nil
}
