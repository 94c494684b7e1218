package keys

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"

	"github.com/gofrs/flock"
)

// Files in the config dir (documented in docs/keys.md).
const (
	IdentityFile = "identity.json"    // own name and key pair, mode 0600
	PinsFile     = "known_peers.json" // pinned peers, the web client's knownHostsStrings object
	LockFile     = ".lock"            // exclusive lock held across every read-modify-write
)

// Store is the identity and the pinned peers kept in one config directory.
type Store struct{ Dir string }

// Open returns the store in dir. Nothing is read or created until a method needs it.
func Open(dir string) *Store { return &Store{Dir: dir} }

// IdentityPath and PinsPath are where the store keeps its files.
func (s *Store) IdentityPath() string { return filepath.Join(s.Dir, IdentityFile) }

// PinsPath is the pinned-peers file.
func (s *Store) PinsPath() string { return filepath.Join(s.Dir, PinsFile) }

// identityFile is the on-disk form of the identity; the member names are the web client's
// localStorage keys.
type identityFile struct {
	Name             string `json:"name"`
	PublicKeyString  string `json:"publicKeyString"`
	PrivateKeyString string `json:"privateKeyString"`
}

// LoadIdentity reads and checks this user's identity. It refuses a private key file that group
// or others can access (ErrUnsafePermissions), like ssh does.
func (s *Store) LoadIdentity() (*Identity, error) {
	path := s.IdentityPath()
	if err := s.checkDir(); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w in %s: run 'rtchat keys gen --name NAME' (or 'rtchat keys import') first", ErrNoIdentity, s.Dir)
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if err := checkOwner(path, st); err != nil {
		return nil, err
	}
	if err := checkPrivatePerm(path, st.Mode()); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(f); err != nil {
		return nil, err
	}
	var file identityFile
	if err := json.Unmarshal(buf.Bytes(), &file); err != nil {
		return nil, fmt.Errorf("%s: not a valid identity file: %w", path, err)
	}
	id, err := NewIdentity(file.Name, file.PublicKeyString, file.PrivateKeyString)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return id, nil
}

func checkPrivatePerm(path string, mode fs.FileMode) error {
	if runtime.GOOS == "windows" || mode.Perm()&0o077 == 0 {
		return nil
	}
	return fmt.Errorf("%w: permissions %#o for '%s' are too open; "+
		"the private key must not be accessible by others; fix with: chmod 600 %s",
		ErrUnsafePermissions, mode.Perm(), path, path)
}

