package direct

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/rtchat/rtchat/rtc/iceconf/icetest"
	"github.com/rtchat/rtchat/rtc/stream"
)

// switchPair is two Switches on a real loopback WebRTC data channel, and the two ends of
// one committed direct connection (not yet handed over).
type switchPair struct {
	a, b   *Switch
	ca, cb *Channel // a's and b's end of the direct connection
}

func newSwitchPair(t *testing.T) *switchPair {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	p, err := icetest.NewPair(ctx, nil, "pipe")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	dr, fr, _, _ := attempt(t, nil, nil, 10*time.Second)
	if dr.err != nil || fr.err != nil {
		t.Fatalf("decide: %v, follow: %v", dr.err, fr.err)
	}
	sp := &switchPair{a: NewSwitch(p.ChA), b: NewSwitch(p.ChB), ca: NewChannel(dr.conn), cb: NewChannel(fr.conn)}
	t.Cleanup(func() {
		done := make(chan struct{}, 2)
		go func() { _ = sp.a.Close(); done <- struct{}{} }()
		go func() { _ = sp.b.Close(); done <- struct{}{} }()
		<-done
		<-done
		sp.ca.Abort()
		sp.cb.Abort()
	})
	return sp
}

// msg is message i of a numbered sequence: its index, then i%200 bytes of filler, text
// every seventh (both kinds must survive the move).
func msg(i int) ([]byte, bool) {
	p := make([]byte, 4+i%200)
	binary.BigEndian.PutUint32(p, uint32(i))
	for j := 4; j < len(p); j++ {
		p[j] = byte(i + j)
	}
	return p, i%7 == 3
}

// writeSeq writes messages [from, to).
func writeSeq(s *Switch, from, to int) error {
	for i := from; i < to; i++ {
		p, text := msg(i)
		if _, err := s.WriteDataChannel(p, text); err != nil {
			return err
		}
	}
	return nil
}

// readSeq reads messages [from, to) and fails on any other message (lost, duplicated,
// reordered or altered).
func readSeq(s *Switch, from, to int) error {
	buf := make([]byte, MaxMessage)
	for i := from; i < to; i++ {
		n, text, err := s.ReadDataChannel(buf)
		if err != nil {
			return err
		}
		want, wantText := msg(i)
		if string(buf[:n]) != string(want) || text != wantText {
			got := -1
			if n >= 4 {
				got = int(binary.BigEndian.Uint32(buf))
			}
			return fmt.Errorf("message %d expected, got message %d (%d bytes, text %v)", i, got, n, text)
		}
	}
	return nil
}

// TestSwitchMovesInOrder: each direction moves at its own moment (a's writer mid-stream, b's
// before it writes anything after the first batch; a's reader must wait for its own
// commit after reading b's marker), and every message arrives once, in order.
func TestSwitchMovesInOrder(t *testing.T) {
	sp := newSwitchPair(t)
	const n = 3000
	errs := make(chan error, 4)
	bRead1000 := make(chan struct{})
	aCommitted := make(chan struct{})
	// a → b: 1000 messages on WebRTC, commit, the rest on the direct connection.
	go func() {
		if err := writeSeq(sp.a, 0, 1000); err != nil {
			errs <- err
			return
		}
		sp.a.Commit(sp.ca)
		close(aCommitted)
		errs <- writeSeq(sp.a, 1000, n)
	}()
	// b reads the first 1000 (all before a's marker), then is blocked reading while b
	// has not committed yet; it commits only once a moved, so its reader waits in the
	// marker (or behind it) for Commit.
	go func() {
		if err := readSeq(sp.b, 0, 1000); err != nil {
			errs <- err
			return
		}
		close(bRead1000)
		errs <- readSeq(sp.b, 1000, n)
	}()
	// b → a: b writes half before committing and half after; a's reader sees b's marker
	// whenever it comes.
	go func() {
		if err := writeSeq(sp.b, 0, n/2); err != nil {
			errs <- err
			return
		}
		<-bRead1000
		<-aCommitted
		sp.b.Commit(sp.cb)
		errs <- writeSeq(sp.b, n/2, n)
	}()
	go func() { errs <- readSeq(sp.a, 0, n) }()
	for range 4 {
		select {
		case err := <-errs:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(60 * time.Second):
			t.Fatal("transfer did not finish")
		}
	}
	if !sp.a.Moved() || !sp.b.Moved() {
		t.Fatal("a switch did not move")
	}
}

