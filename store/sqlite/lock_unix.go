//go:build unix

package sqlite

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"

	"github.com/tracium/tracium/store"
)

// TryLock takes an exclusive flock(2) on a file beside the database,
// named after the lock: every store and process on this database file
// sees it, and it goes with its process however that ends.
func (s *Store) TryLock(_ context.Context, name string) (func(), error) {
	if !store.ValidLockName(name) {
		return nil, fmt.Errorf("lock %q: %w: a lock name is 1 to 64 letters, digits, '-' or '_'", name, store.ErrInvalid)
	}
	f, err := os.OpenFile(s.path+"."+name+".lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w: %v", name, store.ErrUnavailable, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("lock %s: %w", name, store.ErrLocked)
		}
		return nil, fmt.Errorf("lock %s: %w: %v", name, store.ErrUnavailable, err)
	}
	return func() { f.Close() }, nil
}
