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
package lzstring

import (
	"errors"
	"fmt"
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

// DecompressFromUint8Array is lz-string's decompressFromUint8Array with a cap on the
// decompressed size in UTF-16 units (LZ expansion is otherwise unbounded). The cap is
// enforced while decoding, so memory stays proportional to min(maxUnits, 16·len(b)).
// maxUnits ≤ 0 allows no output at all.
//
// Results compared with JavaScript:
//   - empty b: JS returns null; this returns "", nil.
//   - odd length: JS throws RangeError; this returns ErrOddLength.
//   - streams JS decodes to "" (truncated data, or plain JSON bytes whose first bits read
//     as the end code): "", nil.
//   - streams on which JS returns null or throws: ErrCorrupt.
//   - otherwise the same UTF-16 units as JS, converted to UTF-8; lone surrogates (which JS
//     strings may hold but Go strings cannot) become U+FFFD.
func DecompressFromUint8Array(b []byte, maxUnits int) (string, error) {
	if len(b)%2 != 0 {
		return "", fmt.Errorf("%w: %d bytes", ErrOddLength, len(b))
	}
	units := make([]uint16, len(b)/2)
	for i := range units {
		units[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
	}
	out, err := Decompress(units, maxUnits)
	if err != nil {
		return "", err
	}
	return unitsToString(out), nil
}

// unitsToString converts UTF-16 units to UTF-8, mapping lone surrogates to U+FFFD.
func unitsToString(units []uint16) string {
	buf := make([]byte, 0, len(units)+len(units)/2)
	for i := 0; i < len(units); i++ {
		u := units[i]
		switch {
		case u < utf8.RuneSelf:
			buf = append(buf, byte(u))
		case utf16.IsSurrogate(rune(u)) && u < 0xDC00 && i+1 < len(units):
			r := utf16.DecodeRune(rune(u), rune(units[i+1])) // U+FFFD unless a valid pair
			if r != utf8.RuneError {
				i++
			}
			buf = utf8.AppendRune(buf, r)
		default:
			buf = utf8.AppendRune(buf, rune(u)) // a lone surrogate encodes as U+FFFD
		}
	}
	return string(buf)
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

// bitReader reads the stream like _decompress(length, 32768, charCodeAt). Reading past
// the end yields zero bits (JS: charCodeAt → NaN, and NaN & x == 0).
type bitReader struct {
	in    []uint16
	val   uint16
	mask  uint16 // next bit to read in val (JS data.position)
	index int    // index of the next unit to load (JS data.index)
}

// read returns n bits assembled least-significant bit first.
func (r *bitReader) read(n int) int {
	bits := 0
	for i := 0; i < n; i++ {
		if r.val&r.mask != 0 {
			bits |= 1 << i
		}
		r.mask >>= 1
		if r.mask == 0 {
			r.mask = 0x8000
			r.val = 0
			if r.index < len(r.in) {
				r.val = r.in[r.index]
			}
			r.index++
		}
	}
	return bits
}

// span is a dictionary entry: every entry is a substring of the output produced so far
// (a literal is written out right after it is defined, and w+entry[0] is contiguous
// because entry follows w), so entries cost 8 bytes instead of a copy of the phrase.
// off == undefOff marks the two JS-`undefined` oddities (see Decompress).
type span struct{ off, n int32 }

const (
	undefOff  = -1 // dictionary[3] is JS undefined: referencing it yields null
	undefText = -2 // the entry "undefined"+x, kept in Decompress's undefEntry
)

// Decompress is LZString._decompress(length, 32768, …) over UTF-16 units with a cap of
// maxUnits output units (maxUnits ≤ 0 allows no output). An empty input (JS: null) and every
// stream JS decodes to "" both return an empty result and a nil error; streams on which JS
// returns null or throws return ErrCorrupt; output over the cap returns ErrTooLarge as
// soon as it would be produced. Memory is O(min(maxUnits, 16·len(units))).
func Decompress(units []uint16, maxUnits int) ([]uint16, error) {
	if len(units) == 0 {
		return []uint16{}, nil
	}
	r := bitReader{in: units, val: units[0], mask: 0x8000, index: 1}
	var (
		out        []uint16
		dict       = make([]span, 4, 64) // 0..2 are the reserved codes, 3 the first char
		enlargeIn  = 4
		numBits    = 3
		w          span
		undefEntry []uint16 // "undefined"+x, see below
	)
	appendUnits := func(u ...uint16) error {
		if len(out)+len(u) > maxUnits {
			return fmt.Errorf("%w: more than %d UTF-16 units", ErrTooLarge, maxUnits)
		}
		out = append(out, u...)
		return nil
	}

	// First token: numBits is 2 here.
	var first int
	switch r.read(2) {
	case 0:
		first = r.read(8)
	case 1:
		first = r.read(16)
	case 2:
		return []uint16{}, nil
	case 3:
		// JS leaves c undefined: dictionary[3] = w = undefined and result = [undefined],
		// which join() prints as "". Continue with those semantics below.
		first = -1
	}
	if first >= 0 {
		if err := appendUnits(uint16(first)); err != nil {
			return nil, err
		}
		dict[3] = span{0, 1}
		w = span{0, 1}
	} else {
		dict[3] = span{undefOff, 0}
		w = span{undefOff, 0}
	}

	for {
		if r.index > len(units) { // JS: if (data.index > length) return "";
			return []uint16{}, nil
		}
		if numBits > 30 {
			// JS's 32-bit `power <<= 1` would loop forever here; unreachable below
			// about 2^29 dictionary entries.
			return nil, fmt.Errorf("%w: code width over 30 bits", ErrCorrupt)
		}
		c := r.read(numBits)
		var entry span
		literal := false
		switch c {
		case 0, 1:
			n := 8
			if c == 1 {
				n = 16
			}
			ch := uint16(r.read(n))
			if err := appendUnits(ch); err != nil {
				return nil, err
			}
			entry = span{int32(len(out) - 1), 1}
			dict = append(dict, entry)
			c = len(dict) - 1
			enlargeIn--
			literal = true
		case 2:
			return out, nil
		}
		if enlargeIn == 0 {
			enlargeIn = 1 << numBits
			numBits++
		}

		if !literal {
			start := len(out)
			switch {
			case c < len(dict) && dict[c].off == undefOff:
				// dictionary[3] is undefined (falsy) and c !== dictSize: JS returns null.
				return nil, fmt.Errorf("%w: reference to an undefined entry", ErrCorrupt)
			case c < len(dict) && dict[c].off == undefText:
				if err := appendUnits(undefEntry...); err != nil {
					return nil, err
				}
			case c < len(dict):
				e := dict[c]
				if err := appendUnits(out[e.off : e.off+e.n]...); err != nil {
					return nil, err
				}
			case c == len(dict): // the cScSc case: entry = w + w[0]
				if w.off < 0 { // JS: undefined.charAt → TypeError
					return nil, fmt.Errorf("%w: back-reference before any output", ErrCorrupt)
				}
				if err := appendUnits(out[w.off : w.off+w.n]...); err != nil {
					return nil, err
				}
				if err := appendUnits(out[w.off]); err != nil {
					return nil, err
				}
			default:
				return nil, fmt.Errorf("%w: code %d beyond dictionary size %d", ErrCorrupt, c, len(dict))
			}
			entry = span{int32(start), int32(len(out) - start)}
		}

		// Add w + entry[0] to the dictionary. entry was just written right after w.
		if w.off == undefOff {
			// undefined + "x" is the nine letters of "undefined" followed by x in JS.
			undefEntry = append(utf16.Encode([]rune("undefined")), out[entry.off])
			dict = append(dict, span{undefText, int32(len(undefEntry))})
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
