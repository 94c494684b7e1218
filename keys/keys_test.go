package keys

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
)

var (
	testIDsOnce sync.Once
	testIDs     [2]*Identity
	testIDsErr  error
)

// testIdentities returns two identities generated once per test binary (RSA generation is
// slow-ish).
func testIdentities(t testing.TB) (alice, bob *Identity) {
	t.Helper()
	testIDsOnce.Do(func() {
		for i, n := range []string{"alice", "bob"} {
			if testIDs[i], testIDsErr = Generate(n); testIDsErr != nil {
				return
			}
		}
	})
	if testIDsErr != nil {
		t.Fatal(testIDsErr)
	}
	return testIDs[0], testIDs[1]
}

var (
	publicShape  = regexp.MustCompile(`^\{"alg":"PS256","e":"AQAB","ext":true,"key_ops":\["verify"\],"kty":"RSA","n":"[A-Za-z0-9_-]{342}"\}$`)
	privateShape = regexp.MustCompile(`^\{"alg":"PS256","d":"[A-Za-z0-9_-]+","dp":"[A-Za-z0-9_-]+","dq":"[A-Za-z0-9_-]+","e":"AQAB","ext":true,"key_ops":\["sign"\],"kty":"RSA","n":"[A-Za-z0-9_-]{342}","p":"[A-Za-z0-9_-]+","q":"[A-Za-z0-9_-]+","qi":"[A-Za-z0-9_-]+"\}$`)
	fpShape      = regexp.MustCompile(`^[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}$`)
)

func TestGenerateWebClientShape(t *testing.T) {
	alice, _ := testIdentities(t)
	if !publicShape.MatchString(alice.PublicJWK) {
		t.Errorf("public JWK not in the web client's shape:\n%s", alice.PublicJWK)
	}
	if !privateShape.MatchString(alice.PrivateJWK) {
		t.Errorf("private JWK not in the web client's shape:\n%s", alice.PrivateJWK)
	}
	if got := alice.IdentityString(); got != "alice|"+alice.PublicJWK {
		t.Errorf("IdentityString = %q", got)
	}
	pub, err := ParsePublicJWK(alice.PublicJWK)
	if err != nil {
		t.Fatal(err)
	}
	if pub.N.BitLen() != 2048 || pub.E != 65537 {
		t.Errorf("key is %d bits, e=%d", pub.N.BitLen(), pub.E)
	}
	if _, err := NewIdentity(alice.Name, alice.PublicJWK, alice.PrivateJWK); err != nil {
		t.Errorf("own key pair does not parse back: %v", err)
	}
	if _, err := Generate("bad(name)"); !errors.Is(err, ErrInvalidName) {
		t.Errorf("Generate with a bad name: %v", err)
	}
}

func TestSignVerify(t *testing.T) {
	alice, bob := testIdentities(t)
	msg := make([]byte, 32)
	rand.Read(msg)
	sig, err := alice.Sign(msg)
	if err != nil {
		t.Fatal(err)
	}
	if len(sig) != 256 {
		t.Fatalf("signature is %d bytes, want 256", len(sig))
	}
	if err := Verify(alice.PublicJWK, msg, sig); err != nil {
		t.Fatalf("own signature: %v", err)
	}
	// Exactly salt 32, not just "some salt": verify with explicit options.
	pub, _ := ParsePublicJWK(alice.PublicJWK)
	d := sha256.Sum256(msg)
	if err := rsa.VerifyPSS(pub, crypto.SHA256, d[:], sig, &rsa.PSSOptions{SaltLength: 32}); err != nil {
		t.Fatalf("signature does not have a 32-byte salt: %v", err)
	}
	if err := rsa.VerifyPSS(pub, crypto.SHA256, d[:], sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash}); err != nil {
		t.Fatal(err)
	}
	if err := Verify(bob.PublicJWK, msg, sig); !errors.Is(err, ErrBadSignature) {
		t.Errorf("other key: %v, want ErrBadSignature", err)
	}
	msg[0] ^= 1
	if err := Verify(alice.PublicJWK, msg, sig); !errors.Is(err, ErrBadSignature) {
		t.Errorf("changed message: %v, want ErrBadSignature", err)
	}
	for _, bad := range [][]byte{nil, {}, sig[:255]} {
		if err := Verify(alice.PublicJWK, msg, bad); !errors.Is(err, ErrBadSignature) {
			t.Errorf("short signature %d bytes: %v", len(bad), err)
		}
	}
	if err := Verify("{}", msg, sig); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("bad key: %v, want ErrInvalidKey", err)
	}
	// An Identity built from its strings alone signs too.
	lazy := &Identity{Name: "alice", PublicJWK: alice.PublicJWK, PrivateJWK: alice.PrivateJWK}
	sig2, err := lazy.Sign(msg)
	if err != nil || Verify(alice.PublicJWK, msg, sig2) != nil {
		t.Errorf("Sign from strings: %v", err)
	}
}

