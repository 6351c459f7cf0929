package leak

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/phantom-vlm/phantom/vlm"
	"gopkg.in/yaml.v3"
)

// Study is a study file: the models to ask, the prompt selection, the
// conditions and the decoding options. See examples/study.yaml.
type Study struct {
	// Models are the models to ask, each on its server.
	Models []StudyModel `yaml:"models"`
	// Prompts is the prompt selection: "all", "main" or "protocol" (the
	// default).
	Prompts string `yaml:"prompts,omitempty"`
	// Conditions restricts the study to these conditions; empty means
	// every condition in the variants' metadata.
	Conditions []string `yaml:"conditions,omitempty"`
	// Seed, Temperature and MaxTokens are the decoding options; zero
	// values mean vlm's defaults (seed vlm.DefaultSeed, temperature 0,
	// vlm.DefaultMaxTokens).
	Seed        int64   `yaml:"seed,omitempty"`
	Temperature float64 `yaml:"temperature,omitempty"`
	MaxTokens   int     `yaml:"max_tokens,omitempty"`

	// ReplicaEvents, when set, hears of each replica of a model with
	// several URLs that is taken out or comes back (see vlm.Replicas).
	ReplicaEvents func(model string, ev vlm.ReplicaEvent) `yaml:"-"`
}

// StudyModel is one model of a study file.
type StudyModel struct {
	// Name is the model's name in results and reports; it defaults to
	// Model.
	Name string `yaml:"name,omitempty"`
	// Backend is "ollama" or "openai".
	Backend string `yaml:"backend"`
	// URL is the server's base URL, e.g. http://localhost:11434.
	URL string `yaml:"url,omitempty"`
	// URLs, instead of URL, lists several servers of the same model
	// (replicas: one vLLM or Ollama per GPU), asked through vlm.Replicas:
	// each request goes to the replica with the fewest requests in flight,
	// and a replica that fails is taken out, its requests sent to the
	// others, and health-checked again later. Concurrency and Rate are the
	// model's as a whole, over all its replicas.
	URLs []string `yaml:"urls,omitempty"`
	// Model is the server's model id, e.g. llava:7b.
	Model string `yaml:"model"`
	// Concurrency is the number of requests in flight, over all the
	// model's replicas; 0 means 1.
	Concurrency int `yaml:"concurrency,omitempty"`
	// Rate limits requests per second, over all the model's replicas; 0
	// means no limit.
	Rate float64 `yaml:"rate,omitempty"`
	// APIKeyEnv names the environment variable holding the API key sent as
	// a Bearer token (OpenAI-compatible servers that want one).
	APIKeyEnv string `yaml:"api_key_env,omitempty"`
	// Timeout is the time limit of one attempt, e.g. "5m"; 0 means vlm's
	// default.
	Timeout time.Duration `yaml:"timeout,omitempty"`
	// MaxAttempts is the number of attempts per request (over all
	// replicas, with URLs); 0 means vlm's default.
	MaxAttempts int `yaml:"max_attempts,omitempty"`
}

// Servers returns the model's server URLs: URLs, or URL alone.
func (m StudyModel) Servers() []string {
	if len(m.URLs) > 0 {
		return m.URLs
	}
	if m.URL == "" {
		return nil
	}
	return []string{m.URL}
}

// DisplayName returns Name, or Model when Name is empty.
func (m StudyModel) DisplayName() string {
	if m.Name != "" {
		return m.Name
	}
	return m.Model
}

// ErrInvalidStudy is wrapped by every study validation error.
var ErrInvalidStudy = errors.New("leak: invalid study")

// LoadStudy reads and validates the study file at path. Errors name the
// file, and the line where YAML can tell it; unknown keys are errors.
func LoadStudy(path string) (*Study, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("leak: study: %w", err)
	}
	s, err := ParseStudy(bytes.NewReader(data))
	if err != nil {
		// "leak: invalid study: …" becomes "leak: invalid study PATH: …".
		return nil, &pathError{path: path, err: err}
	}
	return s, nil
}

// pathError names the study file after the sentinel's text, so that the
// message carries the package prefix once.
type pathError struct {
	path string
	err  error
}

func (e *pathError) Error() string {
	msg := e.err.Error()
	if rest, ok := strings.CutPrefix(msg, ErrInvalidStudy.Error()); ok {
		return ErrInvalidStudy.Error() + " " + e.path + rest
	}
	return "leak: study " + e.path + ": " + msg
}

func (e *pathError) Unwrap() error { return e.err }

// ParseStudy reads and validates a study from r.
func ParseStudy(r io.Reader) (*Study, error) {
	dec := yaml.NewDecoder(r)
	dec.KnownFields(true)
	var s Study
	if err := dec.Decode(&s); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%w: empty file", ErrInvalidStudy)
		}
		return nil, fmt.Errorf("%w: %w", ErrInvalidStudy, err)
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return &s, nil
}

