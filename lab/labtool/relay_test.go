package main

import (
	"bytes"
	"crypto/sha256"
	"io"
	"net"
	"testing"
	"time"
)

// TestRelayOnce: bytes pass the relay unchanged and both half-closes are passed on (the
// benchmark's receiver answers with its digest only after EOF, and the sender waits for
// the answer and then EOF), on loopback.
func TestRelayOnce(t *testing.T) {
	recv, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer recv.Close()
	recvErr := make(chan error, 1)
	go func() {
		c, err := recv.Accept()
		if err != nil {
			recvErr <- err
			return
		}
		defer c.Close()
		h := sha256.New()
		if _, err := io.Copy(h, c); err != nil { // to EOF: the sender's half-close arrived
			recvErr <- err
			return
		}
		_, err = c.Write(h.Sum(nil))
		recvErr <- err
	}()
	rl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	relayErr := make(chan error, 1)
	go func() { relayErr <- relayOnce(rl, recv.Addr().String(), "") }()

	c, err := dialCC(rl.Addr().String(), "")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	data := bytes.Repeat([]byte("relayed "), 1<<17) // 1 MiB
	if _, err := c.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := c.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(c) // the digest, then EOF: the receiver's close passed back
	if err != nil {
		t.Fatal(err)
	}
	want := sha256.Sum256(data)
	if !bytes.Equal(got, want[:]) {
		t.Errorf("the receiver answered %x, want the digest %x", got, want)
	}
	if err := <-recvErr; err != nil {
		t.Errorf("receiver: %v", err)
	}
	if err := <-relayErr; err != nil {
		t.Errorf("relay: %v", err)
	}
}
