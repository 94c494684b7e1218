package keys

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"
)

// CompactPasted undoes what pasting does to a key string: it drops whitespace between JSON
// tokens (indentation, line breaks, spaces around ':' and ','), and inside a JSON string it
// joins a line that was wrapped (the line break and the spaces or tabs around it). Every other
// byte is kept as it is and nothing is re-serialised, so a key that was only wrapped or
// indented comes back as the exact string its owner sends; the web client compares key
// strings by equality. A string JSON.stringify made has no whitespace between tokens, and a
// JWK's member values (base64url, "RSA", "PS256", "verify") have no whitespace in them.
func CompactPasted(s string) string {
	out := make([]byte, 0, len(s))
	inStr, esc, joining := false, false, false
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		raw := s[i : i+size]
		i += size
		if !inStr {
			if unicode.IsSpace(r) || r == '\uFEFF' { // BOM too: editors put it at the start
				continue
			}
			out = append(out, raw...)
			if r == '"' {
				inStr, esc, joining = true, false, false
			}
			continue
		}
		switch {
		case r == '\n' || r == '\r':
			// A wrapped line: drop the spaces before the break and the indent after it. An
			// escape cut by the break (esc) goes on with the next line's first byte.
			for len(out) > 0 && (out[len(out)-1] == ' ' || out[len(out)-1] == '\t') {
				out = out[:len(out)-1]
			}
			joining = true
			continue
		case joining && (r == ' ' || r == '\t'):
			continue
		}
		joining = false
		out = append(out, raw...)
		switch {
		case esc:
			esc = false
		case r == '\\':
			esc = true
		case r == '"':
			inStr = false
		}
	}
	return string(out)
}

// jsonOpen reports whether s, the start of a JSON value, is cut short: inside a string, or
// with a '{' or '[' not yet closed. Text that does not start with '{' is never open.
func jsonOpen(s string) bool {
	s = strings.TrimSpace(s)
	if s == "" {
		return true // "NAME|" with the key on the next line
	}
	if s[0] != '{' {
		return false
	}
	depth, inStr, esc := 0, false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case inStr && esc:
			esc = false
		case inStr && c == '\\':
			esc = true
		case inStr && c == '"':
			inStr = false
		case inStr:
		case c == '"':
			inStr = true
		case c == '{' || c == '[':
			depth++
		case c == '}' || c == ']':
			depth--
		}
	}
	return inStr || depth > 0
}

// PastedIdentity is one identity string read by ReadIdentities, with the lines it spans.
type PastedIdentity struct {
	First, Last int    // 1-based line numbers
	Text        string // the lines, joined with "\n"; ParseIdentity takes it as it is
}

// Lines is "line N" or "lines N-M", for reports.
func (p PastedIdentity) Lines() string {
	if p.First == p.Last {
		return fmt.Sprintf("line %d", p.First)
	}
	return fmt.Sprintf("lines %d-%d", p.First, p.Last)
}

// ReadIdentities reads identity strings NAME|JWK, one per line, and calls fn for each.
// Blank lines and lines starting with '#' are skipped. An identity whose key is cut short
// (a JSON object not closed at the end of the line, as when a mail or a terminal wrapped it)
// goes on over the following lines, up to the line that closes it; a line with a '|' always
// starts a new identity (a key has none), so one broken line cannot swallow the next ones.
// An error from fn stops the reading and is returned.
func ReadIdentities(r io.Reader, fn func(PastedIdentity) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	var cur *PastedIdentity
	var text strings.Builder
	flush := func() error {
		if cur == nil {
			return nil
		}
		cur.Text = text.String()
		p := *cur
		cur = nil
		text.Reset()
		return fn(p)
	}
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		t := strings.TrimSpace(line)
		comment := strings.HasPrefix(t, "#")
		if cur != nil && !strings.Contains(line, "|") && !comment && identityOpen(text.String()) {
			if t != "" { // a blank line inside a wrapped key is skipped
				text.WriteString("\n")
				text.WriteString(line)
				cur.Last = n
			}
			continue
		}
		if err := flush(); err != nil {
			return err
		}
		if t == "" || comment {
			continue
		}
		cur = &PastedIdentity{First: n, Last: n}
		text.WriteString(line)
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("reading identities after line %d: %w", n, err)
	}
	return flush()
}

// identityOpen reports whether the identity string s is cut short: its key goes on.
func identityOpen(s string) bool {
	_, key, ok := strings.Cut(s, "|")
	return ok && jsonOpen(key)
}

// IsAnonymous reports a name the web client treats as anonymous (protocol §4): one starting
// with "anon". A web page never finds such a name among its pins (it deletes their pins on
// load), so it can never verify whoever uses it.
func IsAnonymous(name string) bool { return strings.HasPrefix(name, "anon") }

// IsPlaceholder reports a "User #N" name: the one a web page gives, at random and anew on
// each load, to a user who chose no name. The page never saves such a name, and any other
// web user may show up under it.
func IsPlaceholder(name string) bool { return strings.HasPrefix(name, "User #") }
