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
