// Command standin-vlm is a stand-in for a VLM server, for trying and
// testing phantom's cluster examples where no model can run: it serves
// Ollama's wire protocol (GET /api/tags, POST /api/chat) on a fixed
// address through leaktest, and answers deterministically. Given the
// variants folder, it names the person in the image when asked a "Who …"
// question about an unblurred variant, and describes it otherwise, so that
// a report of its answers has leaks to count.
//
//	standin-vlm --addr 127.0.0.1:11434 --model llava:7b --variants dataset/
//
// It stops on SIGINT or SIGTERM.
package main

import (
	"crypto/sha256"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/phantom-vlm/phantom/leak"
	"github.com/phantom-vlm/phantom/leak/leaktest"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:11434", "address to listen on")
	model := flag.String("model", "llava:7b", "the model id served")
	variants := flag.String("variants", "", "the variants folder, to name the people in its images")
	flag.Parse()

	type who struct{ name, cond string }
	byHash := make(map[[32]byte]who)
	if *variants != "" {
		rows, bad, err := leak.ReadVariants(*variants)
		if err != nil {
			log.Fatal(err)
		}
		for _, e := range bad {
			log.Print("skipped: ", e)
		}
		for _, r := range rows {
			data, err := os.ReadFile(filepath.Join(*variants, filepath.FromSlash(r.FileName)))
			if err != nil {
				log.Fatal(err)
			}
			byHash[sha256.Sum256(data)] = who{r.Name, r.Condition}
		}
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	srv := leaktest.NewOllama(*model, func(q leaktest.Question) (string, error) {
		h := sha256.Sum256(q.Image)
		w, known := byHash[h]
		if known && strings.HasPrefix(q.Prompt, "Who") && !strings.Contains(w.cond, "blur") {
			return "This is " + w.name + ".", nil
		}
		return fmt.Sprintf("A photo (%x).", h[:4]), nil
	}, leaktest.WithListener(ln))
	log.Printf("serving %s at %s (%d images known)", *model, srv.URL, len(byHash))
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	srv.Close()
}
