// Package keys manages rtchat identities: the RSA-PSS key pair of this user and the public keys
// pinned for peers, stored in the RTChat web client's JWK string format (protocol §6.1) so that
// identities and pins move between the CLI and a browser's localStorage unchanged.
//
// Key strings are opaque: the web client compares them by exact string equality, so a JWK
// string is produced once (by Generate or by a browser), persisted verbatim and never
// re-serialised.
package keys

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"unicode"
)

// Errors callers can test with errors.Is. Returned errors wrap them with details.
var (
	// ErrNoIdentity: no identity has been generated or imported in the config dir.
	ErrNoIdentity = errors.New("no identity")
	// ErrIdentityExists: SaveIdentity would overwrite an existing identity.
	ErrIdentityExists = errors.New("identity already exists")
	// ErrUnsafePermissions: the private key file is readable or writable by group or others.
	ErrUnsafePermissions = errors.New("unprotected private key file")
	// ErrUnsafeOwner: a key file, the config dir or one of its parents belongs to someone
	// other than the user or root, or others can swap it (a parent they can write). Such
	// errors match ErrUnsafePermissions too.
	ErrUnsafeOwner = errors.New("key files others control")
	// ErrKeyChanged: a name is already pinned to a different key.
	ErrKeyChanged = errors.New("key changed")
	// ErrNotPinned: no key is pinned for the name.
	ErrNotPinned = errors.New("not pinned")
	// ErrBadSignature: a signature does not verify with the key.
	ErrBadSignature = errors.New("bad signature")
	// ErrInvalidKey: a JWK string is malformed or not an acceptable RSA-PSS key.
	ErrInvalidKey = errors.New("invalid key")
	// ErrInvalidName: a name breaks the rules of protocol §4.
	ErrInvalidName = errors.New("invalid name")
)

// Key parameters of protocol §6.1.
const (
	KeyBits    = 2048
	SaltLength = 32 // RSA-PSS salt, as the browser signs and verifies; NOT Go's default
	minBits    = 2048
	maxBits    = 4096
)

var pssOptions = &rsa.PSSOptions{SaltLength: SaltLength, Hash: crypto.SHA256}

// Identity is this user's name and key pair. PublicJWK and PrivateJWK are the exact strings
// that are persisted and sent; they are never re-serialised.
type Identity struct {
	Name       string
	PublicJWK  string
	PrivateJWK string

	key *rsa.PrivateKey
}

// publicJWK and privateJWK have their members in alphabetical order, the shape Chrome emits
// for JSON.stringify(await crypto.subtle.exportKey("jwk", key)).
type publicJWK struct {
	Alg    string   `json:"alg"`
	E      string   `json:"e"`
	Ext    bool     `json:"ext"`
	KeyOps []string `json:"key_ops"`
	Kty    string   `json:"kty"`
	N      string   `json:"n"`
}

type privateJWK struct {
	Alg    string   `json:"alg"`
	D      string   `json:"d"`
	DP     string   `json:"dp"`
	DQ     string   `json:"dq"`
	E      string   `json:"e"`
	Ext    bool     `json:"ext"`
	KeyOps []string `json:"key_ops"`
	Kty    string   `json:"kty"`
	N      string   `json:"n"`
	P      string   `json:"p"`
	Q      string   `json:"q"`
	QI     string   `json:"qi"`
}

var b64 = base64.RawURLEncoding

func b64Int(i *big.Int) string { return b64.EncodeToString(i.Bytes()) }

// Generate makes a new RSA-PSS 2048-bit identity (e = 65537, SHA-256) for name and serialises
// its keys once, in the web client's JWK shape.
func Generate(name string) (*Identity, error) {
	if err := ValidateName(name); err != nil {
		return nil, err
	}
	k, err := rsa.GenerateKey(rand.Reader, KeyBits)
	if err != nil {
		return nil, fmt.Errorf("generating RSA key: %w", err)
	}
	if len(k.Primes) != 2 {
		return nil, errors.New("generating RSA key: expected two primes")
	}
	k.Precompute()
	pub, err := json.Marshal(publicJWK{
		Alg: "PS256", E: b64Int(big.NewInt(int64(k.E))), Ext: true,
		KeyOps: []string{"verify"}, Kty: "RSA", N: b64Int(k.N),
	})
	if err != nil {
		return nil, err
	}
	priv, err := json.Marshal(privateJWK{
		Alg: "PS256", D: b64Int(k.D), DP: b64Int(k.Precomputed.Dp), DQ: b64Int(k.Precomputed.Dq),
		E: b64Int(big.NewInt(int64(k.E))), Ext: true, KeyOps: []string{"sign"}, Kty: "RSA",
		N: b64Int(k.N), P: b64Int(k.Primes[0]), Q: b64Int(k.Primes[1]), QI: b64Int(k.Precomputed.Qinv),
	})
	if err != nil {
		return nil, err
	}
	return &Identity{Name: name, PublicJWK: string(pub), PrivateJWK: string(priv), key: k}, nil
}

