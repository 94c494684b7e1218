package rtc

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/pion/sctp"
)

// readBufSize must hold the largest message a peer may send: a detached read into a
// smaller buffer fails (pion-notes). Chrome allows 256 KiB messages.
const readBufSize = 256 << 10

// maxFrame is the largest message we send: every WebRTC stack accepts 64 KiB (pion caps at
// 65,535 bytes when the peer's SDP names no a=max-message-size).
const maxFrame = 64000

// sendFrame writes one JSON value as a text frame on a label, waiting a while for the
// channel to open like the web client does (§7): channels open in any order, so a question
// may arrive before our answer channel is open. Safe from any goroutine.
func (p *peer) sendFrame(label string, v any) error {
	s := p.slots[label]
	if s == nil {
		return fmt.Errorf("no %q channel to %s", label, p.remote)
	}
	select {
	case <-s.open:
	case <-p.done:
		return p.lostErr()
	case <-time.After(10 * time.Second):
		return fmt.Errorf("no %q channel to %s", label, p.remote)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if len(b) > maxFrame {
		return fmt.Errorf("%w: %d bytes once encoded (at most %d)", ErrTooLarge, len(b), maxFrame)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.rwc.WriteDataChannel(b, true); err != nil {
		select {
		case <-p.done:
			return p.lostErr()
		default:
		}
		return fmt.Errorf("%w: send to %s: %v", ErrConnectionLost, p.remote, err)
	}
	return nil
}

// sendFrameWithin is sendFrame on an open channel, giving up after d (the owner uses it
// while closing, and must not wait on a peer that stopped reading).
func (p *peer) sendFrameWithin(label string, v any, d time.Duration) error {
	s := p.slots[label]
	if s == nil || !s.isOpen() {
		return fmt.Errorf("no open %q channel to %s", label, p.remote)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if dl, ok := s.rwc.(interface{ SetWriteDeadline(time.Time) error }); ok {
		_ = dl.SetWriteDeadline(time.Now().Add(d))
		defer func() { _ = dl.SetWriteDeadline(time.Time{}) }()
	}
	_, err = s.rwc.WriteDataChannel(b, true)
	return err
}

// readLoop hands every text frame of a channel to the owner, in order. It blocks while the
// owner is busy, which holds the peer's sender back (SCTP flow control) instead of queueing.
func (p *peer) readLoop(s *slot) {
	defer p.wg.Done()
	buf := make([]byte, readBufSize)
	for {
		n, isString, err := s.rwc.ReadDataChannel(buf)
		if err != nil {
			if !errors.Is(err, io.EOF) {
				p.log.Debug("channel read ended", "label", s.label, "err", err)
			}
			if errors.Is(err, sctp.ErrChunk) {
				p.markAborted() // the peer's ABORT ended the association (see closeNow)
			}
			return
		}
		if !isString {
			continue // the protocol is text JSON; binary frames are dropped like the browser does
		}
		p.post(evFrame{label: s.label, data: append([]byte(nil), buf[:n]...)}, true)
		select {
		case <-p.done:
			return
		default:
		}
	}
}

// candidateUfrag returns the ufrag extension of an ICE candidate line, if any.
func candidateUfrag(c string) string {
	f := strings.Fields(c)
	for i := 0; i+1 < len(f); i++ {
		if f[i] == "ufrag" {
			return f[i+1]
		}
	}
	return ""
}
