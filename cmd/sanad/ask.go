package main

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/sanadhq/sanad"
	"github.com/sanadhq/sanad/answer"
	"github.com/sanadhq/sanad/search"
)

// askFlags are the flags of `sanad ask`.
type askFlags struct {
	k           int
	maxContext  int
	temperature float32
	mode        string
	chatModel   string
	chatBaseURL string
	llm         string
	extractive  bool
	noFallback  bool
	chatTimeout time.Duration
}

func (a *app) askCommand() *cobra.Command {
	var f askFlags
	c := &cobra.Command{
		Use:   "ask QUESTION...",
		Short: "Answer a question from the indexed articles, citing and checking the passages it rests on",
		Long: `Retrieves the passages that best match a question and answers it from them,
with a [n] marker after every claim naming the source it rests on, in the
language of the question. The question can also come on stdin.

With a chat model configured (--chat-model, or --llm ollama for a local
Ollama with ` + answer.DefaultOllamaModel + `), the model writes the answer, streamed as it
is generated. Without one, or with --extractive, the answer quotes the
sentences of the passages that best answer the question. If the chat server
fails, the extractive answer is given instead (--no-fallback: fail).

Every answer is then verified: markers that name no source are removed, and
sentences that the passage they cite does not support are flagged. Below the
answer come the cited sources, each with the exact passage and its byte
offsets in the article, so that every claim can be checked. When nothing
relevant is indexed, sanad says so instead of asking the model.

The chat endpoint is any OpenAI-compatible API: --chat-base-url (env
SANAD_CHAT_BASE_URL), else the embedding endpoint's --base-url (SANAD_BASE_URL,
OPENAI_BASE_URL); the key is --api-key (OPENAI_API_KEY).`,
		Example: `  sanad ask "متى استخدم نظام الأسد الأسلحة الكيميائية؟"
  sanad ask --llm ollama "من يرأس الحكومة الانتقالية في سوريا؟"
  echo "What did the State Department deny?" | sanad ask --json --chat-model gpt-4o-mini --chat-base-url https://api.openai.com/v1`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := search.ParseMode(f.mode)
			if err != nil {
				return usageError{err}
			}
			switch {
			case f.k < 1:
				return usagef("-k must be at least 1")
			case f.maxContext < 1:
				return usagef("--max-context must be at least 1")
			case f.temperature < 0 || f.temperature > 2:
				return usagef("--temperature must be in [0, 2]")
			case f.chatTimeout <= 0:
				return usagef("--chat-timeout must be positive")
			}
			q, err := a.queryText(args)
			if err != nil {
				return err
			}
			chat, err := f.chat(&a.model)
			if err != nil {
				return err
			}
			st, emb, err := a.openIndex()
			if err != nil {
				return err
			}
			defer st.Close()
			hits, err := search.Searcher{Store: st, Embedder: emb}.Search(cmd.Context(), q, f.k, m, "")
			if err != nil {
				return err
			}
			opt := answer.Options{
				Chat:       chat,
				Embedder:   emb,
				MaxContext: f.maxContext,
				NoFallback: f.noFallback,
				OnFallback: func(err error) {
					fmt.Fprintf(a.stderr, "sanad: the chat model failed: %v\nsanad: giving the extractive answer instead (--no-fallback makes this an error)\n", err)
				},
			}
			if !a.json {
				opt.Out = a.stdout
			}
			ans, err := answer.Ask(cmd.Context(), q, hits, opt)
			if err != nil {
				return err
			}
			if a.json {
				return a.printJSON(ans)
			}
			a.printVerification(ans)
			return nil
		},
	}
	fl := c.Flags()
	fl.IntVarP(&f.k, "k", "k", 5, "number of passages to retrieve")
	fl.IntVar(&f.maxContext, "max-context", answer.DefaultMaxContext, "budget in characters for the passages given to the chat model")
	fl.Float32Var(&f.temperature, "temperature", 0.2, "sampling temperature of the chat model (0 for the most likely answer)")
	fl.StringVar(&f.mode, "mode", string(search.Hybrid), "ranking: hybrid, vector or lexical")
	fl.StringVar(&f.chatModel, "chat-model", "", "chat model for generated answers (env SANAD_CHAT_MODEL); none: extractive answers")
	fl.StringVar(&f.chatBaseURL, "chat-base-url", "", "OpenAI-compatible API root of the chat model (env SANAD_CHAT_BASE_URL; default --base-url)")
	fl.StringVar(&f.llm, "llm", "", "chat preset: ollama ("+answer.DefaultOllamaURL+", model "+answer.DefaultOllamaModel+" unless --chat-model)")
	fl.BoolVar(&f.extractive, "extractive", false, "answer by quoting the passages, without a chat model")
	fl.BoolVar(&f.noFallback, "no-fallback", false, "fail when the chat model fails, instead of giving the extractive answer")
	fl.DurationVar(&f.chatTimeout, "chat-timeout", answer.DefaultTimeout, "longest wait for the chat model's answer to start, or to continue")
	return c
}

