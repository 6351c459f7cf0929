package pipeline

import (
	"context"
	"errors"
	"image"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/phantom-vlm/phantom/internal/imageio"
)

func TestBuildFixtures(t *testing.T) {
	in, out := t.TempDir(), t.TempDir()
	rels := writeFixtures(t, in, 6)
	must(t, os.WriteFile(filepath.Join(in, "Grace Hopper", "broken.jpg"), []byte("\xff\xd8\xff not really a jpeg"), 0o644))
	recs, err := FolderRecords(in)
	must(t, err)
	if len(recs) != 7 {
		t.Fatalf("%d records", len(recs))
	}
	var dropped []string
	filter := FilterFunc(func(ctx context.Context, img *image.RGBA, r Record) (bool, any, error) {
		if strings.HasSuffix(r.Source, "/002.png") {
			dropped = append(dropped, r.Source)
			return false, map[string]string{"word": "GRACE"}, nil
		}
		return true, nil, nil
	})
	b, err := New(out, WithAnalyzer(testAnalyzer(t)), WithBackgrounds(testBackgrounds()), WithWorkers(2), WithSeed(7), WithFilter(filter))
	must(t, err)
	sum, err := b.Run(context.Background(), recs)
	must(t, err)

	if sum.Built != 5 || sum.Filtered != 1 || sum.Failed != 1 || sum.Run.Processed != 7 {
		t.Errorf("summary built %d filtered %d failed %d processed %d; want 5, 1, 1, 7", sum.Built, sum.Filtered, sum.Failed, sum.Run.Processed)
	}
	rows := checkOutput(t, out, AllConditions)
	if len(rows) != 5*6 {
		t.Errorf("%d rows, want 30", len(rows))
	}
	for _, r := range rows {
		if r.Seed != 7 || r.Name == "" || r.Source == "" || r.FaceDetector == "" {
			t.Errorf("row lacks fields: %+v", r)
		}
		switch Condition(r.Condition).base() {
		case Landscape:
			if r.Background != "sky.png" && r.Background != "grass.png" {
				t.Errorf("%s background %q", r.FileName, r.Background)
			}
		case White:
			if r.Background != "white" {
				t.Errorf("%s background %q", r.FileName, r.Background)
			}
		default:
			if r.Background != "" {
				t.Errorf("%s background %q", r.FileName, r.Background)
			}
		}
		if r.Source == "Alan_Turing/001.jpg" && r.Name != "Alan Turing" {
			t.Errorf("name %q from folder Alan_Turing", r.Name)
		}
		if strings.HasSuffix(r.Source, "002.png") {
			t.Errorf("filtered photo has a row: %s", r.FileName)
		}
	}
	failed := readJSONL[FailedRow](t, filepath.Join(out, "failed.jsonl"))
	if len(failed) != 1 || failed[0].Source != "Grace Hopper/broken.jpg" || failed[0].Stage != "decode" ||
		!strings.Contains(failed[0].Error, filepath.Join(in, "Grace Hopper", "broken.jpg")) {
		t.Errorf("failed.jsonl = %+v", failed)
	}
	filtered := readJSONL[FilteredRow](t, filepath.Join(out, "filtered.jsonl"))
	if len(filtered) != 1 || filtered[0].Source != rels[2] || string(filtered[0].Evidence) != `{"word":"GRACE"}` {
		t.Errorf("filtered.jsonl = %+v", filtered)
	}
	if _, err := imageio.Load(filepath.Join(out, "contact-sheet.png")); err != nil {
		t.Errorf("contact sheet: %v", err)
	}
	meta1, err := os.ReadFile(filepath.Join(out, "metadata.jsonl"))
	must(t, err)

	// A second run resumes: nothing is redone, nothing is written twice.
	dropped = nil
	b2, err := New(out, WithAnalyzer(testAnalyzer(t)), WithBackgrounds(testBackgrounds()), WithWorkers(2), WithSeed(7), WithFilter(filter))
	must(t, err)
	sum2, err := b2.Run(context.Background(), append(recs, recs[0])) // the first photo twice
	must(t, err)
	if sum2.Run.Resumed != 7 || sum2.Run.Processed != 0 || sum2.Run.Duplicates != 1 || len(dropped) != 0 {
		t.Errorf("resume: resumed %d processed %d duplicates %d filter calls %d; want 7, 0, 1, 0", sum2.Run.Resumed, sum2.Run.Processed, sum2.Run.Duplicates, len(dropped))
	}
	meta2, err := os.ReadFile(filepath.Join(out, "metadata.jsonl"))
	must(t, err)
	if string(meta1) != string(meta2) {
		t.Error("metadata.jsonl changed on resume")
	}
	if f := readJSONL[FailedRow](t, filepath.Join(out, "failed.jsonl")); len(f) != 1 {
		t.Errorf("failed.jsonl has %d rows after resume", len(f))
	}

	// Other settings on the same OUT are refused.
	b3, err := New(out, WithAnalyzer(testAnalyzer(t)), WithBackgrounds(testBackgrounds()), WithSeed(8))
	must(t, err)
	if _, err := b3.Run(context.Background(), recs); !errors.Is(err, ErrSettingsChanged) {
		t.Errorf("seed change: err = %v, want ErrSettingsChanged", err)
	}
}

