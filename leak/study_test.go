package leak

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLoadStudyExample(t *testing.T) {
	st, err := LoadStudy("../examples/study.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Models) != 2 || st.Selection() != SelectProtocol || len(st.Conditions) != 6 {
		t.Fatalf("study = %+v", st)
	}
	m := st.Models[1]
	if m.Backend != "openai" || m.Concurrency != 8 || m.Rate != 20 || m.Timeout != 5*time.Minute || m.MaxAttempts != 5 {
		t.Errorf("models[1] = %+v", m)
	}
	if o := st.Options().Resolved(); o.Seed != 42 || o.MaxTokens != 256 || o.Temperature != 0 {
		t.Errorf("options = %+v", o)
	}
	models, closer, err := st.Clients()
	if err != nil {
		t.Fatal(err)
	}
	defer closer.Close()
	if models[0].Name != "llava-1.5-7b" || models[0].Client.Backend() != "ollama" || models[1].Client.Model() != "llava-hf/llava-v1.6-mistral-7b-hf" {
		t.Errorf("clients: %+v", models)
	}
}

func TestParseStudyErrors(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"empty", "", "empty file"},
		{"unknown key", "models: []\nmodle: x\n", "line 2: field modle not found"},
		{"no models", "prompts: all\n", "no models"},
		{"bad backend", "models: [{backend: tgi, url: http://x, model: m}]", `backend "tgi"`},
		{"no url", "models: [{backend: ollama, model: m}]", "models[0]: no url"},
		{"no model", "models: [{backend: ollama, url: http://x}]", "no model"},
		{"duplicate", "models: [{backend: ollama, url: http://x, model: m}, {backend: openai, url: http://y, model: m}]", `name "m" already used`},
		{"bad prompts", "prompts: some\nmodels: [{backend: ollama, url: http://x, model: m}]", `prompts: "some"`},
		{"negative", "models: [{backend: ollama, url: http://x, model: m, concurrency: -1, rate: -2}]", "concurrency -1 < 0"},
		{"bad duration", "models: [{backend: ollama, url: http://x, model: m, timeout: soon}]", "soon"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseStudy(strings.NewReader(tt.yaml))
			if !errors.Is(err, ErrInvalidStudy) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseStudy error = %v, want ErrInvalidStudy containing %q", err, tt.want)
			}
			if n := strings.Count(err.Error(), "leak: "); n != 1 {
				t.Errorf("%q names the package %d times, want once", err, n)
			}
			// LoadStudy names the file, after the sentinel.
			path := filepath.Join(t.TempDir(), "study.yaml")
			if err := os.WriteFile(path, []byte(tt.yaml), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err = LoadStudy(path)
			if !errors.Is(err, ErrInvalidStudy) || !strings.HasPrefix(err.Error(), "leak: invalid study "+path+": ") || strings.Count(err.Error(), "leak: ") != 1 {
				t.Errorf("LoadStudy error = %v, want \"leak: invalid study %s: …\"", err, path)
			}
		})
	}
}

func TestStudyClientsAPIKeyEnv(t *testing.T) {
	st, err := ParseStudy(strings.NewReader("models: [{backend: openai, url: http://x, model: m, api_key_env: PHANTOM_TEST_UNSET_KEY}]"))
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("PHANTOM_TEST_UNSET_KEY", "")
	if _, _, err := st.Clients(); err == nil || !strings.Contains(err.Error(), "PHANTOM_TEST_UNSET_KEY is not set") {
		t.Errorf("Clients with an unset key variable: %v", err)
	}
}
