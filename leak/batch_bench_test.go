package leak

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/phantom-vlm/phantom/vlm"
)

// batchScale is the study the batch benchmarks export and import: 3,637
// photos × the six conditions, asked with the protocol's prompts (30 for
// original, 5 for each other condition) on 5 models: 1,000,175 questions.
const (
	batchPhotos = 3637
	batchModels = 5
)

// batchStudy writes the variant files (tiny: with --image-ref file only
// their paths go into the requests) and returns a runner over them with an
// empty results file.
func batchStudy(b *testing.B) *Runner {
	b.Helper()
	dir := b.TempDir()
	var vs []Variant
	conds := []string{"original", "blur", "landscape", "white", "landscape+blur", "white+blur"}
	for _, c := range conds {
		if err := os.MkdirAll(filepath.Join(dir, c), 0o755); err != nil {
			b.Fatal(err)
		}
	}
	for i := range batchPhotos {
		id := fmt.Sprintf("%016x", uint64(i)*0x9e3779b97f4a7c15)
		for _, c := range conds {
			name := c + "/" + id + ".jpg"
			if err := os.WriteFile(filepath.Join(dir, name), []byte{0xff, 0xd8, 0xff}, 0o644); err != nil {
				b.Fatal(err)
			}
			vs = append(vs, Variant{FileName: name, ID: id, Name: fmt.Sprintf("Person Number%d", i), Condition: c})
		}
	}
	var models []Model
	for m := range batchModels {
		c, err := vlm.NewOpenAI("http://127.0.0.1:1", fmt.Sprintf("org/vlm-%d", m))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { c.Close() })
		models = append(models, Model{Client: c})
	}
	res, err := OpenResults(filepath.Join(b.TempDir(), "results.jsonl"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { res.Close() })
	return newRunner(b, dir, vs, models, res)
}

// cpuSeconds returns the process's user and system CPU time so far.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// maxRSS reports the process's peak resident set size in MB as a metric.
// Run one batch benchmark per process (-bench 'BatchExport$') for it to be
// that benchmark's.
func maxRSS(b *testing.B) {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		b.ReportMetric(float64(ru.Maxrss)/1024, "peak-MB")
	}
}

// BenchmarkBatchExport exports the million questions with --image-ref file.
//
//	go test ./leak -run '^$' -bench 'BatchExport$' -benchtime 1x
func BenchmarkBatchExport(b *testing.B) {
	r := batchStudy(b)
	var n, files int
	var size int64
	cpu := cpuSeconds()
	b.ResetTimer()
	for range b.N {
		sum, err := r.ExportBatch(context.Background(), filepath.Join(b.TempDir(), "batch"), WithImageRef(ImageFile))
		if err != nil {
			b.Fatal(err)
		}
		n, size = 0, 0
		for _, f := range sum.Files {
			n += f.Requests
			size += f.Bytes
		}
		files = len(sum.Files)
	}
	b.StopTimer()
	b.ReportMetric(float64(n), "requests")
	b.ReportMetric(float64(files), "files")
	b.ReportMetric(float64(size)/1e6, "MB-written")
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/export")
	b.ReportMetric((cpuSeconds()-cpu)/float64(b.N), "cpu-s/export")
	maxRSS(b)
}

// BenchmarkBatchImport imports answers to the million questions, written
// from the export's manifest in the batch output schema, into an empty
// results file.
//
//	go test ./leak -run '^$' -bench 'BatchImport$' -benchtime 1x
func BenchmarkBatchImport(b *testing.B) {
	r := batchStudy(b)
	exp := filepath.Join(b.TempDir(), "batch")
	if _, err := r.ExportBatch(context.Background(), exp, WithImageRef(ImageFile)); err != nil {
		b.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(exp, BatchManifestFile))
	if err != nil {
		b.Fatal(err)
	}
	var man BatchManifest
	if err := json.Unmarshal(data, &man); err != nil {
		b.Fatal(err)
	}
	data = nil
	var files []string
	n := 0
	for i, f := range man.Files {
		path := filepath.Join(b.TempDir(), fmt.Sprintf("out-%d.jsonl", i))
		fh, err := os.Create(path)
		if err != nil {
			b.Fatal(err)
		}
		w := bufio.NewWriter(fh)
		for j, k := range f.Keys {
			fmt.Fprintf(w, `{"id":"vllm-%d-%d","custom_id":"%s","response":{"status_code":200,"request_id":"vllm-batch-%d","body":{"id":"chatcmpl-%d","object":"chat.completion","created":1733140000,"model":"%s","choices":[{"index":0,"message":{"role":"assistant","content":"The picture shows Person Number%d smiling in front of a colourful background."},"finish_reason":"stop"}],"usage":{"prompt_tokens":600,"completion_tokens":18,"total_tokens":618}}},"error":null}`+"\n",
				i, j, k, j, j, f.ModelID, j%batchPhotos)
			n++
		}
		if err := w.Flush(); err != nil {
			b.Fatal(err)
		}
		fh.Close()
		files = append(files, path)
	}
	man = BatchManifest{}
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		path := filepath.Join(b.TempDir(), "results.jsonl")
		res, err := OpenResults(path)
		if err != nil {
			b.Fatal(err)
		}
		r.results = res
		b.StartTimer()
		start, cpu := time.Now(), cpuSeconds()
		sum, err := r.ImportBatch(context.Background(), files)
		if err != nil {
			b.Fatal(err)
		}
		if err := res.Close(); err != nil {
			b.Fatal(err)
		}
		if sum.OK != n {
			b.Fatalf("imported %d of %d: %+v", sum.OK, n, sum)
		}
		b.ReportMetric(time.Since(start).Seconds(), "s/import")
		b.ReportMetric(cpuSeconds()-cpu, "cpu-s/import")
	}
	b.StopTimer()
	b.ReportMetric(float64(n), "answers")
	maxRSS(b)
}
