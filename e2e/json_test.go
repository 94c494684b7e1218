package e2e

import (
	"bufio"
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// jsonDocFields reads the field names docs/json.md lists for each object type (the union
// over the shapes of a type, such as doctor's and pipe's summary).
func jsonDocFields(t *testing.T) map[string]map[string]bool {
	t.Helper()
	f, err := os.Open("../docs/json.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	docs := map[string]map[string]bool{}
	var cur map[string]bool
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "### `"):
			typ := strings.SplitN(line, "`", 3)[1]
			if docs[typ] == nil {
				docs[typ] = map[string]bool{}
			}
			cur = docs[typ]
		case strings.HasPrefix(line, "## "):
			cur = nil
		case cur != nil && strings.HasPrefix(line, "| `"):
			cur[strings.SplitN(line, "`", 3)[1]] = true
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return docs
}

// jsonDocumented checks that every object has a documented type and only documented fields.
func jsonDocumented(t *testing.T, docs map[string]map[string]bool, what string, objs []map[string]any) {
	t.Helper()
	for _, o := range objs {
		typ, _ := o["type"].(string)
		fields, ok := docs[typ]
		if !ok {
			t.Errorf("%s: type %q is not in docs/json.md: %v", what, typ, o)
			continue
		}
		for k := range o {
			if !fields[k] {
				t.Errorf("%s: %s field %q is not in docs/json.md: %v", what, typ, k, o)
			}
		}
	}
}

// ndjson parses every line of out as a JSON object; each must have a type.
func ndjson(t *testing.T, what, out string) []map[string]any {
	t.Helper()
	var objs []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line == "" {
			continue
		}
		var o map[string]any
		if err := json.Unmarshal([]byte(line), &o); err != nil {
			t.Fatalf("%s: line %q is not a JSON object: %v", what, line, err)
		}
		if _, ok := o["type"].(string); !ok {
			t.Fatalf("%s: line %q has no type", what, line)
		}
		objs = append(objs, o)
	}
	return objs
}

// find returns the objects of one type, and checks each has the documented fields.
func find(t *testing.T, what string, objs []map[string]any, typ string, fields ...string) []map[string]any {
	t.Helper()
	var got []map[string]any
	for _, o := range objs {
		if o["type"] != typ {
			continue
		}
		for _, f := range fields {
			if _, ok := o[f]; !ok {
				t.Errorf("%s: %s object lacks %q: %v", what, typ, f, o)
			}
		}
		got = append(got, o)
	}
	if len(got) == 0 {
		t.Fatalf("%s: no %s object in %v", what, typ, objs)
	}
	return got
}

// TestJSONOutputs checks the NDJSON of listen, send, ask and a failure against docs/json.md.
func TestJSONOutputs(t *testing.T) {
	t.Parallel()
	docs := jsonDocFields(t)
	w := newWorld(t)
	w.friends("alice", "bob")
	l := w.start("bob", nil, "listen", "--json", "--exec", "echo pong")
	if err := l.waitFor(w.ctx, l.stdout, `"type":"listening"`); err != nil {
		t.Fatal(err)
	}

	out, errs, code := w.run("alice", nil, "--json", "send", "bob", "hello")
	if code != 0 {
		t.Fatalf("send --json: exit %d: %s", code, errs)
	}
	objs := ndjson(t, "send", out)
	jsonDocumented(t, docs, "send", objs)
	find(t, "send", objs, "verified", "peer", "name", "bound")
	d := find(t, "send", objs, "delivered", "peer", "name")
	if last := objs[len(objs)-1]; last["type"] != "delivered" || d[0]["name"] != "bob" {
		t.Errorf("send: the result must be the last line, for bob: %v", objs)
	}

	out, errs, code = w.run("alice", nil, "--json", "ask", "bob", "ping")
	if code != 0 {
		t.Fatalf("ask --json: exit %d: %s", code, errs)
	}
	objs = ndjson(t, "ask", out)
	jsonDocumented(t, docs, "ask", objs)
	a := find(t, "ask", objs, "answer", "peer", "name", "topic", "answer")
	if a[0]["answer"] != "pong" || a[0]["topic"] != "question" {
		t.Errorf("ask: answer object %v", a[0])
	}

	// The listener's stream: listening, then lifecycle events and the message.
	if err := l.waitFor(w.ctx, l.stdout, `"text":"hello"`); err != nil {
		t.Fatal(err)
	}
	objs = ndjson(t, "listen", l.stdout.String())
	jsonDocumented(t, docs, "listen", objs)
	find(t, "listen", objs, "listening", "name", "room")
	find(t, "listen", objs, "verified", "peer", "name", "bound")
	m := find(t, "listen", objs, "message", "peer", "name", "channel", "text")
	if m[0]["name"] != "alice" || m[0]["text"] != "hello" {
		t.Errorf("listen: message object %v", m[0])
	}

	// A failure ends with an error object whose code is the exit code.
	// (--trust tofu: under known, an unpinned name fails at once with code 3.)
	out, _, code = w.run("alice", nil, "--json", "--timeout", "1s", "--trust", "tofu", "ask", "nobody", "x")
	objs = ndjson(t, "failed ask", out)
	jsonDocumented(t, docs, "failed ask", objs)
	e := find(t, "failed ask", objs, "error", "error", "code")
	if code != 4 || e[0]["code"] != float64(4) {
		t.Errorf("failed ask: exit %d, error object %v; want code 4 in both", code, e[0])
	}
}

// TestJSONPipeErrorOnStderr: pipe's stdout is the byte stream, so a failed 'pipe --json'
// writes nothing there; its error object is the last NDJSON line on stderr.
func TestJSONPipeErrorOnStderr(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.friends("alice")
	out, errs, code := w.run("alice", strings.NewReader("data"), "--json", "--timeout", "1s", "--trust", "tofu", "pipe", "nobody")
	if code != 4 || out != "" {
		t.Fatalf("pipe to nobody: exit %d, stdout %q; want 4 and nothing on stdout", code, out)
	}
	lines := strings.Split(strings.TrimSpace(errs), "\n")
	var last map[string]any
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &last); err != nil || last["type"] != "error" || last["code"] != float64(4) {
		t.Fatalf("pipe to nobody: last line of stderr %q; want the error object with code 4 (%v)\n%s", lines[len(lines)-1], err, errs)
	}
	jsonDocumented(t, jsonDocFields(t), "failed pipe", []map[string]any{last})
}
