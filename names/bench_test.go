package names

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The benchmarks' corpus: captions like LAION's (about 60 bytes, a tenth
// with a non-ASCII character, a few percent naming someone), made from a
// seeded draw so that every run scans the same bytes, and 500 names.

var benchFirst = strings.Fields(`James Mary John Patricia Robert Jennifer Michael Linda William Elizabeth David Barbara
Richard Susan Joseph Jessica Thomas Sarah Charles Karen Daniel Nancy Matthew Lisa Anthony Betty Mark Margaret
Donald Sandra Steven Ashley Paul Kimberly Andrew Emily Joshua Donna Kenneth Michelle Kevin Carol Brian Amanda
George Melissa Timothy Deborah Lionel Zoë Beyoncé Renée José Chloé Søren Ana`)

var benchLast = strings.Fields(`Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez
Lopez Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark
Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams Nelson Baker
Hall Rivera Campbell Mitchell Carter Roberts Messi Knowles Saldaña Kierkegaard O'Brien`)

var benchWords = strings.Fields(`a the of and with in on for at to from by photo image picture portrait stock vector
illustration background white black red blue green yellow pink gray wooden modern vintage old new small large
beautiful happy young woman man girl boy child family couple people hand face hair dress shirt shoes bag table
chair room house home kitchen garden tree flower flowers sky sea beach mountain city street road car bike dog
cat bird food cake coffee tea wine glass cup plate fruit apple water summer winter autumn spring christmas
wedding party birthday sale free print poster art design pattern texture abstract logo icon set collection
hd 4k 2019 2020 2021 | - , . : ( ) "size" 10 x 12 inch cm cotton leather gold silver silhouette sunset
closeup view front side top detail isolated concept business office work team meeting laptop phone book`)

var benchNonASCII = strings.Fields(`café naïve résumé © ® ™ — – “quoted” ‘single’ … € £ ° × Müller Zürich São Paulo
東京 北京 москва Ελλάδα ½ ★ ♥ ✓`)

// benchNames returns n distinct names.
func benchNames(n int) []string {
	r := rand.New(rand.NewPCG(500, 1))
	seen := map[string]bool{}
	var out []string
	for len(out) < n {
		nm := benchFirst[r.IntN(len(benchFirst))] + " " + benchLast[r.IntN(len(benchLast))]
		if !seen[nm] {
			seen[nm] = true
			out = append(out, nm)
		}
	}
	return out
}

// benchCaptions returns captions adding up to about size bytes: a share
// nonASCII of them holds a non-ASCII word, 3% a name.
func benchCaptions(size int, nonASCII float64, names []string) [][]byte {
	r := rand.New(rand.NewPCG(60, 2))
	var out [][]byte
	for total := 0; total < size; {
		var b []byte
		for range 4 + r.IntN(10) {
			if len(b) > 0 {
				b = append(b, ' ')
			}
			w := benchWords[r.IntN(len(benchWords))]
			if r.IntN(3) == 0 {
				w = strings.ToUpper(w[:1]) + w[1:]
			}
			b = append(b, w...)
		}
		if r.Float64() < nonASCII {
			b = append(b, ' ')
			b = append(b, benchNonASCII[r.IntN(len(benchNonASCII))]...)
		}
		if r.IntN(100) < 3 {
			b = append(append(b, ' '), names[r.IntN(len(names))]...)
			b = append(b, "'s"...)
		}
		out = append(out, b)
		total += len(b)
	}
	return out
}

func captionBytes(caps [][]byte) int64 {
	var n int64
	for _, c := range caps {
		n += int64(len(c))
	}
	return n
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkScan is the automaton alone on captions in memory (Scanner.Add,
// two captions at a time, as Count does), one core, 500 names: ASCII only,
// a tenth non-ASCII, all non-ASCII.
func BenchmarkScan(b *testing.B) {
	names := benchNames(500)
	set, _ := NewSet(names)
	m, err := NewMatcher(set.Folded, Words)
	if err != nil {
		b.Fatal(err)
	}
	for _, share := range []float64{0, 0.1, 1} {
		caps := benchCaptions(8<<20, share, names)
		b.Run(fmt.Sprintf("nonASCII=%.0f%%", share*100), func(b *testing.B) {
			sc := m.NewScanner()
			b.SetBytes(captionBytes(caps))
			b.ResetTimer()
			c0 := cpuTime()
			for range b.N {
				for _, c := range caps {
					sc.Add(c)
				}
				sc.Flush()
			}
			b.ReportMetric((cpuTime()-c0).Seconds()*1000/(float64(captionBytes(caps))/1e6)/float64(b.N), "cpu-ms/MB")
		})
	}
}

// BenchmarkVsRipgrep counts 500 names in a text file of captions (a tenth
// non-ASCII) with one job, and runs ripgrep's one-pass count on the same
// file in the same run: rg --count-matches -i -F -f names.txt. It reports
// the CPU time per MB of caption text of each and their ratio
// (phantom/rg). Install ripgrep with apt-get install ripgrep; without it
// only phantom's figure is reported.
func BenchmarkVsRipgrep(b *testing.B) {
	dir := b.TempDir()
	names := benchNames(500)
	caps := benchCaptions(64<<20, 0.1, names)
	text := bytes.Join(caps, []byte("\n"))
	corpus := filepath.Join(dir, "captions.txt")
	namesFile := filepath.Join(dir, "names.txt")
	write(b, corpus, append(text, '\n'))
	write(b, namesFile, []byte(strings.Join(names, "\n")+"\n"))
	mb := float64(captionBytes(caps)) / 1e6
	set, _ := NewSet(names)
	rg, rgErr := exec.LookPath("rg")
	prev := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(prev)
	var ours, theirs time.Duration
	b.ResetTimer()
	for range b.N {
		runtime.GC()
		c0 := cpuTime()
		res, err := Count(context.Background(), []string{corpus}, set, Options{Jobs: 1})
		ours += cpuTime() - c0
		if err != nil || len(res.Failed) > 0 {
			b.Fatal(err, res.Failed)
		}
		if rgErr == nil {
			cmd := exec.Command(rg, "--count-matches", "-i", "-F", "-f", namesFile, corpus)
			cmd.Stdout = new(bytes.Buffer)
			if err := cmd.Run(); err != nil {
				b.Fatal(err)
			}
			theirs += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
		}
	}
	b.StopTimer()
	n := float64(b.N)
	b.ReportMetric(ours.Seconds()*1000/mb/n, "cpu-ms/MB")
	if rgErr != nil {
		b.Log("rg not found (apt-get install ripgrep): the peer is skipped")
		return
	}
	b.ReportMetric(theirs.Seconds()*1000/mb/n, "rg-cpu-ms/MB")
	b.ReportMetric(ours.Seconds()/theirs.Seconds(), "ratio")
}

// BenchmarkParquet reads the caption column of a LAION-schema parquet file
// (snappy, row groups of 20,000) without matching: the decoding rate in MB
// of caption text per second of CPU.
func BenchmarkParquet(b *testing.B) {
	dir := b.TempDir()
	caps := benchCaptions(32<<20, 0.1, benchNames(500))
	ptrs := make([]*string, len(caps))
	for i, c := range caps {
		s := string(c)
		ptrs[i] = &s
	}
	path := filepath.Join(dir, "part.parquet")
	writeParquet(b, path, ptrs, 20000)
	mb := float64(captionBytes(caps)) / 1e6
	prev := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(prev)
	var cpu time.Duration
	b.SetBytes(captionBytes(caps))
	b.ResetTimer()
	for range b.N {
		c0 := cpuTime()
		var n int64
		err := Source{}.read(context.Background(), path, nil, func(c []byte, _ bool) { n += int64(len(c)) })
		cpu += cpuTime() - c0
		if err != nil || n != captionBytes(caps) {
			b.Fatal(err, n)
		}
	}
	b.ReportMetric(mb*float64(b.N)/cpu.Seconds(), "MB/cpu-s")
}

// BenchmarkJobs counts 500 names in 8 parquet files with --jobs 1 and 2
// (GOMAXPROCS at least 2, whatever -cpu says): the wall-time speedup of the
// second over the first, meaningful only on a machine with two idle cores.
func BenchmarkJobs(b *testing.B) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(max(2, runtime.GOMAXPROCS(0))))
	dir := b.TempDir()
	names := benchNames(500)
	set, _ := NewSet(names)
	var files []string
	var wg sync.WaitGroup
	var mu sync.Mutex
	for i := range 8 {
		wg.Go(func() {
			caps := benchCaptions(4<<20, 0.1, names)
			ptrs := make([]*string, len(caps))
			for j, c := range caps {
				s := fmt.Sprintf("%d %s", i, c)
				ptrs[j] = &s
			}
			p := filepath.Join(dir, fmt.Sprintf("part-%05d.parquet", i))
			writeParquet(b, p, ptrs, 20000)
			mu.Lock()
			files = append(files, p)
			mu.Unlock()
		})
	}
	wg.Wait()
	var cpu1, cpu2 time.Duration
	run := func(jobs int, cpu *time.Duration) time.Duration {
		t0, c0 := time.Now(), cpuTime()
		res, err := Count(context.Background(), files, set, Options{Jobs: jobs})
		if err != nil || len(res.Failed) > 0 {
			b.Fatal(err, res.Failed)
		}
		*cpu += cpuTime() - c0
		return time.Since(t0)
	}
	var one, two time.Duration
	b.ResetTimer()
	for range b.N {
		one += run(1, &cpu1)
		two += run(2, &cpu2)
	}
	b.ReportMetric(one.Seconds()/two.Seconds(), "speedup")
	// CPU time of two jobs over one: 1 when the jobs do not get in each
	// other's way, so that the speedup on idle cores is the job count.
	b.ReportMetric(cpu2.Seconds()/cpu1.Seconds(), "cpu-ratio")
	b.ReportMetric(float64(runtime.NumCPU()), "cpus")
}
