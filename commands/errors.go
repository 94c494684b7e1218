package commands

import (
	"errors"
	"fmt"

	"github.com/rtchat/rtchat/rtc"
	"github.com/rtchat/rtchat/rtc/stream"
)

// Exit codes of the CLI contract.
const (
	ExitOK          = 0
	ExitFailure     = 1
	ExitUsage       = 2
	ExitNotVerified = 3
	ExitTimeout     = 4
	ExitLost        = 5
)

// ExitError carries an exit code with the error that caused it.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string { return e.Err.Error() }
func (e *ExitError) Unwrap() error { return e.Err }

func usageErrorf(format string, a ...any) error {
	return &ExitError{Code: ExitUsage, Err: fmt.Errorf(format, a...)}
}

// hintError adds what the user can do about an error, kept out of the error text so that
// it prints on its own line ("rtchat: hint: ...") and in its own JSON field.
type hintError struct {
	err  error
	hint string
}

func (e *hintError) Error() string { return e.err.Error() }
func (e *hintError) Unwrap() error { return e.err }
func (e *hintError) Hint() string  { return e.hint }

// withHint adds hint to err, unless err already carries one (the core's is more specific).
func withHint(err error, hint string) error {
	if err == nil || hintOf(err) != "" {
		return err
	}
	return &hintError{err: err, hint: hint}
}

// hintOf returns what the user can do about err: the outermost hint in its chain, whether
// the commands or the core (rtc.Hint) added it; "" if none.
func hintOf(err error) string {
	var h interface{ Hint() string }
	if errors.As(err, &h) {
		return h.Hint()
	}
	return rtc.Hint(err)
}

// hintLine is the line that says what to do about err, "rtchat: hint: …" made safe, or ""
// when there is nothing to say: every hint rtchat prints on stderr goes through it.
func hintLine(err error) string {
	h := hintOf(err)
	if h == "" {
		return ""
	}
	return "rtchat: hint: " + safeText(h) + "\n"
}

// codeOf maps an error to the exit code of the CLI contract, in one place.
func codeOf(err error) int {
	if err == nil {
		return ExitOK
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	for _, m := range errorCodes {
		if errors.Is(err, m.err) {
			return m.code
		}
	}
	return ExitFailure
}

var errorCodes = []struct {
	err  error
	code int
}{
	{rtc.ErrNotVerified, ExitNotVerified},
	{rtc.ErrTimeout, ExitTimeout},
	{rtc.ErrConnectionLost, ExitLost},
	// A pipe stream that ended without its end mark, or was aborted by the peer or by us,
	// is a connection that ended before the work was done.
	{stream.ErrLost, ExitLost},
	{stream.ErrAborted, ExitLost},
	{stream.ErrClosed, ExitLost},
}