// SaveIdentity writes id (0600, atomically) creating the config dir (0700) if needed. An
// existing identity is only replaced when force is set; otherwise the error wraps
// ErrIdentityExists.
func (s *Store) SaveIdentity(id *Identity, force bool) error {
	if _, err := NewIdentity(id.Name, id.PublicJWK, id.PrivateJWK); err != nil {
		return err
	}
	unlock, err := s.lock()
	if err != nil {
		return err
	}
	defer unlock()
	path := s.IdentityPath()
	if !force {
		if _, err := os.Lstat(path); err == nil {
			old := "unreadable"
			if data, err := os.ReadFile(path); err == nil {
				var f identityFile
				if json.Unmarshal(data, &f) == nil {
					old = fmt.Sprintf("%s, fingerprint %s", f.Name, Fingerprint(f.PublicKeyString))
				}
			}
			return fmt.Errorf("%w in %s (%s); use --force to replace it: the old key is lost and peers who pinned it will refuse the new one",
				ErrIdentityExists, path, old)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	data, err := json.MarshalIndent(identityFile{id.Name, id.PublicJWK, id.PrivateJWK}, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(path, append(data, '\n'), 0o600)
}

// Pins returns the pinned peers: bare name → public key string. A missing file is no pins;
// an empty one, or one that group or others can write (or in such a dir), is an error.
func (s *Store) Pins() (map[string]string, error) {
	data, err := s.readTrustFile(s.PinsPath())
	if err != nil {
		return nil, err
	}
	// The kinds file decides which proof a pinned name must give, so it is part of what a
	// reader of pins trusts: refuse an unsafe one here too.
	if err := s.checkKindsPerm(); err != nil {
		return nil, err
	}
	if data == nil {
		return map[string]string{}, nil
	}
	var pins map[string]string
	if err := json.Unmarshal(data, &pins); err != nil {
		return nil, fmt.Errorf("%s: not a JSON object of name → key string: %w", s.PinsPath(), err)
	}
	return pins, nil
}

// Lookup returns the key pinned for a name (reduced to its bare name first).
func (s *Store) Lookup(bare string) (jwk string, ok bool, err error) {
	pins, err := s.Pins()
	if err != nil {
		return "", false, err
	}
	jwk, ok = pins[BareName(bare)]
	return jwk, ok, nil
}

// PinResult says what Pin did.
type PinResult int

// Outcomes of Pin.
const (
	PinAdded       PinResult = iota + 1 // the name was not pinned before
	PinUnchanged                        // the name was already pinned to this exact key string
	PinReplaced                         // the name was pinned to a different key, replaced
	PinKindChanged                      // the same key, pinned now as another kind of peer
)

func (r PinResult) String() string {
	switch r {
	case PinAdded:
		return "added"
	case PinUnchanged:
		return "unchanged"
	case PinReplaced:
		return "replaced"
	case PinKindChanged:
		return "kind changed"
	}
	return fmt.Sprintf("PinResult(%d)", int(r))
}

// Pin pins jwk for name (a bare name) as an rtchat peer when the name is new; an existing
// pin keeps its kind. If the name is pinned to a different key string the error wraps
// ErrKeyChanged unless replace is set. The pins file is read, changed and written
// atomically under the store's lock, so concurrent processes lose nothing.
func (s *Store) Pin(name, jwk string, replace bool) (PinResult, error) {
	out, err := s.PinPeer(PinRequest{Name: name, Key: jwk, Kind: KindRTChat, KeepKind: true, Replace: replace})
	return out.Result, err
}

// pinLocked is Pin with the store's lock held; it also returns the key pinned before ("" if
// none).
func (s *Store) pinLocked(name, jwk string, replace bool) (PinResult, string, error) {
	if err := ValidateName(name); err != nil {
		return 0, "", err
	}
	if _, err := ParsePublicJWK(jwk); err != nil {
		return 0, "", fmt.Errorf("key of %q: %w", name, err)
	}
	var result PinResult
	var old string
	err := s.updatePinsLocked(func(pins map[string]string) (bool, error) {
		var ok bool
		old, ok = pins[name]
		switch {
		case !ok:
			result = PinAdded
		case old == jwk:
			result = PinUnchanged
			return false, nil
		case !replace:
			oldFP, newFP := Fingerprint(old), Fingerprint(jwk)
			note := ""
			if oldFP == newFP {
				note = " (same key material, different JSON text: the web client compares the text)"
			}
			return false, fmt.Errorf("%w: %s is pinned to %s, not %s%s; if you trust the new key, use --replace",
				ErrKeyChanged, name, oldFP, newFP, note)
		default:
			result = PinReplaced
		}
		pins[name] = jwk
		return true, nil
	})
	if err != nil {
		return 0, "", err
	}
	return result, old, nil
}

// Remove unpins name (and forgets its kind); the error wraps ErrNotPinned when it is not
// pinned.
func (s *Store) Remove(name string) error {
	unlock, err := s.lock()
	if err != nil {
		return err
	}
	defer unlock()
	// Kinds first: a kinds file that cannot be read must stop the removal before it starts.
	kinds, err := s.kinds()
	if err != nil {
		return err
	}
	err = s.updatePinsLocked(func(pins map[string]string) (bool, error) {
		if _, ok := pins[name]; !ok {
			return false, fmt.Errorf("%w: %q (see 'rtchat keys list')", ErrNotPinned, name)
		}
		delete(pins, name)
		return true, nil
	})
	if err != nil {
		return err
	}
	if _, ok := kinds[name]; ok {
		delete(kinds, name)
		return s.writeKinds(kinds)
	}
	return nil
}

// updatePinsLocked runs fn on the current pins and writes them back if it says so. The
// caller holds the store's lock.
func (s *Store) updatePinsLocked(fn func(map[string]string) (bool, error)) error {
	pins, err := s.Pins()
	if err != nil {
		return err
	}
	changed, err := fn(pins)
	if err != nil || !changed {
		return err
	}
	data, err := marshalPins(pins)
	if err != nil {
		return err
	}
	return writeFileAtomic(s.PinsPath(), data, 0o600)
}

// marshalPins writes the pins as one JSON object, names sorted, one per line.
func marshalPins(pins map[string]string) ([]byte, error) {
	names := SortedNames(pins)
	var b bytes.Buffer
	b.WriteString("{")
	for i, n := range names {
		if i > 0 {
			b.WriteString(",")
		}
		k, err := marshalNoHTML(n)
		if err != nil {
			return nil, err
		}
		v, err := marshalNoHTML(pins[n])
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(&b, "\n  %s: %s", k, v)
	}
	if len(names) > 0 {
		b.WriteString("\n")
	}
	b.WriteString("}\n")
	return b.Bytes(), nil
}

func marshalNoHTML(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// lock creates the config dir (0700) and takes the store's exclusive lock. It writes
// nothing into a dir that others control (checkDir): what they can swap, they can read.
func (s *Store) lock() (func(), error) {
	if err := s.checkDir(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating config dir: %w", err)
	}
	l := flock.New(filepath.Join(s.Dir, LockFile), flock.SetPermissions(0o600))
	if err := l.Lock(); err != nil {
		return nil, fmt.Errorf("locking %s: %w", l.Path(), err)
	}
	return func() { _ = l.Unlock() }, nil
}

// writeFileAtomic writes data to a temporary file in path's directory, syncs it, and renames
// it over path, so readers see the old or the new content, never a mix.
func writeFileAtomic(path string, data []byte, perm fs.FileMode) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err = tmp.Chmod(perm); err != nil {
		if runtime.GOOS != "windows" {
			return err
		}
		err = nil
	}
	if _, err = tmp.Write(data); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	if d, e := os.Open(dir); e == nil {
		_ = d.Sync() // make the rename durable; not supported everywhere
		d.Close()
	}
	return nil
}

// SortedNames returns the names of pins in sorted order.
func SortedNames(pins map[string]string) []string {
	names := make([]string, 0, len(pins))
	for n := range pins {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
