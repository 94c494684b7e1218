package keys

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// WebStorage is the part of the RTChat web client's localStorage that holds an identity
// (protocol §6.1): every member is a localStorage item, and every value a string.
//
//	rtchat_name            the base name
//	publicKeyString        own public key, JWK string
//	privateKeyString       own private key, JWK string
//	knownHostsStrings      JSON text of { "<bare name>": "<publicKeyString>", … }
//	rtchat_cli_peer_kinds  JSON text of { "<bare name>": "rtchat" | "web", … }
//
// The last item is rtchat's own: the web client has no peer kinds and ignores it. Its
// presence marks data that rtchat exported; data from a browser lacks it (PeerKinds nil).
//
// MarshalJSON writes knownHostsStrings and rtchat_cli_peer_kinds as strings, exactly as
// localStorage holds them, so the object can be written back item by item with
// localStorage.setItem. ParseWebStorage accepts them as strings or as objects.
type WebStorage struct {
	Name             string
	PublicKeyString  string
	PrivateKeyString string
	KnownHosts       map[string]string
	PeerKinds        map[string]Kind
}

// PeerKindsItem is the localStorage item in which rtchat exports the kinds of its pins.
const PeerKindsItem = "rtchat_cli_peer_kinds"

type webStorageJSON struct {
	Name              string          `json:"rtchat_name,omitempty"`
	LegacyName        string          `json:"name,omitempty"`
	PublicKeyString   string          `json:"publicKeyString,omitempty"`
	PrivateKeyString  string          `json:"privateKeyString,omitempty"`
	KnownHostsStrings json.RawMessage `json:"knownHostsStrings,omitempty"`
	PeerKinds         json.RawMessage `json:"rtchat_cli_peer_kinds,omitempty"`
}

// MarshalJSON gives the localStorage items as one JSON object of strings.
func (w *WebStorage) MarshalJSON() ([]byte, error) {
	out := webStorageJSON{Name: w.Name, PublicKeyString: w.PublicKeyString, PrivateKeyString: w.PrivateKeyString}
	var err error
	if w.KnownHosts != nil {
		if out.KnownHostsStrings, err = jsonTextItem(w.KnownHosts); err != nil {
			return nil, err
		}
	}
	if w.PeerKinds != nil {
		if out.PeerKinds, err = jsonTextItem(w.PeerKinds); err != nil {
			return nil, err
		}
	}
	return marshalNoHTML(out)
}

// jsonTextItem is v as JSON text inside a JSON string, the way localStorage holds an object.
func jsonTextItem(v any) (json.RawMessage, error) {
	text, err := marshalNoHTML(v)
	if err != nil {
		return nil, err
	}
	return marshalNoHTML(string(text))
}

// objectItem decodes an item holding an object, given as JSON text in a string or as an
// object; absent or null leaves v untouched and reports false.
func objectItem(raw json.RawMessage, v any) (bool, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return false, nil
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return false, err
		}
		raw = []byte(s)
	}
	return true, json.Unmarshal(raw, v)
}

// ParseWebStorage reads a JSON object of localStorage items (see WebStorage). rtchat_name
// falls back to the older "name" item. A public key without its private key is accepted
// (someone's name and public key, to pin); a private key without its public key is not.
func ParseWebStorage(data []byte) (*WebStorage, error) {
	var in webStorageJSON
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&in); err != nil {
		return nil, fmt.Errorf("not a JSON object of web client localStorage items: %w", err)
	}
	w := &WebStorage{Name: in.Name, PublicKeyString: in.PublicKeyString, PrivateKeyString: in.PrivateKeyString}
	if w.Name == "" {
		w.Name = in.LegacyName
	}
	if _, err := objectItem(in.KnownHostsStrings, &w.KnownHosts); err != nil {
		return nil, fmt.Errorf("knownHostsStrings: not a JSON object of name → key string: %w", err)
	}
	var kinds map[string]string
	ok, err := objectItem(in.PeerKinds, &kinds)
	if err != nil {
		return nil, fmt.Errorf("%s: not a JSON object of name → kind: %w", PeerKindsItem, err)
	}
	if ok {
		w.PeerKinds = make(map[string]Kind, len(kinds))
		for name, k := range kinds {
			kind, err := ParseKind(k)
			if err != nil {
				return nil, fmt.Errorf("%s: %s: %w", PeerKindsItem, name, err)
			}
			w.PeerKinds[name] = kind
		}
	}
	if w.PrivateKeyString != "" && w.PublicKeyString == "" {
		return nil, errors.New("privateKeyString without publicKeyString: both are needed to import an identity")
	}
	return w, nil
}

// FromRTChat reports whether the data was exported by rtchat (it carries peer kinds).
func (w *WebStorage) FromRTChat() bool { return w.PeerKinds != nil }

// ExportWeb gathers the identity (if there is one) and the pins, with their kinds, as
// localStorage items.
func (s *Store) ExportWeb() (*WebStorage, error) {
	w := &WebStorage{}
	id, err := s.LoadIdentity()
	switch {
	case err == nil:
		w.Name, w.PublicKeyString, w.PrivateKeyString = id.Name, id.PublicJWK, id.PrivateJWK
	case !errors.Is(err, ErrNoIdentity):
		return nil, err
	}
	peers, err := s.PinnedPeers()
	if err != nil {
		return nil, err
	}
	w.KnownHosts = make(map[string]string, len(peers))
	w.PeerKinds = make(map[string]Kind, len(peers))
	for name, p := range peers {
		w.KnownHosts[name], w.PeerKinds[name] = p.Key, p.Kind
	}
	return w, nil
}
