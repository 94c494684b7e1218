//go:build unix

package keys

import (
	"io/fs"
	"os"
	"syscall"
)

// ownerOf is the uid that owns fi, and whether the system has owners (Unix does).
func ownerOf(fi fs.FileInfo) (uint32, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return st.Uid, true
}

// myUID is the effective uid, whose files these are.
func myUID() uint32 { return uint32(os.Geteuid()) }
