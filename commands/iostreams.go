package commands

import (
	"io"
	"os"

	"github.com/mattn/go-isatty"
	"golang.org/x/term"
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
	// ErrWidth is the width of the terminal on stderr (0: unknown); nil when not known.
	ErrWidth func() int
	// OutWidth is the width of the terminal on stdout; nil when stdout is no terminal.
	OutWidth func() int
	// InFd is stdin's file descriptor when it is a terminal (line editing puts it in raw
	// mode); -1 otherwise.
	InFd int
	// CloseOut closes stdout so that whoever reads it sees EOF (pipe, once the peer's
	// direction ended); nil when stdout is not the process's own.
	CloseOut func() error
}

// SystemIO returns the process's standard streams.
func SystemIO() *IO {
	tty := func(f *os.File) bool {
		return isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd())
	}
	ios := &IO{
		In: os.Stdin, Out: os.Stdout, Err: os.Stderr,
		InTTY: tty(os.Stdin), OutTTY: tty(os.Stdout), ErrTTY: tty(os.Stderr),
		InFd: -1, CloseOut: os.Stdout.Close,
	}
	if ios.InTTY {
		ios.InFd = int(os.Stdin.Fd())
	}
	if ios.ErrTTY {
		ios.ErrWidth = termWidth(int(os.Stderr.Fd()))
	}
	if ios.OutTTY {
		ios.OutWidth = termWidth(int(os.Stdout.Fd()))
	}
	return ios
}

func termWidth(fd int) func() int {
	return func() int {
		w, _, err := term.GetSize(fd)
		if err != nil {
			return 0
		}
		return w
	}
}

// outCols is the width of the terminal on stdout (or on stderr when toErr), 0 when it is
// no terminal or its width is unknown: peerLines cuts long lines to it.
func (ios *IO) outCols(toErr bool) int {
	f := ios.OutWidth
	if toErr {
		f = ios.ErrWidth
	}
	if f == nil {
		return 0
	}
	return f()
}
