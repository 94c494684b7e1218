package commands

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/spf13/cobra"
	"golang.org/x/text/width"

	"github.com/rtchat/rtchat/rtc"
)

// positional checks a network command's arguments against its Use line and says, in words,
// what is missing ("missing PEER") instead of Cobra's "requires at least 1 arg(s)".
// Required arguments are the words of Use after the command name that are not in brackets,
// optional ones those in brackets; a word ending in "..." (or "...]") takes any number of
// the remaining arguments.
func positional(cmd *cobra.Command, args []string) error {
	words := strings.Fields(cmd.Use)[1:]
	var required []string
	variadic := false
	optional := 0
	for _, w := range words {
		if strings.HasPrefix(w, "[") {
			if strings.HasSuffix(w, "...]") {
				variadic = true
			}
			optional++
			continue
		}
		required = append(required, w)
		if strings.HasSuffix(w, "...") {
			variadic = true
		}
	}
	usage := cmd.CommandPath() + " " + strings.Join(words, " ")
	hint := fmt.Sprintf("run '%s --help' for usage", cmd.CommandPath())
	if len(args) < len(required) {
		missing := strings.TrimSuffix(strings.Join(required[len(args):], " "), "...")
		return withHint(usageErrorf("missing %s (usage: %s)", missing, usage), hint)
	}
	if n := len(required) + optional; !variadic && len(args) > n {
		return withHint(usageErrorf("too many arguments: %s (usage: %s)", strings.Join(quoteAll(args[n:]), " "), usage), hint)
	}
	return nil
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}

// Peer text is shown safely: nothing a peer sends can move the cursor, change colours,
// rewrite the title, clear the screen or start a line that looks like someone else's.
// safeRune reports whether r is shown as it is; every other rune is shown as an escape
// (\x1b, \u202e) that reads as what it is.
func safeRune(r rune) bool {
	switch {
	case r == '\t':
		return true
	case r == utf8.RuneError:
		return false
	case unicode.IsControl(r): // C0, DEL, C1 (CSI is U+009B)
		return false
	case unicode.In(r, unicode.Bidi_Control, unicode.Join_Control) && r != '\u200d':
		// Bidirectional overrides and isolates reorder what follows them ("Trojan
		// Source"); ZWJ stays: emoji sequences need it.
		return false
	case r == '\u2028' || r == '\u2029': // line and paragraph separators
		return false
	}
	return true
}

// escapeRune writes r's visible escape.
func escapeRune(b *strings.Builder, r rune) {
	switch {
	case r == '\r':
		b.WriteString(`\r`)
	case r == '\n':
		b.WriteString(`\n`)
	case r < 0x100:
		fmt.Fprintf(b, `\x%02x`, r)
	default:
		fmt.Fprintf(b, `\u%04x`, r)
	}
}

// safeLine shows s on one line: every control character and escape sequence made visible,
// newlines included.
func safeLine(s string) string {
	if strings.IndexFunc(s, func(r rune) bool { return !safeRune(r) }) < 0 && utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i, w := 0, 0; i < len(s); i += w {
		r, n := utf8.DecodeRuneInString(s[i:])
		w = n
		if r == utf8.RuneError && n == 1 {
			fmt.Fprintf(&b, `\x%02x`, s[i])
			continue
		}
		if safeRune(r) {
			b.WriteRune(r)
		} else {
			escapeRune(&b, r)
		}
	}
	return b.String()
}

// Every string a peer controls (names, messages, answers, topics, errors that quote them)
// is printed on a terminal through safeLine, safeText or peerLines; only stdout that is not
// a terminal carries an answer's raw bytes (rtchat ask PEER, for scripts) and --json
// escapes by JSON.

// peerLines renders a peer's message for a terminal or plain output: one line per line of
// the message, each starting with "NAME: " so that no line can pass for another peer's,
// with control characters and escape sequences made visible (the name too). A trailing
// newline of the message does not make an empty last line. The result ends with a newline.
//
// width is the terminal's width in columns (0: not a terminal). A line too long for it is
// cut into rows here, before the terminal would wrap it, and each further row starts with
// "NAME… " (contMark): a row the terminal wrapped would start with whatever the peer put
// there, such as another peer's "carol: ".
func peerLines(name, text string, width int) string {
	name = safeLine(name)
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.TrimSuffix(text, "\n")
	// One column spare: some terminals wrap when the last column is written.
	room := width - textCols(name) - textCols(contMark) - 1
	if width > 0 {
		room = max(room, 8)
	}
	var b strings.Builder
	for _, line := range strings.Split(text, "\n") {
		for i, row := range rows(safeLine(line), room) {
			b.WriteString(name)
			if i == 0 {
				b.WriteString(": ")
			} else {
				b.WriteString(contMark)
			}
			b.WriteString(row)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// contMark follows the name on a continuation row of a long line.
const contMark = "… "

// rows cuts a line (already safe) into rows of at most cols columns; cols <= 0 keeps it whole.
func rows(line string, cols int) []string {
	if cols <= 0 || textCols(line) <= cols {
		return []string{line}
	}
	var out []string
	start, used := 0, 0
	for i, r := range line {
		w := runeCols(r)
		if used+w > cols && i > start {
			out = append(out, line[start:i])
			start, used = i, 0
		}
		used += w
	}
	return append(out, line[start:])
}

// runeCols is how many columns a rune may take on a terminal, counted high where terminals
// differ (East Asian ambiguous width as two, a tab as a full tab stop): a row counted too
// wide is only cut early, one counted too narrow would wrap.
func runeCols(r rune) int {
	if r == '\t' {
		return 8
	}
	switch width.LookupRune(r).Kind() {
	case width.EastAsianWide, width.EastAsianFullwidth, width.EastAsianAmbiguous:
		return 2
	}
	return 1
}

func textCols(s string) int {
	n := 0
	for _, r := range s {
		n += runeCols(r)
	}
	return n
}

// senderName is how a peer is named in front of what it says: its name made safe, with
// "[unverified] " before it when nothing proves who it is (--trust unverified).
func senderName(bare string, unverified bool) string {
	if unverified {
		return "[unverified] " + safeLine(bare)
	}
	return safeLine(bare)
}

// messageLines is a peer's message event as listen, connect and the room print it; dm
// marks direct messages with " (dm)" (a bare name never holds "(", so no chat line can pass
// for one).
func messageLines(e rtc.Event, dm bool, width int) string {
	name := safeLine(e.Bare)
	if dm && e.Channel == "dm" {
		name += " (dm)"
	}
	return peerLines(senderName(name, e.Unverified), e.Text, width)
}

// safeText is safeLine that keeps newlines: for our own multi-line messages that may quote
// a peer (error texts).
func safeText(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = safeLine(l)
	}
	return strings.Join(lines, "\n")
}

// laggedText says on stderr that events were dropped because they were read too slowly.
func laggedText(e rtc.Event) string {
	return fmt.Sprintf("rtchat: %d events (joins, leaves, refusals) were not shown: the output is read too slowly; no message was lost", e.Dropped)
}
