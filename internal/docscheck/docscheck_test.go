package docscheck

import (
	"bufio"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// This file spells the section sign only as an escape, so that its own test cases are not
// taken for references when the scan below reads it.
const sign = "\u00a7"

// protocolDoc is where Part I, the restated wire protocol, lives.
const protocolDoc = "docs/protocol.md"

// contractSections are the sections of the shared wire contract (rtchat-wire.md). Part I
// must have a heading for each, numbered exactly like the contract, even when no code cites
// it yet. Set RTCHAT_WIRE_SPEC to the contract's path to compare with the contract itself.
var contractSections = []string{
	"1", "1.1", "1.2",
	"2", "2.1", "2.2",
	"3", "3.1", "3.2", "3.3", "3.4", "3.5",
	"4",
	"5", "5.1", "5.2", "5.3", "5.4", "5.5", "5.6",
	"6", "6.1", "6.2", "6.3", "6.4", "6.5", "6.6",
	"7", "8", "9", "10",
	"11", "11.1", "11.2", "11.3", "11.4", "11.5",
	"12",
}

// ---------------------------------------------------------------------------------------
// Finding references

// ref is one section reference found in a file. Sections lists every section it names
// (a range names each section in it); Err is set when the reference itself is malformed.
type ref struct {
	Line     int
	Text     string
	Sections []string
	Err      string
}

// rfcBefore matches text that makes a following section sign cite an RFC, not our protocol.
var rfcBefore = regexp.MustCompile(`(?i)\brfc[\s-]*\d+[\s,]*$`)

// maxRange bounds how many sections one range may expand to.
const maxRange = 50

// findRefs returns the section references on one line of text.
//
// Recognised forms (S is the section sign): "S3", "S3.4", "S11.3"; ranges "S1–S7",
// "S3.1-3.5", "S1..S7", "S1 to S7" (en dash, em dash, hyphen or "..", the second sign
// optional except after "to"); and, after a doubled sign, lists "SS3.1, 3.2 and 5" (items
// separated by ",", "and", "or", "&" or "/", each item may itself be a range). A list under
// a single sign is written with a sign per item ("S3, S5, S6") and then each item is found
// on its own. A reference directly preceded by "RFC nnnn" is not ours and is skipped.
func findRefs(line string) []ref {
	var out []ref
	for i := 0; i < len(line); {
		j := strings.Index(line[i:], sign)
		if j < 0 {
			break
		}
		start := i + j
		pos := start + len(sign)
		plural := strings.HasPrefix(line[pos:], sign)
		if plural {
			pos += len(sign)
		}
		pos = skipSpaces(line, pos)
		first, n := number(line[pos:])
		if n == 0 {
			i = pos
			continue // a lone sign, not a reference
		}
		pos += n
		r := ref{}
		if rfcBefore.MatchString(line[:start]) {
			i = pos
			continue
		}
		items := [][2]string{{first, ""}}
		for {
			next, hi, ok := rangeTail(line, pos)
			if ok {
				items[len(items)-1][1] = hi
				pos = next
				continue
			}
			if !plural {
				break
			}
			next, item, ok := listTail(line, pos)
			if !ok {
				break
			}
			items = append(items, [2]string{item, ""})
			pos = next
		}
		r.Text = strings.TrimSpace(line[start:pos])
		for _, it := range items {
			secs, err := expand(it[0], it[1])
			if err != "" && r.Err == "" {
				r.Err = err
			}
			r.Sections = append(r.Sections, secs...)
		}
		out = append(out, r)
		i = pos
	}
	return out
}

// number reads a section number "N" or "N.N.N" at the start of s; a trailing dot (end of
// sentence) is not part of it.
func number(s string) (string, int) {
	n := 0
	for {
		d := 0
		for d < len(s[n:]) && s[n+d] >= '0' && s[n+d] <= '9' {
			d++
		}
		if d == 0 {
			if n == 0 {
				return "", 0
			}
			return s[:n-1], n - 1 // the dot we consumed was not followed by a digit
		}
		n += d
		if n < len(s) && s[n] == '.' {
			n++
			continue
		}
		return s[:n], n
	}
}

func skipSpaces(s string, pos int) int {
	for pos < len(s) && (s[pos] == ' ' || s[pos] == '\t') {
		pos++
	}
	return pos
}

// rangeTail reads "–S7", "-7", "..S7" or " to S7" at pos.
func rangeTail(line string, pos int) (next int, hi string, ok bool) {
	p := skipSpaces(line, pos)
	needSign := false
	switch {
	case strings.HasPrefix(line[p:], "\u2013"), strings.HasPrefix(line[p:], "\u2014"):
		p += len("\u2013")
	case strings.HasPrefix(line[p:], ".."):
		p += 2
	case strings.HasPrefix(line[p:], "-"):
		p++
	case strings.HasPrefix(line[p:], "to "):
		p += 2
		needSign = true
	default:
		return 0, "", false
	}
	p = skipSpaces(line, p)
	if strings.HasPrefix(line[p:], sign) {
		p = skipSpaces(line, p+len(sign))
	} else if needSign {
		return 0, "", false
	}
	hi, n := number(line[p:])
	if n == 0 {
		return 0, "", false
	}
	return p + n, hi, true
}

// listTail reads ", 3.2", " and S5", " / 7" at pos (used after a doubled sign).
func listTail(line string, pos int) (next int, item string, ok bool) {
	p := skipSpaces(line, pos)
	matched := false
	for _, sep := range []string{",", "and ", "or ", "&", "/"} {
		if strings.HasPrefix(line[p:], sep) {
			p += len(sep)
			matched = true
			break
		}
	}
	if !matched {
		return 0, "", false
	}
	p = skipSpaces(line, p)
	if strings.HasPrefix(line[p:], "and ") { // ", and 5"
		p = skipSpaces(line, p+4)
	}
	if strings.HasPrefix(line[p:], sign) {
		p = skipSpaces(line, p+len(sign))
	}
	item, n := number(line[p:])
	if n == 0 {
		return 0, "", false
	}
	return p + n, item, true
}

// expand lists the sections of lo, or of the range lo–hi. Within one parent every section
// of the range is named ("3.1–3.5" names 3.1 to 3.5); across parents only the two ends.
func expand(lo, hi string) ([]string, string) {
	if hi == "" {
		return []string{lo}, ""
	}
	lp, hp := strings.Split(lo, "."), strings.Split(hi, ".")
	if len(lp) != len(hp) || !slices.Equal(lp[:len(lp)-1], hp[:len(hp)-1]) {
		return []string{lo, hi}, ""
	}
	a, _ := strconv.Atoi(lp[len(lp)-1])
	b, _ := strconv.Atoi(hp[len(hp)-1])
	if b < a {
		return []string{lo, hi}, fmt.Sprintf("range %s to %s runs backwards", lo, hi)
	}
	if b-a >= maxRange {
		return []string{lo, hi}, fmt.Sprintf("range %s to %s is implausibly long", lo, hi)
	}
	prefix := strings.Join(lp[:len(lp)-1], ".")
	var out []string
	for k := a; k <= b; k++ {
		if prefix == "" {
			out = append(out, strconv.Itoa(k))
		} else {
			out = append(out, prefix+"."+strconv.Itoa(k))
		}
	}
	return out, ""
}

func TestFindRefs(t *testing.T) {
	S := sign
	cases := []struct {
		line string
		want [][]string // sections per reference
		err  bool
	}{
		{"see " + S + "3.4).", [][]string{{"3.4"}}, false},
		{"// the browser's quirk (" + S + "5.3): never", [][]string{{"5.3"}}, false},
		{"timers (" + S + "3.2, " + S + "7) and", [][]string{{"3.2"}, {"7"}}, false},
		{"end of sentence " + S + "4.", [][]string{{"4"}}, false},
		{"rule of protocol " + S + "6.1),", [][]string{{"6.1"}}, false},
		{"as " + S + "9 (b)4 says", [][]string{{"9"}}, false},
		{S + "8 weakness 1", [][]string{{"8"}}, false},
		{"the web client (" + S + "2, " + S + "3.1, " + S + "5.3, " + S + "6.4)", [][]string{{"2"}, {"3.1"}, {"5.3"}, {"6.4"}}, false},
		{"all of " + S + "1\u2013" + S + "7 apply", [][]string{{"1", "2", "3", "4", "5", "6", "7"}}, false},
		{"timers in " + S + "3.2\u20133.5", [][]string{{"3.2", "3.3", "3.4", "3.5"}}, false},
		{"from " + S + "3.4-" + S + "5.2", [][]string{{"3.4", "5.2"}}, false},
		{S + "1 to " + S + "3", [][]string{{"1", "2", "3"}}, false},
		{S + "1 to 3 s", [][]string{{"1"}}, false},
		{S + "3.4-style glare", [][]string{{"3.4"}}, false},
		{S + S + "3.1, 3.2 and 6.4", [][]string{{"3.1", "3.2", "6.4"}}, false},
		{S + S + " 1\u20133, 5", [][]string{{"1", "2", "3", "5"}}, false},
		{S + "3.1, 5 retries", [][]string{{"3.1"}}, false},
		{S + "7\u2013" + S + "3", [][]string{{"7", "3"}}, true},
		{"RFC 8831 " + S + "6.4 and rfc8445, " + S + "5.1", nil, false},
		{"a lone " + S + " sign", nil, false},
		{"no reference at all", nil, false},
	}
	for _, c := range cases {
		got := findRefs(c.line)
		var secs [][]string
		hasErr := false
		for _, r := range got {
			secs = append(secs, r.Sections)
			hasErr = hasErr || r.Err != ""
		}
		if !slices.EqualFunc(secs, c.want, slices.Equal) || hasErr != c.err {
			t.Errorf("findRefs(%q) = %v (error %v), want %v (error %v)", c.line, secs, hasErr, c.want, c.err)
		}
	}
}

// ---------------------------------------------------------------------------------------
// Reading markdown

type heading struct {
	Line  int
	Level int
	Text  string
}

var headingRE = regexp.MustCompile(`^(#{1,6})[ \t]+(.*?)[ \t#]*$`)

// headings lists the ATX headings of a markdown text, outside fenced code blocks.
func headings(text string) []heading {
	var out []heading
	fence := ""
	for i, line := range strings.Split(text, "\n") {
		trimmed := strings.TrimLeft(line, " ")
		if fence != "" {
			if strings.HasPrefix(trimmed, fence) {
				fence = ""
			}
			continue
		}
		if strings.HasPrefix(trimmed, "```") {
			fence = "```"
			continue
		}
		if strings.HasPrefix(trimmed, "~~~") {
			fence = "~~~"
			continue
		}
		if m := headingRE.FindStringSubmatch(line); m != nil {
			out = append(out, heading{Line: i + 1, Level: len(m[1]), Text: m[2]})
		}
	}
	return out
}

var (
	partIRE      = regexp.MustCompile(`^Part I(\s|$|[:.\x{2014}-])`)
	partRE       = regexp.MustCompile(`^Part [IVX]+\b`)
	sectionNumRE = regexp.MustCompile(`^` + sign + `?(\d+(?:\.\d+)*)\.?(\s|$)`)
)

// partISections returns the section numbers with a heading in Part I of the protocol
// document, with the line of each heading.
func partISections(t *testing.T, text string) map[string]int {
	t.Helper()
	hs := headings(text)
	start := slices.IndexFunc(hs, func(h heading) bool { return partIRE.MatchString(h.Text) })
	if start < 0 {
		t.Fatalf("%s has no heading \"Part I — …\"", protocolDoc)
	}
	secs := map[string]int{}
	for _, h := range hs[start+1:] {
		if h.Level <= hs[start].Level || partRE.MatchString(h.Text) {
			break
		}
		m := sectionNumRE.FindStringSubmatch(h.Text)
		if m == nil {
			continue
		}
		if prev, dup := secs[m[1]]; dup {
			t.Errorf("%s:%d: section %s has a second heading (first at line %d)", protocolDoc, h.Line, m[1], prev)
			continue
		}
		secs[m[1]] = h.Line
	}
	if len(secs) == 0 {
		t.Fatalf("%s: Part I has no numbered section headings", protocolDoc)
	}
	return secs
}

// ---------------------------------------------------------------------------------------
// The module

// moduleRoot walks up from the test's directory to the go.mod of the module.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test directory")
		}
		dir = parent
	}
}

