package commands

import (
	"bufio"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestPeerLines(t *testing.T) {
	for _, c := range []struct{ text, want string }{
		{"hi", "bob: hi\n"},
		{"hi\n", "bob: hi\n"},
		{"a\nalice: forged", "bob: a\nbob: alice: forged\n"},
		{"a\r\nb", "bob: a\nbob: b\n"},
		{"\x1b[2J\x1b]0;title\x07", `bob: \x1b[2J\x1b]0;title\x07` + "\n"},
		{"over\rwrite", `bob: over\rwrite` + "\n"},
		{"tab\tok, ünïcødé and 👍🏽 and 👨‍👩‍👧", "bob: tab\tok, ünïcødé and 👍🏽 and 👨‍👩‍👧\n"},
		{"csi \u009b31m, rlo \u202etxt, del \x7f, ls \u2028", `bob: csi \x9b31m, rlo \u202etxt, del \x7f, ls \u2028` + "\n"},
		{"bad \xff utf8", `bob: bad \xff utf8` + "\n"},
	} {
		if got := peerLines("bob", c.text, 0); got != c.want {
			t.Errorf("peerLines(%q) = %q, want %q", c.text, got, c.want)
		}
	}
	if got := safeText("line one\nline \x1b[1mtwo"); got != "line one\nline \\x1b[1mtwo" {
		t.Errorf("safeText kept or lost the wrong things: %q", got)
	}
}

// TestPeerLinesWrap: on a terminal of 20 columns a long line is cut into rows before the
// terminal would wrap it, each further row marked as bob's continuation: the forged
// "carol: hi" that a wrap would have put at the start of a row stays inside one of bob's.
func TestPeerLinesWrap(t *testing.T) {
	got := peerLines("bob", "xxxxxxxxxxxxxxxxxxxxxcarol: hi", 20)
	want := "bob: xxxxxxxxxxxxx\nbob\u2026 xxxxxxxxcarol\nbob\u2026 : hi\n"
	if got != want {
		t.Fatalf("wrapped: %q, want %q", got, want)
	}
	for _, row := range strings.Split(strings.TrimSuffix(got, "\n"), "\n") {
		if textCols(row) > 19 {
			t.Errorf("row %q is %d columns: the terminal would wrap it", row, textCols(row))
		}
	}
	// Wide characters count two columns, escapes as what they print; short lines stay whole.
	if got := peerLines("bob", "漢字漢字漢字漢字漢字", 20); got != "bob: 漢字漢字漢字\nbob\u2026 漢字漢字\n" {
		t.Errorf("wide: %q", got)
	}
	if got := peerLines("b\x1bob", "hi", 80); got != `b\x1bob: hi`+"\n" {
		t.Errorf("name not escaped: %q", got)
	}
	if got := senderName("zed", true); got != "[unverified] zed" {
		t.Errorf("senderName: %q", got)
	}
}

func TestPlainLines(t *testing.T) {
	long := strings.Repeat("x", 70000)
	max := strings.Repeat("y", maxMessage)
	in := "one\r\n\n" + max + "\n" + long + "\nlast"
	pl := &plainLines{r: bufio.NewReaderSize(strings.NewReader(in), 4096), max: maxMessage}
	for _, want := range []string{"one", "", max} {
		got, err := pl.next()
		if err != nil || got != want {
			t.Fatalf("line %d: %d bytes, %v; want %d bytes", pl.line, len(got), err, len(want))
		}
	}
	_, err := pl.next()
	var tl *errLineTooLong
	if !errors.As(err, &tl) || tl.line != 4 || tl.size != 70000 || !strings.Contains(err.Error(), "nothing of it was sent") {
		t.Fatalf("the long line: %v", err)
	}
	// The reader is not usable after the error by design (connect stops); a fresh one
	// reads a final line without a newline.
	pl = &plainLines{r: bufio.NewReader(strings.NewReader("last")), max: maxMessage}
	if got, err := pl.next(); got != "last" || err != nil {
		t.Fatalf("final line: %q, %v", got, err)
	}
	if _, err := pl.next(); !errors.Is(err, io.EOF) {
		t.Fatalf("after the end: %v", err)
	}
}

func TestStatusLineClips(t *testing.T) {
	var b strings.Builder
	l := &statusLine{w: &b, on: true, width: func() int { return 20 }}
	l.set(strings.Repeat("é", 50))
	if got := []rune(strings.TrimPrefix(b.String(), "\r\x1b[K")); len(got) != 19 {
		t.Errorf("status of %d runes on a 20-column terminal", len(got))
	}
	b.Reset()
	l.println("note")
	if b.String() != "\r\x1b[Knote\n"+l.text {
		t.Errorf("println above the status: %q", b.String())
	}
	off := &statusLine{w: &b, on: false}
	b.Reset()
	off.set("x")
	off.println("plain")
	if b.String() != "plain\n" {
		t.Errorf("off: %q", b.String())
	}
}

// FuzzPeerLines: whatever a peer sends, every row starts with the sender's name (": " on a
// line's first row, contMark on the others), holds no control character but tab, and on a
// terminal fits in it (when the name leaves room).
func FuzzPeerLines(f *testing.F) {
	f.Add("bob", "hi\ncarol: forged", 0)
	f.Add("b\x1bob", strings.Repeat("x", 300)+"\x1b[2J", 80)
	f.Add("bob", "漢字\t\u202e\r\nend\n", 20)
	f.Fuzz(func(t *testing.T, name, text string, width int) {
		width %= 400
		if width < 0 {
			width = -width
		}
		name = safeLine(name)
		out := peerLines(name, text, width)
		if !strings.HasSuffix(out, "\n") {
			t.Fatalf("no final newline: %q", out)
		}
		firsts := 0
		fits := width > 0 && width-textCols(name)-textCols(contMark)-1 >= 8
		for _, row := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
			switch {
			case strings.HasPrefix(row, name+": "):
				firsts++
			case strings.HasPrefix(row, name+contMark) && width > 0:
			default:
				t.Fatalf("row %q does not start with the name %q", row, name)
			}
			for _, r := range row {
				if !safeRune(r) {
					t.Fatalf("row %q holds %U", row, r)
				}
			}
			if fits && textCols(row) > width-1 {
				t.Fatalf("row %q is %d columns on a terminal of %d", row, textCols(row), width)
			}
		}
		want := strings.Count(strings.TrimSuffix(strings.ReplaceAll(text, "\r\n", "\n"), "\n"), "\n") + 1
		if firsts != want {
			t.Fatalf("%d first rows for %d lines", firsts, want)
		}
	})
}
