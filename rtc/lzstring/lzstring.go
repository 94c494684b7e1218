// Package lzstring is LZ-String 1.4.4's compressToUint8Array/decompressFromUint8Array,
// byte for byte as the npm package does it, over UTF-16 code units.
//
// LZ-String is an LZW variant. The JavaScript library works on JS strings, i.e. on UTF-16
// code units, so this port does too: a Go string is converted to UTF-16 first (a non-BMP
// character becomes a surrogate pair, invalid UTF-8 bytes become U+FFFD exactly as a
// `for range` over the string yields them), and the "16-bit" variant used by
// compressToUint8Array emits one uint16 per 16 output bits, written big-endian.
//
// The bit stream, shared by both directions:
//   - every value is written least-significant bit first, and the bits are packed into
//     16-bit output units most-significant bit first;
//   - a token is a dictionary code of numBits bits; codes 0 and 1 announce a literal
//     (8 or 16 bits follow), code 2 ends the stream, codes ≥ 3 are dictionary entries;
//   - numBits starts at 2 (compressor) / 3 (decompressor, which runs one step behind) and
//     grows when the dictionary reaches the next power of two ("enlargeIn");
//   - after the end code the last unit is padded with zero bits (always at least one).
//
// The decompressor reproduces the JavaScript results exactly, including its quirks:
// truncated streams yield "" (not an error), a stream whose first token is 3 behaves as
// JS's `undefined` does (it prints as "" but concatenates as "undefined"), and a stream
// that decodes to the end code first yields "" — that is what plain JSON bytes look
// like to decompressFromUint8Array (§2.2 of the wire spec). Where JavaScript returns
// null or throws, the Go functions return an error instead.
//
// Payloads come from a topic anyone can publish on, and LZW output can grow
// quadratically in its input, so decompression is bounded: its work and memory are
// O(input + output), output is capped (DecompressFromUint8ArrayLimit adds a cap relative to
// the input size), and a stream is known to be over the cap before anything is written.
package lzstring

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Errors returned by the decompressors. They are wrapped with details; test with errors.Is.
var (
	// ErrOddLength: decompressFromUint8Array throws a RangeError on an odd byte count.
	ErrOddLength = errors.New("lzstring: odd byte length")
	// ErrCorrupt: the stream references a dictionary entry that does not exist (JS returns
	// null or throws a TypeError) or is otherwise undecodable.
	ErrCorrupt = errors.New("lzstring: corrupt stream")
	// ErrTooLarge: the output would exceed the caller's cap on UTF-16 units.
	ErrTooLarge = errors.New("lzstring: decompressed output over the cap")
)

// CompressToUint8Array is lz-string's compressToUint8Array: the UTF-16 form of s is
// compressed with Compress and each output unit is written big-endian as two bytes.
// The empty string compresses to {0x40, 0x00} (just the end code), as in JavaScript.
func CompressToUint8Array(s string) []byte {
	units := make([]uint16, 0, len(s))
	for _, r := range s { // invalid UTF-8 bytes arrive here as U+FFFD
		units = utf16.AppendRune(units, r)
	}
	packed := Compress(units)
	b := make([]byte, 2*len(packed))
	for i, u := range packed {
		b[2*i] = byte(u >> 8)
		b[2*i+1] = byte(u)
	}
	return b
}

// Default caps for decompressing payloads from an untrusted topic:
// DecompressFromUint8ArrayLimit(b, DefaultMaxUnits, DefaultMaxRatio).
//
// Why these numbers: the only LZ payloads on the topic are browser signaling envelopes
// (connect with a JWK, RTCOffer/RTCAnswer with an SDP, ICE candidates), a few kB of JSON
// at most, and browsers compress only envelopes of ≥ 100 units. Those decode to 1.1-2.2
// UTF-16 units per payload byte; an offer whose SDP carries 100 near-identical candidate
// lines reaches 3.1 and one with 500 (42 k units) 4.5 (TestDefaultsAdmitRealEnvelopes).
// 16 units per byte leaves over 3× headroom above even that, yet cuts the 1.8 kB LZW bomb
// (1 M units, quadratic growth) to 29 k units. 64 Ki units (128 KiB as UTF-16) is more
// than 10× the largest real envelope, so it only bites on payloads large enough for the
// ratio cap to allow more, i.e. beyond 4 kB.
const (
	DefaultMaxUnits = 64 << 10 // UTF-16 units
	DefaultMaxRatio = 16       // output UTF-16 units per compressed input byte
)

