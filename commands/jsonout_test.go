package commands

import (
	"bufio"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/rtchat/rtchat/rtc"
)

// docField is one row of a field table of docs/json.md.
type docField struct {
	typ      string // string, integer, number, boolean, array of strings, any JSON value
	optional bool
}

// docObjects reads the field tables of docs/json.md: each "### `TYPE`" or
// "### `TYPE` (COMMAND)" heading, then a table of | `field` | type[, optional] | meaning |.
func docObjects(t *testing.T) map[string]map[string]docField {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "docs", "json.md"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	objs := map[string]map[string]docField{}
	var cur map[string]docField
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "### "):
			key := strings.ReplaceAll(strings.TrimPrefix(line, "### "), "`", "")
			if objs[key] != nil {
				t.Fatalf("docs/json.md: %q twice", key)
			}
			cur = map[string]docField{}
			objs[key] = cur
		case strings.HasPrefix(line, "## "):
			cur = nil
		case cur != nil && strings.HasPrefix(line, "| `"):
			cells := tableCells(line)
			if len(cells) != 3 {
				t.Fatalf("docs/json.md: row %q has %d cells, want 3", line, len(cells))
			}
			name := strings.Trim(cells[0], "`")
			typ, optional := strings.CutSuffix(cells[1], ", optional")
			cur[name] = docField{typ: typ, optional: optional}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return objs
}

// tableCells splits a Markdown table row on its unescaped '|'.
func tableCells(row string) []string {
	row = strings.TrimSpace(row)
	row = strings.TrimSuffix(strings.TrimPrefix(row, "|"), "|")
	var cells []string
	var cell strings.Builder
	for i := 0; i < len(row); i++ {
		switch {
		case row[i] == '\\' && i+1 < len(row) && row[i+1] == '|':
			cell.WriteByte('|')
			i++
		case row[i] == '|':
			cells = append(cells, strings.TrimSpace(cell.String()))
			cell.Reset()
		default:
			cell.WriteByte(row[i])
		}
	}
	return append(cells, strings.TrimSpace(cell.String()))
}

// structFields lists the JSON fields of a struct type as the docs would describe them.
func structFields(t *testing.T, typ reflect.Type) map[string]docField {
	t.Helper()
	fields := map[string]docField{}
	for i := range typ.NumField() {
		f := typ.Field(i)
		if f.Anonymous && f.Type.Kind() == reflect.Struct {
			for k, v := range structFields(t, f.Type) {
				fields[k] = v
			}
			continue
		}
		if !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			t.Errorf("%s.%s has no json name", typ.Name(), f.Name)
			name = f.Name
		}
		optional := strings.Contains(","+opts+",", ",omitempty,")
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			if !optional {
				t.Errorf("%s.%s is a pointer without omitempty: it would print null", typ.Name(), f.Name)
			}
			ft = ft.Elem()
		}
		fields[name] = docField{typ: jsonTypeOf(t, ft), optional: optional}
	}
	return fields
}

func jsonTypeOf(t *testing.T, ft reflect.Type) string {
	t.Helper()
	if ft == reflect.TypeFor[json.RawMessage]() {
		return "any JSON value"
	}
	switch ft.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice:
		if ft.Elem().Kind() == reflect.String {
			return "array of strings"
		}
	}
	t.Errorf("no documented JSON type for Go type %v", ft)
	return ft.String()
}

// outputStructs maps each object of docs/json.md to the struct that prints it.
func outputStructs() map[string]any {
	return map[string]any{
		"error":                       errorJSON{},
		"seen":                        seenJSON{},
		"connected":                   connectedJSON{},
		"verified":                    verifiedJSON{},
		"refused":                     refusedJSON{},
		"message":                     messageJSON{},
		"lagged":                      laggedJSON{},
		"disconnected":                disconnectedJSON{},
		"renamed":                     renamedJSON{},
		"joined":                      joinedJSON{},
		"reconnecting":                reconnectJSON{},
		"reconnected":                 reconnectJSON{},
		"listening (listen, connect)": listeningJSON{},
		"answer":                      answerJSON{},
		"delivered":                   deliveredJSON{},
		"result":                      resultJSON{},
		"progress":                    progressJSON{},
		"summary (pipe)":              pipeSummaryJSON{},
		"path":                        pathJSON{},
		"check":                       checkJSON{},
		"summary (doctor)":            doctorSummaryJSON{},
		"config":                      configJSON{},
		"version":                     versionJSON{},
		"invite":                      inviteJSON{},
		"paired":                      pairedJSON{},
	}
}

