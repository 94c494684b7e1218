package pair

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strconv"
	"strings"
)

// MaxPlate is the largest meeting-place number of a code.
const MaxPlate = 999

// Code is a one-time invitation code: a meeting-place number (the plate, public: it only
// says which invitation a message is for) and two secret words, 16 bits of password for
// the PAKE. Its text is "7-amber-orbit".
type Code struct {
	Plate int
	Words [2]string
}

// String is the code as typed: "7-amber-orbit".
func (c Code) String() string {
	return strconv.Itoa(c.Plate) + "-" + c.Words[0] + "-" + c.Words[1]
}

// ErrBadCode: a code that is not of the form N-WORD-WORD with rtchat's words.
var ErrBadCode = errors.New("not an invitation code")

// NewCode draws a code from rnd (nil: crypto/rand).
func NewCode(rnd io.Reader) (Code, error) {
	if rnd == nil {
		rnd = rand.Reader
	}
	n, err := rand.Int(rnd, big.NewInt(MaxPlate))
	if err != nil {
		return Code{}, err
	}
	var w [2]byte
	if _, err := io.ReadFull(rnd, w[:]); err != nil {
		return Code{}, err
	}
	return Code{Plate: int(n.Int64()) + 1, Words: [2]string{words[w[0]], words[w[1]]}}, nil
}

// ParseCode reads a code as a person typed it: case, spaces around it, and spaces or
// dashes between its parts do not matter ("7 Amber orbit" is 7-amber-orbit).
func ParseCode(s string) (Code, error) {
	f := strings.FieldsFunc(strings.ToLower(strings.TrimSpace(s)), func(r rune) bool {
		return r == '-' || r == ' ' || r == '\t' || r == '_'
	})
	if len(f) != 3 {
		return Code{}, fmt.Errorf("%w: %q: expected a number and two words, like 7-amber-orbit", ErrBadCode, s)
	}
	n, err := strconv.Atoi(f[0])
	if err != nil || n < 1 || n > MaxPlate {
		return Code{}, fmt.Errorf("%w: %q: it starts with a number from 1 to %d, like 7-amber-orbit", ErrBadCode, s, MaxPlate)
	}
	c := Code{Plate: n}
	for i, w := range f[1:] {
		if !isWord(w) {
			return Code{}, fmt.Errorf("%w: %q: %q is not one of rtchat's code words (check the spelling)", ErrBadCode, s, w)
		}
		c.Words[i] = w
	}
	return c, nil
}

func isWord(w string) bool {
	for _, x := range words {
		if x == w {
			return true
		}
	}
	return false
}