// DecompressFromUint8Array is lz-string's decompressFromUint8Array with a cap on the
// decompressed size in UTF-16 units (LZ expansion is otherwise unbounded): it is
// DecompressFromUint8ArrayLimit(b, maxUnits, 0). maxUnits ≤ 0 allows no output at all.
func DecompressFromUint8Array(b []byte, maxUnits int) (string, error) {
	return DecompressFromUint8ArrayLimit(b, maxUnits, 0)
}

// DecompressFromUint8ArrayLimit is lz-string's decompressFromUint8Array with two caps on
// the output: at most maxUnits UTF-16 units (≤ 0 allows no output), and, when
// maxRatio > 0, at most maxRatio units per input byte, so that a small payload cannot
// expand hugely (LZW output can grow quadratically in the input: 1.8 kB gives 1 M units).
// Output over either cap is ErrTooLarge.
//
// Cost: the stream is decoded twice. The first pass only tracks lengths, so an over-cap,
// corrupt or truncated stream is rejected after O(min(input, cap)) work with no output
// buffer at all; the second pass writes into a buffer of the exact size. Work and memory
// are therefore O(input + output) with output ≤ the cap, and nothing is ever allocated
// beyond the cap.
//
// Results compared with JavaScript:
//   - empty b: JS returns null; this returns "", nil.
//   - odd length: JS throws RangeError; this returns ErrOddLength.
//   - streams JS decodes to "" (truncated data, or plain JSON bytes whose first bits read
//     as the end code): "", nil.
//   - streams on which JS returns null or throws: ErrCorrupt.
//   - otherwise the same UTF-16 units as JS, converted to UTF-8; lone surrogates (which JS
//     strings may hold but Go strings cannot) become U+FFFD.
func DecompressFromUint8ArrayLimit(b []byte, maxUnits, maxRatio int) (string, error) {
	if len(b)%2 != 0 {
		return "", fmt.Errorf("%w: %d bytes", ErrOddLength, len(b))
	}
	out, err := decompress(b, newLimit(len(b), maxUnits, maxRatio))
	if err != nil {
		return "", err
	}
	return unitsToString(out), nil
}

// limit is the effective output cap. ratio is set when the ratio cap is the tighter one,
// for the error message (formatted only on error, to keep the common path allocation-free).
type limit struct {
	units          int
	ratio, inBytes int
}

// maxOutput keeps every output offset within a dictionary span's int32.
const maxOutput = math.MaxInt32

func newLimit(inBytes, maxUnits, maxRatio int) limit {
	l := limit{units: min(max(maxUnits, 0), maxOutput)}
	// Compare with the quotient first so that inBytes*maxRatio cannot overflow: past it,
	// the ratio cap is no tighter than the absolute one.
	if maxRatio > 0 && inBytes <= l.units/maxRatio && inBytes*maxRatio < l.units {
		l = limit{units: inBytes * maxRatio, ratio: maxRatio, inBytes: inBytes}
	}
	return l
}

func (l limit) err() error {
	if l.ratio > 0 {
		return fmt.Errorf("%w: more than %d UTF-16 units per input byte (%d units from %d bytes)", ErrTooLarge, l.ratio, l.units, l.inBytes)
	}
	return fmt.Errorf("%w: more than %d UTF-16 units", ErrTooLarge, l.units)
}

// unitsToString converts UTF-16 units to UTF-8, mapping lone surrogates to U+FFFD. It
// measures first so that the string is allocated once at its exact size.
func unitsToString(units []uint16) string {
	n := 0
	for i := 0; i < len(units); {
		r, w := nextRune(units, i)
		n += utf8.RuneLen(r)
		i += w
	}
	var sb strings.Builder
	sb.Grow(n)
	for i := 0; i < len(units); {
		r, w := nextRune(units, i)
		if r < utf8.RuneSelf {
			sb.WriteByte(byte(r))
		} else {
			sb.WriteRune(r)
		}
		i += w
	}
	return sb.String()
}

