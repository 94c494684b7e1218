package keys

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// fuzzJWK is a fixed 2048-bit public key in the web client's shape, so that the fuzz
// targets start from a valid key without generating one.
const fuzzJWK = `{"alg":"PS256","e":"AQAB","ext":true,"key_ops":["verify"],"kty":"RSA","n":"5MLHkW5ea-d9UzAmFyIYdKEXE2lRDH3MLGqglm5uSaPTJKY4UgOfhkCjEfinuXwFMLgWXH5lyQZ6RK0CR5Eo1AJmfrvKICESxn8_tP5Itk3-TOk174WyIxcBKQEgfJNnaifNcQ5cm_oJbvej2iqnd4HmFOkO1mvHqVI9nEokXJxJBAt9jKkJmoBHiZqCC7XNVAa0R3JpfEYoAK_crLfGUFuAOqf6xPox3nf8KjoLaBYH9l9MlQ6t9GvKuCB6hmDFvtEwBYJ5WD0s8l08Yo-e_MEncGW-866ksXyBEH0b2x52ZViNVRHvj-5XoVn--_4x2JA-UcG_UnU9csn1s-EZ_Q"}`

// FuzzParsePublicJWK: any string either parses to an acceptable key (2048-4096-bit odd
// modulus, exponent > 1) that a minimal re-spelling parses to as well, or fails with
// ErrInvalidKey; never a panic. Fingerprint agrees with the verdict.
func FuzzParsePublicJWK(f *testing.F) {
	f.Add(fuzzJWK)
	f.Add(`{"kty":"RSA","n":"` + jwkMember(f, fuzzJWK, "n") + `","e":"AQAB"}`)
	f.Add(strings.Replace(fuzzJWK, `"e":"AQAB"`, `"e":"Aw"`, 1))
	f.Add(strings.Replace(fuzzJWK, `"verify"`, `"sign"`, 1))
	f.Add(fuzzJWK + " {}")
	f.Add(fuzzJWK + "]") // json.Decoder.More stops at a stray bracket; JSON.parse throws
	f.Add(`{"kty":"RSA","n":"AQAB","e":"AQAB","d":"AQAB"}`)
	f.Add("null")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		pub, err := ParsePublicJWK(s)
		fp := Fingerprint(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidKey) {
				t.Fatalf("error does not wrap ErrInvalidKey: %v", err)
			}
			if fp != "invalid-key" {
				t.Fatalf("Fingerprint of a rejected key is %q", fp)
			}
			return
		}
		if bits := pub.N.BitLen(); bits < minBits || bits > maxBits || pub.N.Bit(0) == 0 || pub.E < 3 || pub.E%2 == 0 {
			t.Fatalf("accepted a %d-bit modulus (odd: %v) with exponent %d", bits, pub.N.Bit(0) == 1, pub.E)
		}
		if fp == "invalid-key" {
			t.Fatalf("accepted key has no fingerprint")
		}
		// The browser JSON.parses the key string it is sent or pinned: an accepted key
		// must be one JSON value with nothing after it but whitespace.
		if !json.Valid([]byte(s)) {
			t.Fatalf("accepted %.80q…, which is not valid JSON (JSON.parse would throw)", s[max(0, len(s)-80):])
		}
		// The key does not depend on how the JWK is spelled.
		min := `{"kty":"RSA","n":"` + jwkMember(t, s, "n") + `","e":"` + jwkMember(t, s, "e") + `"}`
		again, err := ParsePublicJWK(min)
		if err != nil || again.N.Cmp(pub.N) != 0 || again.E != pub.E || Fingerprint(min) != fp {
			t.Fatalf("minimal form %.80q… of an accepted key: %v", min, err)
		}
	})
}

// FuzzParseIdentity: any pasted string either yields a valid bare name and an acceptable
// key, and the result parses back to itself, or fails with ErrInvalidName or ErrInvalidKey.
func FuzzParseIdentity(f *testing.F) {
	f.Add("alice|" + fuzzJWK)
	f.Add("\uFEFF  Zoë 😀 |  " + fuzzJWK + "  \r\n")
	f.Add("bob|" + strings.Replace(fuzzJWK, ",", ",\n    ", -1))
	f.Add("alice(1)|" + fuzzJWK)
	f.Add("|" + fuzzJWK)
	f.Add(fuzzJWK)
	f.Add("al\tice|{}")
	f.Add("alice")
	f.Fuzz(func(t *testing.T, s string) {
		name, jwk, err := ParseIdentity(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidName) && !errors.Is(err, ErrInvalidKey) {
				t.Fatalf("error wraps neither ErrInvalidName nor ErrInvalidKey: %v", err)
			}
			return
		}
		if err := ValidateName(name); err != nil {
			t.Fatalf("accepted name %q: %v", name, err)
		}
		if _, err := ParsePublicJWK(jwk); err != nil {
			t.Fatalf("accepted key: %v", err)
		}
		n2, k2, err := ParseIdentity(name + "|" + jwk)
		if err != nil || n2 != name || k2 != jwk {
			t.Fatalf("%q|%.40q… does not parse back to itself: %q, %v", name, jwk, n2, err)
		}
	})
}

// jwkMember returns the string member name of a JSON object (used on accepted keys, whose
// n and e are plain base64url strings).
func jwkMember(t testing.TB, s, name string) string {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("%v", err)
	}
	var v string
	if err := json.Unmarshal(m[name], &v); err != nil {
		t.Fatalf("member %q: %v", name, err)
	}
	return v
}