// NewIdentity checks a name and a key pair given as JWK strings (e.g. imported from a browser)
// and returns the identity; the strings are kept verbatim.
func NewIdentity(name, publicJWK, privateJWK string) (*Identity, error) {
	if err := ValidateName(name); err != nil {
		return nil, err
	}
	pub, err := ParsePublicJWK(publicJWK)
	if err != nil {
		return nil, fmt.Errorf("public key: %w", err)
	}
	priv, err := ParsePrivateJWK(privateJWK)
	if err != nil {
		return nil, fmt.Errorf("private key: %w", err)
	}
	if !pub.Equal(&priv.PublicKey) {
		return nil, fmt.Errorf("%w: the private key does not belong to the public key", ErrInvalidKey)
	}
	return &Identity{Name: name, PublicJWK: publicJWK, PrivateJWK: privateJWK, key: priv}, nil
}

// privateKey is the parsed key; an Identity built as a literal parses PrivateJWK on each use
// (no caching, so concurrent Sign calls never write to the Identity).
func (id *Identity) privateKey() (*rsa.PrivateKey, error) {
	if id.key != nil {
		return id.key, nil
	}
	k, err := ParsePrivateJWK(id.PrivateJWK)
	if err != nil {
		return nil, fmt.Errorf("private key: %w", err)
	}
	return k, nil
}

// Sign signs msg with RSA-PSS, SHA-256, MGF1-SHA-256 and a 32-byte salt, as the browser does.
func (id *Identity) Sign(msg []byte) ([]byte, error) {
	k, err := id.privateKey()
	if err != nil {
		return nil, err
	}
	digest := sha256.Sum256(msg)
	return rsa.SignPSS(rand.Reader, k, crypto.SHA256, digest[:], pssOptions)
}

// IdentityString is NAME|PUBLICJWK (protocol §6.1), what peers register.
func (id *Identity) IdentityString() string { return id.Name + "|" + id.PublicJWK }

// Fingerprint is Fingerprint(id.PublicJWK).
func (id *Identity) Fingerprint() string { return Fingerprint(id.PublicJWK) }

// jwkFields decodes a JWK object keeping each member raw, so types can be checked.
func jwkFields(s string) (map[string]json.RawMessage, error) {
	var m map[string]json.RawMessage
	dec := json.NewDecoder(strings.NewReader(s))
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%w: not a JSON object: %v", ErrInvalidKey, err)
	}
	if m == nil {
		return nil, fmt.Errorf("%w: not a JSON object (null)", ErrInvalidKey)
	}
	// Only JSON whitespace may follow, as JSON.parse requires (dec.More stops at a stray ] or }).
	if strings.TrimLeft(s[dec.InputOffset():], " \t\r\n") != "" {
		return nil, fmt.Errorf("%w: trailing data after the JSON object", ErrInvalidKey)
	}
	return m, nil
}

func jwkString(m map[string]json.RawMessage, name string, required bool) (string, bool, error) {
	raw, ok := m[name]
	if !ok {
		if required {
			return "", false, fmt.Errorf("%w: member %q is missing", ErrInvalidKey, name)
		}
		return "", false, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false, fmt.Errorf("%w: member %q must be a string, got %s", ErrInvalidKey, name, raw)
	}
	return s, true, nil
}

func jwkInt(m map[string]json.RawMessage, name string) (*big.Int, error) {
	s, _, err := jwkString(m, name, true)
	if err != nil {
		return nil, err
	}
	if s == "" {
		return nil, fmt.Errorf("%w: member %q is empty", ErrInvalidKey, name)
	}
	b, err := b64.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("%w: member %q is not unpadded base64url: %v", ErrInvalidKey, name, err)
	}
	return new(big.Int).SetBytes(b), nil
}

