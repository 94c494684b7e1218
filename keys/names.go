package keys

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// ErrLookAlike: a new name would be pinned that looks like a name already pinned.
var ErrLookAlike = errors.New("looks like a pinned name")

// HiddenRune reports a rune no name may hold: control characters, format characters
// (bidirectional overrides and isolates, zero-width space, zero-width joiner, word joiner,
// byte order mark), line and paragraph separators and the other invisible code points.
// They either act on the terminal or the text around them, or hide, so that "bo\u200bb"
// would print as "bob". The web page's name field cannot produce them.
func HiddenRune(r rune) bool {
	return r == utf8.RuneError || unicode.In(r, unicode.Cc, unicode.Cf, unicode.Zl, unicode.Zp,
		unicode.Other_Default_Ignorable_Code_Point, unicode.Variation_Selector)
}

// CheckWireName checks a full name from the wire (a sender, a target): valid UTF-8 without
// hidden runes (HiddenRune). It says which rune, escaped, so that the error prints safely.
func CheckWireName(full string) error {
	if !utf8.ValidString(full) {
		return fmt.Errorf("%w: %+q is not valid UTF-8", ErrInvalidName, full)
	}
	if i := strings.IndexFunc(full, HiddenRune); i >= 0 {
		r, _ := utf8.DecodeRuneInString(full[i:])
		return fmt.Errorf("%w: %+q contains the invisible or control character %U", ErrInvalidName, full, r)
	}
	return nil
}

// Skeleton is what a name looks like, for telling look-alikes apart (after Unicode TR39's
// skeleton, simplified): compatibility forms and accents folded (NFKD, marks dropped),
// hidden runes dropped, the Cyrillic and Greek letters that look like Latin ones and the
// usual digit and letter swaps (0/O, 1/l/I, rn/m, vv/w) mapped, case folded and white
// space collapsed. Two different names with the same skeleton are easily mistaken for each
// other on a screen: "bob" and "bоb" (Cyrillic о), "Bob", "b0b".
func Skeleton(name string) string {
	var b strings.Builder
	for _, r := range norm.NFKD.String(name) {
		switch {
		case HiddenRune(r) || unicode.In(r, unicode.Mn, unicode.Me):
			continue
		case unicode.IsSpace(r):
			r = ' '
		}
		if m, ok := lookAlikes[r]; ok {
			r = m
		}
		b.WriteRune(unicode.ToLower(r))
	}
	s := strings.Join(strings.Fields(b.String()), " ")
	return strings.NewReplacer("rn", "m", "vv", "w").Replace(s)
}

// LookAlike reports whether a and b are different names with the same Skeleton.
func LookAlike(a, b string) bool { return a != b && Skeleton(a) == Skeleton(b) }

// lookAlikes maps letters of other scripts to the Latin letters they are drawn like
// (the common entries of Unicode's confusables.txt for Cyrillic and Greek, and a few
// Latin letters that pass for others).
var lookAlikes = map[rune]rune{
	// Cyrillic
	'а': 'a', 'в': 'b', 'е': 'e', 'к': 'k', 'м': 'm', 'н': 'h', 'о': 'o', 'р': 'p', 'с': 'c',
	'т': 't', 'у': 'y', 'х': 'x', 'ѕ': 's', 'і': 'i', 'ј': 'j', 'ԁ': 'd', 'ԛ': 'q', 'ԝ': 'w',
	'һ': 'h', 'ӏ': 'l', 'ь': 'b', 'ү': 'y', 'ѡ': 'w',
	'А': 'A', 'В': 'B', 'Е': 'E', 'К': 'K', 'М': 'M', 'Н': 'H', 'О': 'O', 'Р': 'P', 'С': 'C',
	'Т': 'T', 'Х': 'X', 'У': 'Y', 'Ѕ': 'S', 'І': 'l', 'Ј': 'J', 'Ԁ': 'D', 'Ԛ': 'Q', 'Ԝ': 'W',
	'Һ': 'H', 'Ӏ': 'l',
	// Greek
	'α': 'a', 'β': 'b', 'γ': 'y', 'ε': 'e', 'ι': 'i', 'κ': 'k', 'ν': 'v', 'ο': 'o', 'ρ': 'p',
	'τ': 't', 'υ': 'u', 'χ': 'x', 'ω': 'w',
	'Α': 'A', 'Β': 'B', 'Ε': 'E', 'Ζ': 'Z', 'Η': 'H', 'Ι': 'l', 'Κ': 'K', 'Μ': 'M', 'Ν': 'N',
	'Ο': 'O', 'Ρ': 'P', 'Τ': 'T', 'Υ': 'Y', 'Χ': 'X',
	// Latin letters, digits and signs that pass for others (capital I for l: most fonts
	// draw them alike)
	'I': 'l', '1': 'l', '|': 'l', '0': 'o', 'ı': 'i', 'ȷ': 'j', 'ɑ': 'a', 'ɡ': 'g', 'ʟ': 'l',
	'ℓ': 'l', 'ǀ': 'l', 'Ɩ': 'l',
}
