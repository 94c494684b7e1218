package lzstring

import (
	"errors"
	"math"
	"runtime"
	"slices"
	"strings"
	"testing"
	"unicode/utf16"
)

// ---------------------------------------------------------------------------------
// Decompression bombs: LZW output can grow quadratically in the input (phrase lengths
// grow by one per code), so 1.8 kB of payload decodes to 1 M units.

// bombEnvelope is the reported attack: an envelope whose data is n repeated units,
// compressed by our (byte-for-byte lz-string) compressor.
func bombEnvelope(n int) (payload []byte, units int) {
	s := `{"sender":"Mallory","timestamp":1,"subtopic":"connect","data":"` + strings.Repeat("a", n) + `"}`
	return CompressToUint8Array(s), len(s)
}

// chainBomb hand-builds the densest stream: a 16-bit literal (a lone surrogate, so each
// unit becomes 3 bytes of U+FFFD in the Go string), then `codes` references to the entry
// being defined (the cScSc case), each one unit longer than the last, then tail:
// "end" (the end code), "corrupt" (a code past the dictionary) or "truncated" (nothing,
// so JS runs out of input and returns "" after doing all the work).
// It outputs 1 + codes·(codes+3)/2 units.
func chainBomb(codes int, tail string) []byte {
	var bw bitWriter
	bw.write(1, 2) // first token: 16-bit literal, read with 2 bits
	bw.write(0xD800, 16)
	dictSize, numBits, enlargeIn := 4, 3, 4
	for range codes {
		bw.write(dictSize, numBits)
		dictSize++
		if enlargeIn--; enlargeIn == 0 {
			enlargeIn = 1 << numBits
			numBits++
		}
	}
	switch tail {
	case "end":
		bw.write(2, numBits)
	case "corrupt":
		bw.write(dictSize+1, numBits)
	}
	if tail != "truncated" {
		bw.flush()
	}
	b := make([]byte, 0, 2*len(bw.out))
	for _, u := range bw.out {
		b = append(b, byte(u>>8), byte(u))
	}
	return b
}

func chainUnits(codes int) int { return 1 + codes*(codes+3)/2 }

// chainAtRatio is the longest "end" chain whose output is within ratio units per byte.
func chainAtRatio(ratio int) []byte {
	k := 1
	for chainUnits(k+1) <= ratio*len(chainBomb(k+1, "end")) {
		k++
	}
	return chainBomb(k, "end")
}

type bomb struct {
	name    string
	payload []byte
	units   int   // what it decodes to without caps (JS; 0 for "" and errors)
	err     error // what it gives without caps
}

// bombs each make the decoder produce just over 1 M units (2^20) from under 2 kB, so that
// every cap tested, the 1 M one rtc/signal uses today included, stops them.
func bombs() []bomb {
	const codes = 1447 // chainUnits(1447) = 1 049 076
	env, envUnits := bombEnvelope(1 << 20)
	return []bomb{
		{"envelope", env, envUnits, nil},
		{"chain", chainBomb(codes, "end"), chainUnits(codes), nil},
		{"chain-corrupt", chainBomb(codes, "corrupt"), 0, ErrCorrupt},
		{"chain-truncated", chainBomb(codes+2, "truncated"), 0, nil}, // the last code is cut off
	}
}

// measureAllocs returns the average heap allocations (count, bytes) of one call of f.
func measureAllocs(f func()) (allocs, bytes uint64) {
	f()
	const runs = 10
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range runs {
		f()
	}
	runtime.ReadMemStats(&after)
	return (after.Mallocs - before.Mallocs) / runs, (after.TotalAlloc - before.TotalAlloc) / runs
}

// The bombs are what they claim to be (checked with the reference decoder, which was
// cross-checked against Node, and with the new one).
func TestBombsAreBombs(t *testing.T) {
	for _, b := range bombs() {
		if len(b.payload) > 2000 {
			t.Errorf("%s: %d bytes, want a ≤ 2 kB payload", b.name, len(b.payload))
		}
		for name, dec := range map[string]func([]byte, int) (string, error){
			"reference": refDecompressFromUint8Array, "bounded": DecompressFromUint8Array,
		} {
			s, err := dec(b.payload, math.MaxInt32)
			if n := len(utf16.Encode([]rune(s))); n != b.units || !errors.Is(err, b.err) || (b.err == nil) != (err == nil) {
				t.Errorf("%s, %s decoder: %d units, %v; want %d units, %v", b.name, name, n, err, b.units, b.err)
			}
		}
		t.Logf("%s: %d bytes → %d units (ratio %d)", b.name, len(b.payload), b.units, b.units/len(b.payload))
	}
}