// TestSwitchCommitRacesWrites: commits land while both writers are busy (a goroutine of
// their own, at a random message), and nothing is lost, duplicated or reordered.
func TestSwitchCommitRacesWrites(t *testing.T) {
	for round := range 3 {
		sp := newSwitchPair(t)
		const n = 4000
		errs := make(chan error, 6)
		wrote := make([]chan struct{}, 2)
		for i := range wrote {
			wrote[i] = make(chan struct{})
		}
		write := func(s *Switch, at int, sig chan struct{}) {
			if err := writeSeq(s, 0, at); err != nil {
				errs <- err
				return
			}
			close(sig)
			errs <- writeSeq(s, at, n)
		}
		r := rand.New(rand.NewPCG(uint64(round), 7))
		go write(sp.a, 1+r.IntN(n-2), wrote[0])
		go write(sp.b, 1+r.IntN(n-2), wrote[1])
		go func() { <-wrote[0]; sp.a.Commit(sp.ca); errs <- nil }()
		go func() { <-wrote[1]; sp.b.Commit(sp.cb); errs <- nil }()
		go func() { errs <- readSeq(sp.a, 0, n) }()
		go func() { errs <- readSeq(sp.b, 0, n) }()
		for range 6 {
			select {
			case err := <-errs:
				if err != nil {
					t.Fatalf("round %d: %v", round, err)
				}
			case <-time.After(60 * time.Second):
				t.Fatalf("round %d: transfer did not finish", round)
			}
		}
	}
}

// TestSwitchNotSettledFailsReader: the peer moved, but the negotiation ended here without
// the connection: the reader fails after every message sent before the marker, rather
// than waiting forever or reading on as if nothing was missing.
func TestSwitchNotSettledFailsReader(t *testing.T) {
	sp := newSwitchPair(t)
	if err := writeSeq(sp.a, 0, 10); err != nil {
		t.Fatal(err)
	}
	sp.a.Commit(sp.ca)
	if err := writeSeq(sp.a, 10, 20); err != nil {
		t.Fatal(err)
	}
	sp.b.Settle(nil)
	if err := readSeq(sp.b, 0, 10); err != nil {
		t.Fatal(err)
	}
	_, _, err := sp.b.ReadDataChannel(make([]byte, MaxMessage))
	if !errors.Is(err, ErrNotSettled) {
		t.Fatalf("read past the peer's marker without the connection: %v, want ErrNotSettled", err)
	}
}

// TestSwitchNeverMoving: settled without a connection, both directions stay on WebRTC.
func TestSwitchNeverMoving(t *testing.T) {
	sp := newSwitchPair(t)
	sp.a.Settle(nil)
	sp.b.Settle(nil)
	errs := make(chan error, 2)
	go func() { errs <- writeSeq(sp.a, 0, 500) }()
	go func() { errs <- readSeq(sp.b, 0, 500) }()
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if sp.a.Moved() || sp.b.Moved() {
		t.Fatal("moved without a connection")
	}
}

// TestSwitchCloseDuringSwitch: a reader waiting for its side's commit (the peer's marker
// read) returns when the switch closes, and a connection committed after Close is closed
// at once, not leaked.
func TestSwitchCloseDuringSwitch(t *testing.T) {
	sp := newSwitchPair(t)
	if err := writeSeq(sp.a, 0, 5); err != nil {
		t.Fatal(err)
	}
	sp.a.Commit(sp.ca)
	if err := writeSeq(sp.a, 5, 6); err != nil { // writes the marker
		t.Fatal(err)
	}
	rerr := make(chan error, 1)
	go func() {
		if err := readSeq(sp.b, 0, 5); err != nil {
			rerr <- err
			return
		}
		_, _, err := sp.b.ReadDataChannel(make([]byte, MaxMessage)) // the marker: waits
		rerr <- err
	}()
	_ = sp.b.Close()
	select {
	case err := <-rerr:
		if err == nil {
			t.Fatal("read after Close succeeded")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("reader still blocked after Close")
	}
	sp.b.Commit(sp.cb) // too late: aborted
	if _, _, err := sp.cb.ReadDataChannel(make([]byte, MaxMessage)); err == nil {
		t.Fatal("the connection committed after Close is still open")
	}
}

// TestSwitchStream: rtc/stream on Switches, 4 MiB each way, each side moving at its own
// moment mid-transfer; both sums equal, both CloseWrites acknowledged, clean Close.
func TestSwitchStream(t *testing.T) {
	sp := newSwitchPair(t)
	a, b := stream.New(sp.a), stream.New(sp.b)
	const n = 4 << 20
	da, db := randomBytes(1, n), randomBytes(2, n)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	send := func(s *stream.Stream, sw *Switch, ch *Channel, p []byte, at int) {
		defer wg.Done()
		if _, err := s.Write(p[:at]); err != nil {
			errs <- err
			return
		}
		sw.Commit(ch)
		if _, err := s.Write(p[at:]); err != nil {
			errs <- err
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		errs <- s.CloseWrite(ctx)
	}
	recv := func(s *stream.Stream, want []byte) {
		defer wg.Done()
		h := sha256.New()
		if _, err := io.Copy(h, s); err != nil {
			errs <- err
			return
		}
		if [32]byte(h.Sum(nil)) != sha256.Sum256(want) {
			errs <- errors.New("received other bytes than sent")
			return
		}
		errs <- nil
	}
	wg.Add(4)
	go send(a, sp.a, sp.ca, da, n/3)
	go send(b, sp.b, sp.cb, db, 2*n/3)
	go recv(a, db)
	go recv(b, da)
	wg.Wait()
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	closed := make(chan error, 2)
	go func() { closed <- a.Close() }()
	go func() { closed <- b.Close() }()
	for range 2 {
		if err := <-closed; err != nil {
			t.Fatalf("Close: %v", err)
		}
	}
}