// mutate returns the JWK string with member k set to v (raw JSON) or deleted (v == "").
func mutate(t testing.TB, jwk, k, v string) string {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(jwk), &m); err != nil {
		t.Fatal(err)
	}
	if v == "" {
		delete(m, k)
	} else {
		m[k] = json.RawMessage(v)
	}
	b, _ := json.Marshal(m)
	return string(b)
}

func TestParsePublicJWKErrors(t *testing.T) {
	alice, _ := testIdentities(t)
	pub := alice.PublicJWK
	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	smallN := `"` + base64.RawURLEncoding.EncodeToString(small.N.Bytes()) + `"`
	var m map[string]string
	json.Unmarshal([]byte(mutate(t, pub, "key_ops", "")), &m)
	cases := []struct{ jwk, want string }{
		{"", "not a JSON object"},
		{"not json", "not a JSON object"},
		{"null", "not a JSON object"},
		{"[1]", "not a JSON object"},
		{pub + "x", "trailing data"},
		{mutate(t, pub, "kty", `"EC"`), `kty is "EC"`},
		{mutate(t, pub, "kty", ""), `"kty" is missing`},
		{mutate(t, pub, "kty", `1`), `"kty" must be a string`},
		{mutate(t, pub, "alg", `"RS256"`), `alg is "RS256"`},
		{mutate(t, pub, "ext", `false`), "ext is false"},
		{mutate(t, pub, "ext", `"yes"`), "ext must be a boolean"},
		{mutate(t, pub, "key_ops", `["sign"]`), `does not contain "verify"`},
		{mutate(t, pub, "key_ops", `"verify"`), "key_ops must be an array"},
		{mutate(t, pub, "use", `"enc"`), `use is "enc"`},
		{mutate(t, pub, "n", ""), `"n" is missing`},
		{mutate(t, pub, "n", `"a+b/"`), `"n" is not unpadded base64url`},
		{mutate(t, pub, "e", `"AQAB=="`), `"e" is not unpadded base64url`},
		{mutate(t, pub, "e", `"Ag"`), "public exponent"},
		{mutate(t, pub, "n", smallN), "modulus is 1024 bits"},
		{alice.PrivateJWK, `private member "d"`},
	}
	for _, c := range cases {
		_, err := ParsePublicJWK(c.jwk)
		if !errors.Is(err, ErrInvalidKey) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParsePublicJWK(%.60q…) = %v, want ErrInvalidKey mentioning %q", c.jwk, err, c.want)
		}
	}
	// Optional members may be absent: a minimal JWK parses, and fingerprints the same.
	minimal := fmt.Sprintf(`{"kty":"RSA","n":%q,"e":"AQAB"}`, m["n"])
	if _, err := ParsePublicJWK(minimal); err != nil {
		t.Errorf("minimal JWK: %v", err)
	}
	if Fingerprint(minimal) != Fingerprint(pub) {
		t.Errorf("fingerprint depends on the serialisation")
	}
}

func TestParsePrivateJWK(t *testing.T) {
	alice, bob := testIdentities(t)
	if _, err := ParsePrivateJWK(alice.PrivateJWK); err != nil {
		t.Fatal(err)
	}
	if _, err := NewIdentity("alice", alice.PublicJWK, bob.PrivateJWK); err == nil || !strings.Contains(err.Error(), "does not belong") {
		t.Errorf("mismatched pair: %v", err)
	}
	if _, err := ParsePrivateJWK(mutate(t, alice.PrivateJWK, "qi", `"AQAB"`)); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("wrong qi: %v", err)
	}
	if _, err := ParsePrivateJWK(mutate(t, alice.PrivateJWK, "d", "")); err == nil || !strings.Contains(err.Error(), `"d" is missing`) {
		t.Errorf("missing d: %v", err)
	}
	if _, err := ParsePrivateJWK(alice.PublicJWK); err == nil || !strings.Contains(err.Error(), `"sign"`) {
		t.Errorf("public key as private: %v", err)
	}
}