// chat builds the chat model the flags and environment ask for, or nil
// for extractive answers.
func (f *askFlags) chat(m *modelFlags) (*answer.Chat, error) {
	if f.extractive {
		return nil, nil
	}
	model := firstNonEmpty(f.chatModel, os.Getenv("SANAD_CHAT_MODEL"))
	base := firstNonEmpty(f.chatBaseURL, os.Getenv("SANAD_CHAT_BASE_URL"))
	key := firstNonEmpty(m.apiKey, os.Getenv("OPENAI_API_KEY"))
	switch f.llm {
	case "ollama":
		model = firstNonEmpty(model, answer.DefaultOllamaModel)
		base = firstNonEmpty(base, answer.DefaultOllamaURL)
		// Ollama ignores the key, but some proxies in front of it insist on one.
		key = firstNonEmpty(key, "ollama")
	case "":
		if model == "" {
			return nil, nil
		}
		base = firstNonEmpty(base, m.baseURL, os.Getenv("SANAD_BASE_URL"), os.Getenv("OPENAI_BASE_URL"))
		if base == "" {
			return nil, usagef("--chat-model needs an endpoint: --chat-base-url (or SANAD_CHAT_BASE_URL, --base-url, SANAD_BASE_URL, OPENAI_BASE_URL), or --llm ollama for a local Ollama")
		}
	default:
		return nil, usagef("unknown --llm %q (want ollama)", f.llm)
	}
	c, err := answer.NewChat(answer.ChatOptions{
		BaseURL:     base,
		APIKey:      key,
		Model:       model,
		Temperature: f.temperature,
		Timeout:     f.chatTimeout,
	})
	if err != nil {
		return nil, usageError{err}
	}
	return c, nil
}

// printVerification follows an answer already written to stdout with what
// verification found and the sources it cites, each with the exact passage
// and its offsets.
func (a *app) printVerification(ans sanad.Answer) {
	w := a.stdout
	fmt.Fprintln(w)
	if len(ans.Retrieved) == 0 {
		return
	}
	fmt.Fprintln(w)
	switch {
	case len(ans.InvalidCitations) == 0 && len(ans.Unsupported) == 0 && len(ans.Citations) > 0:
		fmt.Fprintln(w, "Verified: every citation names a source, and every cited sentence is supported by its passage.")
	case len(ans.InvalidCitations) > 0 || len(ans.Unsupported) > 0:
		fmt.Fprintln(w, a.bold("Verification:"))
		for _, m := range ans.InvalidCitations {
			fmt.Fprintf(w, "  removed %s: there is no such source (%d were given)\n", m, len(ans.Retrieved))
		}
		for _, s := range ans.Unsupported {
			fmt.Fprintf(w, "  not supported by the passage it cites: %s\n", s)
		}
	}
	if len(ans.Citations) == 0 {
		return
	}
	fmt.Fprintln(w, "\n"+a.bold("Sources:"))
	for _, c := range ans.Citations {
		fmt.Fprintf(w, "[%d] %s — %s%s\n", c.N, a.bold(c.Title), c.Source, dashDate(c.Date))
		fmt.Fprintf(w, "    %s, bytes %d-%d:\n", c.ChunkID, c.Start, c.End)
		for _, line := range strings.Split(c.Quote, "\n") {
			fmt.Fprintf(w, "    │ %s\n", line)
		}
	}
}

func dashDate(d string) string {
	if d == "" {
		return ""
	}
	return " — " + d
}
