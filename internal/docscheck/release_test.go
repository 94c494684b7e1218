package docscheck

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLicenseShipped: the licence exists and every release artifact carries it: the
// archives (LICENSE), the .deb (/usr/share/doc/rtchat/copyright, Debian's place) and the
// .rpm (License tag and %license file). scripts/release-check.sh builds them for real; this
// keeps the configuration from losing them between releases.
func TestLicenseShipped(t *testing.T) {
	root := filepath.Join("..", "..")
	read := func(name string) string {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(root, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if lic := read("LICENSE"); !strings.Contains(lic, "Apache License") || !strings.Contains(lic, "Version 2.0, January 2004") {
		t.Error("LICENSE is not the Apache License 2.0 text")
	}
	if c := read("packaging/copyright"); !strings.HasPrefix(c, "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/") ||
		!strings.Contains(c, "License: Apache-2.0") {
		t.Error("packaging/copyright is not a machine-readable Debian copyright file for Apache-2.0")
	}
	cfg := read(".goreleaser.yaml")
	for _, want := range []string{
		"\n      - LICENSE\n",         // archives
		"\n    license: Apache-2.0\n", // nfpm: rpm License tag, deb metadata
		"- src: packaging/copyright\n        dst: /usr/share/doc/rtchat/copyright\n        packager: deb",
		"- src: LICENSE\n        dst: /usr/share/licenses/rtchat/LICENSE\n        packager: rpm\n        type: license",
	} {
		if !strings.Contains(cfg, want) {
			t.Errorf(".goreleaser.yaml lacks %q", want)
		}
	}
	if !strings.Contains(read("README.md"), "[Apache License 2.0](LICENSE)") {
		t.Error("README.md does not name the licence")
	}
}
