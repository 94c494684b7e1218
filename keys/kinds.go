package keys

import (
	"encoding/json"
	"fmt"
	"path/filepath"
)

// KindsFile records what kind of peer each pinned name is. It sits beside PinsFile, which
// keeps the web client's knownHostsStrings shape (name → key string) so it can be copied to
// and from a browser; a name missing here is an rtchat peer.
const KindsFile = "peer_kinds.json"

// Kind is what kind of peer a pinned name is: it decides which proof of identity is enough.
type Kind string

// Kinds of pinned peers.
const (
	// KindRTChat: an rtchat process. Only the rtchat proof, bound to the connection's DTLS
	// certificates, verifies it; a web page's unbound proof under this name is refused, so a
	// relay cannot downgrade the check.
	KindRTChat Kind = "rtchat"
	// KindWeb: a user of the RTChat web page, which can only give the unbound proof.
	KindWeb Kind = "web"
)

// ParseKind checks a kind name.
func ParseKind(s string) (Kind, error) {
	switch k := Kind(s); k {
	case KindRTChat, KindWeb:
		return k, nil
	}
	return "", fmt.Errorf("unknown peer kind %q (want %q or %q)", s, KindRTChat, KindWeb)
}

// Pinned is one pinned peer.
type Pinned struct {
	Key  string // the public key string, exactly as pinned
	Kind Kind
}

// KindsPath is the peer-kinds file.
func (s *Store) KindsPath() string { return filepath.Join(s.Dir, KindsFile) }

// kinds reads the kinds file; a missing file is no entries.
func (s *Store) kinds() (map[string]Kind, error) {
	data, err := s.readTrustFile(s.KindsPath())
	if err != nil {
		return nil, err
	}
	if data == nil {
		return map[string]Kind{}, nil
	}
	var raw map[string]string
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("%s: not a JSON object of name → kind: %w", s.KindsPath(), err)
	}
	out := make(map[string]Kind, len(raw))
	for name, k := range raw {
		kind, err := ParseKind(k)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", s.KindsPath(), name, err)
		}
		out[name] = kind
	}
	return out, nil
}

func (s *Store) writeKinds(kinds map[string]Kind) error {
	plain := make(map[string]string, len(kinds))
	for n, k := range kinds {
		if k != KindRTChat { // the default needs no entry
			plain[n] = string(k)
		}
	}
	data, err := marshalPins(plain)
	if err != nil {
		return err
	}
	return writeFileAtomic(s.KindsPath(), data, 0o600)
}

// PinnedPeers returns every pinned peer with its kind.
func (s *Store) PinnedPeers() (map[string]Pinned, error) {
	pins, err := s.Pins()
	if err != nil {
		return nil, err
	}
	kinds, err := s.kinds()
	if err != nil {
		return nil, err
	}
	out := make(map[string]Pinned, len(pins))
	for name, key := range pins {
		out[name] = Pinned{Key: key, Kind: kindOr(kinds, name)}
	}
	return out, nil
}

func kindOr(kinds map[string]Kind, name string) Kind {
	if k, ok := kinds[name]; ok {
		return k
	}
	return KindRTChat
}

// LookupPin returns the pin of a name (reduced to its bare name first) with its kind.
func (s *Store) LookupPin(name string) (Pinned, bool, error) {
	bare := BareName(name)
	key, ok, err := s.Lookup(bare)
	if err != nil || !ok {
		return Pinned{}, false, err
	}
	kinds, err := s.kinds()
	if err != nil {
		return Pinned{}, false, err
	}
	return Pinned{Key: key, Kind: kindOr(kinds, bare)}, true, nil
}

// PinAs pins jwk for name as a peer of this kind (see Pin). Pinning the same key again with
// another kind changes the kind and reports PinKindChanged.
func (s *Store) PinAs(name, jwk string, kind Kind, replace bool) (PinResult, error) {
	out, err := s.PinPeer(PinRequest{Name: name, Key: jwk, Kind: kind, Replace: replace})
	return out.Result, err
}

