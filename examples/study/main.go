// Command study runs a tiny identity-leakage study with phantom's library:
// it asks a VLM the study's prompts about the variants that "phantom build"
// wrote, appends the answers to a results file, and writes the report.
//
//	go run ./examples/study -variants out -model llava:7b -out report
//
// With -demo it makes three tiny variants and asks an in-process
// Ollama-protocol server (leak/leaktest) that names the person when asked
// "who", so that the whole flow runs without a model. With -demo and
// -variants, the stand-in server answers about a real build instead: asked
// "who", it names the person when OpenCV's Haar cascade still finds a face
// in the image, so that a sweep of anonymization strengths (phantom build
// --sweep) gives a dose-response figure without a model. It is no VLM: a
// real model can name a person whose face no detector finds.
//
//	phantom build photos/ -o sweep --sweep pixelate:grid=16,10,6,4,2
//	phantom audit sweep
//	go run ./examples/study -demo -variants sweep -out sweep-report
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"image/color"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"strings"

	"github.com/phantom-vlm/phantom/detect"
	"github.com/phantom-vlm/phantom/imageio"
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

	variantsSet := false
	flag.Visit(func(f *flag.Flag) { variantsSet = variantsSet || f.Name == "variants" })
	if *demo && variantsSet {
		srv, err := standIn(ctx, *variants, *model)
		if err != nil {
			log.Fatal(err)
		}
		defer srv.Close()
		*url = srv.URL
	} else if *demo {
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
	models := []leak.Model{{Client: client, Concurrency: 2}}
	if err := leak.CheckHealth(ctx, models); err != nil {
		log.Fatalf("%v\nstart Ollama (ollama serve) and pull the model (ollama pull %s)", err, *model)
	}
	rf, err := leak.OpenResults(*results)
	if err != nil {
		log.Fatal(err)
	}
	runner, err := leak.NewRunner(*variants, rows, models, rf, leak.WithPrompts(leak.SelectProtocol), leak.WithProgress(os.Stderr, 0))
	if err != nil {
		log.Fatal(err)
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
	// A sweep's dose-response tables and figures, with the audit's
	// residual faces when the variants folder has been audited.
	audit, err := report.ReadAudit(*variants)
	if err != nil {
		audit = nil
	}
	strength, err := data.WriteStrength(*out, audit)
	if err != nil {
		log.Fatal(err)
	}
	table, err := os.ReadFile(filepath.Join(*out, "table_a.md"))
	if err == nil {
		fmt.Printf("\n%s\n", table)
	}
	for _, f := range strength {
		if strings.HasPrefix(filepath.Base(f), "dose_") && strings.HasSuffix(f, ".md") {
			if t, err := os.ReadFile(f); err == nil {
				fmt.Printf("\n%s\n", t)
			}
		}
	}
	fmt.Printf("%d files in %s\n", len(written.Files)+len(strength), *out)
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
			if err := imageio.Save(filepath.Join(dir, file), img); err != nil {
				log.Fatal(err)
			}
			data, _ := os.ReadFile(filepath.Join(dir, file))
			names[string(data)] = name
			enc.Encode(leak.Variant{FileName: file, ID: fmt.Sprint("photo-", i), Name: name, Condition: cond})
		}
	}
	return names
}

// standIn starts the stand-in server for the variants in dir: asked "who",
// it names the person of an image in which the Haar cascade finds a face,
// and says it cannot tell otherwise.
func standIn(ctx context.Context, dir, model string) (*leaktest.Server, error) {
	rows, _, err := leak.ReadVariants(dir)
	if err != nil {
		return nil, err
	}
	names := make(map[string]string) // by the file's SHA-256, as metadata.jsonl has it
	for _, r := range rows {
		names[r.SHA256] = r.Name
	}
	haar, err := detect.NewHaarFaceDetector()
	if err != nil {
		return nil, err
	}
	return leaktest.NewOllama(model, func(q leaktest.Question) (string, error) {
		if !strings.HasPrefix(q.Prompt, "Who") {
			return "A person in a photograph.", nil
		}
		img, err := imageio.Decode(q.Image)
		if err != nil {
			return "", err
		}
		faces, err := haar.DetectFaces(ctx, img)
		if err != nil {
			return "", err
		}
		if len(faces) == 0 {
			return "I cannot tell who this is.", nil
		}
		sum := sha256.Sum256(q.Image)
		return "This looks like " + names[hex.EncodeToString(sum[:])] + ".", nil
	}), nil
}
