package keys

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// unsafeError is a refusal because of file permissions. It matches ErrUnsafePermissions but
// has its own text: that sentinel's text speaks of a private key, which a pins file is not.
// owner marks one about who controls the file (ErrUnsafeOwner too).
type unsafeError struct {
	msg   string
	owner bool
}

func (e *unsafeError) Error() string { return e.msg }
func (e *unsafeError) Unwrap() []error {
	if e.owner {
		return []error{ErrUnsafePermissions, ErrUnsafeOwner}
	}
	return []error{ErrUnsafePermissions}
}

// checkOwner refuses, like ssh's StrictModes, a key file or directory that belongs to
// someone other than the user or root: its owner can change it, and so whom rtchat
// trusts, whatever its mode says now. Not on Windows (no uid owners; see docs/keys.md).
func checkOwner(path string, fi fs.FileInfo) error {
	uid, ok := ownerOf(fi)
	me := myUID()
	if !ok || uid == me || uid == 0 {
		return nil
	}
	what := "file"
	if fi.IsDir() {
		what = "directory"
	}
	return &unsafeError{owner: true, msg: fmt.Sprintf("unsafe ownership: %s '%s' belongs to uid %d, not to you (uid %d) or root: "+
		"its owner can change whom rtchat trusts; rtchat refuses it until you fix it with: chown %d '%s' "+
		"(or remove it if you did not make it)", what, path, uid, me, me, path)}
}

// checkParents refuses a config dir that others could swap for their own: one of its
// parents belongs to someone other than the user or root, or group or others can write it
// without the sticky bit (in a sticky dir like /tmp nobody can rename what is not theirs).
// Like ssh for ~/.ssh, the walk stops at $HOME when the dir is inside it; outside, it goes
// up to /. Missing parents are skipped: they are created 0700 by us. Not on Windows.
func checkParents(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real // the dirs that really hold it
	}
	stop := string(filepath.Separator)
	if home, err := os.UserHomeDir(); err == nil && home != "" {
		if h, err := filepath.EvalSymlinks(home); err == nil {
			home = h
		}
		if rel, err := filepath.Rel(home, abs); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			stop = home
		}
	}
	for p := filepath.Dir(abs); ; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err == nil {
			if err := checkOwner(p, fi); err != nil {
				return err
			}
			if fi.Mode().Perm()&0o022 != 0 && fi.Mode()&fs.ModeSticky == 0 {
				return &unsafeError{owner: true, msg: fmt.Sprintf("unsafe permissions: %#o for directory '%s', a parent of the config dir '%s': "+
					"group or others can write it, and so replace the config dir and whom rtchat trusts; rtchat refuses it until you fix it with: "+
					"chmod go-w '%s' (or use a config dir elsewhere: --config-dir)", fi.Mode().Perm(), p, dir, p)}
			}
		}
		if p == stop || filepath.Dir(p) == p {
			return nil
		}
	}
}

// CheckPrivateKeyPerm refuses a file holding a private key (mode from its stat) that group or
// others can access, like ssh; the error wraps ErrUnsafePermissions and gives the chmod fix.
func CheckPrivateKeyPerm(path string, mode fs.FileMode) error { return checkPrivatePerm(path, mode) }

// checkWritable refuses, like ssh's StrictModes, a config dir or trust file that group or
// others can write: whoever can write it chooses whom rtchat trusts.
func checkWritable(path string, mode fs.FileMode) error {
	if runtime.GOOS == "windows" || mode.Perm()&0o022 == 0 {
		return nil
	}
	what, fix := "file", "chmod 600"
	if mode.IsDir() {
		what, fix = "config dir", "chmod 700"
	}
	return &unsafeError{msg: fmt.Sprintf("unsafe permissions: %#o for %s '%s': group or others can write it, and so "+
		"change whom rtchat trusts; rtchat refuses it until you fix it with: %s %s",
		mode.Perm(), what, path, fix, path)}
}

// checkDir refuses a config dir that group or others can write, that is not the user's
// (or root's), or whose parents others control (checkParents). A missing dir is fine if its
// parents are: it holds nothing yet, and lock creates it 0700.
func (s *Store) checkDir() error {
	st, err := os.Stat(s.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		return checkParents(s.Dir)
	}
	if err != nil {
		return fmt.Errorf("config dir: %w", err)
	}
	if err := checkOwner(s.Dir, st); err != nil {
		return err
	}
	if err := checkWritable(s.Dir, st.Mode()); err != nil {
		return err
	}
	return checkParents(s.Dir)
}

// checkFile refuses a file of the store that is not the user's (or root's) or that group
// or others can write.
func checkFile(path string, fi fs.FileInfo) error {
	if err := checkOwner(path, fi); err != nil {
		return err
	}
	return checkWritable(path, fi.Mode())
}

// checkKindsPerm refuses a kinds file that group or others can write (see checkWritable).
func (s *Store) checkKindsPerm() error {
	st, err := os.Stat(s.KindsPath())
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return checkFile(s.KindsPath(), st)
}

// readTrustFile reads a pins or kinds file after checking it and its directory (see
// checkWritable). A missing file gives nil data and no error. An empty or null file is an
// error: it is never written so, and reading it as "nothing pinned" would hide the damage.
func (s *Store) readTrustFile(path string) ([]byte, error) {
	if err := s.checkDir(); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// Stat the open file, not the path, so the check is of the file that is read.
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if err := checkFile(path, st); err != nil {
		return nil, err
	}
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	switch t := bytes.TrimSpace(data); {
	case len(t) == 0:
		return nil, fmt.Errorf("%s is empty: delete it or write {} (an empty JSON object) into it", path)
	case string(t) == "null":
		return nil, fmt.Errorf("%s is empty (it holds only null): delete it or write {} (an empty JSON object) into it", path)
	}
	return data, nil
}
