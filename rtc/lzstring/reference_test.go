package lzstring

// This file keeps the previous decoder (single pass, output grown by append, cap checked
// per token) as a test oracle: it was cross-checked against npm lz-string 1.4.4 and is
// compared with the bounded two-pass decoder by TestMatchesReference and FuzzDecompress.
// It is also BenchmarkDecompressBomb's "before" number.

import (
	"fmt"
	"unicode/utf16"
	"unicode/utf8"
)

// refDecompressFromUint8Array is the previous DecompressFromUint8Array.
func refDecompressFromUint8Array(b []byte, maxUnits int) (string, error) {
	if len(b)%2 != 0 {
		return "", fmt.Errorf("%w: %d bytes", ErrOddLength, len(b))
	}
	units := make([]uint16, len(b)/2)
	for i := range units {
		units[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
	}
	out, err := refDecompress(units, maxUnits)
	if err != nil {
		return "", err
	}
	return refUnitsToString(out), nil
}

// refUnitsToString converts UTF-16 units to UTF-8, mapping lone surrogates to U+FFFD.
func refUnitsToString(units []uint16) string {
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

// refBitReader reads the stream like _decompress(length, 32768, charCodeAt). Reading past
// the end yields zero bits (JS: charCodeAt → NaN, and NaN & x == 0).
type refBitReader struct {
	in    []uint16
	val   uint16
	mask  uint16 // next bit to read in val (JS data.position)
	index int    // index of the next unit to load (JS data.index)
}

// read returns n bits assembled least-significant bit first.
func (r *refBitReader) read(n int) int {
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

// refSpan is a dictionary entry: every entry is a substring of the output produced so far
// (a literal is written out right after it is defined, and w+entry[0] is contiguous
// because entry follows w), so entries cost 8 bytes instead of a copy of the phrase.
// off == refUndefOff marks the two JS-`undefined` oddities (see Decompress).
type refSpan struct{ off, n int32 }

const (
	refUndefOff  = -1 // dictionary[3] is JS undefined: referencing it yields null
	refUndefText = -2 // the entry "undefined"+x, kept in Decompress's undefEntry
)

// refDecompress is LZString._decompress(length, 32768, …) over UTF-16 units with a cap of
// maxUnits output units (maxUnits ≤ 0 allows no output). An empty input (JS: null) and every
// stream JS decodes to "" both return an empty result and a nil error; streams on which JS
// returns null or throws return ErrCorrupt; output over the cap returns ErrTooLarge as
// soon as it would be produced. Memory is O(min(maxUnits, 16·len(units))).
func refDecompress(units []uint16, maxUnits int) ([]uint16, error) {
	if len(units) == 0 {
		return []uint16{}, nil
	}
	r := refBitReader{in: units, val: units[0], mask: 0x8000, index: 1}
	var (
		out        []uint16
		dict       = make([]refSpan, 4, 64) // 0..2 are the reserved codes, 3 the first char
		enlargeIn  = 4
		numBits    = 3
		w          refSpan
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
		dict[3] = refSpan{0, 1}
		w = refSpan{0, 1}
	} else {
		dict[3] = refSpan{refUndefOff, 0}
		w = refSpan{refUndefOff, 0}
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
		var entry refSpan
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
			entry = refSpan{int32(len(out) - 1), 1}
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
			case c < len(dict) && dict[c].off == refUndefOff:
				// dictionary[3] is undefined (falsy) and c !== dictSize: JS returns null.
				return nil, fmt.Errorf("%w: reference to an undefined entry", ErrCorrupt)
			case c < len(dict) && dict[c].off == refUndefText:
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
			entry = refSpan{int32(start), int32(len(out) - start)}
		}

		// Add w + entry[0] to the dictionary. entry was just written right after w.
		if w.off == refUndefOff {
			// undefined + "x" is the nine letters of "undefined" followed by x in JS.
			undefEntry = append(utf16.Encode([]rune("undefined")), out[entry.off])
			dict = append(dict, refSpan{refUndefText, int32(len(undefEntry))})
		} else {
			dict = append(dict, refSpan{w.off, w.n + 1})
		}
		enlargeIn--
		w = entry
		if enlargeIn == 0 {
			enlargeIn = 1 << numBits
			numBits++
		}
	}
}