// PinRequest is what PinPeer pins.
type PinRequest struct {
	Name string // bare name
	Key  string // public key string, pinned verbatim
	Kind Kind   // kind of a new pin, and of an existing one unless KeepKind
	// KeepKind leaves the kind of a name that is already pinned as it is: an import that
	// only guesses the kind must not downgrade a peer known to be rtchat.
	KeepKind bool
	Replace  bool // replace a different key pinned for the name (else ErrKeyChanged)
	// NoLookAlike refuses a new name that looks like one already pinned (LookAlike), with
	// an error wrapping ErrLookAlike: pins nobody checked by hand (trust on first use).
	NoLookAlike bool
}

// PinOutcome says what PinPeer did and what was pinned before, for reporting.
type PinOutcome struct {
	Result  PinResult
	Kind    Kind   // the kind now
	OldKey  string // the key pinned before; "" when the name was new
	OldKind Kind   // the kind before; "" when the name was new
}

// PinPeer pins r.Key for r.Name with a kind, under the store's lock (see Pin). When the key
// is unchanged but the kind changes, the result is PinKindChanged; a replaced key with a
// changed kind is PinReplaced with OldKind != Kind.
func (s *Store) PinPeer(r PinRequest) (PinOutcome, error) {
	if _, err := ParseKind(string(r.Kind)); err != nil {
		return PinOutcome{}, err
	}
	unlock, err := s.lock()
	if err != nil {
		return PinOutcome{}, err
	}
	defer unlock()
	kinds, err := s.kinds()
	if err != nil {
		return PinOutcome{}, err
	}
	if r.NoLookAlike {
		if err := s.CheckLookAlike(r.Name); err != nil {
			return PinOutcome{}, err
		}
	}
	res, old, err := s.pinLocked(r.Name, r.Key, r.Replace)
	if err != nil {
		return PinOutcome{}, err
	}
	out := PinOutcome{Result: res, Kind: r.Kind, OldKey: old}
	if res != PinAdded {
		out.OldKind = kindOr(kinds, r.Name)
		if r.KeepKind {
			out.Kind = out.OldKind
		}
	}
	// For a new name kindOr may see a stale entry (a hand edit); it is overwritten too, so a
	// new name gets exactly the kind asked for.
	if kindOr(kinds, r.Name) != out.Kind {
		kinds[r.Name] = out.Kind
		if err := s.writeKinds(kinds); err != nil {
			return PinOutcome{}, err
		}
		if out.Result == PinUnchanged {
			out.Result = PinKindChanged
		}
	}
	return out, nil
}

// CheckLookAlike fails, wrapping ErrLookAlike, when name is not pinned and looks like a
// pinned name (LookAlike). PinPeer with NoLookAlike runs it under the store's lock, so two
// look-alikes pinned at once cannot both pass.
func (s *Store) CheckLookAlike(name string) error {
	pins, err := s.Pins()
	if err != nil {
		return err
	}
	if _, ok := pins[name]; ok {
		return nil
	}
	for n := range pins {
		if LookAlike(n, name) {
			return fmt.Errorf("%w: %+q looks like the pinned name %+q", ErrLookAlike, name, n)
		}
	}
	return nil
}

// SetKind changes the kind of a pinned name; the error wraps ErrNotPinned when it is not
// pinned. rtchat uses it to remember a name that proved itself with the bound proof.
func (s *Store) SetKind(name string, kind Kind) error {
	if _, err := ParseKind(string(kind)); err != nil {
		return err
	}
	unlock, err := s.lock()
	if err != nil {
		return err
	}
	defer unlock()
	pins, err := s.Pins()
	if err != nil {
		return err
	}
	if _, ok := pins[name]; !ok {
		return fmt.Errorf("%w: %q", ErrNotPinned, name)
	}
	kinds, err := s.kinds()
	if err != nil {
		return err
	}
	if kindOr(kinds, name) == kind {
		return nil
	}
	kinds[name] = kind
	return s.writeKinds(kinds)
}