// TestJSONMatchesDocs: every object's struct has exactly the fields docs/json.md lists for
// it, with the documented types and optionality; every documented object has a struct.
func TestJSONMatchesDocs(t *testing.T) {
	docs := docObjects(t)
	structs := outputStructs()
	// Objects printed outside jsonout.go: the keys ones are checked by running the commands
	// (TestJSONKeysMatchDocs); the broker's (an inline struct in broker.go) by neither.
	elsewhere := map[string]bool{"identity": true, "peer": true, "pin": true, "removed": true, "listening (broker)": true}
	for key, v := range structs {
		doc, ok := docs[key]
		if !ok {
			t.Errorf("%T prints %q, which docs/json.md does not document", v, key)
			continue
		}
		got := structFields(t, reflect.TypeOf(v))
		for name, f := range got {
			d, ok := doc[name]
			switch {
			case !ok:
				t.Errorf("%s: field %q (%T) is printed but not documented", key, name, v)
			case d != f:
				t.Errorf("%s: field %q is %+v in %T, documented as %+v", key, name, f, v, d)
			}
		}
		for name := range doc {
			if _, ok := got[name]; !ok {
				t.Errorf("%s: documented field %q is not in %T", key, name, v)
			}
		}
		if _, ok := got["type"]; !ok {
			t.Errorf("%T has no type field", v)
		}
	}
	for key := range docs {
		if _, ok := structs[key]; !ok && !elsewhere[key] {
			t.Errorf("docs/json.md documents %q, which no struct prints", key)
		}
	}
	if t.Failed() {
		t.Log("docs/json.md and commands/jsonout.go must change together")
	}
}

