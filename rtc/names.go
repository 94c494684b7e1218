package rtc

import (
	"crypto/rand"
	"encoding/hex"
	"sync"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"
)

// tieBreak decides who offers first the way the browser does: by
// myFullName.localeCompare(peerFullName) < 0 (§3.4). CLDR root collation matches ICU's
// root/en order for Latin names; a disagreement only costs a fallback offer and a glare.
type tieBreak struct {
	mu  sync.Mutex // a Collator keeps scratch buffers and is not safe for concurrent use
	col *collate.Collator
}

func newTieBreak() *tieBreak { return &tieBreak{col: collate.New(language.Und)} }

// weInitiate reports whether me offers toward peer.
func (t *tieBreak) weInitiate(me, peer string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	c := t.col.CompareString(me, peer)
	if c == 0 { // identical under collation: fall back to bytes so exactly one side wins
		return me < peer
	}
	return c < 0
}

// fullName gives this process a distinct full name in the room: the bare name plus a
// random parenthesised suffix, which bare-name normalisation strips (§4), so several
// processes of one identity (a listen and a pipe) never collide.
func fullName(bare string) string {
	var b [2]byte
	_, _ = rand.Read(b[:])
	return bare + "(" + hex.EncodeToString(b[:]) + ")"
}
