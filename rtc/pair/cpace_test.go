package pair

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"testing"
)

// Known answers: draft-irtf-cfrg-cpace-21, appendix B.3 (ristretto255, SHA-512), copied
// from the draft's text.
var b3 = struct {
	PRS, CI, sid, genStr, hash, g, ya, ADa, Ya, yb, ADb, Yb, K, trIR, iskInput, ISK string
}{
	PRS:    "50617373776f7264", // "Password"
	CI:     "0b415f696e69746961746f720b425f726573706f6e646572",
	sid:    "7e4b4791d6a8ef019b936c79fb7f2c57",
	genStr: "11435061636552697374726574746f3235350850617373776f726464" + strings.Repeat("00", 100) + "180b415f696e69746961746f720b425f726573706f6e646572107e4b4791d6a8ef019b936c79fb7f2c57",
	hash:   "da6d3ddc8802fca9058755ffd3ebde08a9c2c74945901a258482a288b6663af06bf645c93cd1c51512307199c80e84908916d983b34af77205f90851a657ee27",
	g:      "222b6b195fe84b1652badb6f6a3ae3d24341e7306967f0b8115b40d5698c7e56",
	ya:     "da3d23700a9e5699258aef94dc060dfda5ebb61f02a5ea77fad53f4ff0976d08",
	ADa:    "414461",
	Ya:     "d6bac480f2c386c394efc7c47adb9925dcd2630b64f240c50f8d0eec482b9157",
	yb:     "d2316b454718c35362d83d69df6320f38578ed5984651435e2949762d900b80d",
	ADb:    "414462",
	Yb:     "3ea7e0b19560d7c0b0f5734f63b955286dfa8232b5ebe63324e2d9e7433f7258",
	K:      "80b69a8a76457ab6a4d7f887a4bf6b55a2f80ac19c333f917a05fc9887c8b40f",
	trIR: "20d6bac480f2c386c394efc7c47adb9925dcd2630b64f240c50f8d0eec482b915703414461203ea7e0b19560d7c0b0f5734f63b955286dfa" +
		"8232b5ebe63324e2d9e7433f725803414462",
	iskInput: "15435061636552697374726574746f3235355f49534b107e4b4791d6a8ef019b936c79fb7f2c572080b69a8a76457ab6a4d7f887a4bf6b55" +
		"a2f80ac19c333f917a05fc9887c8b40f20d6bac480f2c386c394efc7c47adb9925dcd2630b64f240c50f8d0eec482b915703414461203ea7" +
		"e0b19560d7c0b0f5734f63b955286dfa8232b5ebe63324e2d9e7433f725803414462",
	ISK: "b69effbf61b51d56401c0f65601abe428de8206feaaf0e32198896dcae7b35cd2b38950a39dfd5d4a79164614c2984f7daa460b588c1e80c3fa2068af7900447",
}

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("bad hex in a test vector: %v", err)
	}
	return b
}

func eqHex(t *testing.T, what string, got []byte, want string) {
	t.Helper()
	if hex.EncodeToString(got) != want {
		t.Errorf("%s:\n got %x\nwant %s", what, got, want)
	}
}

func TestCPaceDraftVectorsB3(t *testing.T) {
	prs, ci, sid := unhex(t, b3.PRS), unhex(t, b3.CI), unhex(t, b3.sid)
	gs := generatorString(prs, ci, sid)
	eqHex(t, "generator_string", gs, b3.genStr)
	if len(gs) != 170 {
		t.Errorf("generator_string is %d bytes, the draft's 170", len(gs))
	}
	g, err := calculateGenerator(prs, ci, sid)
	if err != nil {
		t.Fatal(err)
	}
	gb, _ := g.MarshalBinary()
	eqHex(t, "generator g", gb, b3.g)

	scalar := func(s string) *share {
		y := grp.NewScalar()
		if err := y.UnmarshalBinary(unhex(t, s)); err != nil {
			t.Fatalf("scalar %s: %v", s, err)
		}
		sh, err := shareFrom(g, y)
		if err != nil {
			t.Fatal(err)
		}
		return sh
	}
	a, b := scalar(b3.ya), scalar(b3.yb)
	eqHex(t, "Ya", a.Y, b3.Ya)
	eqHex(t, "Yb", b.Y, b3.Yb)
	Ka, Kb := exchange(t, a, b)
	eqHex(t, "scalar_mult_vfy(ya,Yb)", Ka, b3.K)
	eqHex(t, "scalar_mult_vfy(yb,Ya)", Kb, b3.K)
	ADa, ADb := unhex(t, b3.ADa), unhex(t, b3.ADb)
	eqHex(t, "transcript_ir", transcriptIR(a.Y, ADa, b.Y, ADb), b3.trIR)
	eqHex(t, "lv_cat(DSI,sid,K)||transcript_ir", append(lvCat([]byte(dsiISK), sid, Ka), transcriptIR(a.Y, ADa, b.Y, ADb)...), b3.iskInput)
	eqHex(t, "ISK_IR", iskIR(sid, Ka, a.Y, ADa, b.Y, ADb), b3.ISK)
}

