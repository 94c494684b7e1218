package keys

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

// TestWebCryptoInterop checks rtchat's keys against WebCrypto (Node's crypto.subtle, the API the
// web client uses), in one Node run (protocol §11.5):
//
//	(a) Go's public and private JWK strings import for verify and sign;
//	(b) a Go signature (salt 32) over 32 random bytes verifies;
//	(c) a WebCrypto key's exported JWK strings parse in Go and its signature verifies;
//	(d) a Go signature with rsa.SignPSS's default options (maximum salt) does NOT verify;
//	(e) a pretty-printed, wrapped paste of a WebCrypto key compacts to JSON.stringify's text.
//
// Node missing is a failure, not a skip.
func TestWebCryptoInterop(t *testing.T) {
	alice, bob := testIdentities(t)
	msg := make([]byte, 32)
	rand.Read(msg)
	other := make([]byte, 32)
	rand.Read(other)
	sig, err := alice.Sign(msg)
	if err != nil {
		t.Fatal(err)
	}
	k, err := ParsePrivateJWK(alice.PrivateJWK)
	if err != nil {
		t.Fatal(err)
	}
	digest := sha256.Sum256(msg)
	sigDefault, err := rsa.SignPSS(rand.Reader, k, crypto.SHA256, digest[:], nil)
	if err != nil {
		t.Fatal(err)
	}
	// Sanity: the default-salt signature is a valid PSS signature (Go auto-detects the salt);
	// only the salt length makes WebCrypto reject it.
	if err := rsa.VerifyPSS(&k.PublicKey, crypto.SHA256, digest[:], sigDefault, nil); err != nil {
		t.Fatal(err)
	}

	req, _ := json.Marshal(map[string]string{
		"goPublicJWK": alice.PublicJWK, "goPrivateJWK": alice.PrivateJWK,
		"msg": hex.EncodeToString(msg), "otherMsg": hex.EncodeToString(other),
		"goSig": hex.EncodeToString(sig), "goSigDefault": hex.EncodeToString(sigDefault),
	})
	cmd := exec.Command("node", "testdata/webcrypto.mjs")
	cmd.Stdin = bytes.NewReader(req)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node (required for this test): %v\n%s", err, stderr.String())
	}
	var res struct {
		ImportPublic, ImportPrivate         string
		VerifyGoSig, VerifyGoSigDefaultSalt *bool
		VerifyGoSigOtherMsg                 *bool
		ReexportedPublic, SigByGoPrivate    string
		WebPublicJWK, WebPrivateJWK, WebSig string
		WebPublicJWKPretty                  string
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("node output %s: %v", out, err)
	}
	is := func(b *bool, want bool) bool { return b != nil && *b == want }

	t.Run("a_GoJWKImportsInWebCrypto", func(t *testing.T) {
		if res.ImportPublic != "ok" {
			t.Errorf("public JWK import (verify): %s", res.ImportPublic)
		}
		if res.ImportPrivate != "ok" {
			t.Errorf("private JWK import (sign): %s", res.ImportPrivate)
		}
		if Fingerprint(res.ReexportedPublic) != alice.Fingerprint() {
			t.Errorf("WebCrypto re-export is another key: %s", res.ReexportedPublic)
		}
		s, _ := hex.DecodeString(res.SigByGoPrivate)
		if err := Verify(alice.PublicJWK, msg, s); err != nil {
			t.Errorf("WebCrypto signature with Go's private JWK: %v", err)
		}
	})
	t.Run("b_GoSignatureVerifiesInWebCrypto", func(t *testing.T) {
		if !is(res.VerifyGoSig, true) {
			t.Errorf("WebCrypto verify of Go signature (salt 32) = %v, want true", res.VerifyGoSig)
		}
		if !is(res.VerifyGoSigOtherMsg, false) {
			t.Errorf("WebCrypto verify over another message = %v, want false", res.VerifyGoSigOtherMsg)
		}
	})
	t.Run("c_WebCryptoKeyAndSignatureInGo", func(t *testing.T) {
		if _, err := ParsePublicJWK(res.WebPublicJWK); err != nil {
			t.Fatalf("WebCrypto public JWK %s: %v", res.WebPublicJWK, err)
		}
		s, _ := hex.DecodeString(res.WebSig)
		if err := Verify(res.WebPublicJWK, msg, s); err != nil {
			t.Errorf("Verify of WebCrypto signature: %v", err)
		}
		if err := Verify(bob.PublicJWK, msg, s); err == nil {
			t.Error("WebCrypto signature verified with an unrelated key")
		}
		// A browser identity imports as ours, verbatim, and signs for the browser.
		web, err := NewIdentity("webuser", res.WebPublicJWK, res.WebPrivateJWK)
		if err != nil {
			t.Fatalf("WebCrypto key pair as identity: %v", err)
		}
		if web.PublicJWK != res.WebPublicJWK {
			t.Error("imported key string changed")
		}
		s2, err := web.Sign(msg)
		if err != nil || Verify(res.WebPublicJWK, msg, s2) != nil {
			t.Errorf("signing with a WebCrypto private key: %v", err)
		}
	})
	t.Run("e_PastedWebCryptoKeyPinsAsSent", func(t *testing.T) {
		// JSON.stringify's text is what the browser stores and sends; a pretty-printed,
		// wrapped paste of it must compact back to exactly that text (member order kept).
		if !strings.Contains(res.WebPublicJWKPretty, "\n") {
			t.Fatalf("not pretty-printed: %s", res.WebPublicJWKPretty)
		}
		if got := CompactPasted(res.WebPublicJWKPretty); got != res.WebPublicJWK {
			t.Errorf("compacted:\n%s\nJSON.stringify:\n%s", got, res.WebPublicJWK)
		}
		name, jwk, err := ParseIdentity("  web user|" + wrap(res.WebPublicJWKPretty, 50, "   ", true))
		if err != nil || name != "web user" || jwk != res.WebPublicJWK {
			t.Errorf("wrapped identity: %q %v\n%s", name, err, jwk)
		}
	})
	t.Run("d_DefaultSaltFailsInWebCrypto", func(t *testing.T) {
		if !is(res.VerifyGoSigDefaultSalt, false) {
			t.Errorf("WebCrypto verify of a default-options (max salt) Go signature = %v, want false", res.VerifyGoSigDefaultSalt)
		}
	})
}
