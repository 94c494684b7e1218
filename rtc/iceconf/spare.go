package iceconf

import (
	"log/slog"
	"os"
	"sync"
	"time"
)

// A spare connection takes the gathering wait off the first offer or answer. Before its SDP
// leaves, a connection gathers its candidates, and the server-reflexive one costs a STUN round
// trip to the server (0.6 round trips of the path in the lab, docs/benchmarks.md). Prewarm
// builds a PeerConnection that gathers at once (pion's ICECandidatePoolSize 1) while the
// process connects to the broker; the first NewConn that fits takes it, its candidates
// already there.
//
// It fits a connection with SNAP (between rtchat peers: the core sets SNAP for them), since
// the setting is fixed when the PeerConnection is built; a web page's connection is built
// anew. It is used only within SpareMaxAge of its gathering: a NAT forgets an idle mapping
// (RFC 4787 asks for at least 2 minutes, some keep 30 s), and then the spare's
// server-reflexive candidate would be stale. One spare per Config at a time: taking it
// starts the next.
const SpareMaxAge = 20 * time.Second

// Developer knob (scripts/bench-net.sh variants): RTCHAT_ICE_SPARE=0 builds no spare.
const envICESpare = "RTCHAT_ICE_SPARE"

type spare struct {
	wg     sync.WaitGroup // refills under way
	mu     sync.Mutex
	conn   *Conn
	at     time.Time
	closed bool
}

// Prewarm builds the spare connection (see SpareMaxAge) unless there is one. Loopback and
// Config literals have none: a loopback connection gathers no server-reflexive candidate.
// Call Release when the process is done connecting. Safe for concurrent use.
func (c Config) Prewarm(log *slog.Logger) {
	if c.shared == nil || c.Mode == ModeLoopback || os.Getenv(envICESpare) == "0" {
		return
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &c.shared.spare
	s.mu.Lock()
	busy := s.conn != nil || s.closed
	s.mu.Unlock()
	if busy {
		return
	}
	c.SNAP = true
	conn, err := c.newConn(log, 1)
	if err != nil {
		log.Debug("ice spare", "err", err)
		return
	}
	s.mu.Lock()
	if s.conn != nil || s.closed {
		s.mu.Unlock()
		_ = conn.Close()
		return
	}
	s.conn, s.at = conn, time.Now()
	s.mu.Unlock()
}

// takeSpare hands out the spare if it fits this Config and is fresh.
func (c Config) takeSpare(log *slog.Logger) *Conn {
	if c.shared == nil || !c.SNAP || c.Mode == ModeLoopback {
		return nil
	}
	s := &c.shared.spare
	s.mu.Lock()
	conn, at := s.conn, s.at
	s.conn = nil
	s.mu.Unlock()
	if conn == nil {
		return nil
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if age := time.Since(at); age > SpareMaxAge {
		log.Debug("ice spare too old", "age", age)
		_ = conn.Close()
		return nil
	}
	log.Debug("ice spare used", "age", time.Since(at))
	// The next one gathers now: when both processes start at once, both offer and the
	// tie-break's loser answers on a new connection a round trip later.
	s.mu.Lock()
	if !s.closed {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			c.Prewarm(log)
		}()
	}
	s.mu.Unlock()
	return conn
}

// Release closes an unused spare and builds no more (waiting for one being built). Idempotent.
func (c Config) Release() error {
	if c.shared == nil {
		return nil
	}
	s := &c.shared.spare
	s.mu.Lock()
	conn := s.conn
	s.conn, s.closed = nil, true
	s.mu.Unlock()
	s.wg.Wait() // a refill sees closed and closes what it built
	if conn == nil {
		return nil
	}
	return conn.Close()
}