// checkCommon checks kty, alg, ext, use and key_ops (which must contain op).
func checkCommon(m map[string]json.RawMessage, op string) error {
	kty, _, err := jwkString(m, "kty", true)
	if err != nil {
		return err
	}
	if kty != "RSA" {
		return fmt.Errorf("%w: kty is %q, want \"RSA\"", ErrInvalidKey, kty)
	}
	if alg, ok, err := jwkString(m, "alg", false); err != nil {
		return err
	} else if ok && alg != "PS256" {
		return fmt.Errorf("%w: alg is %q, want \"PS256\" (RSA-PSS with SHA-256)", ErrInvalidKey, alg)
	}
	if raw, ok := m["ext"]; ok {
		var ext bool
		if err := json.Unmarshal(raw, &ext); err != nil {
			return fmt.Errorf("%w: ext must be a boolean, got %s", ErrInvalidKey, raw)
		}
		if !ext {
			return fmt.Errorf("%w: ext is false; the web client imports keys as extractable and would reject it", ErrInvalidKey)
		}
	}
	if use, ok, err := jwkString(m, "use", false); err != nil {
		return err
	} else if ok && use != "sig" {
		return fmt.Errorf("%w: use is %q, want \"sig\" or absent", ErrInvalidKey, use)
	}
	if raw, ok := m["key_ops"]; ok {
		var ops []string
		if err := json.Unmarshal(raw, &ops); err != nil {
			return fmt.Errorf("%w: key_ops must be an array of strings, got %s", ErrInvalidKey, raw)
		}
		found := false
		for _, o := range ops {
			found = found || o == op
		}
		if !found {
			return fmt.Errorf("%w: key_ops %q does not contain %q", ErrInvalidKey, ops, op)
		}
	}
	return nil
}

func parseRSAPublic(m map[string]json.RawMessage) (*rsa.PublicKey, error) {
	n, err := jwkInt(m, "n")
	if err != nil {
		return nil, err
	}
	e, err := jwkInt(m, "e")
	if err != nil {
		return nil, err
	}
	if !e.IsInt64() || e.Int64() < 3 || e.Int64() > 1<<31-1 || e.Bit(0) == 0 {
		return nil, fmt.Errorf("%w: public exponent e=%s is not an odd number from 3 to 2^31-1", ErrInvalidKey, e)
	}
	if bits := n.BitLen(); bits < minBits || bits > maxBits {
		return nil, fmt.Errorf("%w: modulus is %d bits, want %d to %d", ErrInvalidKey, bits, minBits, maxBits)
	}
	if n.Bit(0) == 0 {
		return nil, fmt.Errorf("%w: modulus n is even", ErrInvalidKey)
	}
	return &rsa.PublicKey{N: n, E: int(e.Int64())}, nil
}

// ParsePublicJWK parses and checks a public key string the way WebCrypto would import it for
// RSA-PSS/SHA-256 "verify": kty "RSA"; n and e unpadded base64url; alg, if present, "PS256";
// ext, if present, true; key_ops, if present, containing "verify"; use, if present, "sig";
// no private members; a 2048- to 4096-bit modulus. Errors wrap ErrInvalidKey and name the
// problem.
func ParsePublicJWK(s string) (*rsa.PublicKey, error) {
	m, err := jwkFields(s)
	if err != nil {
		return nil, err
	}
	for _, p := range []string{"d", "p", "q", "dp", "dq", "qi"} {
		if _, ok := m[p]; ok {
			return nil, fmt.Errorf("%w: has private member %q: this is a PRIVATE key, which must never be shared; use the public key string", ErrInvalidKey, p)
		}
	}
	if err := checkCommon(m, "verify"); err != nil {
		return nil, err
	}
	return parseRSAPublic(m)
}

// ParsePrivateJWK parses and checks a private key string in the web client's format (two
// primes; key_ops, if present, containing "sign").
func ParsePrivateJWK(s string) (*rsa.PrivateKey, error) {
	m, err := jwkFields(s)
	if err != nil {
		return nil, err
	}
	if err := checkCommon(m, "sign"); err != nil {
		return nil, err
	}
	if _, ok := m["oth"]; ok {
		return nil, fmt.Errorf("%w: multi-prime keys (oth) are not supported", ErrInvalidKey)
	}
	pub, err := parseRSAPublic(m)
	if err != nil {
		return nil, err
	}
	var ints [6]*big.Int
	for i, name := range []string{"d", "p", "q", "dp", "dq", "qi"} {
		if ints[i], err = jwkInt(m, name); err != nil {
			return nil, err
		}
	}
	k := &rsa.PrivateKey{PublicKey: *pub, D: ints[0], Primes: []*big.Int{ints[1], ints[2]}}
	if err := k.Validate(); err != nil {
		return nil, fmt.Errorf("%w: inconsistent private key: %v", ErrInvalidKey, err)
	}
	k.Precompute()
	if k.Precomputed.Dp.Cmp(ints[3]) != 0 || k.Precomputed.Dq.Cmp(ints[4]) != 0 || k.Precomputed.Qinv.Cmp(ints[5]) != 0 {
		return nil, fmt.Errorf("%w: inconsistent private key: dp, dq or qi does not match p, q and d", ErrInvalidKey)
	}
	return k, nil
}