// With the caps, a bomb stops with ErrTooLarge having read only as many codes as it takes
// to reach the cap, written no output, and allocated less than the cap's output would
// take. Without timing: the decoder's own counters and the heap statistics.
func TestBombStopsAtCap(t *testing.T) {
	for _, b := range bombs() {
		for _, c := range []struct {
			name            string
			maxUnits, ratio int
		}{
			{"1M cap (rtc/signal today)", 1 << 20, 0},
			{"defaults", DefaultMaxUnits, DefaultMaxRatio},
			{"ratio only", math.MaxInt, DefaultMaxRatio},
		} {
			lim := newLimit(len(b.payload), c.maxUnits, c.ratio)
			d := decoder{lim: lim}
			if _, err := d.run(b.payload); !errors.Is(err, ErrTooLarge) {
				t.Errorf("%s, %s: %v, want ErrTooLarge", b.name, c.name, err)
			}
			if d.out != nil || d.n > lim.units {
				t.Errorf("%s, %s: measuring pass wrote output or counted %d units past the cap %d", b.name, c.name, d.n, lim.units)
			}
			// Work: one dictionary entry per code read (two per literal). Reaching n
			// units of a chain takes about √(2n) codes, plus the envelope's literals.
			if maxCodes := int(math.Sqrt(2*float64(lim.units))) + 128; len(d.dict) > maxCodes {
				t.Errorf("%s, %s: read %d codes before stopping at %d units, want ≤ %d", b.name, c.name, len(d.dict), lim.units, maxCodes)
			}

			var s string
			var err error
			allocs, bytes := measureAllocs(func() { s, err = DecompressFromUint8ArrayLimit(b.payload, c.maxUnits, c.ratio) })
			if s != "" || !errors.Is(err, ErrTooLarge) {
				t.Errorf("%s, %s: got %d bytes, %v; want ErrTooLarge", b.name, c.name, len(s), err)
			}
			// Everything allocated is the dictionary (8 bytes an input byte up front, more
			// only if it had to grow) and error text: well under 2 bytes per unit of the cap.
			if bound := uint64(8*(len(b.payload)+16) + 16*len(d.dict) + 256); bytes > bound || bytes >= uint64(2*lim.units) {
				t.Errorf("%s, %s: allocated %d bytes in %d allocations, want ≤ %d and < %d", b.name, c.name, bytes, allocs, bound, 2*lim.units)
			}
			t.Logf("%-15s %-26s cap %7d units: %v; %d codes read, %d B in %d allocs", b.name, c.name, lim.units, err, len(d.dict), bytes, allocs)
		}
	}
}

// A result that fits is allocated once at its exact size: the UTF-16 buffer, the string
// and the dictionary, nothing proportional to what a bomb could have made.
func TestDecompressAllocatesExactly(t *testing.T) {
	for _, c := range []struct {
		name    string
		payload []byte
	}{
		{"chain at the ratio cap", chainAtRatio(DefaultMaxRatio)},
		{"envelope", CompressToUint8Array(benchEnvelope())},
		{"SDP", CompressToUint8Array(sdpLike(200))},
	} {
		want, err := refDecompressFromUint8Array(c.payload, DefaultMaxUnits)
		if err != nil {
			t.Fatalf("%s: reference: %v", c.name, err)
		}
		d := decoder{lim: newLimit(len(c.payload), DefaultMaxUnits, DefaultMaxRatio)}
		n, err := d.run(c.payload)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		out, err := decompress(c.payload, d.lim)
		if err != nil || len(out) != n || cap(out) != n {
			t.Fatalf("%s: output len %d cap %d, %v; want exactly %d", c.name, len(out), cap(out), err, n)
		}
		var s string
		allocs, bytes := measureAllocs(func() { s, err = DecompressFromUint8ArrayLimit(c.payload, DefaultMaxUnits, DefaultMaxRatio) })
		if err != nil || s != want {
			t.Fatalf("%s: %v or output differs from the reference", c.name, err)
		}
		// out (2 B/unit) + string + dictionary (8 B an input byte + 16 entries), with
		// up to 25% for the allocator's size classes and page rounding.
		bound := uint64(2*n+len(s)+8*(len(c.payload)+16))*5/4 + 256
		if bytes > bound || allocs > 3 {
			t.Errorf("%s: %d units, %d bytes of text: allocated %d B in %d allocs, want ≤ %d B, ≤ 3", c.name, n, len(s), bytes, allocs, bound)
		}
		_, refBytes := measureAllocs(func() { _, _ = refDecompressFromUint8Array(c.payload, DefaultMaxUnits) })
		t.Logf("%s: %d units: %d B in %d allocs (reference decoder: %d B)", c.name, n, bytes, allocs, refBytes)
	}
}

