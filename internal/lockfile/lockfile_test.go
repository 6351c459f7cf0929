package lockfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAcquire(t *testing.T) {
	path := filepath.Join(t.TempDir(), "results.jsonl.lock")
	l, err := Acquire(path)
	if err != nil {
		t.Fatal(err)
	}
	// A second open of the file is a second flock owner, as another
	// process would be.
	_, err = Acquire(path)
	var he *HeldError
	if !errors.As(err, &he) || !errors.Is(err, ErrHeld) {
		t.Fatalf("second Acquire = %v, want a HeldError", err)
	}
	if want := fmt.Sprintf("pid %d on ", os.Getpid()); !strings.HasPrefix(he.Holder, want) || !strings.Contains(err.Error(), path) {
		t.Errorf("error %q: want the path and the holder %q…", err, want)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	l2, err := Acquire(path)
	if err != nil {
		t.Fatalf("Acquire after Close: %v", err)
	}
	l2.Close()
	if _, err := Acquire(filepath.Join(t.TempDir(), "no", "dir", "x.lock")); err == nil || errors.Is(err, ErrHeld) {
		t.Errorf("Acquire in a missing folder = %v, want an open error", err)
	}
}