// B.3.10 and B.3.11: scalar_mult_vfy with a valid point, a non-canonical encoding and the
// neutral element.
func TestCPaceScalarMultVfyB3(t *testing.T) {
	y := grp.NewScalar()
	if err := y.UnmarshalBinary(unhex(t, "7cd0e075fa7955ba52c02759a6c90dbbfc10e6d40aea8d283e407d88cf538a05")); err != nil {
		t.Fatal(err)
	}
	s := &share{y: y}
	K, err := s.scalarMultVfy(unhex(t, "2c3c6b8c4f3800e7aef6864025b4ed79bd599117e427c41bd47d93d654b4a51c"))
	if err != nil {
		t.Fatal(err)
	}
	eqHex(t, "scalar_mult_vfy(s,X)", K, "7c13645fe790a468f62c39beb7388e541d8405d1ade69d1778c5fe3e7f6b600e")
	for name, bad := range map[string]string{
		"Y_i1 (not a canonical encoding)": "2b3c6b8c4f3800e7aef6864025b4ed79bd599117e427c41bd47d93d654b4a51c",
		"Y_i2 (the neutral element)":      strings.Repeat("00", 32),
		"short":                           "2c3c6b8c",
	} {
		if _, err := s.scalarMultVfy(unhex(t, bad)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// The encodings the draft builds everything from: LEB128 lengths past one byte.
func TestPrependLen(t *testing.T) {
	for n, want := range map[int]string{0: "00", 1: "01", 127: "7f", 128: "8001", 300: "ac02"} {
		got := prependLen(make([]byte, n))
		eqHex(t, "prepend_len length", got[:len(got)-n], want)
	}
	// A password longer than the block: no padding, nothing cut.
	long := bytes.Repeat([]byte("x"), 200)
	gs := generatorString(long, nil, nil)
	if !bytes.Contains(gs, long) || len(gs) != len(prependLen([]byte(dsi)))+len(prependLen(long))+1+1+1 {
		t.Errorf("generator string of a long password: %d bytes", len(gs))
	}
}

// Two honest runs agree; a different password gives a different key.
func TestCPaceRoundTrip(t *testing.T) {
	sid := []byte("0123456789abcdef")
	run := func(pwA, pwB string) ([]byte, []byte) {
		ga, _ := calculateGenerator([]byte(pwA), []byte("ci"), sid)
		gb, _ := calculateGenerator([]byte(pwB), []byte("ci"), sid)
		a, _ := newShare(ga, rand.Reader)
		b, _ := newShare(gb, rand.Reader)
		Ka, Kb := exchange(t, a, b)
		return iskIR(sid, Ka, a.Y, nil, b.Y, nil), iskIR(sid, Kb, a.Y, nil, b.Y, nil)
	}
	if a, b := run("7-amber-orbit", "7-amber-orbit"); !bytes.Equal(a, b) {
		t.Error("same password, different keys")
	}
	if a, b := run("7-amber-orbit", "7-amber-otter"); bytes.Equal(a, b) {
		t.Error("different passwords, same key")
	}
}

// exchange is both sides' scalar_mult_vfy of the other's share.
func exchange(t *testing.T, a, b *share) ([]byte, []byte) {
	t.Helper()
	Ka, err := a.scalarMultVfy(b.Y)
	if err != nil {
		t.Fatal(err)
	}
	Kb, err := b.scalarMultVfy(a.Y)
	if err != nil {
		t.Fatal(err)
	}
	return Ka, Kb
}