// Verify checks an RSA-PSS SHA-256 signature with a 32-byte salt over msg against a public key
// string. A mismatch returns an error wrapping ErrBadSignature; a malformed key one wrapping
// ErrInvalidKey.
func Verify(publicJWK string, msg, sig []byte) error {
	pub, err := ParsePublicJWK(publicJWK)
	if err != nil {
		return err
	}
	digest := sha256.Sum256(msg)
	if err := rsa.VerifyPSS(pub, crypto.SHA256, digest[:], sig, pssOptions); err != nil {
		return fmt.Errorf("%w: %v", ErrBadSignature, err)
	}
	return nil
}

// ParseIdentity splits an identity string NAME|JWK on its first '|' and checks both parts.
// It takes the string as pasted: whitespace around the name is dropped, and the key is
// compacted with CompactPasted (so a wrapped or indented key comes back as the exact string
// its owner sends); the key is otherwise kept verbatim, never re-serialised.
func ParseIdentity(s string) (name, jwk string, err error) {
	s = strings.TrimFunc(s, isTrimSpace)
	name, jwk, ok := strings.Cut(s, "|")
	if !ok {
		if strings.HasPrefix(s, "{") {
			return "", "", fmt.Errorf("%w: identity has no name: expected NAME|JWK, got only a key", ErrInvalidKey)
		}
		return "", "", fmt.Errorf("%w: identity has no '|': expected NAME|JWK", ErrInvalidKey)
	}
	// A bare name never has surrounding whitespace (§4), so what is there came with the paste.
	name = strings.TrimFunc(name, isTrimSpace)
	if err := ValidateName(name); err != nil {
		return "", "", err
	}
	jwk = CompactPasted(jwk)
	if _, err := ParsePublicJWK(jwk); err != nil {
		return "", "", fmt.Errorf("key of %q: %w", name, err)
	}
	return name, jwk, nil
}

// isTrimSpace is white space, or U+FEFF (a byte order mark, which editors and clipboards put
// in front of text): what surrounds a pasted identity string.
func isTrimSpace(r rune) bool { return unicode.IsSpace(r) || r == '\uFEFF' }

// BareName is the key-store name of a full name (protocol §4): the part before the first '|',
// then before the first '(', trimmed. "Alice(1)" → "Alice", "Bob (2)" → "Bob".
func BareName(full string) string {
	s, _, _ := strings.Cut(full, "|")
	s, _, _ = strings.Cut(s, "(")
	return strings.TrimSpace(s)
}

// ValidateName checks a bare name (protocol §4): not empty, no '(', ')' or '|', no leading or
// trailing whitespace, no control, bidirectional or invisible characters (HiddenRune).
// Errors wrap ErrInvalidName.
func ValidateName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("%w: name is empty", ErrInvalidName)
	case strings.ContainsAny(name, "()"):
		return fmt.Errorf("%w: %q contains '(' or ')'; use the bare name (%q)", ErrInvalidName, name, BareName(name))
	case strings.Contains(name, "|"):
		return fmt.Errorf("%w: %q contains '|'", ErrInvalidName, name)
	case strings.TrimSpace(name) != name:
		return fmt.Errorf("%w: %q has leading or trailing whitespace", ErrInvalidName, name)
	}
	// Control, bidirectional and invisible characters: a name must look like what it is.
	return CheckWireName(name)
}

var fpEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// Fingerprint is a short, stable name for a public key, easy to compare aloud:
//
//	sha256( n || e )[:10], base32 (RFC 4648 alphabet, lower case, no padding),
//	in four groups of four characters joined by '-', e.g. "q3xk-7bzm-a2lp-fy5c"
//
// where n and e are the modulus and public exponent as unsigned big-endian bytes without
// leading zeros (the base64url-decoded JWK members). It depends only on the key, not on how
// its JWK string is spelled. An unparsable key gives "invalid-key".
func Fingerprint(publicJWK string) string {
	pub, err := ParsePublicJWK(publicJWK)
	if err != nil {
		return "invalid-key"
	}
	return fingerprintOf(pub)
}

func fingerprintOf(pub *rsa.PublicKey) string {
	h := sha256.New()
	h.Write(pub.N.Bytes())
	h.Write(big.NewInt(int64(pub.E)).Bytes())
	s := strings.ToLower(fpEncoding.EncodeToString(h.Sum(nil)[:10]))
	var b bytes.Buffer
	for i := 0; i < len(s); i += 4 {
		if i > 0 {
			b.WriteByte('-')
		}
		b.WriteString(s[i : i+4])
	}
	return b.String()
}
