package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/phantom-vlm/phantom/leak"
	"github.com/phantom-vlm/phantom/pipeline"
	"github.com/phantom-vlm/phantom/shard"
	"github.com/phantom-vlm/phantom/vlm"
)

// queryOptions are phantom query's flags and arguments.
type queryOptions struct {
	streams
	// changed reports whether a flag was given on the command line; nil
	// means none was.
	changed func(name string) bool
	// more are the arguments: more --import-batch files.
	more                     []string
	variants, study, results string
	// The one-model case.
	backend, model, name, apiKeyEnv string
	urls                            []string
	concurrency, maxAttempts        int
	rate                            float64
	timeout                         time.Duration
	// Study overrides.
	prompts     string
	conditions  []string
	seed        int64
	temperature float64
	maxTokens   int
	skipHealth  bool
	shard       string
	reuseLegacy bool
	batch       batchFlags
}

// given reports whether the flag name was on the command line.
func (o *queryOptions) given(name string) bool { return o.changed != nil && o.changed(name) }

// newQueryCmd returns phantom query, with query merge under it, parsing
// their flags into opts.
func newQueryCmd(opts *queryOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "query --variants OUT (--study study.yaml | --model ID) [--results results.jsonl] [--export-batch DIR | --import-batch FILE...]",
		Short: "Ask VLM servers the study's prompts about the built variants",
		Long: `query asks every selected prompt about every condition variant in OUT (the output of
"phantom build") on every model of the study, and appends one row per answer to the results
file. Models are named in a study file (YAML, see examples/study.yaml) or, for one model, with
--backend, --url and --model, which replace the study's models when both are given.

Each model's server is health-checked first. A re-run with the same results file skips the
questions already answered and retries the failed ones, so an interrupted or killed run is
resumed by running the same command again.

--shard i/n asks only the questions whose key falls in shard i of n (a deterministic split of
the keys), so n machines or the tasks of a job array, each with its own results file, together
ask every question once; --shard auto reads the part from a Slurm job array
(SLURM_ARRAY_TASK_ID with SLURM_ARRAY_TASK_COUNT or _MIN/_MAX) or a Kubernetes Indexed Job
(JOB_COMPLETION_INDEX with PHANTOM_SHARD_COUNT). Join the shards' files with "phantom query
merge", or pass them all to "phantom report --results".

Batch inference: --export-batch DIR writes the questions not yet answered ok as OpenAI batch
input files instead of asking a server (for "vllm run-batch" or the OpenAI Batch API; one model
per file, split at 50,000 requests or 100 MB, a manifest of the keys in each file), and
--import-batch FILE... reads the engine's output files and records their answers, scored as
live answers are. Give both the same --variants and --study (or --model) as a live run: the
custom_id of each request is the key a live run with the openai backend records, so batch and
live answers resume each other.`,
		Example: `  ollama pull llava:7b && ollama serve &
  phantom query --variants out --model llava:7b --results results.jsonl
  phantom query --variants out --study examples/study.yaml --results results.jsonl
  phantom query --variants out --study study.yaml --shard auto --results results-$SLURM_ARRAY_TASK_ID.jsonl
  phantom query --variants out --model llava-hf/llava-1.5-7b-hf --export-batch batch/ --image-ref file
  phantom query --variants out --model llava-hf/llava-1.5-7b-hf --import-batch 'batch-out/*.jsonl'`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 0 && len(opts.batch.imports) == 0 {
				return fmt.Errorf("unexpected arguments %q (only --import-batch takes more files as arguments)", args)
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.streams = streamsOf(cmd)
			opts.changed = func(name string) bool { return cmd.Flags().Changed(name) }
			opts.more = args
			return runQuery(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.variants, "variants", "", "the variants folder: what phantom build wrote, holding metadata.jsonl (required)")
	f.StringVar(&opts.study, "study", "", "the study file (YAML)")
	f.StringVar(&opts.results, "results", "results.jsonl", "the results file, appended to")
	f.StringVar(&opts.backend, "backend", vlm.BackendOllama, "one-model case: backend, ollama or openai")
	f.StringSliceVar(&opts.urls, "url", nil, "one-model case: server URL (default http://localhost:11434 for ollama, http://localhost:8000 for openai); several (repeated or comma-separated) are replicas of the model")
	f.StringVar(&opts.model, "model", "", "one-model case: the server's model id, e.g. llava:7b")
	f.StringVar(&opts.name, "name", "", "one-model case: the model's name in results (default the model id)")
	f.StringVar(&opts.apiKeyEnv, "api-key-env", "", "one-model case: environment variable holding the API key")
	f.IntVar(&opts.concurrency, "concurrency", 1, "one-model case: requests in flight")
	f.Float64Var(&opts.rate, "rate", 0, "one-model case: requests per second (0: no limit)")
	f.DurationVar(&opts.timeout, "timeout", 0, "one-model case: time limit per attempt (0: the client's default)")
	f.IntVar(&opts.maxAttempts, "max-attempts", 0, "one-model case: attempts per request (0: the client's default)")
	f.StringVar(&opts.prompts, "prompts", "", "prompt selection: all, main or protocol (default protocol, or the study's)")
	f.StringSliceVar(&opts.conditions, "conditions", nil, "only these conditions (default all, or the study's)")
	f.Int64Var(&opts.seed, "seed", 0, "decoding seed (default the study's, else 42)")
	f.Float64Var(&opts.temperature, "temperature", 0, "decoding temperature (default the study's, else 0)")
	f.IntVar(&opts.maxTokens, "max-tokens", 0, "answer length limit in tokens (default the study's, else 256)")
	f.BoolVar(&opts.skipHealth, "skip-health", false, "do not health-check the servers first")
	f.StringVar(&opts.shard, "shard", "", shardUsage("questions, chosen by key"))
	f.BoolVar(&opts.reuseLegacy, "reuse-legacy", false, "reuse answers written by phantom before keys held the variant's hash (only if --variants holds the very files they were asked about)")
	opts.batch.register(cmd)
	_ = cmd.MarkFlagRequired("variants")
	cmd.AddCommand(newQueryMergeCmd(&queryMergeOptions{}))
	return cmd
}

// queryStudy builds the study from the study file and the flags.
func queryStudy(qf *queryOptions) (*leak.Study, error) {
	st := &leak.Study{}
	if qf.study != "" {
		var err error
		if st, err = leak.LoadStudy(qf.study); err != nil {
			return nil, err
		}
	}
	if qf.model != "" {
		urls := qf.urls
		if len(urls) == 0 {
			urls = []string{"http://localhost:11434"}
			if qf.backend == vlm.BackendOpenAI {
				urls = []string{"http://localhost:8000"}
			}
		}
		if len(st.Models) > 0 {
			fmt.Fprintf(qf.ErrOut, "phantom query: --model given: asking %s only, not the %d models of %s\n", qf.model, len(st.Models), qf.study)
		}
		st.Models = []leak.StudyModel{{
			Name: qf.name, Backend: qf.backend, URLs: urls, Model: qf.model, Concurrency: qf.concurrency,
			Rate: qf.rate, APIKeyEnv: qf.apiKeyEnv, Timeout: qf.timeout, MaxAttempts: qf.maxAttempts,
		}}
	} else if qf.study == "" {
		return nil, errors.New("no models: give --study study.yaml, or --model (with --backend and --url) for one model")
	}
	if qf.given("prompts") {
		st.Prompts = qf.prompts
	}
	if qf.given("conditions") {
		st.Conditions = qf.conditions
	}
	if qf.given("seed") {
		st.Seed = qf.seed
	}
	if qf.given("temperature") {
		st.Temperature = qf.temperature
	}
	if qf.given("max-tokens") {
		st.MaxTokens = qf.maxTokens
	}
	if err := st.Validate(); err != nil {
		return nil, err
	}
	st.Conditions = canonicalConditions(st.Conditions)
	return st, nil
}

// canonicalConditions spells each condition as phantom build writes it in
// metadata.jsonl ("pixelate" is blur, "pixelate:scale=1.3,grid=4" is
// "pixelate:grid=4,scale=1.3"), keeping together the parameters that a
// comma-separated flag split apart. A name outside the condition grammar
// is kept as it is, for variants that another tool wrote.
func canonicalConditions(cs []string) []string {
	if len(cs) == 0 {
		return cs
	}
	var out []string
	for _, part := range pipeline.SplitConditions(strings.Join(cs, ",")) {
		if c, err := pipeline.ParseCondition(part); err == nil {
			part = string(c)
		}
		if !slices.Contains(out, part) {
			out = append(out, part)
		}
	}
	return out
}

// runQuery asks the study's questions about the variants qf.variants, or
// exports or imports them as batch files.
func runQuery(ctx context.Context, qf *queryOptions) error {
	stderr := qf.ErrOut
	if err := qf.batch.check(); err != nil {
		return err
	}
	if qf.batch.batchMode() && !qf.given("backend") {
		qf.backend = vlm.BackendOpenAI // batch files are OpenAI chat requests
	}
	st, err := queryStudy(qf)
	if err != nil {
		return err
	}
	sh, err := shard.Parse(qf.shard, nil)
	if err != nil {
		return fmt.Errorf("--shard: %w", err)
	}
	variants, bad, err := leak.ReadVariants(qf.variants)
	if err != nil {
		return err
	}
	for _, e := range bad {
		fmt.Fprintln(stderr, "phantom query: skipped:", e)
	}
	if len(variants) == 0 {
		return fmt.Errorf("no usable variants in %s", qf.variants)
	}
	if err := checkConditions(st.Conditions, variants); err != nil {
		return fmt.Errorf("%s: %w", filepath.Join(qf.variants, leak.MetadataFile), err)
	}
	st.ReplicaEvents = func(model string, ev vlm.ReplicaEvent) {
		if ev.Err == nil {
			fmt.Fprintf(stderr, "phantom query: %s: replica %s is back\n", model, ev.Replica)
			return
		}
		fmt.Fprintf(stderr, "phantom query: %s: replica %s taken out for %s, its requests go to the others: %v\n", model, ev.Replica, ev.Cooldown, ev.Err)
	}
	models, closer, err := st.Clients()
	if err != nil {
		return err
	}
	defer closer.Close()

	if !sh.Whole() {
		fmt.Fprintf(stderr, "phantom query: shard %s of the questions\n", sh)
	}
	if !qf.skipHealth && !qf.batch.batchMode() {
		hctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err := leak.CheckHealth(hctx, models)
		cancel()
		if err != nil {
			return fmt.Errorf("health check failed (use --skip-health to go on anyway):\n  %s\n%s",
				strings.ReplaceAll(err.Error(), "\n", "\n  "), healthHint(st))
		}
	}

	results, err := leak.OpenResults(qf.results)
	if err != nil {
		return err
	}
	defer results.Close()
	for _, e := range results.BadLines() {
		fmt.Fprintln(stderr, "phantom query: unreadable results line (ignored):", e)
	}
	r, err := leak.NewRunner(qf.variants, variants, models, results, leak.WithPrompts(st.Selection()),
		leak.WithConditions(st.Conditions...), leak.WithDecoding(st.Options()), leak.WithProgress(stderr, 0),
		leak.WithShard(sh), leak.WithReuseLegacy(qf.reuseLegacy))
	if err != nil {
		return err
	}
	if qf.batch.batchMode() {
		err := runBatch(ctx, qf, r)
		if cerr := results.Close(); err == nil {
			err = cerr
		}
		return err
	}

	sum, runErr := r.Run(ctx)
	if err := results.Close(); err != nil && runErr == nil {
		runErr = err
	}
	printQuerySummary(qf.Out, sum, qf.results)
	if runErr != nil {
		if errors.Is(runErr, context.Canceled) {
			fmt.Fprintln(stderr, "interrupted: the answers so far are recorded; run the same command again to resume")
		}
		return runErr
	}
	if sum.Failed() > 0 || len(bad) > 0 {
		return errSomeFailed
	}
	return nil
}

// checkConditions reports conditions asked for that no variant has: a typo
// would otherwise ask nothing about them.
func checkConditions(want []string, variants []leak.Variant) error {
	have := make(map[string]bool)
	var order []string
	for _, v := range variants {
		if !have[v.Condition] {
			have[v.Condition] = true
			order = append(order, v.Condition)
		}
	}
	var missing []string
	for _, c := range want {
		if !have[c] {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("no variants of condition %s (the variants have %s)", strings.Join(missing, ", "), strings.Join(order, ", "))
	}
	return nil
}

// healthHint tells how to start the servers of the study's backends.
func healthHint(st *leak.Study) string {
	var b strings.Builder
	for _, m := range st.Models {
		switch m.Backend {
		case vlm.BackendOllama:
			fmt.Fprintf(&b, "  %s: start Ollama with \"ollama serve\" and fetch the model with \"ollama pull %s\"\n", m.DisplayName(), m.Model)
		case vlm.BackendOpenAI:
			fmt.Fprintf(&b, "  %s: start the OpenAI-compatible server at %s serving %q (e.g. vllm serve %s)\n", m.DisplayName(), strings.Join(m.Servers(), ", "), m.Model, m.Model)
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

func printQuerySummary(w io.Writer, sum leak.Summary, path string) {
	for _, m := range sum.Models {
		fmt.Fprintf(w, "%s: %d questions, %d answered before, %d asked: %d ok (%d name the person), %d failed, in %s\n",
			m.Model, m.Total, m.Skipped, m.OK+m.Failed, m.OK, m.Leaks, m.Failed, m.Elapsed.Round(time.Millisecond))
		for _, e := range m.Errors {
			fmt.Fprintf(w, "  failed: %s\n", e)
		}
		if m.Failed > len(m.Errors) {
			fmt.Fprintf(w, "  … and %d more failures; re-run to retry them\n", m.Failed-len(m.Errors))
		}
		if m.Stopped != nil {
			fmt.Fprintf(w, "  stopped: %v\n  check the server, then run the same command again to resume\n", m.Stopped)
		}
	}
	fmt.Fprintf(w, "results: %s\n", path)
}