func TestParseIdentity(t *testing.T) {
	alice, _ := testIdentities(t)
	name, jwk, err := ParseIdentity(alice.IdentityString())
	if err != nil || name != "alice" || jwk != alice.PublicJWK {
		t.Fatalf("ParseIdentity = %q, %.20q, %v", name, jwk, err)
	}
	if _, jwk, err = ParseIdentity("User #4|" + alice.PublicJWK + "\r\n"); err != nil || jwk != alice.PublicJWK {
		t.Errorf("line ending not dropped: %v", err)
	}
	// Pasted with spaces around the name and the key: the same, exact key string.
	if name, jwk, err = ParseIdentity("\uFEFF  alice |  " + alice.PublicJWK + "  \n"); err != nil || name != "alice" || jwk != alice.PublicJWK {
		t.Errorf("surrounding whitespace: %q %v", name, err)
	}
	cases := []struct{ s, want string }{
		{"alice", "no '|'"},
		{alice.PublicJWK, "no name"},
		{"  " + alice.PublicJWK, "no name"},
		{"|" + alice.PublicJWK, "name is empty"},
		{"alice(1)|" + alice.PublicJWK, "bare name"},
		{"al\tice|" + alice.PublicJWK, "control character"},
		{"alice|{}", `"kty" is missing`},
		{"alice|" + alice.PrivateJWK, "PRIVATE"},
	}
	for _, c := range cases {
		if _, _, err := ParseIdentity(c.s); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParseIdentity(%.30q…) = %v, want mention of %q", c.s, err, c.want)
		}
	}
}

