package broker

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseUsers(t *testing.T) {
	line, err := HashPassword("carol", []byte("pw with spaces"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(line, "carol:$2a$10$") {
		t.Fatalf("line %q", line)
	}
	path := filepath.Join(t.TempDir(), "users")
	if err := os.WriteFile(path, []byte("# comment\n\n"+line+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	u, err := LoadUsers(path)
	if err != nil {
		t.Fatal(err)
	}
	if u.Len() != 1 || !u.Check("carol", []byte("pw with spaces")) || u.Check("carol", []byte("pw")) || u.Check("dave", []byte("pw with spaces")) {
		t.Fatal("Check gives wrong answers")
	}

	for name, file := range map[string]string{
		"empty":     "# nobody\n",
		"no colon":  "alice\n",
		"no name":   ":$2y$10$.vGA1O9wmRjrwAVXD98HNOgsNpDczlqm3Jq7KnEd1rVAGv3Fykk1a\n",
		"md5":       "alice:$apr1$abc$def\n",
		"plain":     "alice:secret\n",
		"duplicate": line + "\n" + line + "\n",
	} {
		if _, err := ParseUsers(strings.NewReader(file)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := LoadUsers(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("missing file accepted")
	}
	for _, bad := range []struct{ user, pass string }{{"", "x"}, {"a:b", "x"}, {"a", ""}, {" a", "x"}, {"a", strings.Repeat("x", 73)}, {"a", "x\ny"}} {
		if _, err := HashPassword(bad.user, []byte(bad.pass)); err == nil {
			t.Errorf("HashPassword(%q, %q) accepted", bad.user, bad.pass)
		}
	}
}
