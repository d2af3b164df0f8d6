package hub

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sync"

	"golang.org/x/crypto/bcrypt"
)

// usernameShape is Docker Hub's: 4 to 30 lowercase letters and digits.
var usernameShape = regexp.MustCompile(`^[a-z0-9]{4,30}$`)

// ErrBadCredentials is a wrong password for an existing account.
var ErrBadCredentials = errors.New("incorrect username or password")

// accounts keeps user -> bcrypt hash in DIR/accounts.json.
type accounts struct {
	mu   sync.Mutex
	path string
	m    map[string]string
	cost int
}

func openAccounts(dir string) (*accounts, error) {
	a := &accounts{path: filepath.Join(dir, "accounts.json"), m: map[string]string{}, cost: bcrypt.DefaultCost}
	b, err := os.ReadFile(a.path)
	if errors.Is(err, os.ErrNotExist) {
		return a, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading hub accounts: %w", err)
	}
	if err := json.Unmarshal(b, &a.m); err != nil {
		return nil, fmt.Errorf("reading hub accounts %s: %w", a.path, err)
	}
	return a, nil
}

// check verifies user's password; an unknown user is created if create allows it.
// It returns whether the account was created. Hashes are compared outside the lock: a
// bcrypt comparison is slow on purpose and must not hold up other logins.
func (a *accounts) check(user, password string, create func() bool) (bool, error) {
	a.mu.Lock()
	h, ok := a.m[user]
	a.mu.Unlock()
	if ok {
		if bcrypt.CompareHashAndPassword([]byte(h), []byte(password)) != nil {
			return false, ErrBadCredentials
		}
		return false, nil
	}
	if !usernameShape.MatchString(user) {
		return false, fmt.Errorf("username %q: use 4 to 30 lowercase letters and digits", user)
	}
	if len(password) < 6 || len(password) > 72 {
		return false, fmt.Errorf("password for %q: use 6 to 72 characters", user)
	}
	if !create() {
		return false, errTooManyAccounts
	}
	nh, err := bcrypt.GenerateFromPassword([]byte(password), a.cost)
	if err != nil {
		return false, err
	}
	a.mu.Lock()
	if existing, taken := a.m[user]; taken {
		// created concurrently: the password must match that account
		a.mu.Unlock()
		if bcrypt.CompareHashAndPassword([]byte(existing), []byte(password)) != nil {
			return false, ErrBadCredentials
		}
		return false, nil
	}
	a.m[user] = string(nh)
	err = a.save()
	if err != nil {
		delete(a.m, user)
	}
	a.mu.Unlock()
	return err == nil, err
}

var errTooManyAccounts = errors.New("too many new accounts from this address; try again later")

func (a *accounts) save() error {
	b, err := json.MarshalIndent(a.m, "", "  ")
	if err != nil {
		return err
	}
	tmp := a.path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("writing hub accounts: %w", err)
	}
	if err := os.Rename(tmp, a.path); err != nil {
		return fmt.Errorf("writing hub accounts: %w", err)
	}
	return nil
}

// verify checks user's password without creating anything: an unknown user is refused.
func (a *accounts) verify(user, password string) error {
	a.mu.Lock()
	h, ok := a.m[user]
	a.mu.Unlock()
	if !ok || bcrypt.CompareHashAndPassword([]byte(h), []byte(password)) != nil {
		return ErrBadCredentials
	}
	return nil
}
