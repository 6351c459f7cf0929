package leak_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/jpeg"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/phantom-vlm/phantom/leak"
	"github.com/phantom-vlm/phantom/leak/leaktest"
	"github.com/phantom-vlm/phantom/vlm"
)

// ExampleRunner asks the five main prompts about one photo on a model
// served over Ollama's protocol (here an in-process stand-in that names
// the person when asked "who"), then re-runs: the second run finds every
// question answered and asks nothing.
func ExampleRunner() {
	dir, err := os.MkdirTemp("", "leak-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	os.MkdirAll(filepath.Join(dir, "original"), 0o755)
	var photo bytes.Buffer
	jpeg.Encode(&photo, image.NewGray(image.Rect(0, 0, 32, 32)), nil)
	os.WriteFile(filepath.Join(dir, "original", "ada.jpg"), photo.Bytes(), 0o644)
	os.WriteFile(filepath.Join(dir, leak.MetadataFile),
		[]byte(`{"file_name":"original/ada.jpg","id":"ada-1","name":"Ada Lovelace","condition":"original"}`+"\n"), 0o644)

	srv := leaktest.NewOllama("llava:7b", func(q leaktest.Question) (string, error) {
		if strings.HasPrefix(q.Prompt, "Who") {
			return "This is Ada Lovelace.", nil
		}
		return "A woman in a Victorian dress.", nil
	})
	defer srv.Close()
	client, err := vlm.NewOllama(srv.URL, "llava:7b")
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	variants, _, err := leak.ReadVariants(dir)
	if err != nil {
		log.Fatal(err)
	}
	for range 2 {
		results, err := leak.OpenResults(filepath.Join(dir, "results.jsonl"))
		if err != nil {
			log.Fatal(err)
		}
		r, err := leak.NewRunner(dir, variants, []leak.Model{{Name: "llava", Client: client}}, results,
			leak.WithPrompts(leak.SelectMain))
		if err != nil {
			log.Fatal(err)
		}
		sum, err := r.Run(context.Background())
		results.Close()
		if err != nil {
			log.Fatal(err)
		}
		m := sum.Models[0]
		fmt.Printf("%s: %d questions, %d skipped, %d asked, %d leaks\n", m.Model, m.Total, m.Skipped, m.OK+m.Failed, m.Leaks)
	}
	// Output:
	// llava: 5 questions, 0 skipped, 5 asked, 2 leaks
	// llava: 5 questions, 5 skipped, 0 asked, 0 leaks
}

func ExampleTarget_Leaks() {
	t := leak.NewTarget("Beyoncé Knowles")
	for _, answer := range []string{"That is BEYONCÉ KNOWLES.", "That is Beyonce Knowles.", "That is Beyoncé\nKnowles."} {
		fmt.Printf("%-28q folded=%v literal=%v\n", answer, t.Leaks(answer, leak.MatchFolded), t.Leaks(answer, leak.MatchLiteral))
	}
	// Output:
	// "That is BEYONCÉ KNOWLES."   folded=true literal=true
	// "That is Beyonce Knowles."   folded=true literal=false
	// "That is Beyoncé\nKnowles."  folded=true literal=false
}
