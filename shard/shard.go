// Package shard splits work deterministically into N parts, so that several
// machines (or the tasks of a Slurm job array, or a Kubernetes Indexed Job)
// each take one part and together take everything exactly once.
//
// A Shard is chosen by a flag, "i/n", or read from the scheduler's
// environment with "auto" (see [Parse]). Membership depends only on the key
// and N, never on order or on the machine, so the same split is made
// everywhere.
package shard

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// ErrNoScheduler is returned by [Parse] for "auto" when neither a Slurm job
// array nor a Kubernetes Indexed Job is described by the environment.
var ErrNoScheduler = errors.New("shard: auto: no SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX in the environment")

// Shard is part I of N (0 ≤ I < N). The zero Shard is invalid; All is
// everything.
type Shard struct {
	I, N int
}

// All is the one shard that holds everything.
var All = Shard{I: 0, N: 1}

// Env looks up an environment variable; os.Getenv is one. Tests pass a map's
// lookup.
type Env func(key string) string

// Parse parses "i/n" with 0 ≤ i < n, or "auto", which reads the scheduler's
// environment through env (nil: the process environment):
//
//   - Slurm job arrays: SLURM_ARRAY_TASK_ID with SLURM_ARRAY_TASK_COUNT, or,
//     when the count is missing, SLURM_ARRAY_TASK_MIN and SLURM_ARRAY_TASK_MAX
//     (shard id−min of max−min+1; arrays with a step such as 0-15:2 need
//     the count).
//   - Kubernetes Indexed Jobs: JOB_COMPLETION_INDEX with the count from
//     PHANTOM_SHARD_COUNT (the Job's .spec.completions, set by the manifest).
//
// "" means All.
func Parse(s string, env Env) (Shard, error) {
	s = strings.TrimSpace(s)
	switch s {
	case "":
		return All, nil
	case "auto":
		return FromEnv(env)
	}
	a, b, ok := strings.Cut(s, "/")
	if !ok {
		return Shard{}, fmt.Errorf("shard: %q: want i/n (e.g. 0/4) or auto", s)
	}
	i, err1 := strconv.Atoi(strings.TrimSpace(a))
	n, err2 := strconv.Atoi(strings.TrimSpace(b))
	if err1 != nil || err2 != nil {
		return Shard{}, fmt.Errorf("shard: %q: want i/n with whole numbers (e.g. 0/4) or auto", s)
	}
	sh := Shard{I: i, N: n}
	return sh, sh.Validate()
}

// FromEnv reads the shard from a Slurm job array's or a Kubernetes Indexed
// Job's environment, as [Parse] does for "auto". It returns ErrNoScheduler,
// wrapped, when neither is set.
func FromEnv(env Env) (Shard, error) {
	if env == nil {
		env = os.Getenv
	}
	num := func(k string) (int, bool, error) {
		v := strings.TrimSpace(env(k))
		if v == "" {
			return 0, false, nil
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			return 0, true, fmt.Errorf("shard: auto: %s=%q is not a whole number", k, v)
		}
		return n, true, nil
	}
	id, ok, err := num("SLURM_ARRAY_TASK_ID")
	if err != nil {
		return Shard{}, err
	}
	if ok {
		count, hasCount, err := num("SLURM_ARRAY_TASK_COUNT")
		if err != nil {
			return Shard{}, err
		}
		lo, hasMin, err := num("SLURM_ARRAY_TASK_MIN")
		if err != nil {
			return Shard{}, err
		}
		hi, hasMax, err := num("SLURM_ARRAY_TASK_MAX")
		if err != nil {
			return Shard{}, err
		}
		var sh Shard
		switch {
		case hasMin && hasMax && (!hasCount || count == hi-lo+1):
			sh = Shard{I: id - lo, N: hi - lo + 1}
		case hasCount && hasMin:
			// A stepped array (0-15:2): ids are lo, lo+step, …; the
			// count says how many. The step is (max-min)/(count-1).
			step := 1
			if count > 1 && hasMax {
				step = (hi - lo) / (count - 1)
			}
			if step < 1 || (id-lo)%step != 0 {
				return Shard{}, fmt.Errorf("shard: auto: SLURM_ARRAY_TASK_ID=%d does not fit the array %d-%d with %d tasks", id, lo, hi, count)
			}
			sh = Shard{I: (id - lo) / step, N: count}
		case hasCount:
			sh = Shard{I: id, N: count}
		default:
			return Shard{}, fmt.Errorf("shard: auto: SLURM_ARRAY_TASK_ID=%d is set but not SLURM_ARRAY_TASK_COUNT nor SLURM_ARRAY_TASK_MIN/MAX", id)
		}
		if err := sh.Validate(); err != nil {
			return Shard{}, fmt.Errorf("shard: auto (Slurm): %w", err)
		}
		return sh, nil
	}
	idx, ok, err := num("JOB_COMPLETION_INDEX")
	if err != nil {
		return Shard{}, err
	}
	if ok {
		count, hasCount, err := num("PHANTOM_SHARD_COUNT")
		if err != nil {
			return Shard{}, err
		}
		if !hasCount {
			return Shard{}, fmt.Errorf("shard: auto: JOB_COMPLETION_INDEX=%d is set but not PHANTOM_SHARD_COUNT (the Job's completions)", idx)
		}
		sh := Shard{I: idx, N: count}
		if err := sh.Validate(); err != nil {
			return Shard{}, fmt.Errorf("shard: auto (Kubernetes): %w", err)
		}
		return sh, nil
	}
	return Shard{}, fmt.Errorf("%w: run inside `sbatch --array` or an Indexed Job, or pass --shard i/n", ErrNoScheduler)
}

// Validate reports whether 0 ≤ I < N.
func (s Shard) Validate() error {
	if s.N < 1 || s.I < 0 || s.I >= s.N {
		return fmt.Errorf("shard: %d/%d: want 0 ≤ i < n", s.I, s.N)
	}
	return nil
}

// String returns "i/n".
func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.I, s.N) }

// Whole reports whether the shard is everything (N ≤ 1).
func (s Shard) Whole() bool { return s.N <= 1 }

// HasID reports whether a hex content ID (such as a photo's sha256) belongs
// to the shard: its first 64 bits, read as a number, are I modulo N. An ID
// that is not hex belongs to shard 0.
func (s Shard) HasID(id string) bool {
	if s.N <= 1 {
		return true
	}
	if len(id) > 16 {
		id = id[:16]
	}
	v, err := strconv.ParseUint(id, 16, 64)
	if err != nil {
		return s.I == 0
	}
	return int(v%uint64(s.N)) == s.I
}

// HasKey reports whether an arbitrary string key (a question's result key,
// a corpus file's path) belongs to the shard: the first 64 bits of its
// sha256, modulo N, are I.
func (s Shard) HasKey(key string) bool {
	if s.N <= 1 {
		return true
	}
	h := sha256.Sum256([]byte(key))
	return int(binary.BigEndian.Uint64(h[:8])%uint64(s.N)) == s.I
}
