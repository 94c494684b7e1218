package commands

import (
	"encoding/json"
	"fmt"
	"io"
	"sync"
)

// writeJSON writes v as one NDJSON line. HTML escaping is off so that text such as "<" or
// "&" reads as the user wrote it, like JavaScript's JSON.stringify.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// printer writes NDJSON objects or human lines to one stream, one writer at a time.
type printer struct {
	mu sync.Mutex
	w  io.Writer
}

// object writes one of the objects of jsonout.go as an NDJSON line; nil writes nothing.
func (p *printer) object(v any) error {
	if v == nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return writeJSON(p.w, v)
}

func (p *printer) line(format string, a ...any) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, err := fmt.Fprintf(p.w, format+"\n", a...)
	return err
}

// text writes s as it is (it holds its own newlines).
func (p *printer) text(s string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, err := io.WriteString(p.w, s)
	return err
}
