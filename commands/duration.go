package commands

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
)

// durationValue is the one parser behind every duration rtchat takes, from a flag, the
// environment or the config file: Go's forms ("1m30s", "500ms") and plain seconds ("5",
// "2.5"), which is what people type after --timeout.
type durationValue time.Duration

// durationVar defines a duration flag that takes plain seconds too.
func durationVar(f *pflag.FlagSet, p *time.Duration, name string, def time.Duration, usage string) {
	*p = def
	f.Var((*durationValue)(p), name, usage)
}

func (d *durationValue) Set(s string) error {
	v, err := parseDuration(s)
	if err != nil {
		return err
	}
	*d = durationValue(v)
	return nil
}

// Type is pflag's "duration", so help and docs read as before.
func (d *durationValue) Type() string { return "duration" }

// String is "0" for no time, which pflag's help takes as no default worth showing.
func (d *durationValue) String() string {
	if *d == 0 {
		return "0"
	}
	return time.Duration(*d).String()
}

// parseDuration reads plain seconds or a Go duration.
func parseDuration(s string) (time.Duration, error) {
	t := strings.TrimSpace(s)
	if f, err := strconv.ParseFloat(t, 64); err == nil && t != "" && isPlainNumber(t) {
		secs := f * float64(time.Second)
		if math.IsNaN(f) || math.Abs(secs) >= math.MaxInt64 {
			return 0, fmt.Errorf("duration %q is out of range", s)
		}
		return time.Duration(secs), nil
	}
	d, err := time.ParseDuration(t)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration: give seconds (30, 2.5) or a unit (30s, 1m30s, 500ms)", s)
	}
	return d, nil
}

// isPlainNumber: digits with at most one dot and an optional sign, nothing ParseFloat
// also takes ("inf", "1e3", "0x10") that nobody means as seconds.
func isPlainNumber(s string) bool {
	s = strings.TrimLeft(s, "+-")
	dot := false
	for _, r := range s {
		switch {
		case r == '.' && !dot:
			dot = true
		case r >= '0' && r <= '9':
		default:
			return false
		}
	}
	return s != "" && s != "."
}
