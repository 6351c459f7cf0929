package pipeline

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/phantom-vlm/phantom/internal/lockfile"
)

// ErrBusy is returned when another build holds the output folder.
var ErrBusy = errors.New("pipeline: another build is writing this output folder")

// lockOut takes an exclusive lock on OUT/.lock for the run, so that two
// builds never write one folder at once. The lock dies with the process;
// a run refused it names the one holding it.
func lockOut(out string) (func(), error) {
	l, err := lockfile.Acquire(filepath.Join(out, ".lock"))
	var he *lockfile.HeldError
	if errors.As(err, &he) {
		if he.Holder != "" {
			return nil, fmt.Errorf("%w: %s (held by %s)", ErrBusy, out, he.Holder)
		}
		return nil, fmt.Errorf("%w: %s", ErrBusy, out)
	}
	if err != nil {
		return nil, fmt.Errorf("pipeline: %w", err)
	}
	return func() { l.Close() }, nil
}
