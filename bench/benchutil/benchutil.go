// Package benchutil holds the small helpers the baseline benchmark programs share.
package benchutil

import (
	"bufio"
	"crypto/sha256"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
)

// ChunkSize is the write size of every benchmark (pion's safe message size).
const ChunkSize = 64000

// Block returns a deterministic pseudo-random block of ChunkSize bytes; senders repeat it.
func Block() []byte {
	b := make([]byte, ChunkSize)
	_, _ = rand.NewChaCha8([32]byte{42}).Read(b)
	return b
}

// ExpectedSum is the sha256 of the first n bytes of Block repeated.
func ExpectedSum(n int64) []byte {
	b := Block()
	h := sha256.New()
	for n > 0 {
		c := int64(len(b))
		if c > n {
			c = n
		}
		h.Write(b[:c])
		n -= c
	}
	return h.Sum(nil)
}

// PeakRSSKiB returns VmHWM from /proc/self/status (KiB), 0 if unknown.
func PeakRSSKiB() int64 {
	return statusField("VmHWM:")
}

func statusField(name string) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, name) {
			fields := strings.Fields(line[len(name):])
			if len(fields) > 0 {
				n, _ := strconv.ParseInt(fields[0], 10, 64)
				return n
			}
		}
	}
	return 0
}

// RcvbufErrors returns the Udp RcvbufErrors counter from /proc/net/snmp (-1 if unknown).
func RcvbufErrors() int64 {
	b, err := os.ReadFile("/proc/net/snmp")
	if err != nil {
		return -1
	}
	var header []string
	for _, line := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(line, "Udp: ") {
			continue
		}
		fields := strings.Fields(line)
		if header == nil {
			header = fields
			continue
		}
		for i, h := range header {
			if h == "RcvbufErrors" && i < len(fields) {
				n, _ := strconv.ParseInt(fields[i], 10, 64)
				return n
			}
		}
		return -1
	}
	return -1
}

// ParseSize parses sizes like 256MiB, 64KiB, 1GiB, 1000 (bytes).
func ParseSize(s string) (int64, error) {
	mult := int64(1)
	for _, u := range []struct {
		suf string
		m   int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"G", 1 << 30}, {"M", 1 << 20}, {"K", 1 << 10}} {
		if strings.HasSuffix(s, u.suf) {
			mult = u.m
			s = strings.TrimSuffix(s, u.suf)
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n * mult, err
}
