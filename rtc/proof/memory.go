package proof

import (
	"container/list"
	"fmt"
	"time"
)

// Budgets of the replay memory.
const (
	// MaxStrangers: senders checked against the key they carry themselves (no pin) that are
	// remembered. A flood of made-up names evicts only other strangers.
	MaxStrangers = 1024
	// maxNonces: nonces remembered per sender. A pinned sender that signs more inside the
	// window raises its own floor (see sender), so nothing it signed is ever accepted twice.
	maxNonces = 64
)

// Memory remembers the signed messages accepted, per sender full name, so that none is
// accepted twice. Senders whose signature was checked against their pin are kept apart from
// strangers (checked against the key they carry): only the real key can add to a pinned
// sender, so nothing a stranger sends evicts what a pinned peer needs, and a pinned sender
// is forgotten only once everything it signed is too old to pass Fresh anyway.
//
// Not safe for concurrent use: the room loop owns it.
type Memory struct {
	pinned    map[string]*sender
	sweepAt   int // sweep pinned senders of stale messages when the map grows past this
	strangers *list.List
	byName    map[string]*list.Element // strangers
	max       int
}

// sender is what one full name signed and we accepted.
type sender struct {
	name   string
	pinned bool
	newest int64            // the newest accepted timestamp
	floor  int64            // pinned: a message dated at or before this is refused (its nonce was dropped)
	nonces map[string]int64 // nonce → timestamp, of accepted messages not yet stale
}

// NewMemory makes a memory that keeps at most maxStrangers unpinned senders.
func NewMemory(maxStrangers int) *Memory {
	return &Memory{pinned: map[string]*sender{}, sweepAt: 64, strangers: list.New(),
		byName: map[string]*list.Element{}, max: max(maxStrangers, 1)}
}

// Claim is one signed message as Admit sees it: who sent it, when and under which nonce,
// and whether key (the key its signature is checked with) is the sender's pin.
type Claim struct {
	Signal Signal
	Sig    string // base64url
	Key    string // public JWK
	Pinned bool
}

// Admit accepts a signed message at most once: it must be fresh, never accepted before (from
// this sender), and signed by Key. Only then is it remembered. The cheap checks come first,
// so a replay costs no RSA verification.
func (m *Memory) Admit(c Claim, now time.Time) error {
	s := c.Signal
	if err := Fresh(s.TS, now); err != nil {
		return err
	}
	if err := m.Seen(s.Sender, s.TS, s.Nonce); err != nil {
		return err
	}
	if err := s.Verify(c.Key, c.Sig); err != nil {
		return err
	}
	m.remember(s.Sender, c.Pinned, s.TS, s.Nonce, now)
	return nil
}

// Seen returns ErrReplayed if a message of sender dated ts under nonce may have been
// accepted before, whichever key it was checked with. A name pinned on first use keeps what
// it signed as a stranger, as long as that is remembered; a stranger's floor is never
// consulted, since anyone can make it rise (there is none: see add).
func (m *Memory) Seen(name string, ts int64, nonce string) error {
	if s := m.pinned[name]; s != nil && ts <= s.floor {
		return fmt.Errorf("%w: dated at or before what this sender's memory had to drop", ErrReplayed)
	}
	for _, s := range []*sender{m.pinned[name], m.stranger(name, false)} {
		if s == nil {
			continue
		}
		if _, ok := s.nonces[nonce]; ok {
			return fmt.Errorf("%w: nonce already accepted", ErrReplayed)
		}
	}
	return nil
}

// Newest returns the newest timestamp accepted from a pinned sender (0 if none).
func (m *Memory) Newest(name string) int64 {
	if s := m.pinned[name]; s != nil {
		return s.newest
	}
	return 0
}

// Len returns how many senders are remembered (pinned, strangers).
func (m *Memory) Len() (pinned, strangers int) { return len(m.pinned), m.strangers.Len() }

// remember adds an accepted message.
func (m *Memory) remember(name string, pinned bool, ts int64, nonce string, now time.Time) {
	var s *sender
	if pinned {
		s = m.pinned[name]
		if s == nil {
			// A fresh memory, even for a name pinned since it was a stranger: a stranger's
			// memory holds whatever anyone signed in that name with any key.
			s = &sender{name: name, pinned: true, nonces: map[string]int64{}}
			m.pinned[name] = s
			if len(m.pinned) > m.sweepAt {
				m.sweep(now)
			}
		}
	} else {
		s = m.stranger(name, true)
	}
	s.add(ts, nonce, now)
}

// stranger returns the memory of an unpinned sender, making it (and evicting the least
// recently used stranger) if create is set.
func (m *Memory) stranger(name string, create bool) *sender {
	if e, ok := m.byName[name]; ok {
		if create {
			m.strangers.MoveToFront(e)
		}
		return e.Value.(*sender)
	}
	if !create {
		return nil
	}
	s := &sender{name: name, nonces: map[string]int64{}}
	m.byName[name] = m.strangers.PushFront(s)
	if m.strangers.Len() > m.max {
		// A stranger's signature proves nothing (the key is its own claim), so a message of
		// an evicted stranger accepted again is no more than anyone can make with their own
		// key; what a pinned peer signed is never here.
		old := m.strangers.Back()
		m.strangers.Remove(old)
		delete(m.byName, old.Value.(*sender).name)
	}
	return s
}

// sweep forgets pinned senders whose every message is too old to pass Fresh.
func (m *Memory) sweep(now time.Time) {
	for name, s := range m.pinned {
		if Fresh(s.newest, now) != nil && now.UnixMilli() > s.newest {
			delete(m.pinned, name)
		}
	}
	m.sweepAt = max(64, 2*len(m.pinned))
}

// add remembers one accepted message. Stale nonces go: they cannot pass Fresh again. Past
// maxNonces the oldest goes; for a pinned sender it raises the floor, so eviction never
// re-admits anything. Only the pinned key adds to a pinned sender, so nobody else can raise
// its floor. A stranger gets no floor: anyone can sign in its name (the key is its own
// claim), so a floor would let anyone lock the name out, and a stranger's message accepted
// again gives nothing that a new one signed with any key would not.
func (s *sender) add(ts int64, nonce string, now time.Time) {
	for n, t := range s.nonces {
		if Fresh(t, now) != nil && now.UnixMilli() > t {
			delete(s.nonces, n)
		}
	}
	s.nonces[nonce] = ts
	s.newest = max(s.newest, ts)
	for len(s.nonces) > maxNonces {
		oldest, ots := "", int64(0)
		for n, t := range s.nonces {
			if oldest == "" || t < ots || (t == ots && n < oldest) {
				oldest, ots = n, t
			}
		}
		delete(s.nonces, oldest)
		if s.pinned {
			s.floor = max(s.floor, ots)
		}
	}
}