// nextRune decodes the rune at units[i] and how many units it took; a lone surrogate is
// U+FFFD (one unit).
func nextRune(units []uint16, i int) (rune, int) {
	u := rune(units[i])
	if !utf16.IsSurrogate(u) {
		return u, 1
	}
	if u < 0xDC00 && i+1 < len(units) {
		if r := utf16.DecodeRune(u, rune(units[i+1])); r != utf8.RuneError {
			return r, 2
		}
	}
	return utf8.RuneError, 1
}

// bitWriter packs values into 16-bit units exactly like _compress(…, 16, …).
type bitWriter struct {
	out []uint16
	val uint16 // bits of the unit being filled, shifted in from the right
	pos int    // number of bits already in val (0..15)
}

// write emits the low n bits of v, least-significant bit first.
func (w *bitWriter) write(v, n int) {
	for i := 0; i < n; i++ {
		w.val = w.val<<1 | uint16(v&1)
		v >>= 1
		if w.pos == 15 {
			w.pos = 0
			w.out = append(w.out, w.val)
			w.val = 0
		} else {
			w.pos++
		}
	}
}

// flush pads the current unit with zero bits and emits it. Like JS it always shifts at
// least once, so a stream that ends exactly on a unit boundary gets a whole zero unit.
func (w *bitWriter) flush() {
	for {
		w.val <<= 1
		if w.pos == 15 {
			w.out = append(w.out, w.val)
			return
		}
		w.pos++
	}
}

// proto is "__proto__" in UTF-16. In JS, `dict["__proto__"] = n` hits the
// Object.prototype setter and stores nothing, so LZ-String 1.4.4 never finds that
// phrase in its dictionary even though it consumed a code for it. Compress copies that.
var proto = utf16.Encode([]rune("__proto__"))

// Compress is LZString.compress (that is, _compress(input, 16, String.fromCharCode)) over
// UTF-16 code units; it returns the compressed units.
func Compress(units []uint16) []uint16 {
	var (
		bw        = bitWriter{out: make([]uint16, 0, len(units)/3+2)}
		single    = make(map[uint16]int)  // code of each one-unit phrase seen so far
		toCreate  = make(map[uint16]bool) // one-unit phrases not yet sent as literals
		phrases   = make(map[uint64]int)  // (code of prefix, next unit) → code
		dictSize  = 3                     // codes 0, 1, 2 are reserved
		numBits   = 2                     // width of the next code
		enlargeIn = 2                     // codes left before numBits must grow
		wStart    = -1                    // current phrase w is units[wStart:i]; -1 = none yet
		wCode     int                     // dictionary code of w
	)
	grow := func() {
		enlargeIn--
		if enlargeIn == 0 {
			enlargeIn = 1 << numBits
			numBits++
		}
	}

	// emit writes the current phrase units[wStart:end]: a literal the first time a
	// one-unit phrase is sent (JS: context_dictionaryToCreate), its code otherwise. Like
	// JS, a literal counts twice towards enlargeIn (it defined a code and used one).
	emit := func(end int) {
		if c := units[wStart]; end-wStart == 1 && toCreate[c] {
			if c < 256 {
				bw.write(0, numBits)
				bw.write(int(c), 8)
			} else {
				bw.write(1, numBits)
				bw.write(int(c), 16)
			}
			grow()
			delete(toCreate, c)
		} else {
			bw.write(wCode, numBits)
		}
		grow()
	}

	for i, c := range units {
		code, ok := single[c]
		if !ok {
			code = dictSize
			single[c] = code
			dictSize++
			toCreate[c] = true
		}
		if wStart < 0 { // first unit: w = c
			wStart, wCode = i, code
			continue
		}
		key := uint64(wCode)<<16 | uint64(c)
		if next, ok := phrases[key]; ok { // w+c is known: extend the phrase
			wCode = next
			continue
		}
		emit(i)
		if !isProto(units[wStart : i+1]) {
			phrases[key] = dictSize
		}
		dictSize++
		wStart, wCode = i, code
	}
	if wStart >= 0 {
		emit(len(units))
	}
	bw.write(2, numBits) // end of stream
	bw.flush()
	return bw.out
}

func isProto(s []uint16) bool {
	if len(s) != len(proto) {
		return false
	}
	for i := range s {
		if s[i] != proto[i] {
			return false
		}
	}
	return true
}

// bitReader reads the stream like _decompress(length, 32768, charCodeAt) over the
// big-endian units in b. Reading past the end yields zero bits (JS: charCodeAt → NaN, and
// NaN & x == 0). It reads a whole value at once instead of bit by bit.
type bitReader struct {
	in  []byte // even length
	pos int    // bits consumed so far
}

