package main

import (
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"

	"golang.org/x/crypto/chacha20poly1305"

	"github.com/rtchat/rtchat/keys"
)

// Sealed signaling as docs/rtchat-protocol.md ("Sealed signaling") describes it, written from the
// document: an attacker has a sealing key of its own, which lets it seal to anyone whose
// presence it saw, but never under another peer's key, nor open what was sealed to others.

// sealInfo is the `seal` member of an rtchat presence.
type sealInfo struct {
	Key string `json:"key"`
	Sig string `json:"sig"`
}

// sealer is the attacker's own sealing key.
type sealer struct{ priv *ecdh.PrivateKey }

func newSealer() *sealer {
	priv, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		panic(err)
	}
	return &sealer{priv: priv}
}

func (s *sealer) pub() string { return b64.EncodeToString(s.priv.PublicKey().Bytes()) }

// info is our presence's seal member for full name, signed with id.
func (s *sealer) info(id *keys.Identity, topic, name string) (*sealInfo, error) {
	sig, err := id.Sign(lengthPrefixed([]byte("rtchat seal key v3"), []byte(topic), []byte(name), s.priv.PublicKey().Bytes()))
	if err != nil {
		return nil, err
	}
	return &sealInfo{Key: s.pub(), Sig: b64.EncodeToString(sig)}, nil
}

// seal seals v (JSON) from sender to target, whose sealing key (base64url) is peer.
func (s *sealer) seal(peer, topic, sender, target, label string, v any) (string, error) {
	pt, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	raw, err := b64.DecodeString(peer)
	if err != nil {
		return "", err
	}
	pub, err := ecdh.X25519().NewPublicKey(raw)
	if err != nil {
		return "", err
	}
	shared, err := s.priv.ECDH(pub)
	if err != nil {
		return "", err
	}
	info := lengthPrefixed([]byte("rtchat seal v3"), []byte(topic), []byte(sender), []byte(target), []byte(label),
		s.priv.PublicKey().Bytes(), raw)
	key, err := hkdf.Key(sha256.New, shared, nil, string(info), chacha20poly1305.KeySize)
	if err != nil {
		return "", err
	}
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, chacha20poly1305.NonceSizeX)
	_, _ = rand.Read(nonce)
	return b64.EncodeToString(aead.Seal(nonce, nonce, pt, nil)), nil
}

// sealKeyOf is the sealing key in a presence, "" if none.
func sealKeyOf(u userInfo) string {
	if u.RTChat == nil || u.RTChat.Seal == nil {
		return ""
	}
	return u.RTChat.Seal.Key
}

var errNoSealKey = errors.New("the target announced no sealing key")

func lengthPrefixed(fields ...[]byte) []byte {
	var out []byte
	for _, f := range fields {
		out = binary.BigEndian.AppendUint32(out, uint32(len(f)))
		out = append(out, f...)
	}
	return out
}