// Validate checks the study: at least one model, each with a known
// backend, a URL and a model id, unique names, non-negative numbers, and a
// known prompt selection.
func (s *Study) Validate() error {
	var problems []string
	bad := func(format string, a ...any) {
		problems = append(problems, fmt.Sprintf(format, a...))
	}
	if _, err := ParseSelection(s.Prompts); err != nil {
		bad("prompts: %q is not all, main or protocol", s.Prompts)
	}
	if len(s.Models) == 0 {
		bad("no models")
	}
	if s.MaxTokens < 0 {
		bad("max_tokens %d < 0", s.MaxTokens)
	}
	if s.Temperature < 0 {
		bad("temperature %g < 0", s.Temperature)
	}
	names := make(map[string]int)
	for i, m := range s.Models {
		where := fmt.Sprintf("models[%d]", i)
		if m.Backend != vlm.BackendOllama && m.Backend != vlm.BackendOpenAI {
			bad("%s: backend %q is not ollama or openai", where, m.Backend)
		}
		switch {
		case m.URL != "" && len(m.URLs) > 0:
			bad("%s: both url and urls; give urls alone for several servers", where)
		case m.URL == "" && len(m.URLs) == 0:
			bad("%s: no url (or urls)", where)
		}
		for j, u := range m.URLs {
			if u == "" {
				bad("%s: urls[%d] is empty", where, j)
			}
		}
		if m.Model == "" {
			bad("%s: no model (the server's model id)", where)
		}
		if m.Concurrency < 0 {
			bad("%s: concurrency %d < 0", where, m.Concurrency)
		}
		if m.Rate < 0 {
			bad("%s: rate %g < 0", where, m.Rate)
		}
		if m.Timeout < 0 || m.MaxAttempts < 0 {
			bad("%s: negative timeout or max_attempts", where)
		}
		if n := m.DisplayName(); n != "" {
			if j, dup := names[n]; dup {
				bad("%s: name %q already used by models[%d]", where, n, j)
			}
			names[n] = i
		}
	}
	if len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s", ErrInvalidStudy, strings.Join(problems, "; "))
}

// Options returns the study's decoding options.
func (s *Study) Options() vlm.Options {
	return vlm.Options{Temperature: s.Temperature, Seed: s.Seed, MaxTokens: s.MaxTokens}
}

// Selection returns the study's prompt selection.
func (s *Study) Selection() Selection {
	sel, err := ParseSelection(s.Prompts)
	if err != nil {
		return SelectProtocol
	}
	return sel
}

// Clients builds a client for each model, with opts applied before the
// model's own settings, and returns them as Runner models. Close the
// returned closer when done. A model whose api_key_env names an unset
// variable is an error.
func (s *Study) Clients(opts ...vlm.Option) (models []Model, closer io.Closer, err error) {
	var cs closers
	for _, m := range s.Models {
		o := append([]vlm.Option(nil), opts...)
		if m.APIKeyEnv != "" {
			if os.Getenv(m.APIKeyEnv) == "" {
				cs.Close()
				return nil, nil, fmt.Errorf("leak: model %s: api_key_env: environment variable %s is not set", m.DisplayName(), m.APIKeyEnv)
			}
			o = append(o, vlm.WithAPIKeyEnv(m.APIKeyEnv))
		}
		if m.Timeout > 0 {
			o = append(o, vlm.WithTimeout(m.Timeout))
		}
		if m.MaxAttempts > 0 {
			o = append(o, vlm.WithMaxAttempts(m.MaxAttempts))
		}
		c, err := s.client(m, o)
		if err != nil {
			cs.Close()
			return nil, nil, fmt.Errorf("leak: model %s: %w", m.DisplayName(), err)
		}
		cs = append(cs, c)
		models = append(models, Model{Name: m.DisplayName(), Client: c, Concurrency: m.Concurrency, Rate: m.Rate})
	}
	return models, cs, nil
}

// client returns m's client: one server's, or vlm.Replicas over several,
// whose clients make one attempt each while the replicas retry across
// servers up to MaxAttempts.
func (s *Study) client(m StudyModel, o []vlm.Option) (vlm.Client, error) {
	urls := m.Servers()
	if len(urls) == 1 {
		return vlm.New(m.Backend, urls[0], m.Model, o...)
	}
	one := append(slices.Clip(o), vlm.WithMaxAttempts(1))
	var cs []vlm.Client
	for _, u := range urls {
		c, err := vlm.New(m.Backend, u, m.Model, one...)
		if err != nil {
			for _, c := range cs {
				c.Close()
			}
			return nil, err
		}
		cs = append(cs, c)
	}
	ropts := []vlm.ReplicasOption{}
	if m.MaxAttempts > 0 {
		ropts = append(ropts, vlm.WithReplicaAttempts(m.MaxAttempts))
	}
	if s.ReplicaEvents != nil {
		name := m.DisplayName()
		ropts = append(ropts, vlm.WithReplicaEvents(func(ev vlm.ReplicaEvent) { s.ReplicaEvents(name, ev) }))
	}
	return vlm.NewReplicas(cs, ropts...)
}

type closers []io.Closer

func (cs closers) Close() error {
	var errs []error
	for _, c := range cs {
		errs = append(errs, c.Close())
	}
	return errors.Join(errs...)
}
