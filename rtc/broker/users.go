package broker

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// Users is a password file: user names and bcrypt hashes of their passwords. The zero
// value and nil have no users.
type Users struct {
	hash map[string][]byte
	// decoy is compared against for unknown users, so that a wrong user name costs as
	// much time as a wrong password and does not reveal which names exist.
	decoy []byte
}

// PasswordCost is the bcrypt cost of hashes made by HashPassword: htpasswd -B's default.
const PasswordCost = bcrypt.DefaultCost

// maxPasswordFile bounds what LoadUsers reads: a password file is small.
const maxPasswordFile = 16 << 20

// LoadUsers reads a password file (see ParseUsers).
func LoadUsers(path string) (*Users, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("password file: %w", err)
	}
	defer f.Close()
	u, err := ParseUsers(io.LimitReader(f, maxPasswordFile))
	if err != nil {
		return nil, fmt.Errorf("password file %s: %w", path, err)
	}
	return u, nil
}

// ParseUsers reads lines "user:bcrypt-hash" as htpasswd -B writes them ($2a$, $2b$ or
// $2y$); blank lines and lines starting with # are skipped. A file without users is an
// error: it would lock everyone out.
func ParseUsers(r io.Reader) (*Users, error) {
	u := &Users{hash: map[string][]byte{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), 64<<10)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, hash, ok := strings.Cut(line, ":")
		if !ok || name == "" {
			return nil, fmt.Errorf("line %d: want user:bcrypt-hash (as 'htpasswd -nbB USER PASS' or 'rtchat broker passwd USER' print)", n)
		}
		if _, err := bcrypt.Cost([]byte(hash)); err != nil || !strings.HasPrefix(hash, "$2") {
			return nil, fmt.Errorf("line %d: user %q: not a bcrypt hash ($2a$, $2b$ or $2y$): only bcrypt is supported (htpasswd -B)", n, name)
		}
		if _, dup := u.hash[name]; dup {
			return nil, fmt.Errorf("line %d: user %q appears twice", n, name)
		}
		u.hash[name] = []byte(hash)
		if u.decoy == nil {
			u.decoy = []byte(hash)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(u.hash) == 0 {
		return nil, errors.New("no users in it")
	}
	return u, nil
}

// Len is the number of users.
func (u *Users) Len() int {
	if u == nil {
		return 0
	}
	return len(u.hash)
}

// Check reports whether password is user's. It takes bcrypt time (tens of ms) either way.
func (u *Users) Check(user string, password []byte) bool {
	h, ok := u.hash[user]
	if !ok {
		_ = bcrypt.CompareHashAndPassword(u.decoy, password)
		return false
	}
	return bcrypt.CompareHashAndPassword(h, password) == nil
}

// HashPassword returns a password file line "user:hash" for user and password.
func HashPassword(user string, password []byte) (string, error) {
	return hashPassword(user, password, PasswordCost)
}

func hashPassword(user string, password []byte, cost int) (string, error) {
	if user == "" || strings.ContainsAny(user, ":\r\n") || strings.TrimSpace(user) != user {
		return "", fmt.Errorf("user name %q: must be non-empty, without ':', line breaks or surrounding spaces", user)
	}
	if len(password) == 0 {
		return "", errors.New("empty password")
	}
	if bytes.ContainsAny(password, "\r\n") {
		return "", errors.New("password contains a line break")
	}
	if len(password) > 72 {
		return "", errors.New("password longer than 72 bytes: bcrypt ignores the rest")
	}
	h, err := bcrypt.GenerateFromPassword(password, cost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return user + ":" + string(h), nil
}
