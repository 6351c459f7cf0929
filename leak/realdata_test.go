package leak

import (
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/phantom-vlm/phantom/internal/testenv"
	"github.com/phantom-vlm/phantom/leak/leaktest"
)

// TestRunnerCongressPortraits runs the main prompts over the 112 labelled
// Congress portraits of PHANTOM_DATA (faces/congress) against an
// Ollama-protocol server that checks every image arrives byte for byte
// (its SHA-256 against labels.csv) and "recognises" the portrait: P2
// answers give the official name ("Bernard Sanders"), P4 answers the
// common name ("Bernie Sanders"). The study's target is the common name,
// the official one an alias.
func TestRunnerCongressPortraits(t *testing.T) {
	src := testenv.Data(t, "faces", "congress")
	f, err := os.Open(filepath.Join(src, "labels.csv"))
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	col := make(map[string]int)
	for i, h := range recs[0] {
		col[h] = i
	}
	type label struct{ official, common string }
	bySum := make(map[string]label)
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "original"), 0o755)
	var variants []Variant
	renamed := 0
	for _, r := range recs[1:] {
		img, err := os.ReadFile(filepath.Join(src, r[col["file"]]))
		if err != nil {
			t.Fatal(err)
		}
		name := "original/" + r[col["file"]]
		if err := os.WriteFile(filepath.Join(dir, name), img, 0o644); err != nil {
			t.Fatal(err)
		}
		official, common := r[col["name"]], r[col["common_name"]]
		bySum[r[col["sha256"]]] = label{official, common}
		v := Variant{FileName: name, ID: r[col["bioguide_id"]], Name: common, Condition: "original"}
		if official != common {
			v.Aliases = []string{official}
			renamed++
		}
		variants = append(variants, v)
	}
	if len(variants) != 112 || renamed != 20 {
		t.Fatalf("%d portraits, %d with another official name; want 112 and 20", len(variants), renamed)
	}

	srv := leaktest.NewOllama("llava:7b", func(q leaktest.Question) (string, error) {
		sum := sha256.Sum256(q.Image)
		l, ok := bySum[hex.EncodeToString(sum[:])]
		if !ok {
			return "", fmt.Errorf("image of %d bytes is not one of the portraits as stored", len(q.Image))
		}
		switch {
		case strings.HasPrefix(q.Prompt, "Who is the person"):
			return "This is " + l.official + ", a member of the US Congress.", nil
		case strings.HasPrefix(q.Prompt, "Who is the celebrity"):
			return "That is " + strings.ToUpper(l.common) + ".", nil
		}
		return "An official portrait of a person in front of a flag.", nil
	})
	defer srv.Close()
	rf, err := OpenResults(filepath.Join(dir, "results.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	r := newRunner(t, dir, variants, []Model{{Name: "llava", Client: newOllama(t, srv), Concurrency: 4}}, rf,
		WithPrompts(SelectMain))
	sum, err := r.Run(context.Background())
	rf.Close()
	if err != nil {
		t.Fatal(err)
	}
	if m := sum.Models[0]; m.Total != 560 || m.OK != 560 || m.Failed != 0 {
		t.Fatalf("summary %+v; errors %v", m, m.Errors)
	}
	rows, _, err := Latest(filepath.Join(dir, "results.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var leaks, alias, surname int
	for _, row := range rows {
		if *row.Leak {
			leaks++
		}
		if *row.AliasLeak {
			alias++
		}
		if *row.SurnameLeak {
			surname++
		}
	}
	// P4R0 names all 112 by common name; P2R0 names the 92 whose official
	// name is the common name. The other 20 P2R0 answers leak the alias.
	// Every naming answer holds the surname ("Sanders", "Greene", "Vance").
	if leaks != 204 || alias != 20 || surname != 224 {
		t.Errorf("leaks %d, alias %d, surname %d; want 204, 20, 224", leaks, alias, surname)
	}
}
