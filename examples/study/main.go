// Command study runs a tiny identity-leakage study with phantom's library:
// it asks a VLM the study's prompts about the variants that "phantom build"
// wrote, appends the answers to a results file, and writes the report.
//
//	go run ./examples/study -variants out -model llava:7b -out report
//
// With -demo it makes three tiny variants and asks an in-process
// Ollama-protocol server (leak/leaktest) that names the person when asked
// "who", so that the whole flow runs without a model.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"strings"

	"github.com/phantom-vlm/phantom/leak"
	"github.com/phantom-vlm/phantom/leak/leaktest"
	"github.com/phantom-vlm/phantom/leak/report"
	"github.com/phantom-vlm/phantom/vlm"
)

func main() {
	variants := flag.String("variants", "", "the variants folder written by phantom build")
	url := flag.String("url", "http://localhost:11434", "Ollama's URL")
	model := flag.String("model", "llava:7b", "the model to ask")
	results := flag.String("results", "results.jsonl", "the results file (appended to; with -demo, inside the demo's temporary folder unless given)")
	out := flag.String("out", "report", "the report folder")
	demo := flag.Bool("demo", false, "run on made-up variants against an in-process demo server")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	if *demo {
		dir, err := os.MkdirTemp("", "phantom-demo-")
		if err != nil {
			log.Fatal(err)
		}
		defer os.RemoveAll(dir)
		names := writeDemoVariants(dir)
		srv := leaktest.NewOllama(*model, func(q leaktest.Question) (string, error) {
			if strings.HasPrefix(q.Prompt, "Who") {
				return "This looks like " + names[string(q.Image)] + ".", nil
			}
			return "A person standing in front of a plain background.", nil
		})
		defer srv.Close()
		*variants, *url = dir, srv.URL
		resultsSet := false
		flag.Visit(func(f *flag.Flag) { resultsSet = resultsSet || f.Name == "results" })
		if !resultsSet {
			*results = filepath.Join(dir, "results.jsonl")
		}
	}
	if *variants == "" {
		log.Fatal("give -variants (the output of phantom build), or -demo")
	}

	rows, bad, err := leak.ReadVariants(*variants)
	if err != nil {
		log.Fatal(err)
	}
	for _, e := range bad {
		log.Println("skipped:", e)
	}
	client, err := vlm.NewOllama(*url, *model)
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	rf, err := leak.OpenResults(*results)
	if err != nil {
		log.Fatal(err)
	}
	runner := &leak.Runner{
		Dir: *variants, Variants: rows, Results: rf, Prompts: leak.SelectProtocol,
		Models: []leak.Model{{Client: client, Concurrency: 2}}, Progress: os.Stderr,
	}
	if err := runner.CheckHealth(ctx); err != nil {
		log.Fatalf("%v\nstart Ollama (ollama serve) and pull the model (ollama pull %s)", err, *model)
	}
	sum, err := runner.Run(ctx)
	if cerr := rf.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		log.Fatal(err)
	}
	for _, m := range sum.Models {
		fmt.Printf("%s: %d questions, %d asked, %d name the person, %d failed\n", m.Model, m.Total, m.OK+m.Failed, m.Leaks, m.Failed)
	}

	data, bad, err := report.Load(*results)
	if err != nil {
		log.Fatal(err)
	}
	for _, e := range bad {
		log.Println("skipped:", e)
	}
	written, err := data.Write(*out, report.Options{})
	if err != nil {
		log.Fatal(err)
	}
	table, err := os.ReadFile(filepath.Join(*out, "table_a.md"))
	if err == nil {
		fmt.Printf("\n%s\n", table)
	}
	fmt.Printf("%d files in %s\n", len(written.Files), *out)
}

// writeDemoVariants writes three people's original and blurred variants as
// tiny PNGs with a metadata.jsonl, and returns each image's person.
func writeDemoVariants(dir string) map[string]string {
	people := []string{"Ada Lovelace", "Alan Turing", "Grace Hopper"}
	names := make(map[string]string)
	f, err := os.Create(filepath.Join(dir, leak.MetadataFile))
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	enc := json.NewEncoder(f)
	for _, cond := range []string{"original", "blur"} {
		if err := os.MkdirAll(filepath.Join(dir, cond), 0o755); err != nil {
			log.Fatal(err)
		}
		for i, name := range people {
			img := image.NewRGBA(image.Rect(0, 0, 16, 16))
			for p := range img.Pix {
				img.Pix[p] = uint8(40*i + len(cond))
			}
			img.Set(0, 0, color.White)
			file := fmt.Sprintf("%s/%d.png", cond, i)
			w, err := os.Create(filepath.Join(dir, file))
			if err != nil {
				log.Fatal(err)
			}
			if err := png.Encode(w, img); err != nil {
				log.Fatal(err)
			}
			w.Close()
			data, _ := os.ReadFile(filepath.Join(dir, file))
			names[string(data)] = name
			enc.Encode(leak.Variant{FileName: file, ID: fmt.Sprint("photo-", i), Name: name, Condition: cond})
		}
	}
	return names
}
