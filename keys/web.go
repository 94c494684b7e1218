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
//	rtchat_name        the base name
//	publicKeyString    own public key, JWK string
//	privateKeyString   own private key, JWK string
//	knownHostsStrings  JSON text of { "<bare name>": "<publicKeyString>", … }
//
// MarshalJSON writes knownHostsStrings as a string, exactly as localStorage holds it, so the
// object can be written back item by item with localStorage.setItem. ParseWebStorage accepts
// it as a string or as an object.
type WebStorage struct {
	Name             string
	PublicKeyString  string
	PrivateKeyString string
	KnownHosts       map[string]string
}

type webStorageJSON struct {
	Name              string          `json:"rtchat_name,omitempty"`
	LegacyName        string          `json:"name,omitempty"`
	PublicKeyString   string          `json:"publicKeyString,omitempty"`
	PrivateKeyString  string          `json:"privateKeyString,omitempty"`
	KnownHostsStrings json.RawMessage `json:"knownHostsStrings,omitempty"`
}

// MarshalJSON gives the localStorage items as one JSON object of strings.
func (w *WebStorage) MarshalJSON() ([]byte, error) {
	out := webStorageJSON{Name: w.Name, PublicKeyString: w.PublicKeyString, PrivateKeyString: w.PrivateKeyString}
	if w.KnownHosts != nil {
		hosts, err := marshalNoHTML(w.KnownHosts)
		if err != nil {
			return nil, err
		}
		if out.KnownHostsStrings, err = marshalNoHTML(string(hosts)); err != nil {
			return nil, err
		}
	}
	return marshalNoHTML(out)
}

// ParseWebStorage reads a JSON object of localStorage items (see WebStorage). rtchat_name
// falls back to the older "name" item.
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
	raw := bytes.TrimSpace(in.KnownHostsStrings)
	if len(raw) > 0 && !bytes.Equal(raw, []byte("null")) {
		if raw[0] == '"' {
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				return nil, fmt.Errorf("knownHostsStrings: %w", err)
			}
			raw = []byte(s)
		}
		if err := json.Unmarshal(raw, &w.KnownHosts); err != nil {
			return nil, fmt.Errorf("knownHostsStrings: not a JSON object of name → key string: %w", err)
		}
	}
	if (w.PublicKeyString == "") != (w.PrivateKeyString == "") {
		return nil, errors.New("publicKeyString and privateKeyString must be given together")
	}
	return w, nil
}

// ExportWeb gathers the identity (if there is one) and the pins as localStorage items.
func (s *Store) ExportWeb() (*WebStorage, error) {
	w := &WebStorage{}
	id, err := s.LoadIdentity()
	switch {
	case err == nil:
		w.Name, w.PublicKeyString, w.PrivateKeyString = id.Name, id.PublicJWK, id.PrivateJWK
	case !errors.Is(err, ErrNoIdentity):
		return nil, err
	}
	if w.KnownHosts, err = s.Pins(); err != nil {
		return nil, err
	}
	return w, nil
}
