package names

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/parquet-go/parquet-go"

	"github.com/phantom-vlm/phantom/internal/lockfile"
	"github.com/phantom-vlm/phantom/internal/textnorm"
	"github.com/phantom-vlm/phantom/leak/report"
	"github.com/phantom-vlm/phantom/shard"
)

// laionRow is LAION-5B's parquet schema (the metadata files of
// laion2B-en and the others).
type laionRow struct {
	SampleID   int64   `parquet:"SAMPLE_ID"`
	URL        string  `parquet:"URL"`
	Text       *string `parquet:"TEXT,optional"`
	Height     int32   `parquet:"HEIGHT"`
	Width      int32   `parquet:"WIDTH"`
	License    string  `parquet:"LICENSE"`
	NSFW       string  `parquet:"NSFW"`
	Similarity float64 `parquet:"similarity"`
}

// laionDictRow is laionRow with the caption column dictionary-encoded, as
// pyarrow writes string columns by default.
type laionDictRow struct {
	SampleID int64   `parquet:"SAMPLE_ID"`
	URL      string  `parquet:"URL"`
	Text     *string `parquet:"TEXT,optional,dict"`
}

// testNames are the names planted in the corpus.
var testNames = []string{"Lionel Messi", "Messi", "Will Smith", "Bono", "Beyoncé Knowles", "Zoë Saldaña", "Jean-Luc Picard", "Ai Weiwei", "O'Brien"}

// plantedForms are the forms a name is planted in: %s is the name.
var plantedForms = []func(name string) string{
	func(n string) string { return n },
	strings.ToUpper,
	strings.ToLower,
	func(n string) string { return stripAccents(n) }, // "Beyonce Knowles"
	func(n string) string { return strings.ReplaceAll(n, " ", "  ") },   // doubled spaces
	func(n string) string { return strings.ReplaceAll(n, " ", "\n") },   // a newline inside
	func(n string) string { return strings.ReplaceAll(n, " ", " \t ") }, // mixed white space
	func(n string) string { return n + "'s" },                           // possessive
	func(n string) string { return "(" + n + ")" },
	func(n string) string { return "\"" + n + "\"," },
	func(n string) string { return "x" + strings.ToLower(n) },         // inside a word: no
	func(n string) string { return n + "sonian" },                     // inside a word: no
	func(n string) string { return n + "2" },                          // a digit after: no
	func(n string) string { return strings.ReplaceAll(n, " ", "") },   // run together
	func(n string) string { return textnorm.Normalize(n) + "\u0301" }, // a combining mark after
}

func stripAccents(s string) string {
	return strings.NewReplacer("é", "e", "ë", "e", "ñ", "n").Replace(s)
}

var fillers = []string{"photo of", "a portrait", "on stage at", "with", "the", "football", "museum", "red carpet", "Smithsonian", "2019", "—", "©", "café", "東京"}

// testCaptions makes n captions: most have a name in some form, some two,
// some none, some are empty or white space, and nulls are nil.
func testCaptions(n int, seed uint64) []*string {
	r := rand.New(rand.NewPCG(seed, 17))
	var out []*string
	for range n {
		var s string
		switch k := r.IntN(20); {
		case k == 0:
			out = append(out, nil)
			continue
		case k == 1:
			s = ""
		case k == 2:
			s = "  \t "
		default:
			var parts []string
			for range 1 + r.IntN(4) {
				parts = append(parts, fillers[r.IntN(len(fillers))])
			}
			for range r.IntN(3) { // zero, one or two names
				name := testNames[r.IntN(len(testNames))]
				parts = append(parts, plantedForms[r.IntN(len(plantedForms))](name))
				parts = append(parts, fillers[r.IntN(len(fillers))])
			}
			r.Shuffle(len(parts), func(i, j int) { parts[i], parts[j] = parts[j], parts[i] })
			s = strings.Join(parts, " ")
		}
		out = append(out, &s)
	}
	return out
}

