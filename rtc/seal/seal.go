// Package seal encrypts rtchat's signaling between two rtchat peers (docs/rtchat-protocol.md, "Sealed signaling"): offers and answers carry SDP, and SDP carries every address of a
// peer, its ICE credentials and its DTLS fingerprint, which nobody on the topic but the
// intended peer should read.
//
// Each process makes one X25519 key (NewKey) and announces its public half in its presence,
// signed by its identity key (KeyMessage). A message from one process to another is sealed
// under a key derived (HKDF-SHA256) from the X25519 shared secret of the sender's process
// key and the recipient's, the room, both full names, both public keys and a label (offer or
// answer), with XChaCha20-Poly1305 and a random nonce. Keys live only in memory, so what was
// captured stays unreadable once both processes are gone.
//
// Pure functions: no network, no global state.
package seal

import (
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"

	"golang.org/x/crypto/chacha20poly1305"
)

const (
	// KeyDomain is the label of what an identity signs to vouch for its process key.
	KeyDomain = "rtchat seal key v3"
	// Domain is the label of every key derived for sealing.
	Domain = "rtchat seal v3"
	// KeySize is the size of a public key.
	KeySize = 32
	// MaxBox bounds a sealed message: an SDP with every candidate is a few KiB.
	MaxBox = 64 << 10
	// Overhead is what sealing adds to a message: the nonce and the tag.
	Overhead = chacha20poly1305.NonceSizeX + chacha20poly1305.Overhead
)

// Labels of what is sealed: a key for one is never the key for the other.
const (
	LabelOffer  = "offer"
	LabelAnswer = "answer"
)

// ErrOpen: a sealed message did not open (not for us, altered, or malformed).
var ErrOpen = errors.New("sealed message does not open")

// Key is a process's X25519 key.
type Key struct{ priv *ecdh.PrivateKey }

// NewKey makes a fresh key from the system's CSPRNG.
func NewKey() (*Key, error) {
	priv, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("make a sealing key: %w", err)
	}
	return &Key{priv: priv}, nil
}

// Public returns the public key (KeySize bytes).
func (k *Key) Public() []byte { return k.priv.PublicKey().Bytes() }

// KeyMessage is what a process's identity signs so that peers seal to its key only: the
// room, the process's full name and the public key.
func KeyMessage(room, name string, pub []byte) []byte {
	return fields([]byte(KeyDomain), []byte(room), []byte(name), pub)
}

// Context is what a sealed message is bound to: the room, who sends it to whom (full names)
// and what it is (a Label).
type Context struct {
	Room, Sender, Target, Label string
}

// Seal encrypts plaintext from k (the sender's process key) to peer (the recipient's public
// process key). The result is nonce ‖ ciphertext ‖ tag.
func (k *Key) Seal(peer []byte, c Context, plaintext []byte) ([]byte, error) {
	aead, err := k.aead(peer, k.Public(), peer, c)
	if err != nil {
		return nil, err
	}
	if len(plaintext)+Overhead > MaxBox {
		return nil, fmt.Errorf("seal: %d bytes is too long", len(plaintext))
	}
	out := make([]byte, chacha20poly1305.NonceSizeX, Overhead+len(plaintext))
	if _, err := rand.Read(out); err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	return aead.Seal(out, out, plaintext, nil), nil
}

// Open decrypts a box that peer (the sender's public process key) sealed to k. Every failure
// wraps ErrOpen; it costs at most one key agreement and one AEAD open.
func (k *Key) Open(peer []byte, c Context, box []byte) ([]byte, error) {
	if len(box) < Overhead || len(box) > MaxBox {
		return nil, fmt.Errorf("%w: %d bytes", ErrOpen, len(box))
	}
	aead, err := k.aead(peer, peer, k.Public(), c)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrOpen, err)
	}
	nonce, ct := box[:chacha20poly1305.NonceSizeX], box[chacha20poly1305.NonceSizeX:]
	pt, err := aead.Open(nil, nonce, ct, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrOpen, err)
	}
	return pt, nil
}

// aead derives the key of one direction and label between k and peer.
func (k *Key) aead(peer, senderPub, targetPub []byte, c Context) (interface {
	Seal(dst, nonce, plaintext, ad []byte) []byte
	Open(dst, nonce, ciphertext, ad []byte) ([]byte, error)
}, error) {
	if len(peer) != KeySize {
		return nil, fmt.Errorf("public key of %d bytes", len(peer))
	}
	pub, err := ecdh.X25519().NewPublicKey(peer)
	if err != nil {
		return nil, err
	}
	shared, err := k.priv.ECDH(pub) // fails on low-order points (an all-zero secret)
	if err != nil {
		return nil, err
	}
	info := fields([]byte(Domain), []byte(c.Room), []byte(c.Sender), []byte(c.Target), []byte(c.Label), senderPub, targetPub)
	key, err := hkdf.Key(sha256.New, shared, nil, string(info), chacha20poly1305.KeySize)
	if err != nil {
		return nil, err
	}
	return chacha20poly1305.NewX(key)
}

// fields concatenates fields, each prefixed by its length (4 bytes big-endian), so that no
// two field lists share bytes (as rtc/proof.Fields).
func fields(fs ...[]byte) []byte {
	var out []byte
	for _, f := range fs {
		out = binary.BigEndian.AppendUint32(out, uint32(len(f)))
		out = append(out, f...)
	}
	return out
}