func TestNewNeedsBackgrounds(t *testing.T) {
	a := testAnalyzer(t)
	if _, err := New(t.TempDir(), WithAnalyzer(a)); !errors.Is(err, ErrNoBackgrounds) {
		t.Errorf("err = %v, want ErrNoBackgrounds", err)
	}
	if _, err := New(t.TempDir(), WithAnalyzer(a), WithConditions(Original, Blur, White, WhiteBlur)); err != nil {
		t.Errorf("no landscape: %v", err)
	}
	if _, err := New(t.TempDir(), WithAnalyzer(a), WithConditions(Original), WithFormat("gif")); err == nil {
		t.Error("gif accepted")
	}
}

func TestResumeRedoesHalfWrittenPhoto(t *testing.T) {
	in, out := t.TempDir(), t.TempDir()
	writeFixtures(t, in, 3)
	recs, err := FolderRecords(in)
	must(t, err)
	conds := []Condition{Original, Blur, White}
	an := testAnalyzer(t)
	build := func() *Summary {
		b, err := New(out, WithAnalyzer(an), WithConditions(conds...), WithWorkers(1), WithFormat("png"))
		must(t, err)
		s, err := b.Run(context.Background(), recs)
		must(t, err)
		return s
	}
	build()
	want, err := os.ReadFile(filepath.Join(out, "metadata.jsonl"))
	must(t, err)

	// Simulate a kill: drop the last photo's journal line, leave half of a
	// line behind, a temp file and a stale variant of a photo never built.
	jpath := filepath.Join(out, "journal.jsonl")
	data, err := os.ReadFile(jpath)
	must(t, err)
	lines := strings.SplitAfter(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("journal has %d lines", len(lines))
	}
	half := lines[2][:len(lines[2])/2]
	must(t, os.WriteFile(jpath, []byte(lines[0]+lines[1]+half), 0o644))
	must(t, os.WriteFile(filepath.Join(out, "blur", imageio.TempPrefix+"x.png-123"), []byte("partial"), 0o644))
	must(t, os.WriteFile(filepath.Join(out, "white", "0123456789abcdef.png"), []byte("stale"), 0o644))

	s := build()
	if s.Run.Resumed != 2 || s.Run.Built != 1 {
		t.Errorf("resumed %d built %d, want 2 and 1", s.Run.Resumed, s.Run.Built)
	}
	got, err := os.ReadFile(filepath.Join(out, "metadata.jsonl"))
	must(t, err)
	if string(got) != string(want) {
		t.Errorf("metadata after resume differs:\n%s\nwant\n%s", got, want)
	}
	if _, err := os.Stat(filepath.Join(out, "white", "0123456789abcdef.png")); !os.IsNotExist(err) {
		t.Error("stale variant of an unjournaled photo was not removed")
	}
	checkOutput(t, out, conds)
	// The journal is whole lines again.
	data, err = os.ReadFile(jpath)
	must(t, err)
	entries, good, err := readJournal(strings.NewReader(string(data)))
	must(t, err)
	if len(entries) != 3 || good != int64(len(data)) {
		t.Errorf("journal: %d entries, %d of %d bytes whole", len(entries), good, len(data))
	}
}

func TestShardsMergeToTheWhole(t *testing.T) {
	in := t.TempDir()
	writeFixtures(t, in, 8)
	recs, err := FolderRecords(in)
	must(t, err)
	conds := []Condition{Original, Blur}
	an := testAnalyzer(t)
	build := func(out string, sh Shard) *Summary {
		b, err := New(out, WithAnalyzer(an), WithConditions(conds...), WithShard(sh), WithWorkers(2))
		must(t, err)
		s, err := b.Run(context.Background(), recs)
		must(t, err)
		return s
	}
	whole, p0, p1, merged := t.TempDir(), t.TempDir(), t.TempDir(), filepath.Join(t.TempDir(), "merged")
	build(whole, Shard{I: 0, N: 1})
	s0 := build(p0, Shard{I: 0, N: 2})
	s1 := build(p1, Shard{I: 1, N: 2})
	if s0.Built+s1.Built != 8 || s0.Run.OtherShard != s1.Built || s0.Built == 0 || s1.Built == 0 {
		t.Errorf("shards built %d and %d (other %d, %d)", s0.Built, s1.Built, s0.Run.OtherShard, s1.Run.OtherShard)
	}
	ms, err := Merge(context.Background(), merged, []string{p0, p1}, 2)
	must(t, err)
	if ms.Built != 8 {
		t.Errorf("merged %d photos", ms.Built)
	}
	a, _ := os.ReadFile(filepath.Join(whole, "metadata.jsonl"))
	b, _ := os.ReadFile(filepath.Join(merged, "metadata.jsonl"))
	if string(a) != string(b) || len(a) == 0 {
		t.Error("merged metadata differs from the whole build's")
	}
	rows := checkOutput(t, merged, conds)
	for _, r := range rows {
		x, err1 := os.ReadFile(filepath.Join(whole, r.FileName))
		y, err2 := os.ReadFile(filepath.Join(merged, r.FileName))
		if err1 != nil || err2 != nil || !reflect.DeepEqual(x, y) {
			t.Errorf("%s differs between the whole build and the merge", r.FileName)
		}
	}
	// Merging again adds nothing.
	ms2, err := Merge(context.Background(), merged, []string{p0, p1}, 2)
	must(t, err)
	if ms2.Run.Duplicates != 8 || ms2.Built != 8 {
		t.Errorf("second merge: duplicates %d built %d", ms2.Run.Duplicates, ms2.Built)
	}
	if _, err := Merge(context.Background(), p0, []string{p0, p1}, 0); err == nil {
		t.Error("merge into one of its inputs accepted")
	}
}

