package keys

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"runtime"
)

// unsafeError is a refusal because of file permissions. It matches ErrUnsafePermissions but
// has its own text: that sentinel's text speaks of a private key, which a pins file is not.
type unsafeError struct{ msg string }

func (e *unsafeError) Error() string { return e.msg }
func (e *unsafeError) Unwrap() error { return ErrUnsafePermissions }

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
	return &unsafeError{fmt.Sprintf("unsafe permissions: %#o for %s '%s': group or others can write it, and so "+
		"change whom rtchat trusts; rtchat refuses it until you fix it with: %s %s",
		mode.Perm(), what, path, fix, path)}
}

// checkDir refuses a config dir that group or others can write. A missing dir is fine: it
// holds nothing yet, and lock creates it 0700.
func (s *Store) checkDir() error {
	st, err := os.Stat(s.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("config dir: %w", err)
	}
	return checkWritable(s.Dir, st.Mode())
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
	return checkWritable(s.KindsPath(), st.Mode())
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
	if err := checkWritable(path, st.Mode()); err != nil {
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
