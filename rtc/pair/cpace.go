package pair

import (
	"crypto/sha512"
	"errors"
	"io"

	r255 "github.com/bwesterb/go-ristretto"
	"github.com/cloudflare/circl/group"
)

// CPace on ristretto255 with SHA-512, as draft-irtf-cfrg-cpace-21 specifies it (section
// "CPace group objects for ristretto255", test vectors in appendix B.3). The group
// arithmetic is circl's; the generator's one-way map is the RFC 9496 element derivation,
// which go-ristretto (circl's own ristretto255 backend) exposes as DeriveDalek: circl's
// HashToElement is the RFC 9380 hash_to_ristretto255 with expand_message_xmd, which is not
// the map the draft uses.

// Constants of the draft for ristretto255 and SHA-512.
const (
	dsi       = "CPaceRistretto255"
	dsiISK    = "CPaceRistretto255_ISK"
	sInBytes  = 128 // SHA-512's input block size, H.s_in_bytes
	pointSize = 32
)

var grp = group.Ristretto255

// errInvalidPoint: scalar_mult_vfy gave the neutral element, because the other side's
// share did not decode or was a low-order point. The draft says abort.
var errInvalidPoint = errors.New("invalid CPace share")

// prependLen is the draft's prepend_len: the length of data as LEB128, then data.
func prependLen(data []byte) []byte {
	n := len(data)
	out := make([]byte, 0, n+3)
	for {
		b := byte(n & 0x7f)
		n >>= 7
		if n == 0 {
			out = append(out, b)
			break
		}
		out = append(out, b|0x80)
	}
	return append(out, data...)
}

// lvCat is the draft's lv_cat: each argument with prepend_len, concatenated.
func lvCat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, prependLen(p)...)
	}
	return out
}

// generatorString is the draft's generator_string(DSI, PRS, CI, sid, s_in_bytes): the
// password is zero-padded so that DSI and PRS fill the hash's first input block.
func generatorString(prs, ci, sid []byte) []byte {
	zpad := sInBytes - 1 - len(prependLen(prs)) - len(prependLen([]byte(dsi)))
	if zpad < 0 {
		zpad = 0
	}
	return lvCat([]byte(dsi), prs, make([]byte, zpad), ci, sid)
}

// calculateGenerator is the draft's calculate_generator for ristretto255: SHA-512 of the
// generator string, mapped to the group by the RFC 9496 element derivation.
func calculateGenerator(prs, ci, sid []byte) (group.Element, error) {
	var p r255.Point
	p.DeriveDalek(generatorString(prs, ci, sid)) // SHA-512, two Elligator maps, added
	g := grp.NewElement()
	if err := g.UnmarshalBinary(p.Bytes()); err != nil {
		return nil, err
	}
	return g, nil
}

// share is one side's CPace secret scalar and public share Y = y·g.
type share struct {
	y group.Scalar
	Y []byte
}

// newShare draws y (sample_scalar) and computes Y = y·g.
func newShare(g group.Element, rnd io.Reader) (*share, error) {
	y := grp.RandomNonZeroScalar(rnd)
	return shareFrom(g, y)
}

func shareFrom(g group.Element, y group.Scalar) (*share, error) {
	Y, err := grp.NewElement().Mul(g, y).MarshalBinary()
	if err != nil {
		return nil, err
	}
	return &share{y: y, Y: Y}, nil
}

// scalarMultVfy is the draft's scalar_mult_vfy: decode the other side's share (canonical
// encodings only), multiply, and fail when the result is the neutral element.
func (s *share) scalarMultVfy(other []byte) ([]byte, error) {
	if len(other) != pointSize {
		return nil, errInvalidPoint
	}
	X := grp.NewElement()
	if err := X.UnmarshalBinary(other); err != nil {
		return nil, errInvalidPoint
	}
	K := grp.NewElement().Mul(X, s.y)
	if K.IsIdentity() {
		return nil, errInvalidPoint
	}
	return K.MarshalBinary()
}

// iskIR is the draft's intermediate session key for the initiator-responder setting:
// H(lv_cat(DSI_ISK, sid, K) || transcript_ir(Ya, ADa, Yb, ADb)), with transcript_ir =
// lv_cat(Ya, ADa) || lv_cat(Yb, ADb).
func iskIR(sid, K, Ya, ADa, Yb, ADb []byte) []byte {
	h := sha512.New()
	h.Write(lvCat([]byte(dsiISK), sid, K))
	h.Write(transcriptIR(Ya, ADa, Yb, ADb))
	return h.Sum(nil)
}

func transcriptIR(Ya, ADa, Yb, ADb []byte) []byte {
	return append(lvCat(Ya, ADa), lvCat(Yb, ADb)...)
}