// TestJSONStructsRegistered: every struct of jsonout.go is one of outputStructs, so none
// escapes TestJSONMatchesDocs.
func TestJSONStructsRegistered(t *testing.T) {
	file, err := parser.ParseFile(token.NewFileSet(), "jsonout.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	registered := map[string]bool{}
	for _, v := range outputStructs() {
		registered[reflect.TypeOf(v).Name()] = true
	}
	var found []string
	ast.Inspect(file, func(n ast.Node) bool {
		if ts, ok := n.(*ast.TypeSpec); ok {
			if _, isStruct := ts.Type.(*ast.StructType); isStruct {
				found = append(found, ts.Name.Name)
				if !registered[ts.Name.Name] {
					t.Errorf("jsonout.go: %s is not in outputStructs (and so not checked against docs/json.md)", ts.Name.Name)
				}
			}
		}
		return true
	})
	if len(found) != len(registered) {
		sort.Strings(found)
		t.Errorf("jsonout.go declares %v; outputStructs has %d", found, len(registered))
	}
}

// TestEventJSON: each core event prints as its own struct, with its type and the error's
// hint apart from its text.
func TestEventJSON(t *testing.T) {
	structs := outputStructs()
	cause := withHint(rtc.ErrNotVerified, "pin it with 'rtchat keys register'")
	for _, typ := range []rtc.EventType{rtc.EventSeen, rtc.EventConnected, rtc.EventVerified,
		rtc.EventRefused, rtc.EventMessage, rtc.EventDisconnected} {
		e := rtc.Event{Type: typ, Peer: "bob-x1y2", Bare: "bob", Channel: "chat", Text: "hi", Bound: true, Fingerprint: "ab:cd"}
		if typ == rtc.EventRefused || typ == rtc.EventDisconnected {
			e.Err = cause
		}
		v := eventJSON(e)
		if want := structs[string(typ)]; reflect.TypeOf(v) != reflect.TypeOf(want) {
			t.Errorf("event %s prints as %T, want %T", typ, v, want)
			continue
		}
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var o map[string]any
		if err := json.Unmarshal(b, &o); err != nil {
			t.Fatal(err)
		}
		if o["type"] != string(typ) || o["peer"] != "bob-x1y2" || o["name"] != "bob" {
			t.Errorf("event %s: %s", typ, b)
		}
		if e.Err != nil && (o["error"] != "peer not verified" || o["hint"] != "pin it with 'rtchat keys register'" || o["code"] != float64(ExitNotVerified)) {
			t.Errorf("event %s: error, hint and code: %s", typ, b)
		}
	}
	if v := eventJSON(rtc.Event{Type: "someday"}); v != nil {
		t.Errorf("an unknown event type prints %v; want nothing", v)
	}
	// A clean disconnect has no error fields at all.
	if b, _ := json.Marshal(eventJSON(rtc.Event{Type: rtc.EventDisconnected, Peer: "p", Bare: "p"})); strings.Contains(string(b), "error") || strings.Contains(string(b), "code") {
		t.Errorf("clean disconnect: %s", b)
	}
}

// TestJSONKeysMatchDocs runs the keys commands with --json and checks each object they print
// against docs/json.md: every field documented, with its type; every required field there.
func TestJSONKeysMatchDocs(t *testing.T) {
	docs := docObjects(t)
	alice, bob := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")
	run := func(dir string, args ...string) string {
		t.Helper()
		ios, _, out, errb := newTestIO()
		if code := testRun(t, ios, map[string]string{"RTCHAT_CONFIG_DIR": dir}, args...); code != 0 {
			t.Fatalf("%q: exit %d: %s", args, code, errb)
		}
		return out.String()
	}
	checkDocObject(t, docs, "identity", run(alice, "--json", "keys", "gen", "--name", "alice"))
	run(bob, "keys", "gen", "--name", "bob")
	checkDocObject(t, docs, "identity", run(bob, "--json", "keys", "show"))
	bobID := strings.TrimSpace(run(bob, "keys", "show"))
	checkDocObject(t, docs, "pin", run(alice, "--json", "keys", "register", bobID))
	checkDocObject(t, docs, "peer", run(alice, "--json", "keys", "list"))
	checkDocObject(t, docs, "removed", run(alice, "--json", "keys", "remove", "bob"))
}

// checkDocObject checks each NDJSON line of out is a documented object of type key.
func checkDocObject(t *testing.T, docs map[string]map[string]docField, key, out string) {
	t.Helper()
	doc := docs[key]
	if doc == nil {
		t.Fatalf("docs/json.md does not document %q", key)
	}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var o map[string]any
		if err := json.Unmarshal([]byte(line), &o); err != nil {
			t.Fatalf("%s: %q is not a JSON object: %v", key, line, err)
		}
		if o["type"] != strings.Fields(key)[0] {
			t.Errorf("%s: type %v in %s", key, o["type"], line)
		}
		for name, v := range o {
			d, ok := doc[name]
			if !ok {
				t.Errorf("%s: field %q is printed but not documented: %s", key, name, line)
				continue
			}
			if err := jsonValueIs(v, d.typ); err != nil {
				t.Errorf("%s: field %q: %v", key, name, err)
			}
		}
		for name, d := range doc {
			if _, ok := o[name]; !ok && !d.optional {
				t.Errorf("%s: documented field %q is missing: %s", key, name, line)
			}
		}
	}
}

func jsonValueIs(v any, typ string) error {
	ok := false
	switch typ {
	case "any JSON value":
		ok = true
	case "string":
		_, ok = v.(string)
	case "boolean":
		_, ok = v.(bool)
	case "number":
		_, ok = v.(float64)
	case "integer":
		f, isNum := v.(float64)
		ok = isNum && f == math.Trunc(f)
	case "array of strings":
		a, isArr := v.([]any)
		ok = isArr
		for _, e := range a {
			if _, s := e.(string); !s {
				ok = false
			}
		}
	}
	if !ok {
		return fmt.Errorf("value %#v is not %s", v, typ)
	}
	return nil
}
