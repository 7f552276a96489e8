//go:build unix

package queue

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lockDir takes an exclusive lock on path, so that two processes never
// run embedded NATS servers on one JetStream directory: they would both
// write its files. The lock goes with the process, however it ends.
func lockDir(path string) (unlock func(), err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("queue: %w", err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("queue: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("queue: another process (a running tracium-server?) uses the embedded NATS in %s; stop it first, or share an external NATS with TRACIUM_NATS_URL", filepath.Dir(path))
		}
		return nil, fmt.Errorf("queue: lock %s: %w", path, err)
	}
	return func() { f.Close() }, nil
}
