package commands

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"golang.org/x/term"
)

// chatPrompt is the interactive prompt of 'rtchat connect'.
const chatPrompt = "> "

// errCtrlC is what the editor reports when Ctrl-C arrives as a byte (Windows consoles in
// raw mode); on Unix the terminal still sends SIGINT.
var errCtrlC = &ExitError{Code: 130, Err: errors.New("interrupted")}

// lineEditor is the line editing of an interactive 'rtchat connect' (golang.org/x/term's
// Terminal): the typed line is edited in place (arrows, history, Ctrl-W...), and what
// arrives meanwhile is printed above the prompt without disturbing the half-typed line.
// Bracketed paste is on, so a pasted block arrives as lines; a typed or pasted line may be
// as long as a message (see key for typed lines past the library's 4096 characters).
type lineEditor struct {
	full    atomic.Bool // the line being typed reached the message limit (said once)
	t       *term.Terminal
	fd      int
	out     io.Writer
	old     *term.State
	resize  chan os.Signal
	stop    chan struct{}
	stopped sync.WaitGroup
}

// newLineEditor puts the terminal on fd in raw mode (keeping signals and output newline
// translation) and edits lines read from in, echoing on out.
func newLineEditor(fd int, in io.Reader, out io.Writer, width func() int) (*lineEditor, error) {
	old, err := term.MakeRaw(fd)
	if err != nil {
		return nil, fmt.Errorf("terminal raw mode: %w", err)
	}
	if err := keepSignalsAndNewlines(fd); err != nil {
		_ = term.Restore(fd, old)
		return nil, fmt.Errorf("terminal mode: %w", err)
	}
	e := &lineEditor{fd: fd, out: out, old: old, resize: make(chan os.Signal, 1), stop: make(chan struct{})}
	e.t = term.NewTerminal(struct {
		io.Reader
		io.Writer
	}{&ctrlCReader{r: in}, out}, chatPrompt)
	e.t.SetBracketedPasteMode(true)
	e.t.AutoCompleteCallback = e.key
	setSize := func() {
		if w, h, err := term.GetSize(fd); err == nil {
			_ = e.t.SetSize(w, h)
		} else if width != nil && width() > 0 {
			_ = e.t.SetSize(width(), 24)
		}
	}
	setSize()
	notifyResize(e.resize)
	e.stopped.Add(1)
	go func() {
		defer e.stopped.Done()
		for {
			select {
			case <-e.resize:
				setSize()
			case <-e.stop:
				return
			}
		}
	}()
	return e, nil
}

// tabWidth: a typed TAB becomes spaces up to the next multiple of it. A tab character
// itself cannot be edited in place: the library counts it as one column, the terminal
// moves several.
const tabWidth = 4

// key sees every key the library has no binding for (it runs without the library's lock).
// It inserts TAB as spaces (the library drops it), and typed characters past the library's
// 4096 (it drops them without a word) up to the message limit; past that it says so once.
func (e *lineEditor) key(line string, pos int, key rune) (string, int, bool) {
	if line == "" {
		e.full.Store(false) // a new line
	}
	insert := ""
	switch {
	case key == '\t':
		insert = strings.Repeat(" ", tabWidth-utf8.RuneCountInString(line[:pos])%tabWidth)
	case utf8.RuneCountInString(line) >= editorMaxRunes && key >= ' ' && key != 0x7f:
		insert = string(key)
	default:
		return "", 0, false // the library's own handling
	}
	if len(line)+len(insert) > maxMessage {
		if !e.full.Swap(true) {
			go e.print(fmt.Sprintf("rtchat: the line is at the %d-byte limit of a message: nothing more goes into it; send it (Enter) and go on in the next\n", maxMessage))
		}
		return line, pos, true
	}
	return line[:pos] + insert + line[pos:], pos + len(insert), true
}

// editorMaxRunes is golang.org/x/term's limit of a typed line, past which key takes over.
const editorMaxRunes = 4096

