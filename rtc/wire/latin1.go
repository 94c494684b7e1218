// Package wire holds small encodings of the RTChat wire protocol that several parts of rtchat
// share.
package wire

import (
	"fmt"
	"unicode/utf8"
)

// Latin1 encodes bytes as the web client's "latin-1 char-code string" (protocol §6.2): one
// rune per byte, U+0000..U+00FF. Marshal the result as a JSON string (never marshal the
// []byte itself, which gives base64); encoding/json then escapes it the way JSON.stringify
// does, up to escape spelling (see the package tests and the §11.3 vector).
func Latin1(b []byte) string {
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
	}
	return string(r)
}

// FromLatin1 decodes a latin-1 char-code string back to bytes. A rune above U+00FF (or
// invalid UTF-8) is an error: the browser would silently truncate it mod 256, which would turn
// a malformed value into a different valid-looking one.
func FromLatin1(s string) ([]byte, error) {
	out := make([]byte, 0, len(s))
	for i, r := range s {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size <= 1 {
				return nil, fmt.Errorf("latin-1 string: invalid UTF-8 at byte offset %d", i)
			}
		}
		if r > 0xFF {
			return nil, fmt.Errorf("latin-1 string: character %U at byte offset %d is above U+00FF", r, i)
		}
		out = append(out, byte(r))
	}
	return out, nil
}
