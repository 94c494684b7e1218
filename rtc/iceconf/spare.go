package iceconf

import (
	"errors"
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
// server-reflexive candidate would be stale.
//
// A Config keeps SpareCount spares, built at once, and taking one starts the next. Two,
// because two rtchat processes that start together both offer (offer on presence), and the
// tie-break's loser answers on a second connection at once: with one spare that second
// connection was still gathering (a STUN round trip to the server, through TURN an Allocate
// answered 401 and one with credentials) and the answer waited for it, about half a round
// trip of the path (docs/benchmarks.md, "Through TURN: the permission round trips").
const SpareMaxAge = 20 * time.Second

// SpareCount is how many spare connections a Config keeps (see SpareMaxAge).
const SpareCount = 2

// Developer knobs (scripts/bench-net.sh variants): RTCHAT_ICE_SPARE=0 builds no spare,
// RTCHAT_ICE_SPARE=1 keeps one (before SpareCount).
const envICESpare = "RTCHAT_ICE_SPARE"

type spareConn struct {
	conn *Conn
	at   time.Time
}

type spare struct {
	wg       sync.WaitGroup // refills under way
	mu       sync.Mutex
	conns    []spareConn // oldest first
	building int         // Prewarm calls building one
	closed   bool
}

// spareCount is SpareCount, or what RTCHAT_ICE_SPARE says.
func spareCount() int {
	switch os.Getenv(envICESpare) {
	case "0":
		return 0
	case "1":
		return 1
	}
	return SpareCount
}

// Prewarm builds the spare connections (see SpareMaxAge) that are missing: one here, the
// others on goroutines. Loopback and Config literals have none: a loopback connection
// gathers no server-reflexive candidate. Call Release when the process is done
// connecting. Safe for concurrent use.
func (c Config) Prewarm(log *slog.Logger) {
	if c.shared == nil || c.Mode == ModeLoopback {
		return
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &c.shared.spare
	s.mu.Lock()
	missing := spareCount() - len(s.conns) - s.building
	if s.closed || missing <= 0 {
		s.mu.Unlock()
		return
	}
	s.building += missing
	s.wg.Add(missing - 1)
	s.mu.Unlock()
	for range missing - 1 {
		go func() {
			defer s.wg.Done()
			c.buildSpare(log)
		}()
	}
	c.buildSpare(log)
}

// buildSpare builds one spare for Prewarm, which counted it in s.building.
func (c Config) buildSpare(log *slog.Logger) {
	s := &c.shared.spare
	c.SNAP = true
	conn, err := c.newConn(log, 1)
	s.mu.Lock()
	s.building--
	if err != nil {
		s.mu.Unlock()
		log.Debug("ice spare", "err", err)
		return
	}
	if s.closed {
		s.mu.Unlock()
		_ = conn.Close()
		return
	}
	s.conns = append(s.conns, spareConn{conn: conn, at: time.Now()})
	s.mu.Unlock()
}

// takeSpare hands out the oldest spare if it fits this Config and is fresh.
func (c Config) takeSpare(log *slog.Logger) *Conn {
	if c.shared == nil || !c.SNAP || c.Mode == ModeLoopback {
		return nil
	}
	s := &c.shared.spare
	s.mu.Lock()
	if len(s.conns) == 0 {
		s.mu.Unlock()
		return nil
	}
	sc := s.conns[0]
	s.conns = s.conns[1:]
	s.mu.Unlock()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if age := time.Since(sc.at); age > SpareMaxAge {
		log.Debug("ice spare too old", "age", age)
		_ = sc.conn.Close()
		return nil
	}
	log.Debug("ice spare used", "age", time.Since(sc.at))
	// The next one gathers now.
	s.mu.Lock()
	if !s.closed {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			c.Prewarm(log)
		}()
	}
	s.mu.Unlock()
	return sc.conn
}

// Release closes the unused spares and builds no more (waiting for those being built).
// Idempotent.
func (c Config) Release() error {
	if c.shared == nil {
		return nil
	}
	s := &c.shared.spare
	s.mu.Lock()
	conns := s.conns
	s.conns, s.closed = nil, true
	s.mu.Unlock()
	s.wg.Wait() // a refill sees closed and closes what it built
	var err error
	for _, sc := range conns {
		err = errors.Join(err, sc.conn.Close())
	}
	return err
}