func TestBareName(t *testing.T) {
	for in, want := range map[string]string{
		"Alice": "Alice", "Alice(1)": "Alice", "Bob (2)": "Bob", "User #4(3)": "User #4",
		"alice(cli)": "alice", "bob|{}": "bob", " x (y)|z": "x", "": "", "é(2)": "é",
	} {
		if got := BareName(in); got != want {
			t.Errorf("BareName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestValidateName(t *testing.T) {
	for _, ok := range []string{"alice", "User #417", "Émile", "a b", "😀"} {
		if err := ValidateName(ok); err != nil {
			t.Errorf("ValidateName(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"", "a(1)", "a)", "a|b", " a", "a ", "a\tb", "a\x00", "a\nb", "\xff"} {
		if err := ValidateName(bad); !errors.Is(err, ErrInvalidName) {
			t.Errorf("ValidateName(%q) = %v, want ErrInvalidName", bad, err)
		}
	}
}

func TestFingerprint(t *testing.T) {
	alice, bob := testIdentities(t)
	fa, fb := Fingerprint(alice.PublicJWK), Fingerprint(bob.PublicJWK)
	if !fpShape.MatchString(fa) || fa == fb {
		t.Fatalf("fingerprints %q %q", fa, fb)
	}
	if alice.Fingerprint() != fa || Fingerprint(alice.PublicJWK) != fa {
		t.Error("fingerprint not stable")
	}
	// The documented derivation, recomputed independently.
	var m map[string]string
	json.Unmarshal([]byte(alice.PublicJWK), &m)
	n, _ := base64.RawURLEncoding.DecodeString(m["n"])
	e, _ := base64.RawURLEncoding.DecodeString(m["e"])
	sum := sha256.Sum256(append(n, e...))
	s := strings.ToLower(base32.StdEncoding.EncodeToString(sum[:10]))
	if want := s[0:4] + "-" + s[4:8] + "-" + s[8:12] + "-" + s[12:16]; fa != want {
		t.Errorf("Fingerprint = %q, documented derivation gives %q", fa, want)
	}
	// Same key, other member order (Node's): same fingerprint.
	nodeOrder := fmt.Sprintf(`{"key_ops":["verify"],"ext":true,"kty":"RSA","n":%q,"e":"AQAB","alg":"PS256"}`, m["n"])
	if Fingerprint(nodeOrder) != fa {
		t.Error("fingerprint depends on member order")
	}
	// A leading zero byte in n is the same key.
	padded := mutate(t, alice.PublicJWK, "n", `"`+base64.RawURLEncoding.EncodeToString(append([]byte{0}, n...))+`"`)
	if Fingerprint(padded) != fa {
		t.Error("fingerprint depends on leading zeros of n")
	}
	if Fingerprint("garbage") != "invalid-key" {
		t.Error("garbage fingerprint")
	}
}

func TestStoreIdentity(t *testing.T) {
	alice, bob := testIdentities(t)
	dir := filepath.Join(t.TempDir(), "a", "rtchat")
	s := Open(dir)
	_, err := s.LoadIdentity()
	if !errors.Is(err, ErrNoIdentity) || !strings.Contains(err.Error(), "rtchat keys gen --name NAME") {
		t.Fatalf("LoadIdentity before gen: %v", err)
	}
	if err := s.SaveIdentity(alice, false); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(dir)
	if err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf("config dir mode %v, %v; want 0700", st.Mode().Perm(), err)
	}
	st, err = os.Stat(s.IdentityPath())
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("identity file mode %v, %v; want 0600", st.Mode().Perm(), err)
	}
	got, err := s.LoadIdentity()
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != alice.Name || got.PublicJWK != alice.PublicJWK || got.PrivateJWK != alice.PrivateJWK {
		t.Fatal("identity not stored verbatim")
	}
	err = s.SaveIdentity(bob, false)
	if !errors.Is(err, ErrIdentityExists) || !strings.Contains(err.Error(), "--force") || !strings.Contains(err.Error(), alice.Fingerprint()) {
		t.Fatalf("overwrite without force: %v", err)
	}
	if got, _ := s.LoadIdentity(); got.PublicJWK != alice.PublicJWK {
		t.Fatal("refused overwrite changed the identity")
	}
	if err := s.SaveIdentity(bob, true); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.LoadIdentity(); got.PublicJWK != bob.PublicJWK {
		t.Fatal("forced overwrite did not happen")
	}
	if err := os.Chmod(s.IdentityPath(), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = s.LoadIdentity()
	if !errors.Is(err, ErrUnsafePermissions) || !strings.Contains(err.Error(), "chmod 600 "+s.IdentityPath()) || !strings.Contains(err.Error(), "0644") {
		t.Fatalf("0644 private key: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary file left behind: %s", e.Name())
		}
	}
}

func TestStorePins(t *testing.T) {
	alice, bob := testIdentities(t)
	s := Open(t.TempDir())
	if pins, err := s.Pins(); err != nil || len(pins) != 0 {
		t.Fatalf("empty store: %v %v", pins, err)
	}
	step := func(name, jwk string, replace bool, want PinResult) {
		t.Helper()
		got, err := s.Pin(name, jwk, replace)
		if err != nil || got != want {
			t.Fatalf("Pin(%s) = %v, %v; want %v", name, got, err, want)
		}
	}
	step("bob", bob.PublicJWK, false, PinAdded)
	step("bob", bob.PublicJWK, false, PinUnchanged)
	step("User #4", alice.PublicJWK, false, PinAdded)
	_, err := s.Pin("bob", alice.PublicJWK, false)
	if !errors.Is(err, ErrKeyChanged) || !strings.Contains(err.Error(), bob.Fingerprint()) ||
		!strings.Contains(err.Error(), alice.Fingerprint()) || !strings.Contains(err.Error(), "--replace") {
		t.Fatalf("changed key: %v", err)
	}
	if jwk, ok, _ := s.Lookup("bob(1)"); !ok || jwk != bob.PublicJWK {
		t.Fatal("refused change altered the pin")
	}
	step("bob", alice.PublicJWK, true, PinReplaced)
	if jwk, ok, err := s.Lookup("bob"); !ok || err != nil || jwk != alice.PublicJWK {
		t.Fatal("replace did not happen")
	}
	if _, err := s.Pin("bob(1)", bob.PublicJWK, false); !errors.Is(err, ErrInvalidName) {
		t.Errorf("full name pinned: %v", err)
	}
	if _, err := s.Pin("carol", "{}", false); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("bad key pinned: %v", err)
	}
	if err := s.Remove("bob"); err != nil {
		t.Fatal(err)
	}
	if err := s.Remove("bob"); !errors.Is(err, ErrNotPinned) {
		t.Fatalf("second remove: %v", err)
	}
	// The file is the web client's knownHostsStrings object.
	data, err := os.ReadFile(s.PinsPath())
	if err != nil {
		t.Fatal(err)
	}
	var hosts map[string]string
	if err := json.Unmarshal(data, &hosts); err != nil || len(hosts) != 1 || hosts["User #4"] != alice.PublicJWK {
		t.Fatalf("pins file %s: %v", data, err)
	}
	if st, _ := os.Stat(s.PinsPath()); st.Mode().Perm() != 0o600 {
		t.Errorf("pins file mode %v", st.Mode().Perm())
	}
	if _, ok, _ := s.Lookup("nobody"); ok {
		t.Error("Lookup of an unknown name")
	}
	os.WriteFile(s.PinsPath(), []byte("[1,2]"), 0o600)
	if _, err := s.Pins(); err == nil || !strings.Contains(err.Error(), PinsFile) {
		t.Errorf("corrupt pins file: %v", err)
	}
}

func TestStoreConcurrentPins(t *testing.T) {
	_, bob := testIdentities(t)
	dir := t.TempDir()
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := Open(dir) // separate Store, separate lock handle, as in separate processes
			for i := 0; i < 10; i++ {
				if _, err := s.Pin(fmt.Sprintf("peer-%d-%d", g, i), bob.PublicJWK, false); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	pins, err := Open(dir).Pins()
	if err != nil || len(pins) != 40 {
		t.Fatalf("%d pins after concurrent writes, want 40 (%v)", len(pins), err)
	}
}

func TestWebStorage(t *testing.T) {
	alice, bob := testIdentities(t)
	s := Open(t.TempDir())
	w, err := s.ExportWeb()
	if err != nil || w.PublicKeyString != "" || len(w.KnownHosts) != 0 {
		t.Fatalf("empty export: %+v %v", w, err)
	}
	s.SaveIdentity(alice, false)
	s.Pin("bob", bob.PublicJWK, false)
	if w, err = s.ExportWeb(); err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(w)
	if err != nil {
		t.Fatal(err)
	}
	// Every member is a string, as in localStorage.
	var items map[string]string
	if err := json.Unmarshal(data, &items); err != nil {
		t.Fatalf("export is not an object of strings: %s: %v", data, err)
	}
	if items["rtchat_name"] != "alice" || items["publicKeyString"] != alice.PublicJWK || items["privateKeyString"] != alice.PrivateJWK {
		t.Errorf("export items: %v", items)
	}
	var hosts map[string]string
	if err := json.Unmarshal([]byte(items["knownHostsStrings"]), &hosts); err != nil || hosts["bob"] != bob.PublicJWK {
		t.Errorf("knownHostsStrings %q: %v", items["knownHostsStrings"], err)
	}
	back, err := ParseWebStorage(data)
	if err != nil || back.Name != "alice" || back.PrivateKeyString != alice.PrivateJWK || back.KnownHosts["bob"] != bob.PublicJWK {
		t.Fatalf("round trip: %+v %v", back, err)
	}
	// knownHostsStrings as an object, and the older "name" item.
	obj := fmt.Sprintf(`{"name":"carol","knownHostsStrings":{"bob":%q}}`, bob.PublicJWK)
	back, err = ParseWebStorage([]byte(obj))
	if err != nil || back.Name != "carol" || back.KnownHosts["bob"] != bob.PublicJWK {
		t.Fatalf("object form: %+v %v", back, err)
	}
	if _, err := ParseWebStorage([]byte(`{"privateKeyString":"x"}`)); err == nil {
		t.Error("private key without public key accepted")
	}
	// Someone's name and public key alone: something to pin, not an identity.
	back, err = ParseWebStorage([]byte(fmt.Sprintf(`{"rtchat_name":"bob","publicKeyString":%q}`, bob.PublicJWK)))
	if err != nil || back.PublicKeyString != bob.PublicJWK || back.PrivateKeyString != "" || back.FromRTChat() {
		t.Errorf("public key only: %+v %v", back, err)
	}
	if _, err := ParseWebStorage([]byte(`{"knownHostsStrings":"[1]"}`)); err == nil {
		t.Error("bad knownHostsStrings accepted")
	}
}