func readFile(t *testing.T, root, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// skipDir says whether a directory is outside what we check: vendored and generated trees,
// test data, what the go tool ignores (names starting with "." or "_"), nested modules.
func skipDir(root, dir string, d fs.DirEntry) bool {
	if dir == root {
		return false
	}
	name := d.Name()
	switch name {
	case "vendor", "node_modules", "testdata":
		return true
	}
	if strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") {
		return true
	}
	_, err := os.Stat(filepath.Join(dir, "go.mod"))
	return err == nil
}

// sourceFiles lists, relative to root with forward slashes, the module's .go files, its
// README.md and every markdown file under docs/.
func sourceFiles(t *testing.T, root string) (goFiles, mdFiles []string) {
	t.Helper()
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p != root && os.IsNotExist(err) {
				return nil // removed by someone while we walk
			}
			return err
		}
		if d.IsDir() {
			if skipDir(root, p, d) {
				return filepath.SkipDir
			}
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		switch {
		case strings.HasSuffix(rel, ".go"):
			goFiles = append(goFiles, rel)
		case rel == "README.md", strings.HasPrefix(rel, "docs/") && strings.HasSuffix(rel, ".md"):
			mdFiles = append(mdFiles, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return goFiles, mdFiles
}

// ---------------------------------------------------------------------------------------
// The checks

// TestPartIHasContractSections: Part I has a heading for every section of the contract,
// numbered like it, and no numbered heading the contract lacks.
func TestPartIHasContractSections(t *testing.T) {
	root := moduleRoot(t)
	secs := partISections(t, readFile(t, root, protocolDoc))
	for _, s := range contractSections {
		if _, ok := secs[s]; !ok {
			t.Errorf("%s: Part I has no heading for section %s of the wire contract", protocolDoc, s)
		}
	}
	for s, line := range secs {
		if !slices.Contains(contractSections, s) {
			t.Errorf("%s:%d: Part I numbers a section %s that the wire contract does not have", protocolDoc, line, s)
		}
	}
}

// TestContractNumbering compares contractSections with the contract itself, when its path
// is given in RTCHAT_WIRE_SPEC (the contract is not part of this repository).
func TestContractNumbering(t *testing.T) {
	spec := os.Getenv("RTCHAT_WIRE_SPEC")
	if spec == "" {
		t.Skip("RTCHAT_WIRE_SPEC not set (path of the shared rtchat-wire.md)")
	}
	b, err := os.ReadFile(spec)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, h := range headings(string(b)) {
		if m := sectionNumRE.FindStringSubmatch(h.Text); m != nil && h.Level >= 2 {
			got = append(got, m[1])
		}
	}
	if !slices.Equal(got, contractSections) {
		t.Errorf("the contract's sections are\n  %v\nbut this test expects\n  %v", got, contractSections)
	}
}

// TestSectionReferences: every section reference in the module's Go files, README.md and
// docs names a section with a heading in Part I of docs/protocol.md.
func TestSectionReferences(t *testing.T) {
	root := moduleRoot(t)
	secs := partISections(t, readFile(t, root, protocolDoc))
	goFiles, mdFiles := sourceFiles(t, root)
	if !slices.Contains(mdFiles, protocolDoc) {
		t.Fatalf("the scan did not find %s", protocolDoc)
	}
	total := 0
	for _, rel := range append(goFiles, mdFiles...) {
		b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
		if os.IsNotExist(err) {
			continue // removed while we scan
		}
		if err != nil {
			t.Fatal(err)
		}
		if !utf8.Valid(b) {
			continue
		}
		sc := bufio.NewScanner(strings.NewReader(string(b)))
		sc.Buffer(make([]byte, 0, 64<<10), len(b)+1)
		for line := 1; sc.Scan(); line++ {
			for _, r := range findRefs(sc.Text()) {
				total++
				if r.Err != "" {
					t.Errorf("%s:%d: %q: %s", rel, line, r.Text, r.Err)
				}
				for _, s := range r.Sections {
					if _, ok := secs[s]; !ok {
						t.Errorf("%s:%d: %q: section %s has no heading in %s Part I", rel, line, r.Text, s, protocolDoc)
					}
				}
			}
		}
	}
	if total == 0 {
		t.Fatal("found no section references at all: is the scan broken?")
	}
	t.Logf("%d section references in %d Go and %d markdown files", total, len(goFiles), len(mdFiles))
}

// ---------------------------------------------------------------------------------------
// Anchors

var linkRE = regexp.MustCompile(`\]\(([^()\s]*#[^()\s]*)\)`)

// slug is GitHub's anchor for a heading: inline markup dropped, lower case, letters,
// digits, "-" and "_" kept, spaces turned into "-", everything else removed.
func slug(text string) string {
	text = regexp.MustCompile(`\[([^\]]*)\]\([^)]*\)`).ReplaceAllString(text, "$1")
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(text)) {
		switch {
		case unicode.IsLetter(r), unicode.IsDigit(r), unicode.Is(unicode.Mn, r), r == '-', r == '_':
			b.WriteRune(r)
		case r == ' ':
			b.WriteByte('-')
		}
	}
	return b.String()
}

// anchors lists the heading anchors of a markdown text, numbering repeats like GitHub.
func anchors(text string) map[string]bool {
	out := map[string]bool{}
	seen := map[string]int{}
	for _, h := range headings(text) {
		s := slug(h.Text)
		if n := seen[s]; n > 0 {
			out[fmt.Sprintf("%s-%d", s, n)] = true
		} else {
			out[s] = true
		}
		seen[s]++
	}
	return out
}

// TestMarkdownAnchors: links with a #fragment from README.md and docs to a markdown file of
// the repository (or within the same file) point at an existing heading.
func TestMarkdownAnchors(t *testing.T) {
	root := moduleRoot(t)
	_, mdFiles := sourceFiles(t, root)
	cache := map[string]map[string]bool{}
	for _, rel := range mdFiles {
		text := readFile(t, root, rel)
		fence := false
		for i, line := range strings.Split(text, "\n") {
			if tl := strings.TrimSpace(line); strings.HasPrefix(tl, "```") || strings.HasPrefix(tl, "~~~") {
				fence = !fence
				continue
			}
			if fence {
				continue
			}
			for _, m := range linkRE.FindAllStringSubmatch(line, -1) {
				target, frag, _ := strings.Cut(m[1], "#")
				if strings.Contains(target, ":") || (target != "" && !strings.HasSuffix(target, ".md")) {
					continue // another scheme, or not a markdown file
				}
				file := rel
				if target != "" {
					file = path.Clean(path.Join(path.Dir(rel), target))
				}
				as, ok := cache[file]
				if !ok {
					b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(file)))
					if err != nil {
						t.Errorf("%s:%d: link %q: %v", rel, i+1, m[1], err)
						continue
					}
					as = anchors(string(b))
					cache[file] = as
				}
				if !as[frag] {
					t.Errorf("%s:%d: link %q: %s has no heading with anchor #%s", rel, i+1, m[1], file, frag)
				}
			}
		}
	}
}

func TestSlug(t *testing.T) {
	for in, want := range map[string]string{
		"Part I — the RTChat wire protocol":                    "part-i--the-rtchat-wire-protocol",
		"3.4 Who initiates (tie-break) and glare":              "34-who-initiates-tie-break-and-glare",
		"rtchat pipe stream (rtchat-to-rtchat extension)":      "rtchat-pipe-stream-rtchat-to-rtchat-extension",
		"Bound proofs: `rtchat.identify` / `rtchat.challenge`": "bound-proofs-rtchatidentify--rtchatchallenge",
		"11.1 LZ `compressToUint8Array`":                       "111-lz-compresstouint8array",
	} {
		if got := slug(in); got != want {
			t.Errorf("slug(%q) = %q, want %q", in, got, want)
		}
	}
}
