package slurm_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/phantom-vlm/phantom/internal/testenv"
)

// BenchmarkSlurmBuild builds congress portraits with the example build
// array (submit-build.sh, then its merge job) as 1 shard of 1 core and as N
// shards of 1 core each (N = the cores, at most 4), with the no-weights
// OpenCV default and all six conditions, and reports the speed-up of N
// shards over one, measured in the same run. Each of the b.N rounds runs
// the two jobs one after the other (interleaved, so that a change in the
// machine's load falls on both), and the figures are the rounds' medians:
//
//   - span-speedup/N, the target: the shards' own span, from the first
//     shard's start to the last shard's end (each shard's summary.json:
//     its mtime, less its wall_s);
//   - task-speedup/N: from submission to the last shard's summary.json,
//     with Slurm's dispatch of the tasks;
//   - speedup/N: from submission to the merged dataset, with the merge job
//     and the polling of sbatch --wait (which wakes at growing intervals
//     and so rounds the time up by seconds).
//
// Each task sizes itself from its allocation: scripts/slurm-local.sh's
// task/affinity binds it to its core, so GOMAXPROCS, phantom's default
// --workers and OpenCV's thread pool are all 1. The log gives each shard's
// work (photos, megapixels, seconds). PHANTOM_SLURM_BENCH_PHOTOS sets the
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
	build := func(n, i int) buildTimes {
		idle(b)
		out := filepath.Join(work, fmt.Sprintf("n%d-%d", n, i))
		start := time.Now()
		run(b, work, []string{"PHANTOM=" + phantom, "PHOTOS=" + photos, "OUT=" + out, "N=" + strconv.Itoa(n), "CPUS=1", "WAIT=1",
			"BUILD_FLAGS=--manifest " + manifest + " --models none --backgrounds " + backgrounds},
			filepath.Join(here, "submit-build.sh"))
		t := buildTimes{total: time.Since(start)}
		var first, last time.Time
		for k := range n {
			s := readShard(b, filepath.Join(out, fmt.Sprintf("part-%d", k)))
			b.Logf("%d shards, round %d, shard %d: %d photos, %.1f MP, %.2f s, %d worker(s), %.0f%% of its core(s)",
				n, i, k, s.photos, float64(s.pixels)/1e6, s.wall, s.workers, 100*s.util)
			if first.IsZero() || s.start.Before(first) {
				first = s.start
			}
			if s.end.After(last) {
				last = s.end
			}
		}
		t.span, t.tasks = last.Sub(first), last.Sub(start)
		return t
	}
	var one, many []buildTimes
	for i := range b.N {
		one = append(one, build(1, i))
		many = append(many, build(shards, i))
	}
	o, m := medianTimes(one), medianTimes(many)
	b.Logf("medians of %d rounds: 1 shard %v span, %v to the last shard, %v in all; %d shards %v, %v, %v",
		b.N, o.span, o.tasks, o.total, shards, m.span, m.tasks, m.total)
	n := float64(shards)
	b.ReportMetric(float64(photosN)/o.span.Seconds(), "photos/s-1shard")
	b.ReportMetric(float64(photosN)/m.span.Seconds(), fmt.Sprintf("photos/s-%dshards", shards))
	b.ReportMetric(o.span.Seconds()/m.span.Seconds()/n, "span-speedup/N")
	b.ReportMetric(o.tasks.Seconds()/m.tasks.Seconds()/n, "task-speedup/N")
	b.ReportMetric(o.total.Seconds()/m.total.Seconds()/n, "speedup/N")
}

// buildTimes are one job's times (see BenchmarkSlurmBuild).
type buildTimes struct{ span, tasks, total time.Duration }

// medianTimes returns each time's median over the rounds.
func medianTimes(ts []buildTimes) buildTimes {
	med := func(f func(buildTimes) time.Duration) time.Duration {
		ds := make([]time.Duration, len(ts))
		for i, t := range ts {
			ds[i] = f(t)
		}
		slices.Sort(ds)
		if len(ds)%2 == 1 {
			return ds[len(ds)/2]
		}
		return (ds[len(ds)/2-1] + ds[len(ds)/2]) / 2
	}
	return buildTimes{
		span:  med(func(t buildTimes) time.Duration { return t.span }),
		tasks: med(func(t buildTimes) time.Duration { return t.tasks }),
		total: med(func(t buildTimes) time.Duration { return t.total }),
	}
}

// shardWork is what one shard built and when.
type shardWork struct {
	photos     int
	pixels     int64 // of the original photos
	wall, util float64
	workers    int
	start, end time.Time
}

// readShard reads a shard's summary.json (its run's wall time, ending at
// the file's mtime) and metadata.jsonl (the original photos' sizes).
func readShard(b *testing.B, part string) shardWork {
	b.Helper()
	path := filepath.Join(part, "summary.json")
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	var sum struct {
		Run struct {
			Built   int     `json:"built"`
			Workers int     `json:"workers"`
			Wall    float64 `json:"wall_s"`
			Util    float64 `json:"cpu_utilisation"`
		} `json:"run"`
	}
	if err := json.Unmarshal(data, &sum); err != nil {
		b.Fatalf("%s: %v", path, err)
	}
	s := shardWork{photos: sum.Run.Built, wall: sum.Run.Wall, util: sum.Run.Util, workers: sum.Run.Workers, end: st.ModTime()}
	s.start = s.end.Add(-time.Duration(s.wall * float64(time.Second)))
	f, err := os.Open(filepath.Join(part, "metadata.jsonl"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var row struct {
			Condition     string `json:"condition"`
			Width, Height int64
		}
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			b.Fatalf("%s: %v", f.Name(), err)
		}
		if row.Condition == "original" {
			s.pixels += row.Width * row.Height
		}
	}
	if err := sc.Err(); err != nil {
		b.Fatal(err)
	}
	return s
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
