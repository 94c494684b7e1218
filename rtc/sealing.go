package rtc

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/rtchat/rtchat/keys"
	"github.com/rtchat/rtchat/rtc/seal"
)

// Between rtchat peers, offers and answers travel sealed (rtc/seal, docs/rtchat-protocol.md): their SDP holds every address of a peer, its ICE credentials and DTLS fingerprint.

// sealer is this process's sealing key and its presence entry. The identity signs the key
// once, while we connect to the broker (it is not needed before the first presence).
type sealer struct {
	key   *seal.Key
	pub   string        // our key, base64url
	ready chan struct{} // closed once sig or err is set
	sig   string
	err   error
}

func newSealer(id *keys.Identity, room, me string) (*sealer, error) {
	k, err := seal.NewKey()
	if err != nil {
		return nil, err
	}
	s := &sealer{key: k, pub: b64.EncodeToString(k.Public()), ready: make(chan struct{})}
	go func() {
		defer close(s.ready)
		sig, err := id.Sign(seal.KeyMessage(room, me, k.Public()))
		if err != nil {
			s.err = fmt.Errorf("sign our sealing key: %w", err)
			return
		}
		s.sig = b64.EncodeToString(sig)
	}()
	return s, nil
}

// info is our presence's seal member; it waits for the signature.
func (s *sealer) info() sealInfo {
	<-s.ready
	return sealInfo{Key: s.pub, Sig: s.sig}
}

// errSealKey: the peer's sealing key is not signed by the key pinned for its name (or the
// one it claims): we do not seal to it, so a broker that swaps keys learns nothing.
var errSealKey = errors.New("its sealing key is not signed by the key pinned for its name")

// maxSealed bounds the base64 text of a sealed message.
const maxSealed = (seal.MaxBox*4)/3 + 4

// sealPair is the Seal field of a signed sealed message (proof.Signal.Seal): the sender's
// and the target's keys.
func sealPair(senderKey, targetKey string) string { return senderKey + "." + targetKey }

// sealTo seals what to the rtchat peer target, whose presence is info. Its key must be signed
// by the key pinned for its name (or, unpinned, the key it claims): a broker that swaps the
// key in a presence must not read our offer. Not on the room loop (it verifies a signature).
func (c *Client) sealTo(target string, info userInfo, label string, what sealedSignal) (string, error) {
	peerKey := info.sealKey()
	if peerKey == nil {
		return "", errors.New("the peer announced no sealing key")
	}
	idKey := info.PublicKeyString
	if pin, ok, err := c.cfg.Store.LookupPin(keys.BareName(target)); err != nil {
		return "", err
	} else if ok && pin.Key != "" {
		idKey = pin.Key
	}
	sig, err := decodeB64(info.RTChat.Seal.Sig, 0)
	if err == nil {
		err = keys.Verify(idKey, seal.KeyMessage(c.topic, target, peerKey), sig)
	}
	if err != nil {
		return "", fmt.Errorf("%w: %w", errSealKey, err)
	}
	pt, err := json.Marshal(what)
	if err != nil {
		return "", err
	}
	box, err := c.seal.key.Seal(peerKey, seal.Context{Room: c.topic, Sender: c.me, Target: target, Label: label}, pt)
	if err != nil {
		return "", err
	}
	return b64.EncodeToString(box), nil
}

// openFrom opens a message sealed to us by from, whose presence (or offer) is info. It costs
// one key agreement and one AEAD open, whatever arrives; the signature inside is the
// caller's to check.
func (c *Client) openFrom(from string, info userInfo, label, sealed string) (sealedSignal, error) {
	var out sealedSignal
	peerKey := info.sealKey()
	if peerKey == nil || len(sealed) > maxSealed {
		return out, seal.ErrOpen
	}
	box, err := b64.DecodeString(sealed)
	if err != nil {
		return out, fmt.Errorf("%w: %w", seal.ErrOpen, err)
	}
	pt, err := c.seal.key.Open(peerKey, seal.Context{Room: c.topic, Sender: from, Target: c.me, Label: label}, box)
	if err != nil {
		return out, err
	}
	if err := json.Unmarshal(pt, &out); err != nil || out.RTChat == nil {
		return out, fmt.Errorf("%w: no signed signal inside", seal.ErrOpen)
	}
	return out, nil
}
