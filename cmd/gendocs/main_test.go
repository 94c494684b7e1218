package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// TestDocsUpToDate regenerates the man pages and the Markdown reference into a temporary
// directory and fails when the committed docs/man or docs/reference differ.
func TestDocsUpToDate(t *testing.T) {
	tmp := t.TempDir()
	man, md := filepath.Join(tmp, "man"), filepath.Join(tmp, "reference")
	if err := generate(man, md); err != nil {
		t.Fatal(err)
	}
	for _, d := range []struct{ got, want, glob string }{
		{filepath.Join("..", "..", "docs", "man"), man, "*.1"},
		{filepath.Join("..", "..", "docs", "reference"), md, "*.md"},
	} {
		committed := listFiles(t, d.got, d.glob)
		fresh := listFiles(t, d.want, d.glob)
		for name := range fresh {
			if _, ok := committed[name]; !ok {
				t.Errorf("%s is missing; run: go run ./cmd/gendocs", filepath.Join(d.got, name))
			}
		}
		for name, data := range committed {
			want, ok := fresh[name]
			switch {
			case !ok:
				t.Errorf("%s is stale (no such command); run: go run ./cmd/gendocs", filepath.Join(d.got, name))
			case !bytes.Equal(data, want):
				t.Errorf("%s is out of date with the command's help; run: go run ./cmd/gendocs\n%s",
					filepath.Join(d.got, name), firstDiff(data, want))
			}
		}
	}
}

// TestDocsStable checks that generating twice gives the same bytes (no dates, no map order).
func TestDocsStable(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	for _, dir := range []string{a, b} {
		if err := generate(filepath.Join(dir, "man"), filepath.Join(dir, "md")); err != nil {
			t.Fatal(err)
		}
	}
	for _, sub := range []struct{ dir, glob string }{{"man", "*.1"}, {"md", "*.md"}} {
		fa, fb := listFiles(t, filepath.Join(a, sub.dir), sub.glob), listFiles(t, filepath.Join(b, sub.dir), sub.glob)
		if len(fa) == 0 || len(fa) != len(fb) {
			t.Fatalf("%s: %d vs %d files", sub.dir, len(fa), len(fb))
		}
		for name, data := range fa {
			if !bytes.Equal(data, fb[name]) {
				t.Errorf("%s/%s differs between two runs:\n%s", sub.dir, name, firstDiff(data, fb[name]))
			}
		}
	}
	if data, err := os.ReadFile(filepath.Join(a, "man", "rtchat.1")); err != nil {
		t.Fatal(err)
	} else if !bytes.HasPrefix(data, []byte(".nh\n.TH \"RTCHAT\" \"1\" \"\" \"rtchat\" \"rtchat manual\"\n")) {
		t.Errorf("rtchat.1 header is not the dateless one:\n%s", data[:min(len(data), 200)])
	}
}

func listFiles(t *testing.T, dir, glob string) map[string][]byte {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, glob))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(paths)
	out := map[string][]byte{}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(p)] = data
	}
	return out
}

// firstDiff shows the first line that differs.
func firstDiff(committed, fresh []byte) string {
	a, b := bytes.Split(committed, []byte("\n")), bytes.Split(fresh, []byte("\n"))
	for i := 0; i < len(a) || i < len(b); i++ {
		var la, lb []byte
		if i < len(a) {
			la = a[i]
		}
		if i < len(b) {
			lb = b[i]
		}
		if !bytes.Equal(la, lb) {
			return fmt.Sprintf("  line %d:\n  committed: %s\n  generated: %s", i+1, la, lb)
		}
	}
	return "  (same lines, different bytes)"
}

// TestManSections: every man page says how rtchat exits, which variables it reads and
// which files it keeps, with every exit code and variable the code knows.
func TestManSections(t *testing.T) {
	dir := t.TempDir()
	if err := generate(filepath.Join(dir, "man"), filepath.Join(dir, "md")); err != nil {
		t.Fatal(err)
	}
	pages, err := filepath.Glob(filepath.Join(dir, "man", "*.1"))
	if err != nil || len(pages) == 0 {
		t.Fatalf("no pages: %v", err)
	}
	for _, p := range pages {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		page := string(b)
		for _, want := range []string{".SH EXIT STATUS\n", "\\fB130\\fP", "\\fB5\\fP", ".SH ENVIRONMENT\n", "\\fBRTCHAT_BROKER\\fP",
			"\\fBRTCHAT_TIMEOUT\\fP", ".SH FILES\n", "\\fBidentity.json\\fP", "\\fBknown_peers.json\\fP", ".SH SEE ALSO"} {
			if !strings.Contains(page, want) {
				t.Errorf("%s lacks %q", filepath.Base(p), want)
			}
		}
		if strings.Index(page, ".SH FILES") > strings.Index(page, ".SH SEE ALSO") {
			t.Errorf("%s: FILES after SEE ALSO", filepath.Base(p))
		}
	}
}