// readLine returns the next line typed or pasted; io.EOF on Ctrl-D at an empty prompt.
func (e *lineEditor) readLine() (string, error) {
	line, err := e.t.ReadLine()
	if errors.Is(err, term.ErrPasteIndicator) {
		err = nil // a pasted line is a line
	}
	var cc ctrlCError
	if errors.As(err, &cc) {
		return "", errCtrlC
	}
	return line, err
}

// print writes text (whole lines) above the prompt, then redraws the prompt and the line
// being typed.
func (e *lineEditor) print(text string) {
	_, _ = e.t.Write([]byte(text))
}

// close leaves the prompt line and gives the terminal back as it was.
func (e *lineEditor) close() {
	signal.Stop(e.resize)
	close(e.stop)
	e.stopped.Wait()
	e.t.SetBracketedPasteMode(false)
	// The prompt (and any half-typed line) is not worth keeping on the screen.
	_, _ = io.WriteString(e.out, "\r\x1b[K")
	_ = term.Restore(e.fd, e.old)
}

// ctrlCError: a Ctrl-C byte arrived (no SIGINT for it).
type ctrlCError struct{}

func (ctrlCError) Error() string { return "Ctrl-C" }

// ctrlCReader turns a Ctrl-C byte into an error, where the terminal passes it as a byte
// instead of a signal (the library would read it as end of input, like Ctrl-D).
type ctrlCReader struct{ r io.Reader }

func (c *ctrlCReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if i := bytes.IndexByte(p[:n], 3); i >= 0 {
		return i, ctrlCError{}
	}
	return n, err
}

// plainLines reads lines of stdin that is not a terminal: any length is read, a line longer
// than max is reported (its size) and never returned, so nothing of it is sent. A final
// line without a newline counts.
type plainLines struct {
	r    *bufio.Reader
	max  int
	line int // number of the last line read
}

// errLineTooLong reports a line over the message limit.
type errLineTooLong struct{ line, size, max int }

func (e *errLineTooLong) Error() string {
	return fmt.Sprintf("line %d is %d bytes, over the %d-byte limit of a message; nothing of it was sent", e.line, e.size, e.max)
}

func (p *plainLines) next() (string, error) {
	var buf []byte
	size := 0
	var last [2]byte // the line's last two bytes, for its "\n" or "\r\n"
	for {
		chunk, err := p.r.ReadSlice('\n')
		size += len(chunk)
		for _, c := range chunk[max(0, len(chunk)-2):] {
			last[0], last[1] = last[1], c
		}
		if len(buf) <= p.max+2 {
			buf = append(buf, chunk[:min(len(chunk), p.max+2-len(buf))]...)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil && (!errors.Is(err, io.EOF) || size == 0) {
			return "", err
		}
		p.line++
		if last[1] == '\n' {
			size--
			if last[0] == '\r' {
				size--
			}
		}
		if size > p.max {
			return "", &errLineTooLong{line: p.line, size: size, max: p.max}
		}
		return string(buf[:size]), nil
	}
}

// readInput sends each line the user types (ed, on a terminal) or pipes in (in) to lines,
// until stopped is closed; then it returns. The error that ends the input (io.EOF at its
// end, *errLineTooLong for a piped line over the message limit) goes to readErr, which
// has room for it.
func readInput(ed *lineEditor, in io.Reader, lines chan<- string, readErr chan<- error, stopped <-chan struct{}) {
	send := func(line string) bool {
		select {
		case lines <- line:
			return true
		case <-stopped:
			return false
		}
	}
	next := (&plainLines{r: bufio.NewReaderSize(in, 64<<10), max: maxMessage}).next
	if ed != nil {
		next = ed.readLine
	}
	for {
		line, err := next()
		if err != nil {
			readErr <- err
			return
		}
		if !send(line) {
			return
		}
	}
}

// inputEnded is what the end of readInput's input means for a chat: EOF ends it cleanly,
// a piped line over the message limit is an error with what to do about it.
func inputEnded(err error) error {
	var long *errLineTooLong
	switch {
	case err == nil || errors.Is(err, io.EOF):
		return nil
	case errors.As(err, &long):
		return withHint(err, "split the line, or use 'rtchat pipe' for data")
	}
	return fmt.Errorf("read stdin: %w", err)
}
