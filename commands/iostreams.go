package commands

import (
	"io"
	"os"

	"github.com/mattn/go-isatty"
)

// IO is the set of streams a command talks to, and whether each is a terminal.
// Tests build one over buffers; Execute builds one over the process's streams.
type IO struct {
	In     io.Reader
	Out    io.Writer
	Err    io.Writer
	InTTY  bool
	OutTTY bool
	ErrTTY bool
}

// SystemIO returns the process's standard streams.
func SystemIO() *IO {
	tty := func(f *os.File) bool {
		return isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd())
	}
	return &IO{
		In: os.Stdin, Out: os.Stdout, Err: os.Stderr,
		InTTY: tty(os.Stdin), OutTTY: tty(os.Stdout), ErrTTY: tty(os.Stderr),
	}
}