// The defaults admit every realistic envelope with room to spare (the doc comment on
// DefaultMaxRatio quotes these ratios).
func TestDefaultsAdmitRealEnvelopes(t *testing.T) {
	offer := func(n int) string {
		return `{"sender":"Alice(1)","timestamp":1700000000123,"subtopic":"RTCOffer","data":{"userInfo":{"publicKeyString":"{}"},"offer":{"localDescription":{"type":"offer","sdp":` +
			jsonString(sdpLike(n)) + `},"target":"Bob"}}}`
	}
	envs := []string{benchEnvelope(), offer(0), offer(5), offer(20), offer(100), offer(500)}
	for _, s := range fixedStrings() {
		if strings.HasPrefix(s, `{"sender"`) && len(s) >= 100 { // browsers compress ≥ 100 units only
			envs = append(envs, s)
		}
	}
	worst := 0.0
	for _, s := range envs {
		b := CompressToUint8Array(s)
		got, err := DecompressFromUint8ArrayLimit(b, DefaultMaxUnits, DefaultMaxRatio)
		if err != nil || got != s {
			t.Errorf("%.50q (%d bytes LZ): %v", s, len(b), err)
		}
		ratio := float64(len(utf16.Encode([]rune(s)))) / float64(len(b))
		worst = max(worst, ratio)
		t.Logf("%6d units from %5d bytes: %.2f units/byte", len(utf16.Encode([]rune(s))), len(b), ratio)
	}
	if worst > DefaultMaxRatio/3 {
		t.Errorf("worst ratio %.2f leaves less than 3× headroom under DefaultMaxRatio %d", worst, DefaultMaxRatio)
	}
}

func TestNewLimit(t *testing.T) {
	for _, c := range []struct{ in, maxUnits, ratio, want int }{
		{100, 1000, 5, 500},
		{100, 300, 5, 300},
		{100, 500, 5, 500},
		{100, 1000, 0, 1000},
		{100, 1000, -1, 1000},
		{100, -5, 5, 0},
		{0, 1000, 5, 0},
		{math.MaxInt, math.MaxInt, math.MaxInt, maxOutput},
		{math.MaxInt / 2, math.MaxInt, 3, maxOutput},
		{1 << 20, math.MaxInt, 16, 1 << 24},
	} {
		if got := newLimit(c.in, c.maxUnits, c.ratio).units; got != c.want {
			t.Errorf("newLimit(%d, %d, %d) = %d, want %d", c.in, c.maxUnits, c.ratio, got, c.want)
		}
	}
	// The ratio cap is exact: k·bytes units pass, one more does not.
	b := chainBomb(30, "end") // 496 units
	n := chainUnits(30)
	if _, err := DecompressFromUint8ArrayLimit(b, math.MaxInt, n/len(b)+1); err != nil {
		t.Errorf("ratio just above: %v", err)
	}
	ratio := n / len(b)
	if n%len(b) == 0 {
		ratio--
	}
	if _, err := DecompressFromUint8ArrayLimit(b, math.MaxInt, ratio); !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "per input byte") {
		t.Errorf("ratio %d for %d units from %d bytes: %v, want ErrTooLarge naming the ratio", ratio, n, len(b), err)
	}
}

