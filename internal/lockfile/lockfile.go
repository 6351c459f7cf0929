// Package lockfile takes an exclusive lock on a file for the life of a
// process, and records who holds it, so that a second process refused the
// lock can say who has it. The lock is flock(2) on Unix: it dies with the
// process, even on SIGKILL, so a stale lock file never blocks a rerun.
package lockfile

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
)

// ErrHeld is wrapped by the error of Lock when another process holds the
// lock.
var ErrHeld = errors.New("locked by another process")

// HeldError is returned by Lock when another process holds the lock.
type HeldError struct {
	// Path is the lock file.
	Path string
	// Holder is what the holder wrote: pid, host, start time and command
	// line; empty when it could not be read.
	Holder string
}

func (e *HeldError) Error() string {
	if e.Holder == "" {
		return fmt.Sprintf("%s is %v", e.Path, ErrHeld)
	}
	return fmt.Sprintf("%s is %v: %s", e.Path, ErrHeld, e.Holder)
}

// Unwrap returns ErrHeld.
func (e *HeldError) Unwrap() error { return ErrHeld }

// Lock is a held lock. Close releases it.
type Lock struct {
	f *os.File
}

// Acquire takes an exclusive lock on path, creating the file when needed,
// without waiting: when another process holds it, the error is a
// *HeldError naming that process. The file is left in place on Close (an
// unlinked lock file could be locked twice).
func Acquire(path string) (*Lock, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock: %w", err)
	}
	held, err := tryLock(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if held {
		f.Close()
		data, _ := os.ReadFile(path)
		return nil, &HeldError{Path: path, Holder: strings.TrimSpace(string(data))}
	}
	host, _ := os.Hostname()
	who := fmt.Sprintf("pid %d on %s since %s: %s\n", os.Getpid(), host,
		time.Now().UTC().Format(time.RFC3339), strings.Join(os.Args, " "))
	// Best effort: the holder's note is for people, the flock is the lock.
	if f.Truncate(0) == nil {
		f.WriteAt([]byte(who), 0)
	}
	return &Lock{f: f}, nil
}

// Close releases the lock. Closing twice is harmless.
func (l *Lock) Close() error {
	if l == nil || l.f == nil {
		return nil
	}
	l.f.Truncate(0)
	err := l.f.Close()
	l.f = nil
	return err
}
