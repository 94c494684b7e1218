// Package nodetest runs the Node.js scripts that cross-check rtchat against the JavaScript
// originals (npm lz-string 1.4.4, WebCrypto). A missing Node or npm package fails the test:
// the cross-check is the proof of compatibility, so it is never skipped.
package nodetest

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// RepoRoot walks up from the test's working directory to the rtchat module root.
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && bytes.Contains(b, []byte("module github.com/rtchat/rtchat")) {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("cannot find the rtchat repository root (go.mod) above the working directory")
		}
		dir = parent
	}
}

// RunJSON runs `node SCRIPT ROOT` with req as JSON on stdin and decodes its stdout into
// resp. needs lists npm packages that must be installed under ROOT/node_modules.
func RunJSON(t testing.TB, script string, timeout time.Duration, req, resp any, needs ...string) {
	t.Helper()
	root := RepoRoot(t)
	if _, err := exec.LookPath("node"); err != nil {
		t.Fatalf("node not found on PATH (%v): install Node.js ≥ 20 and run `npm ci` at the repo root (%s)", err, root)
	}
	for _, pkg := range needs {
		if _, err := os.Stat(filepath.Join(root, "node_modules", pkg, "package.json")); err != nil {
			t.Fatalf("npm package %s is not installed (%v): run `npm ci` at the repo root (%s)", pkg, err, root)
		}
	}
	in, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	abs, err := filepath.Abs(script)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", abs, root)
	cmd.Stdin = bytes.NewReader(in)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("node %s: %v\n%s\n(if a package is missing, run `npm ci` at the repo root)", filepath.Base(script), err, stderr.String())
	}
	if err := json.Unmarshal(stdout.Bytes(), resp); err != nil {
		t.Fatalf("node %s output: %v", filepath.Base(script), err)
	}
}