// The bounded decoder and the reference decoder agree on everything: output, error class,
// and where the cap bites, for every input the Node cross-check uses and more.
func TestMatchesReference(t *testing.T) {
	var ins [][]byte
	for _, u := range crossInputs() {
		p := Compress(u)
		b := make([]byte, 0, 2*len(p))
		for _, x := range p {
			b = append(b, byte(x>>8), byte(x))
		}
		ins = append(ins, b)
	}
	ins = append(ins, garbageInputs()...)
	for _, b := range bombs() {
		ins = append(ins, b.payload)
	}
	for _, b := range ins {
		full, ferr := refDecompressFromUint8Array(b, math.MaxInt32)
		n := len(utf16.Encode([]rune(full)))
		for _, maxUnits := range []int{0, 1, n - 1, n, n + 1, 1 << 20} {
			want, werr := refDecompressFromUint8Array(b, maxUnits)
			got, gerr := DecompressFromUint8Array(b, maxUnits)
			if got != want || !sameErr(gerr, werr) {
				t.Fatalf("%.40x… cap %d: got %.40q, %v; reference %.40q, %v", b, maxUnits, got, gerr, want, werr)
			}
		}
		if ferr == nil && len(b)%2 == 0 {
			u := make([]uint16, len(b)/2)
			for i := range u {
				u[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
			}
			got, err1 := Decompress(u, math.MaxInt32)
			want, err2 := refDecompress(u, math.MaxInt32)
			if !slices.Equal(got, want) || !sameErr(err1, err2) {
				t.Fatalf("Decompress(%.40x…) differs from the reference", b)
			}
		}
	}
}

func sameErr(a, b error) bool {
	for _, e := range []error{ErrOddLength, ErrCorrupt, ErrTooLarge} {
		if errors.Is(a, e) != errors.Is(b, e) {
			return false
		}
	}
	return (a == nil) == (b == nil)
}

// BenchmarkDecompressBomb: the reference (previous) decoder against the bounded one, with
// the 1 M-unit cap rtc/signal uses today and with the recommended defaults.
//
// "fits" is the reported payload itself: 1860 bytes that decode to just under 1 M units,
// so a 1 M cap alone lets it through and only the ratio cap stops it.
func BenchmarkDecompressBomb(b *testing.B) {
	fits, fitsUnits := bombEnvelope(1<<20 - 100)
	for _, bm := range append(bombs()[:2], bomb{"fits", fits, fitsUnits, nil}) {
		for _, c := range []struct {
			name     string
			ref      bool
			maxUnits int
			ratio    int
		}{
			{"before/cap1M", true, 1 << 20, 0},
			{"after/cap1M", false, 1 << 20, 0},
			{"after/defaults", false, DefaultMaxUnits, DefaultMaxRatio},
		} {
			b.Run(bm.name+"/"+c.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if c.ref {
						_, _ = refDecompressFromUint8Array(bm.payload, c.maxUnits)
					} else {
						_, _ = DecompressFromUint8ArrayLimit(bm.payload, c.maxUnits, c.ratio)
					}
				}
			})
		}
	}
}

// A stream that turns out corrupt or truncated fails in the measuring pass, so the work
// it made JS do (and the previous decoder: all of its output) never gets written here.
func TestFailingStreamsWriteNothing(t *testing.T) {
	for _, c := range []struct {
		tail string
		err  error
	}{{"corrupt", ErrCorrupt}, {"truncated", nil}} {
		b := chainBomb(300, c.tail) // 45 k units of work before the failure
		var s string
		var err error
		allocs, bytes := measureAllocs(func() { s, err = DecompressFromUint8Array(b, 1<<20) })
		if s != "" || !errors.Is(err, c.err) || (c.err == nil) != (err == nil) {
			t.Errorf("%s: %q, %v; want \"\", %v", c.tail, s, err, c.err)
		}
		// The dictionary (one entry a code: here more codes than bytes, so it grows once)
		// and the error; not the 90 kB the output would take.
		if bound := uint64(32*(len(b)+16) + 1024); bytes > bound {
			t.Errorf("%s: allocated %d B in %d allocs, want ≤ %d (dictionary and error only)", c.tail, bytes, allocs, bound)
		}
		_, refBytes := measureAllocs(func() { _, _ = refDecompressFromUint8Array(b, 1<<20) })
		t.Logf("%s: %d B in %d allocs (reference decoder: %d B)", c.tail, bytes, allocs, refBytes)
	}
}

// BenchmarkDecompressReference is BenchmarkDecompress on the previous decoder, for
// comparing a real envelope's cost before and after the two-pass change.
func BenchmarkDecompressReference(b *testing.B) {
	s := benchEnvelope()
	in := CompressToUint8Array(s)
	b.SetBytes(int64(len(s)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := refDecompressFromUint8Array(in, 1<<20); err != nil {
			b.Fatal(err)
		}
	}
}