func TestRunCancelled(t *testing.T) {
	in, out := t.TempDir(), t.TempDir()
	writeFixtures(t, in, 4)
	recs, err := FolderRecords(in)
	must(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	filter := FilterFunc(func(ctx context.Context, img *image.RGBA, r Record) (bool, any, error) {
		if n++; n == 2 {
			cancel()
		}
		return true, nil, ctx.Err()
	})
	b, err := New(out, WithAnalyzer(testAnalyzer(t)), WithConditions(Original), WithWorkers(1), WithFilter(filter))
	must(t, err)
	sum, err := b.Run(ctx, recs)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if sum == nil || sum.Built != 1 || sum.Failed != 0 {
		t.Fatalf("summary %+v: want 1 built and no failure for the cancelled photo", sum)
	}
	checkOutput(t, out, []Condition{Original})
}

// TestRunLargestFirst checks that the photos are handed out largest first
// (so that a big photo does not run alone at the end of a build), with
// photos whose header cannot be read last.
func TestRunLargestFirst(t *testing.T) {
	in, out := t.TempDir(), t.TempDir()
	writeFixtures(t, in, 8)
	must(t, os.WriteFile(filepath.Join(in, "Ada Lovelace", "broken.png"), []byte("not a png"), 0o644))
	recs, err := FolderRecords(in)
	must(t, err)
	var order []int // pixels of each photo as the filter sees it; 0 for the broken one
	filter := FilterFunc(func(ctx context.Context, img *image.RGBA, r Record) (bool, any, error) {
		order = append(order, img.Rect.Dx()*img.Rect.Dy())
		return true, nil, nil
	})
	b, err := New(out, WithAnalyzer(testAnalyzer(t)), WithConditions(Original), WithWorkers(1), WithFilter(filter))
	must(t, err)
	sum, err := b.Run(context.Background(), recs)
	must(t, err)
	if sum.Built != 8 || sum.Failed != 1 {
		t.Fatalf("built %d failed %d, want 8 and 1", sum.Built, sum.Failed)
	}
	if len(order) != 8 {
		t.Fatalf("filter saw %d photos, want 8", len(order))
	}
	for i := 1; i < len(order); i++ {
		if order[i] > order[i-1] {
			t.Fatalf("photos built in the order %v (pixels), want largest first", order)
		}
	}
}

// TestManifestLabelConflict: a manifest that gives one photo two names is
// a conflict in failed.jsonl naming both, and the photo is not built; the
// same photo listed twice with one name is a duplicate.
func TestManifestLabelConflict(t *testing.T) {
	in, out := t.TempDir(), t.TempDir()
	rels := writeFixtures(t, in, 3)
	manifest := filepath.Join(in, "people.csv")
	must(t, os.WriteFile(manifest, []byte("path,name\n"+
		rels[0]+",Ada Lovelace\n"+rels[0]+",Grace Hopper\n"+ // one photo, two names
		rels[1]+",Alan Turing\n"+rels[1]+",Alan Turing\n"+ // listed twice, one name
		rels[2]+",Grace Hopper\n"), 0o644))
	recs, err := ManifestRecords(manifest, "")
	must(t, err)
	b, err := New(out, WithAnalyzer(testAnalyzer(t)), WithConditions(Original), WithContactSheet(0))
	must(t, err)
	sum, err := b.Run(context.Background(), recs)
	must(t, err)
	if sum.Built != 2 || sum.Run.Duplicates != 1 || sum.Failed != 1 {
		t.Errorf("built %d, duplicates %d, failed %d; want 2, 1, 1", sum.Built, sum.Run.Duplicates, sum.Failed)
	}
	failed := readJSONL[FailedRow](t, filepath.Join(out, "failed.jsonl"))
	if len(failed) != 1 || failed[0].Source != rels[0] || !strings.Contains(failed[0].Error, `"Ada Lovelace" and "Grace Hopper"`) {
		t.Errorf("failed.jsonl = %+v, want one conflict naming both names", failed)
	}
	for _, r := range checkOutput(t, out, []Condition{Original}) {
		if r.Source == rels[0] {
			t.Errorf("the conflicting photo was built: %+v", r)
		}
	}
}
