package vlm_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"

	"github.com/phantom-vlm/phantom/vlm"
)

// ollamaStandIn answers /api/chat as Ollama's documentation shows; a real
// study points the client at `ollama serve` instead.
func ollamaStandIn() *httptest.Server {
	answer, err := os.ReadFile("testdata/docs/ollama_chat_images_response.json")
	if err != nil {
		log.Fatal(err)
	}
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct{ Model string }
		json.NewDecoder(r.Body).Decode(&req)
		switch {
		case r.URL.Path == "/api/chat" && req.Model == "llava":
			w.Write(answer)
		case r.URL.Path == "/api/tags":
			fmt.Fprint(w, `{"models":[{"name":"llava:latest","model":"llava:latest"}]}`)
		default:
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprintf(w, `{"error":"model \"%s\" not found, try pulling it first"}`, req.Model)
		}
	}))
}

func ExampleNewOllama() {
	srv := ollamaStandIn() // e.g. "http://localhost:11434"
	defer srv.Close()

	c, err := vlm.NewOllama(srv.URL, "llava")
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	if err := c.Health(ctx); err != nil {
		log.Fatal(err)
	}
	img, err := os.ReadFile("testdata/docs/ollama_docs_pig.png")
	if err != nil {
		log.Fatal(err)
	}
	resp, err := c.Ask(ctx, vlm.Request{Image: img, Prompt: "What is in this image?"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.Model, resp.Attempts)
	fmt.Println(strings.Fields(resp.Text)[:7])
	// Output:
	// llava 1
	// [The image features a cute, little pig]
}

func ExampleNewOpenAI() {
	// A stand-in for vLLM ("vllm serve llava-hf/llava-1.5-7b-hf").
	answer, err := os.ReadFile("testdata/docs/openai_chat_response.json")
	if err != nil {
		log.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Println(r.Method, r.URL.Path, r.Header.Get("Authorization") != "")
		w.Write(answer)
	}))
	defer srv.Close()

	c, err := vlm.NewOpenAI(srv.URL+"/v1", "llava-hf/llava-1.5-7b-hf",
		vlm.WithAPIKeyEnv("OPENAI_API_KEY")) // no key is sent when the variable is unset
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	img, err := os.ReadFile("testdata/docs/ollama_docs_pig.png")
	if err != nil {
		log.Fatal(err)
	}
	resp, err := c.Ask(context.Background(), vlm.Request{
		Image:   img, // sent as stored: data:image/png;base64,...
		Prompt:  "Who is the person in the picture?",
		Options: vlm.Options{MaxTokens: 128}, // temperature 0 and seed 42 by default
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.Text)
	fmt.Println(resp.FinishReason)
	// Output:
	// POST /v1/chat/completions false
	// The image shows a cartoon pig with an angry expression, wearing a heart on its shirt.
	// stop
}

func ExampleAskError() {
	srv := ollamaStandIn()
	defer srv.Close()

	c, err := vlm.NewOllama(srv.URL, "llava:34b")
	if err != nil {
		log.Fatal(err)
	}
	resp, err := c.Ask(context.Background(), vlm.Request{Prompt: "Describe the picture"})
	var he *vlm.HTTPError
	switch {
	case errors.Is(err, vlm.ErrModelNotFound) && errors.As(err, &he):
		fmt.Println("not pulled:", he.Status, he.Message)
	case err != nil:
		fmt.Println("failed:", err)
	}
	fmt.Println("attempts:", resp.Attempts, vlm.Attempts(err), errors.Is(err, vlm.ErrPermanent))
	// Output:
	// not pulled: 404 model "llava:34b" not found, try pulling it first
	// attempts: 1 1 true
}
