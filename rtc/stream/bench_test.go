package stream_test

import (
	"context"
	"io"
	"testing"
	"time"
)

// Each op moves 1 MiB one way; run with -benchtime=256x for 256 MiB per run:
//
//	go test -run '^$' -bench . -benchtime=256x -count=3 ./rtc/stream/
const benchOp = 1 << 20

// BenchmarkBareDetached is the baseline: 64,000-byte writes on the bare detached channel
// (the same pair setup as the Stream benchmark), the receiver reading 64 KiB messages.
func BenchmarkBareDetached(b *testing.B) {
	p := newRawPair(b)
	total := int64(b.N) * benchOp
	block := make([]byte, 64000)
	done := make(chan error, 1)
	b.SetBytes(benchOp)
	b.ResetTimer()
	go func() {
		buf := make([]byte, 65536)
		var got int64
		for got < total {
			n, _, err := p.ChB.ReadDataChannel(buf)
			if err != nil {
				done <- err
				return
			}
			got += int64(n)
		}
		done <- nil
	}()
	for left := total; left > 0; {
		c := block
		if int64(len(c)) > left {
			c = c[:left]
		}
		if _, err := p.ChA.WriteDataChannel(c, false); err != nil {
			b.Fatal(err)
		}
		left -= int64(len(c))
	}
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
}

// BenchmarkStream moves the same bytes through Stream (Write, CloseWrite waiting for the
// ack, reader io.Copy with a 32 KiB buffer).
func BenchmarkStream(b *testing.B) {
	sp := newPair(b)
	total := int64(b.N) * benchOp
	block := make([]byte, benchOp)
	done := make(chan error, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	b.SetBytes(benchOp)
	b.ResetTimer()
	go func() {
		n, err := io.Copy(io.Discard, sp.B)
		if err == nil && n != total {
			err = io.ErrUnexpectedEOF
		}
		done <- err
	}()
	for i := 0; i < b.N; i++ {
		if _, err := sp.A.Write(block); err != nil {
			b.Fatal(err)
		}
	}
	if err := sp.A.CloseWrite(ctx); err != nil {
		b.Fatal(err)
	}
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
}
