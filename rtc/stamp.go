package rtc

import (
	"fmt"
	"os"
)

// fileStamp identifies the current content of files by size and modification time, which
// every rewrite (a rename over the file) changes.
func fileStamp(paths ...string) string {
	s := ""
	for _, p := range paths {
		if st, err := os.Stat(p); err == nil {
			s += fmt.Sprintf("%d:%d;", st.Size(), st.ModTime().UnixNano())
		} else {
			s += "-;"
		}
	}
	return s
}