// unit returns the i-th big-endian unit, 0 past the end.
func (r *bitReader) unit(i int) uint64 {
	if 2*i+1 < len(r.in) {
		return uint64(r.in[2*i])<<8 | uint64(r.in[2*i+1])
	}
	return 0
}

// read returns n ≤ 30 bits assembled least-significant bit first. The stream holds them
// most-significant first, so take n bits from a 48-bit window and reverse them.
func (r *bitReader) read(n int) int {
	i, off := r.pos>>4, r.pos&15
	win := r.unit(i)<<32 | r.unit(i+1)<<16 | r.unit(i+2)
	v := uint32(win>>(48-off-n)) & (1<<n - 1)
	r.pos += n
	return int(bits.Reverse32(v) >> (32 - n))
}

// index is JS's data.index: the unit at position 0 is loaded before the first read and
// the next one each time a unit's last bit has been consumed.
func (r *bitReader) index() int { return 1 + r.pos>>4 }

// span is a dictionary entry: every entry is a substring of the output produced so far
// (a literal is written out right after it is defined, and w+entry[0] is contiguous
// because entry follows w), so entries cost 8 bytes instead of a copy of the phrase, and
// the dictionary never holds more than the output does.
// off < 0 marks the two JS-`undefined` oddities (see decoder.run).
type span struct{ off, n int32 }

const (
	undefOff  = -1 // dictionary[3] is JS undefined: referencing it yields null
	undefText = -2 // the entry "undefined"+x; x is the unit at decoder.undefX
)

// undefinedUnits is "undefined" in UTF-16.
var undefinedUnits = utf16.Encode([]rune("undefined"))

// Decompress is LZString._decompress(length, 32768, …) over UTF-16 units with a cap of
// maxUnits output units (maxUnits ≤ 0 allows no output). An empty input (JS: null) and every
// stream JS decodes to "" both return an empty result and a nil error; streams on which JS
// returns null or throws return ErrCorrupt; output over the cap returns ErrTooLarge.
// Work and memory are bounded as in DecompressFromUint8ArrayLimit.
func Decompress(units []uint16, maxUnits int) ([]uint16, error) {
	b := make([]byte, 2*len(units))
	for i, u := range units {
		b[2*i], b[2*i+1] = byte(u>>8), byte(u)
	}
	return decompress(b, newLimit(len(b), maxUnits, 0))
}

// decompress runs the decoder once to measure (stopping at the cap, at corruption or at
// the end of a truncated stream, having written nothing) and, only if that yields a
// non-empty result, once more into a buffer of exactly the measured size.
func decompress(b []byte, lim limit) ([]uint16, error) {
	d := decoder{lim: lim}
	n, err := d.run(b)
	if err != nil || n == 0 {
		return []uint16{}, err
	}
	d = decoder{lim: limit{units: n}, out: make([]uint16, n), write: true, dict: d.dict[:0]}
	if m, err := d.run(b); err != nil || m != n {
		// The passes read the same bits, so this cannot happen; fail safe if it does.
		return []uint16{}, fmt.Errorf("%w: second pass gave %d units (%v), first %d", ErrCorrupt, m, err, n)
	}
	return d.out, nil
}

// decoder holds one pass of the decompressor. While measuring (write false) it only
// counts units; while writing, out has the exact final length.
type decoder struct {
	lim    limit
	write  bool
	out    []uint16
	n      int    // units produced so far
	dict   []span // reused by the writing pass
	undefX int    // output offset of x in the "undefined"+x entry
}

// room reports ErrTooLarge if k more units would pass the cap. It runs before anything
// is produced, so the cap bounds the work done too.
func (d *decoder) room(k int) error {
	if d.n+k > d.lim.units {
		return d.lim.err()
	}
	return nil
}

func (d *decoder) literal(u uint16) error {
	if err := d.room(1); err != nil {
		return err
	}
	if d.write {
		d.out[d.n] = u
	}
	d.n++
	return nil
}

// copyOut appends out[off:off+k], which always ends at or before the current end.
func (d *decoder) copyOut(off, k int) error {
	if err := d.room(k); err != nil {
		return err
	}
	if d.write {
		copy(d.out[d.n:d.n+k], d.out[off:off+k])
	}
	d.n += k
	return nil
}

