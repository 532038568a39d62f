package main

import (
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/sanadhq/sanad/embed"
	"github.com/sanadhq/sanad/store"
)

// modelFlags are the flags that choose and configure the embedder.
type modelFlags struct {
	cmd         *cobra.Command
	kind        string
	baseURL     string
	apiKey      string
	model       string
	batchSize   int
	concurrency int
	timeout     time.Duration
	queryPrefix string
	docPrefix   string
}

const embedderHelp = `embedder: builtin, openai or ollama (env SANAD_EMBEDDER).
builtin is offline and lexical: it matches shared words and word pieces
(Arabic stems and character n-grams), with no model files. It knows no
synonyms, paraphrases or cross-language meaning; a real embedding model
(ollama, openai) adds those. Default: what built the index, else builtin`

func (m *modelFlags) register(root *cobra.Command) {
	m.cmd = root
	pf := root.PersistentFlags()
	pf.StringVar(&m.kind, "embedder", "", embedderHelp)
	pf.StringVar(&m.baseURL, "base-url", "", "OpenAI-compatible API root, e.g. http://localhost:11434/v1 (env SANAD_BASE_URL, then OPENAI_BASE_URL)")
	pf.StringVar(&m.apiKey, "api-key", "", "API key for the endpoint (env OPENAI_API_KEY)")
	pf.StringVar(&m.model, "embed-model", "", "embedding model name (ollama default "+embed.DefaultOllamaModel+")")
	pf.IntVar(&m.batchSize, "batch-size", embed.DefaultBatchSize, "inputs per embeddings request")
	pf.IntVar(&m.concurrency, "concurrency", embed.DefaultConcurrency, "embeddings requests in flight")
	pf.DurationVar(&m.timeout, "timeout", embed.DefaultTimeout, "timeout of one embeddings request")
	pf.StringVar(&m.queryPrefix, "query-prefix", "", `prefix for queries, for models that need one (e5: "query: ")`)
	pf.StringVar(&m.docPrefix, "doc-prefix", "", `prefix for passages, for models that need one (e5: "passage: ")`)
}

func (m *modelFlags) changed(name string) bool { return m.cmd.PersistentFlags().Changed(name) }

// explicit reports whether the user chose an embedder for this command.
func (m *modelFlags) explicit() bool {
	return m.changed("embedder") || os.Getenv("SANAD_EMBEDDER") != "" || m.changed("embed-model")
}

// embedder builds the embedder the flags ask for. Where they are silent,
// it follows the settings that built the index (have), so that commands
// after `sanad index --embedder ollama` need no flags.
func (m *modelFlags) embedder(have *store.Config) (embed.Embedder, error) {
	kind := firstNonEmpty(m.kind, os.Getenv("SANAD_EMBEDDER"))
	if kind == "" && have != nil {
		kind = have.Embedder
	}
	if kind == "" {
		kind = "builtin"
	}
	model := m.model
	sameAsIndex := have != nil && have.Embedder == kind && (model == "" || model == have.Model)
	if model == "" && sameAsIndex {
		model = have.Model
	}
	qp, dp := m.queryPrefix, m.docPrefix
	if !m.changed("query-prefix") && !m.changed("doc-prefix") {
		if sameAsIndex {
			qp, dp = have.QueryPrefix, have.DocPrefix
		} else if q, d, ok := embed.DefaultPrefixes(model); ok {
			qp, dp = q, d
		}
	}
	if m.batchSize < 1 || m.concurrency < 1 {
		return nil, usagef("--batch-size and --concurrency must be at least 1")
	}
	opt := embed.Options{
		BaseURL:     firstNonEmpty(m.baseURL, os.Getenv("SANAD_BASE_URL"), os.Getenv("OPENAI_BASE_URL")),
		APIKey:      firstNonEmpty(m.apiKey, os.Getenv("OPENAI_API_KEY")),
		Model:       model,
		BatchSize:   m.batchSize,
		Concurrency: m.concurrency,
		Timeout:     m.timeout,
		QueryPrefix: qp,
		DocPrefix:   dp,
	}
	if sameAsIndex {
		opt.Dimensions = have.Dimensions
	}
	switch kind {
	case "builtin":
		return embed.NewBuiltin(), nil
	case "openai":
		if opt.BaseURL == "" {
			return nil, usagef("--embedder openai needs --base-url (or SANAD_BASE_URL / OPENAI_BASE_URL)")
		}
		if opt.Model == "" {
			return nil, usagef("--embedder openai needs --embed-model")
		}
		return embed.NewOpenAI(opt)
	case "ollama":
		return embed.NewOllama(opt)
	}
	return nil, usagef("unknown embedder %q (want builtin, openai or ollama)", kind)
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

// checkCompatible refuses to query an index with vectors of another model.
func checkCompatible(dir string, have store.Config, e embed.Embedder) error {
	info := e.Info()
	want := have
	want.Embedder, want.Model, want.QueryPrefix, want.DocPrefix = info.Kind, info.Model, info.QueryPrefix, info.DocPrefix
	want.Dimensions = info.Dimensions
	if err := have.Mismatch(want); err != nil {
		return fmt.Errorf("index %s: %w.\nQuery it with the same embedder (or drop the flags to use the one it records), or rebuild it: sanad index --reindex --embedder %s PATH...", dir, err, info.Kind)
	}
	return nil
}
