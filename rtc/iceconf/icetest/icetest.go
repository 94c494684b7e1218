// Package icetest connects two PeerConnections inside one process over loopback, for
// tests and benchmarks (non-trickle: each side waits for ICE gathering to complete before
// its SDP is handed over).
package icetest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/pion/datachannel"
	"github.com/pion/webrtc/v4"

	"github.com/rtchat/rtchat/rtc/iceconf"
)

// Pair is two connected PeerConnections with one detached data channel between them.
type Pair struct {
	A, B      *iceconf.Conn
	ChA, ChB  datachannel.ReadWriteCloserDeadliner
	OfferSDP  string
	AnswerSDP string
}

// Close gracefully closes both PeerConnections and their sockets.
func (p *Pair) Close() error {
	var errs []error
	if p.A != nil {
		errs = append(errs, p.A.Close())
	}
	if p.B != nil {
		errs = append(errs, p.B.Close())
	}
	return errors.Join(errs...)
}

// NewPair connects two loopback PeerConnections and opens one data channel named label
// (created by A). ctx bounds the whole setup.
func NewPair(ctx context.Context, log *slog.Logger, label string) (*Pair, error) {
	cfg := iceconf.Loopback()
	p := &Pair{}
	var err error
	if p.A, err = cfg.NewConn(log); err != nil {
		return nil, err
	}
	if p.B, err = cfg.NewConn(log); err != nil {
		_ = p.Close()
		return nil, err
	}
	fail := func(err error) (*Pair, error) {
		_ = p.Close()
		return nil, err
	}

	type res struct {
		ch  datachannel.ReadWriteCloserDeadliner
		err error
	}
	gotA := make(chan res, 1)
	gotB := make(chan res, 1)
	dc, err := p.A.PC.CreateDataChannel(label, nil)
	if err != nil {
		return fail(err)
	}
	dc.OnOpen(func() {
		ch, err := dc.DetachWithDeadline()
		gotA <- res{ch, err}
	})
	p.B.PC.OnDataChannel(func(d *webrtc.DataChannel) {
		d.OnOpen(func() {
			ch, err := d.DetachWithDeadline()
			gotB <- res{ch, err}
		})
	})

	offer, err := p.A.PC.CreateOffer(nil)
	if err != nil {
		return fail(err)
	}
	doneA := webrtc.GatheringCompletePromise(p.A.PC)
	if err := p.A.PC.SetLocalDescription(offer); err != nil {
		return fail(err)
	}
	select {
	case <-doneA:
	case <-ctx.Done():
		return fail(fmt.Errorf("gathering (offer): %w", ctx.Err()))
	}
	p.OfferSDP = p.A.PC.LocalDescription().SDP
	if err := p.B.PC.SetRemoteDescription(*p.A.PC.LocalDescription()); err != nil {
		return fail(err)
	}
	answer, err := p.B.PC.CreateAnswer(nil)
	if err != nil {
		return fail(err)
	}
	doneB := webrtc.GatheringCompletePromise(p.B.PC)
	if err := p.B.PC.SetLocalDescription(answer); err != nil {
		return fail(err)
	}
	select {
	case <-doneB:
	case <-ctx.Done():
		return fail(fmt.Errorf("gathering (answer): %w", ctx.Err()))
	}
	p.AnswerSDP = p.B.PC.LocalDescription().SDP
	if err := p.A.PC.SetRemoteDescription(*p.B.PC.LocalDescription()); err != nil {
		return fail(err)
	}
	for _, got := range []chan res{gotA, gotB} {
		select {
		case r := <-got:
			if r.err != nil {
				return fail(r.err)
			}
			if got == gotA {
				p.ChA = r.ch
			} else {
				p.ChB = r.ch
			}
		case <-ctx.Done():
			return fail(fmt.Errorf("data channel open: %w", ctx.Err()))
		}
	}
	return p, nil
}