// run decodes b and returns the number of units produced. A result of 0 with a nil error
// is the empty string (JS "" or null).
func (d *decoder) run(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	length := len(b) / 2
	r := bitReader{in: b}
	dict := d.dict[:0]
	if dict == nil {
		// Real streams define 0.5-0.9 entries per input byte; more only come with at
		// least as many output units, so the estimate never exceeds the cap either.
		dict = make([]span, 0, min(len(b), d.lim.units)+16)
	}
	dict = append(dict, make([]span, 4)...) // 0..2 are the reserved codes, 3 the first char
	var (
		enlargeIn = 4
		numBits   = 3
		w         span
	)
	defer func() { d.dict = dict }()

	// First token: numBits is 2 here.
	first := -1
	switch r.read(2) {
	case 0:
		first = r.read(8)
	case 1:
		first = r.read(16)
	case 2:
		return 0, nil
	case 3:
		// JS leaves c undefined: dictionary[3] = w = undefined and result = [undefined],
		// which join() prints as "". Continue with those semantics below.
	}
	if first >= 0 {
		if err := d.literal(uint16(first)); err != nil {
			return 0, err
		}
		dict[3] = span{0, 1}
		w = span{0, 1}
	} else {
		dict[3] = span{undefOff, 0}
		w = span{undefOff, 0}
	}

	for {
		if r.index() > length { // JS: if (data.index > length) return "";
			return 0, nil
		}
		if numBits > 30 {
			// JS's 32-bit `power <<= 1` would loop forever here; unreachable below
			// about 2^29 dictionary entries.
			return 0, fmt.Errorf("%w: code width over 30 bits", ErrCorrupt)
		}
		c := r.read(numBits)
		var entry span
		literal := false
		switch c {
		case 0, 1:
			nb := 8
			if c == 1 {
				nb = 16
			}
			if err := d.literal(uint16(r.read(nb))); err != nil {
				return 0, err
			}
			entry = span{int32(d.n - 1), 1}
			dict = append(dict, entry)
			c = len(dict) - 1
			enlargeIn--
			literal = true
		case 2:
			return d.n, nil
		}
		if enlargeIn == 0 {
			enlargeIn = 1 << numBits
			numBits++
		}

		if !literal {
			start := d.n
			switch {
			case c < len(dict) && dict[c].off == undefOff:
				// dictionary[3] is undefined (falsy) and c !== dictSize: JS returns null.
				return 0, fmt.Errorf("%w: reference to an undefined entry", ErrCorrupt)
			case c < len(dict) && dict[c].off == undefText:
				if err := d.room(len(undefinedUnits) + 1); err != nil {
					return 0, err
				}
				if d.write {
					copy(d.out[d.n:], undefinedUnits)
				}
				d.n += len(undefinedUnits)
				if err := d.copyOut(d.undefX, 1); err != nil {
					return 0, err
				}
			case c < len(dict):
				if err := d.copyOut(int(dict[c].off), int(dict[c].n)); err != nil {
					return 0, err
				}
			case c == len(dict): // the cScSc case: entry = w + w[0]
				if w.off < 0 { // JS: undefined.charAt → TypeError
					return 0, fmt.Errorf("%w: back-reference before any output", ErrCorrupt)
				}
				if err := d.room(int(w.n) + 1); err != nil {
					return 0, err
				}
				if err := d.copyOut(int(w.off), int(w.n)); err != nil {
					return 0, err
				}
				if err := d.copyOut(int(w.off), 1); err != nil {
					return 0, err
				}
			default:
				return 0, fmt.Errorf("%w: code %d beyond dictionary size %d", ErrCorrupt, c, len(dict))
			}
			entry = span{int32(start), int32(d.n - start)}
		}

		// Add w + entry[0] to the dictionary. entry was just written right after w.
		if w.off == undefOff {
			// undefined + "x" is the nine letters of "undefined" followed by x in JS.
			d.undefX = int(entry.off)
			dict = append(dict, span{undefText, int32(len(undefinedUnits) + 1)})
		} else {
			dict = append(dict, span{w.off, w.n + 1})
		}
		enlargeIn--
		w = entry
		if enlargeIn == 0 {
			enlargeIn = 1 << numBits
			numBits++
		}
	}
}
