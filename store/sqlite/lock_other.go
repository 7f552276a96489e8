//go:build !unix

package sqlite

import (
	"context"
	"fmt"

	"github.com/tracium/tracium/store"
)

// TryLock takes the lock within this store where flock(2) is missing: one
// SQLite file serves one collector process there.
func (s *Store) TryLock(_ context.Context, name string) (func(), error) {
	if !store.ValidLockName(name) {
		return nil, fmt.Errorf("lock %q: %w: a lock name is 1 to 64 letters, digits, '-' or '_'", name, store.ErrInvalid)
	}
	if _, held := s.locks.LoadOrStore(name, struct{}{}); held {
		return nil, fmt.Errorf("lock %s: %w", name, store.ErrLocked)
	}
	return func() { s.locks.Delete(name) }, nil
}
