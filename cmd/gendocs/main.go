// Command gendocs writes rtchat's man pages (docs/man) and Markdown command reference
// (docs/reference) from the Cobra command tree. Run it from the repository root after
// changing a command's help:
//
//	go run ./cmd/gendocs
//
// The output depends only on the command tree (no dates, no environment), so a test can
// regenerate it and compare with the committed files.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"

	"github.com/rtchat/rtchat/commands"
)

func main() {
	man := flag.String("man", "docs/man", "directory for the man pages (section 1)")
	md := flag.String("md", "docs/reference", "directory for the Markdown reference")
	flag.Parse()
	if err := generate(*man, *md); err != nil {
		fmt.Fprintln(os.Stderr, "gendocs:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "wrote %s and %s\n", *man, *md)
}

// newTree builds rtchat's command tree the same way whatever the environment.
func newTree() *cobra.Command {
	ios := &commands.IO{In: strings.NewReader(""), Out: io.Discard, Err: io.Discard}
	root := commands.NewRootCmd(ios, func(string) (string, bool) { return "", false })
	var stamp func(*cobra.Command)
	stamp = func(c *cobra.Command) {
		c.DisableAutoGenTag = true
		for _, sub := range c.Commands() {
			stamp(sub)
		}
	}
	stamp(root)
	return root
}

// generate replaces the contents of manDir and mdDir with freshly generated pages: stale
// pages of removed commands go away.
func generate(manDir, mdDir string) error {
	for _, d := range []struct{ dir, glob string }{{manDir, "*.1"}, {mdDir, "*.md"}} {
		if err := os.MkdirAll(d.dir, 0o755); err != nil {
			return err
		}
		old, err := filepath.Glob(filepath.Join(d.dir, d.glob))
		if err != nil {
			return err
		}
		for _, f := range old {
			if err := os.Remove(f); err != nil {
				return err
			}
		}
	}
	if err := genMan(newTree(), manDir); err != nil {
		return fmt.Errorf("man pages: %w", err)
	}
	if err := doc.GenMarkdownTree(newTree(), mdDir); err != nil {
		return fmt.Errorf("markdown: %w", err)
	}
	return nil
}

// thDate matches the date field of the .TH line, which Cobra always fills in.
var thDate = regexp.MustCompile(`(?m)^(\.TH "[^"]*" "[^"]*" )"[^"]*"`)

// genMan writes one page per available command, like doc.GenManTree, without a date in
// the .TH header: the pages change only when the help does.
func genMan(cmd *cobra.Command, dir string) error {
	for _, c := range cmd.Commands() {
		if !c.IsAvailableCommand() || c.IsAdditionalHelpTopicCommand() {
			continue
		}
		if err := genMan(c, dir); err != nil {
			return err
		}
	}
	header := &doc.GenManHeader{Section: "1", Source: "rtchat", Manual: "rtchat manual"}
	var buf bytes.Buffer
	if err := doc.GenMan(cmd, header, &buf); err != nil {
		return err
	}
	out := thDate.ReplaceAll(buf.Bytes(), []byte(`$1""`))
	out = addSections(out, commands.ManSections())
	name := strings.ReplaceAll(cmd.CommandPath(), " ", "-") + ".1"
	return os.WriteFile(filepath.Join(dir, name), out, 0o644)
}

// addSections puts rtchat's own sections (EXIT STATUS, ENVIRONMENT, FILES) before Cobra's
// EXAMPLE section, or before SEE ALSO when there is none.
func addSections(page []byte, sections []commands.ManSection) []byte {
	var b bytes.Buffer
	for _, s := range sections {
		fmt.Fprintf(&b, ".SH %s\n", s.Title)
		if s.Intro != "" {
			fmt.Fprintf(&b, ".PP\n%s\n", roff(s.Intro))
		}
		for _, it := range s.Items {
			fmt.Fprintf(&b, ".TP\n\\fB%s\\fP\n%s\n", roff(it.Term), roff(it.Text))
		}
		b.WriteString("\n")
	}
	for _, at := range []string{"\n.SH EXAMPLE\n", "\n.SH SEE ALSO\n"} {
		if i := bytes.Index(page, []byte(at)); i >= 0 {
			return append(append(append([]byte{}, page[:i+1]...), b.Bytes()...), page[i+1:]...)
		}
	}
	return append(page, b.Bytes()...)
}

// roff escapes text for a roff paragraph: backslashes, hyphens (so that options stay
// hyphens) and a leading control character.
func roff(s string) string {
	s = strings.ReplaceAll(s, `\`, `\e`)
	s = strings.ReplaceAll(s, "-", `\-`)
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "'") {
		s = `\&` + s
	}
	return s
}
