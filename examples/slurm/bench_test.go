package slurm_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/phantom-vlm/phantom/internal/testenv"
)

// BenchmarkSlurmBuild builds congress portraits with the example build
// array (submit-build.sh, then its merge job) as 1 shard on 1 core and as N
// shards on N cores (N = the cores, at most 4), each shard one worker, with
// the no-weights OpenCV default and all six conditions, and reports the
// speed-up of N shards over one, measured in the same run: the wall time
// from submission to the merged dataset. PHANTOM_SLURM_BENCH_PHOTOS sets the
// number of portraits (default 32, at most 112).
func BenchmarkSlurmBuild(b *testing.B) {
	photosN := 32
	if n, err := strconv.Atoi(os.Getenv("PHANTOM_SLURM_BENCH_PHOTOS")); err == nil && n > 0 {
		photosN = n
	}
	shards := min(runtime.NumCPU(), 4)
	if shards < 2 {
		b.Skip("one core: nothing to compare")
	}
	slurm(b)
	work := b.TempDir()
	photos, manifest := congress(b, work, photosN)
	backgrounds := testenv.Data(b, "backgrounds")
	phantom := goBuild(b, b.TempDir(), "github.com/phantom-vlm/phantom/cmd/phantom")
	here, _ := filepath.Abs(".")
	// build returns the wall time from submission to the merged dataset,
	// and to the last shard's summary.json (the shards' own span: without
	// the merge and the polling of sbatch --wait, which wakes at growing
	// intervals and so rounds the end-to-end time up by seconds).
	build := func(n, i int) (total, tasks time.Duration) {
		idle(b)
		out := filepath.Join(work, fmt.Sprintf("n%d-%d", n, i))
		start := time.Now()
		run(b, work, []string{"PHANTOM=" + phantom, "PHOTOS=" + photos, "OUT=" + out, "N=" + strconv.Itoa(n), "CPUS=1", "WAIT=1",
			"BUILD_FLAGS=--manifest " + manifest + " --models none --backgrounds " + backgrounds + " --workers 1"},
			filepath.Join(here, "submit-build.sh"))
		total = time.Since(start)
		parts, _ := filepath.Glob(filepath.Join(out, "part-*", "summary.json"))
		if len(parts) != n {
			b.Fatalf("%d shards wrote %d summaries", n, len(parts))
		}
		for _, p := range parts {
			st, err := os.Stat(p)
			if err != nil {
				b.Fatal(err)
			}
			tasks = max(tasks, st.ModTime().Sub(start))
		}
		return total, tasks
	}
	var one, many, oneTasks, manyTasks time.Duration
	for i := range b.N {
		t, k := build(1, i)
		one, oneTasks = one+t, oneTasks+k
		t, k = build(shards, i)
		many, manyTasks = many+t, manyTasks+k
	}
	b.ReportMetric(float64(photosN*b.N)/one.Seconds(), "photos/s-1shard")
	b.ReportMetric(float64(photosN*b.N)/many.Seconds(), fmt.Sprintf("photos/s-%dshards", shards))
	b.ReportMetric(one.Seconds()/many.Seconds(), "speedup")
	b.ReportMetric(one.Seconds()/many.Seconds()/float64(shards), "speedup/N")
	b.ReportMetric(oneTasks.Seconds()/manyTasks.Seconds()/float64(shards), "task-speedup/N")
}

// idle waits until the cluster runs no job (another process's jobs would
// take the cores being measured), for up to five minutes.
func idle(b *testing.B) {
	b.Helper()
	for i := 0; ; i++ {
		out, err := exec.Command("squeue", "-h", "-o", "%i %j").Output()
		if err != nil {
			b.Fatalf("squeue: %v", err)
		}
		if len(bytes.TrimSpace(out)) == 0 {
			return
		}
		if i == 300 {
			b.Fatalf("the cluster is still running other jobs after 5 minutes:\n%s", out)
		}
		time.Sleep(time.Second)
	}
}