// expected counts the captions with each name by the regexp rule, and the
// captions and the empty or missing ones.
func expected(caps []*string, rule Rule) (counts map[string]int64, captions, empty int64) {
	counts = map[string]int64{}
	res := map[string]*regexp.Regexp{}
	for _, n := range testNames {
		counts[n] = 0
		res[n] = wordRule(n, rule)
	}
	for _, c := range caps {
		captions++
		if c == nil || strings.TrimSpace(*c) == "" {
			empty++
			continue
		}
		f := textnorm.Normalize(*c)
		for _, n := range testNames {
			if res[n].MatchString(f) {
				counts[n]++
			}
		}
	}
	return counts, captions, empty
}

// writeParquet writes caps as a LAION parquet file with row groups of
// rowGroup rows.
func writeParquet(t testing.TB, path string, caps []*string, rowGroup int64) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := parquet.NewGenericWriter[laionRow](f, parquet.MaxRowsPerRowGroup(rowGroup), parquet.Compression(&parquet.Snappy))
	rows := make([]laionRow, len(caps))
	for i, c := range caps {
		rows[i] = laionRow{SampleID: int64(i), URL: fmt.Sprintf("https://example.org/%d.jpg", i), Text: c,
			Height: 512, Width: 640, License: "?", NSFW: "UNLIKELY", Similarity: 0.31}
	}
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// jsonlBytes is caps as JSONL with the caption under field; nil captions
// are null or left out.
func jsonlBytes(caps []*string, field string) []byte {
	var b bytes.Buffer
	for i, c := range caps {
		row := map[string]any{"url": fmt.Sprintf("https://example.org/%d.jpg", i)}
		if c != nil || i%2 == 0 {
			row[field] = c
		}
		data, _ := json.Marshal(row)
		b.Write(data)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// textBytes is caps one a line; a caption's own line ends become spaces
// (the text format cannot hold them), nil captions empty lines.
func textBytes(caps []*string) []byte {
	var b bytes.Buffer
	for _, c := range caps {
		if c != nil {
			b.WriteString(strings.NewReplacer("\n", " ", "\r", " ").Replace(*c))
		}
		b.WriteByte('\n')
	}
	return b.Bytes()
}

func gzipBytes(data []byte) []byte {
	var b bytes.Buffer
	z := gzip.NewWriter(&b)
	z.Write(data)
	z.Close()
	return b.Bytes()
}

func zstdBytes(data []byte) []byte {
	z, _ := zstd.NewWriter(nil)
	defer z.Close()
	return z.EncodeAll(data, nil)
}

func write(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// corpus writes the same captions as parquet (several row groups; snappy,
// and zstd with a dictionary-encoded caption column), JSONL.gz, JSONL.zst,
// text and text.gz into dir and returns the captions.
func corpus(t testing.TB, dir string) []*string {
	caps := testCaptions(600, 1)
	writeParquet(t, filepath.Join(dir, "part-00000.parquet"), caps, 64)
	write(t, filepath.Join(dir, "part-00000.jsonl.gz"), gzipBytes(jsonlBytes(caps, "caption")))
	write(t, filepath.Join(dir, "part-00000.jsonl.zst"), zstdBytes(jsonlBytes(caps, "TEXT")))
	write(t, filepath.Join(dir, "part-00000.txt"), textBytes(caps))
	write(t, filepath.Join(dir, "part-00000.txt.gz"), gzipBytes(textBytes(caps)))
	f, err := os.Create(filepath.Join(dir, "part-00000-dict.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	w := parquet.NewGenericWriter[laionDictRow](f, parquet.MaxRowsPerRowGroup(100), parquet.Compression(&parquet.Zstd))
	for i, c := range caps {
		w.Write([]laionDictRow{{SampleID: int64(i), URL: "u", Text: c}})
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return caps
}

func countMap(r *Result) map[string]int64 {
	m := map[string]int64{}
	for i, n := range r.Set.Names {
		m[n] = r.Counts[i]
	}
	return m
}

func TestCountFormats(t *testing.T) {
	dir := t.TempDir()
	caps := corpus(t, dir)
	set, _ := NewSet(testNames)
	for _, rule := range []Rule{Words, Substring} {
		want, captions, empty := expected(caps, rule)
		if rule == Words && (want["Messi"] == 0 || want["Messi"] == int64(len(caps)) || want["Will Smith"] == 0) {
			t.Fatalf("the generated corpus does not test much: %v", want)
		}
		for _, f := range []string{"part-00000.parquet", "part-00000-dict.parquet", "part-00000.jsonl.gz", "part-00000.jsonl.zst", "part-00000.txt", "part-00000.txt.gz"} {
			res, err := Count(context.Background(), []string{filepath.Join(dir, f)}, set, Options{Rule: rule})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Failed) > 0 {
				t.Fatalf("%s: %v", f, res.Failed[0].Err)
			}
			if got := countMap(res); !reflect.DeepEqual(got, want) {
				t.Errorf("%v %s: counts\n%v, want\n%v", rule, f, got, want)
			}
			if res.Captions != captions || res.Empty != empty {
				t.Errorf("%v %s: %d captions, %d empty, want %d, %d", rule, f, res.Captions, res.Empty, captions, empty)
			}
		}
	}
	if g, err := os.ReadFile(filepath.Join(dir, "part-00000.parquet")); err == nil {
		pf, err := parquet.OpenFile(bytes.NewReader(g), int64(len(g)))
		if err != nil || len(pf.RowGroups()) < 5 {
			t.Errorf("the test parquet file has %d row groups (%v), want several", len(pf.RowGroups()), err)
		}
	}
	if g, err := os.ReadFile(filepath.Join(dir, "part-00000-dict.parquet")); err == nil {
		pf, err := parquet.OpenFile(bytes.NewReader(g), int64(len(g)))
		if err != nil || pf.Metadata().RowGroups[0].Columns[2].MetaData.DictionaryPageOffset == 0 {
			t.Errorf("the dictionary test file's caption column has no dictionary page (%v)", err)
		}
	}
}

// The output is the same bytes whatever the jobs or the shard split, and
// merged shards equal the whole.
func TestCountJobsShardsMerge(t *testing.T) {
	dir := t.TempDir()
	var files []string
	for i := range 6 {
		caps := testCaptions(150, uint64(10+i))
		p := filepath.Join(dir, fmt.Sprintf("part-%05d.parquet", i))
		writeParquet(t, p, caps, 40)
		files = append(files, p)
	}
	set, _ := NewSet(testNames)
	out := t.TempDir()
	whole := func(jobs int) []byte {
		res, err := Count(context.Background(), files, set, Options{Jobs: jobs})
		if err != nil || len(res.Failed) > 0 {
			t.Fatal(err, res.Failed)
		}
		var b bytes.Buffer
		res.WriteCSV(&b)
		return b.Bytes()
	}
	one := whole(1)
	if three := whole(3); !bytes.Equal(one, three) {
		t.Errorf("--jobs 3 gave\n%s\n--jobs 1\n%s", three, one)
	}
	var parts []string
	seen := 0
	for i := range 3 {
		sh := shard.Shard{I: i, N: 3}
		res, err := Count(context.Background(), files, set, Options{Shard: sh, Jobs: 2})
		if err != nil {
			t.Fatal(err)
		}
		seen += len(res.Files)
		p := filepath.Join(out, fmt.Sprintf("part-%d.csv", i))
		if err := res.Write(p, res.Summary("phantom names count", sh.String())); err != nil {
			t.Fatal(err)
		}
		parts = append(parts, p)
	}
	if seen != len(files) {
		t.Errorf("the shards counted %d files, want %d", seen, len(files))
	}
	res, sum, warnings, err := Merge(parts)
	if err != nil || len(warnings) > 0 {
		t.Fatal(err, warnings)
	}
	var merged bytes.Buffer
	res.WriteCSV(&merged)
	if !bytes.Equal(merged.Bytes(), one) {
		t.Errorf("merged shards\n%s\nwant\n%s", merged.Bytes(), one)
	}
	if len(sum.Files) != len(files) || sum.Captions != 6*150 {
		t.Errorf("merged summary: %d files, %d captions", len(sum.Files), sum.Captions)
	}
	if _, _, _, err := Merge([]string{parts[0], parts[1], parts[0]}); !errors.Is(err, ErrMismatch) {
		t.Errorf("merging a part twice: %v, want ErrMismatch", err)
	}
	// A copy of a part counted the same files.
	cp := filepath.Join(out, "copy.csv")
	for _, p := range parts {
		var s Summary
		data, _ := os.ReadFile(SummaryPath(p))
		json.Unmarshal(data, &s)
		if len(s.Files) > 0 {
			csvData, _ := os.ReadFile(p)
			write(t, cp, csvData)
			write(t, SummaryPath(cp), data)
			if _, _, _, err := Merge(append(parts, cp)); !errors.Is(err, ErrMismatch) || !strings.Contains(err.Error(), s.Files[0].File) {
				t.Errorf("merging a file counted twice: %v, want ErrMismatch naming %s", err, s.Files[0].File)
			}
			break
		}
	}
	// A part counted by another rule does not merge.
	res2, _ := Count(context.Background(), files[:1], set, Options{Rule: Substring})
	p2 := filepath.Join(out, "substring.csv")
	res2.Write(p2, res2.Summary("phantom names count", ""))
	if _, _, _, err := Merge([]string{parts[0], p2}); !errors.Is(err, ErrMismatch) {
		t.Errorf("merging two rules: %v, want ErrMismatch", err)
	}
}

// A run stopped after one file resumes from the partial counts: the files
// done are not read again and the result is the same as one whole run.
func TestCountResume(t *testing.T) {
	dir := t.TempDir()
	caps := corpus(t, dir)
	files, err := Expand([]string{dir})
	if err != nil || len(files) != 6 {
		t.Fatal(files, err)
	}
	set, _ := NewSet(testNames)
	parts := filepath.Join(t.TempDir(), "counts.csv.parts")
	ctx, cancel := context.WithCancel(context.Background())
	done := 0
	_, err = Count(ctx, files, set, Options{Jobs: 1, Parts: parts, OnFile: func(FileCount, error) {
		if done++; done == 2 {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("stopped run: %v", err)
	}
	var doneBytes int64
	for _, f := range files[:2] { // one job: the first two files finished
		st, _ := os.Stat(f)
		doneBytes += st.Size()
	}
	if got := Done(files, set, Options{Parts: parts}); got != doneBytes {
		t.Errorf("Done = %d bytes, want the first two files' %d", got, doneBytes)
	}
	if got := Done(files, set, Options{Parts: parts, Rule: Substring}); got != 0 {
		t.Errorf("Done for another rule = %d, want 0", got)
	}
	resumed := 0
	var progressed int64
	res, err := Count(context.Background(), files, set, Options{Jobs: 2, Parts: parts, OnFile: func(fc FileCount, err error) {
		if fc.Resumed {
			resumed++
		}
	}, Progress: func(n int64) { atomic.AddInt64(&progressed, n) }})
	if err != nil || len(res.Failed) > 0 {
		t.Fatal(err, res.Failed)
	}
	if resumed != 2 {
		t.Errorf("%d files resumed, want 2", resumed)
	}
	var all int64
	for _, f := range files {
		st, _ := os.Stat(f)
		all += st.Size()
	}
	if progressed != all-doneBytes {
		t.Errorf("Progress was told %d bytes, want the %d of the files read", progressed, all-doneBytes)
	}
	want, captions, _ := expected(caps, Words)
	for n := range want {
		want[n] *= 6
	}
	if got := countMap(res); !reflect.DeepEqual(got, want) || res.Captions != 6*captions {
		t.Errorf("resumed counts %v (%d captions), want %v (%d)", got, res.Captions, want, 6*captions)
	}
	// A second run on the same parts folder is refused while one holds it.
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	held, release, finished := make(chan struct{}), make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		Count(ctx2, files[:1], set, Options{Parts: parts, OnFile: func(FileCount, error) {
			close(held)
			<-release
		}})
	}()
	<-held
	if _, err := Count(context.Background(), files, set, Options{Parts: parts}); !errors.Is(err, lockfile.ErrHeld) {
		t.Errorf("second run on a held parts folder: %v, want lockfile.ErrHeld", err)
	}
	close(release)
	<-finished
	// Another rule does not take the partial counts.
	resumed = 0
	if _, err := Count(context.Background(), files, set, Options{Rule: Substring, Parts: parts, OnFile: func(fc FileCount, _ error) {
		if fc.Resumed {
			resumed++
		}
	}}); err != nil || resumed != 0 {
		t.Errorf("substring run resumed %d files (%v), want 0", resumed, err)
	}
}

func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	caps := testCaptions(200, 3)
	good := filepath.Join(dir, "good.parquet")
	writeParquet(t, good, caps, 50)
	data, _ := os.ReadFile(good)
	// A parquet file cut short, and one whose column data is garbage.
	write(t, filepath.Join(dir, "truncated.parquet"), data[:len(data)/2])
	garbled := bytes.Clone(data)
	for i := 8; i < len(garbled)/3; i++ {
		garbled[i] ^= 0x5a
	}
	write(t, filepath.Join(dir, "garbled.parquet"), garbled)
	// A parquet file with no caption column.
	f, _ := os.Create(filepath.Join(dir, "nocolumn.parquet"))
	w := parquet.NewGenericWriter[struct {
		SampleID int64  `parquet:"SAMPLE_ID"`
		URL      string `parquet:"URL"`
	}](f)
	w.Write([]struct {
		SampleID int64  `parquet:"SAMPLE_ID"`
		URL      string `parquet:"URL"`
	}{{1, "u"}})
	w.Close()
	f.Close()
	// gzip: a good header, then garbage.
	gz := gzipBytes(textBytes(caps))
	bad := append(bytes.Clone(gz[:20]), bytes.Repeat([]byte{0xff}, 100)...)
	write(t, filepath.Join(dir, "corrupt.txt.gz"), bad)
	// JSONL with a line that is not JSON on line 3.
	write(t, filepath.Join(dir, "notjson.jsonl"), []byte("{\"caption\":\"Bono\"}\n{\"caption\":\"Messi\"}\nBono live\n"))
	// JSONL without the field.
	write(t, filepath.Join(dir, "nofield.jsonl"), []byte("{\"url\":\"a\",\"title\":\"Bono\"}\n"))

	files, err := Expand([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	set, _ := NewSet(testNames)
	res, err := Count(context.Background(), files, set, Options{Jobs: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Files) != 1 || res.Files[0].File != good {
		t.Errorf("counted %v, want only %s", res.Files, good)
	}
	want, _, _ := expected(caps, Words)
	if got := countMap(res); !reflect.DeepEqual(got, want) {
		t.Errorf("counts %v, want %v", got, want)
	}
	errs := map[string]string{}
	for _, fe := range res.Failed {
		errs[filepath.Base(fe.File)] = fe.Err.Error()
		if !strings.Contains(fe.Err.Error(), fe.File) {
			t.Errorf("error %q does not name the file %s", fe.Err, fe.File)
		}
	}
	checks := []struct {
		file string
		want []string
		is   error
	}{
		{"truncated.parquet", []string{"parquet"}, nil},
		{"garbled.parquet", []string{"row"}, nil},
		{"nocolumn.parquet", []string{"TEXT or caption", "the columns are SAMPLE_ID, URL"}, ErrNoColumn},
		{"corrupt.txt.gz", []string{"line"}, nil},
		{"notjson.jsonl", []string{"line 3"}, ErrNotJSON},
		{"nofield.jsonl", []string{"title, url"}, ErrNoField},
	}
	for _, c := range checks {
		msg, ok := errs[c.file]
		if !ok {
			t.Errorf("%s did not fail", c.file)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(msg, w) {
				t.Errorf("%s: error %q does not say %q", c.file, msg, w)
			}
		}
		if c.is != nil {
			for _, fe := range res.Failed {
				if filepath.Base(fe.File) == c.file && !errors.Is(fe.Err, c.is) {
					t.Errorf("%s: error %v is not %v", c.file, fe.Err, c.is)
				}
			}
		}
	}
	if len(res.Failed) != len(checks) {
		t.Errorf("%d failed, want %d: %v", len(res.Failed), len(checks), errs)
	}
}

// phantom report --name-counts reads the output as it is.
func TestReportReadsOutput(t *testing.T) {
	dir := t.TempDir()
	caps := testCaptions(300, 5)
	writeParquet(t, filepath.Join(dir, "a.parquet"), caps, 100)
	names := append(append([]string(nil), testNames...), "Héloïse, \"the\" Unknown")
	set, _ := NewSet(names)
	res, err := Count(context.Background(), []string{filepath.Join(dir, "a.parquet")}, set, Options{})
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "counts.csv")
	if err := res.Write(out, res.Summary("phantom names count", "")); err != nil {
		t.Fatal(err)
	}
	counts, bad, err := report.ReadNameCounts(out)
	if err != nil || len(bad) > 0 {
		t.Fatal(err, bad)
	}
	want, _, _ := expected(caps, Words)
	if len(counts) != len(names) {
		t.Errorf("report read %d names, want %d", len(counts), len(names))
	}
	for n, c := range want {
		if counts[textnorm.Normalize(n)] != float64(c) {
			t.Errorf("report read %q = %v, want %d", n, counts[textnorm.Normalize(n)], c)
		}
	}
	data, _ := os.ReadFile(out)
	if !bytes.HasPrefix(data, []byte("name,count\n")) {
		t.Errorf("output starts %q", data[:min(len(data), 20)])
	}
	var s Summary
	sd, _ := os.ReadFile(SummaryPath(out))
	if err := json.Unmarshal(sd, &s); err != nil || s.Rule != "words" || s.Captions != 300 {
		t.Errorf("summary %+v, %v", s, err)
	}
}

func TestReadNames(t *testing.T) {
	dir := t.TempDir()
	txt := filepath.Join(dir, "names.txt")
	write(t, txt, []byte("\ufeffLionel Messi\n\n  Bono \nbono\nBeyonce\nBeyoncé\n"))
	got, err := ReadNames(txt)
	if err != nil || !reflect.DeepEqual(got, []string{"Lionel Messi", "Bono", "bono", "Beyonce", "Beyoncé"}) {
		t.Errorf("ReadNames(txt) = %q, %v", got, err)
	}
	set, dropped := NewSet(got)
	if !reflect.DeepEqual(set.Names, []string{"Lionel Messi", "Bono", "Beyonce"}) || len(dropped) != 2 {
		t.Errorf("NewSet = %q, dropped %q", set.Names, dropped)
	}
	meta := filepath.Join(dir, "metadata.jsonl")
	write(t, meta, []byte(`{"file_name":"original/a.jpg","name":"Lionel Messi","aliases":["Leo Messi"],"condition":"original"}
{"file_name":"blur/a.jpg","name":"Lionel Messi","aliases":["Leo Messi"],"condition":"blur"}
{"file_name":"original/b.jpg","name":"Eileen Collins","aliases":[],"condition":"original"}
`))
	got, err = ReadNames(meta)
	set, _ = NewSet(got)
	if err != nil || !reflect.DeepEqual(set.Names, []string{"Lionel Messi", "Leo Messi", "Eileen Collins"}) {
		t.Errorf("ReadNames(metadata.jsonl) = %q, %v", set.Names, err)
	}
	write(t, meta, []byte("{\"name\":\"A\"}\nnot json\n"))
	if _, err := ReadNames(meta); err == nil || !strings.Contains(err.Error(), ":2:") {
		t.Errorf("bad metadata line: %v", err)
	}
}

func TestExpand(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"a.parquet", "b.jsonl.gz", "c.txt.zst", "sub/d.ndjson", "notes.md", ".hidden/e.parquet", "sub/.f.parquet"} {
		p := filepath.Join(dir, f)
		os.MkdirAll(filepath.Dir(p), 0o755)
		write(t, p, nil)
	}
	got, err := Expand([]string{dir, filepath.Join(dir, "*.parquet"), filepath.Join(dir, "notes.md")})
	if err != nil {
		t.Fatal(err)
	}
	var rel []string
	for _, g := range got {
		r, _ := filepath.Rel(dir, g)
		rel = append(rel, filepath.ToSlash(r))
	}
	if want := []string{"a.parquet", "b.jsonl.gz", "c.txt.zst", "notes.md", "sub/d.ndjson"}; !reflect.DeepEqual(rel, want) {
		t.Errorf("Expand = %q, want %q", rel, want)
	}
	if _, err := Expand([]string{filepath.Join(dir, "*.csv")}); err == nil {
		t.Error("a glob matching nothing is not an error")
	}
}

// Reading a parquet file holds one row group's caption column at a time,
// not the file: the heap stays far below the file's caption text.
func TestParquetMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 12 MB parquet file")
	}
	caps := benchCaptions(12<<20, 0.1, benchNames(50))
	ptrs := make([]*string, len(caps))
	for i, c := range caps {
		s := string(c)
		ptrs[i] = &s
	}
	path := filepath.Join(t.TempDir(), "big.parquet")
	writeParquet(t, path, ptrs, 5000) // row groups of about 300 KB of text
	text := captionBytes(caps)
	caps, ptrs = nil, nil
	defer debug.SetGCPercent(debug.SetGCPercent(5))
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base, peak := ms.HeapAlloc, uint64(0)
	n, read := 0, int64(0)
	err := Source{}.read(context.Background(), path, nil, func(c []byte, _ bool) {
		read += int64(len(c))
		if n++; n%4000 == 0 {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
		}
	})
	if err != nil || read != text {
		t.Fatalf("read %d of %d bytes: %v", read, text, err)
	}
	if grow := int64(peak) - int64(base); grow > text/3 {
		t.Errorf("the heap grew by %d bytes reading %d bytes of captions: more than a row group's worth", grow, text)
	} else {
		t.Logf("heap grew by at most %.1f MB reading %.1f MB of captions", float64(grow)/1e6, float64(text)/1e6)
	}
}

func TestJSONLField(t *testing.T) {
	tests := []struct {
		line, field string
		want        string // "<missing>" for none
	}{
		{`{"caption":"Bono live"}`, "caption", "Bono live"},
		{` { "url" : "x" , "caption" : "a \"quoted\" Bono" } `, "caption", `a "quoted" Bono`},
		{`{"meta":{"caption":"nested, not this"},"caption":"top"}`, "caption", "top"},
		{`{"meta":{"caption":"nested only"}}`, "caption", "<missing>"},
		{`{"\u0063aption":"escaped key"}`, "caption", "escaped key"},
		{`{"caption":"first","caption":"last"}`, "caption", "last"},
		{`{"a":[1,{"b":"}"}],"caption":"after an array with a brace in a string"}`, "caption", "after an array with a brace in a string"},
		{`{"caption":"line\nbreak \u00e9"}`, "caption", "line\nbreak é"},
		{`{"caption":null}`, "caption", "<missing>"},
		{`{"TEXT":"from TEXT","caption":"from caption"}`, "", "from TEXT"},
		{`{"caption":"from caption","TEXT":"from TEXT"}`, "", "from TEXT"},
		{`{"n":-1.5e3,"ok":true,"caption":"after numbers"}`, "caption", "after numbers"},
	}
	for _, tt := range tests {
		var got []string
		err := readJSONL(context.Background(), "x.jsonl", strings.NewReader(tt.line+"\n{\"caption\":\"\",\"TEXT\":\"\"}\n"), tt.field, func(c []byte, present bool) {
			if !present {
				got = append(got, "<missing>")
			} else {
				got = append(got, string(c))
			}
		})
		if err != nil || len(got) != 2 || got[0] != tt.want {
			t.Errorf("%s: got %q, %v; want %q", tt.line, got, err, tt.want)
		}
	}
	for _, bad := range []string{`[1,2]`, `"caption"`, `{"caption":"x"`, `{"caption":"x"}}`, `null`} {
		err := readJSONL(context.Background(), "x.jsonl", strings.NewReader(bad+"\n"), "caption", func([]byte, bool) {})
		if !errors.Is(err, ErrNotJSON) || !strings.Contains(err.Error(), "x.jsonl: line 1") {
			t.Errorf("%s: %v, want ErrNotJSON at line 1", bad, err)
		}
	}
}

// FuzzJSONLField holds the caption field taken out of a line to what
// encoding/json finds decoding the line into a map.
func FuzzJSONLField(f *testing.F) {
	for _, s := range []string{`{"caption":"Bono live"}`, `{"meta":{"caption":"x"},"caption":"top"}`, `{"\u0063aption":"e"}`,
		`{"caption":"a","caption":"b"}`, `{"a":[1,{"b":"}"}],"caption":"c\"d"}`, `{"caption":null}`, `[1]`, `{"caption":3}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		if strings.ContainsAny(line, "\r\n") {
			return // one line
		}
		var got []byte
		present, gotErr := false, error(nil)
		gotErr = readJSONL(context.Background(), "f.jsonl", strings.NewReader(line+"\n"), "caption", func(c []byte, p bool) {
			got, present = append([]byte(nil), c...), p
		})
		var obj map[string]json.RawMessage
		if err := json.Unmarshal([]byte(line), &obj); err != nil || obj == nil {
			if strings.TrimSpace(line) != "" && !errors.Is(gotErr, ErrNotJSON) {
				t.Fatalf("%q: encoding/json: %v; readJSONL: %v", line, err, gotErr)
			}
			return
		}
		raw, ok := obj["caption"]
		if !ok {
			if !errors.Is(gotErr, ErrNoField) {
				t.Fatalf("%q: no caption; readJSONL: %v", line, gotErr)
			}
			return
		}
		var want *string
		if err := json.Unmarshal(raw, &want); err != nil {
			if gotErr == nil {
				t.Fatalf("%q: caption %s is not a string, readJSONL took it", line, raw)
			}
			return
		}
		if gotErr != nil || present != (want != nil) || (want != nil && !bytes.Equal(got, []byte(*want)) && !utf8Replaced(got, *want)) {
			t.Fatalf("%q: readJSONL %q (present %v, %v), encoding/json %v", line, got, present, gotErr, want)
		}
	})
}

// utf8Replaced reports whether got is want with its invalid UTF-8 bytes
// left as they were (encoding/json writes U+FFFD for each; the fold reads
// each as U+FFFD too).
func utf8Replaced(got []byte, want string) bool {
	return string([]rune(string(got))) == want
}
