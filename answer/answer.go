// Package answer answers a question from retrieved passages and cites
// them: generatively through any OpenAI-compatible chat model (Chat), or
// extractively from the passages' own sentences when no model is
// configured (Extract). Either way the answer is then checked (Verify):
// markers that name no source are removed, and sentences that the passage
// they cite does not support are flagged.
//
// Ask ties the steps together; each is exported on its own so that it can
// be tested, and reused, without a model or an index.
package answer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/sanadhq/sanad"
	"github.com/sanadhq/sanad/analysis"
	"github.com/sanadhq/sanad/embed"
)

// The values of sanad.Answer.Mode.
const (
	Generative = "generative"
	Extractive = "extractive"
)

// DefaultMaxContext is the default budget, in characters, of the passages
// given to a chat model: five passages of the default chunk size (1000)
// with room to spare. Arabic runs at about 2–4 characters per token in
// multilingual tokenizers, so the prompt stays near 2000–3000 tokens and
// fits, with the answer, in the 4096-token context Ollama gives a model by
// default. Ollama cuts an over-long prompt from the front without an
// error, which would drop the system instructions first.
const DefaultMaxContext = 6000

// MinSimilarity is the relevance floor for a passage that shares no term
// with the question: below this cosine similarity between question and
// passage it is not given to the model. It is set for multilingual
// embedding models such as bge-m3, whose unrelated pairs of news texts
// score about 0.3–0.45; with the builtin embedder, which is lexical, a
// passage without a shared term scores near 0 anyway.
const MinSimilarity = 0.5

// Options configures Ask.
type Options struct {
	// Chat generates the answer; nil gives the extractive answer.
	Chat *Chat
	// Embedder, when set, adds embedding similarity to the relevance floor
	// and to the support check. It is normally the index's own embedder.
	Embedder embed.Embedder
	// MaxContext bounds the characters of the passages given to the
	// model; 0 means DefaultMaxContext.
	MaxContext int
	// Out receives the answer as it is produced: the model's text as it
	// arrives (the request is then streamed), or the extractive answer
	// whole. With Out nil the model is asked for its answer in one piece.
	Out io.Writer
	// NoFallback makes a failure of the chat model an error, instead of a
	// reason to give the extractive answer.
	NoFallback bool
	// OnFallback, when set, is told why the chat model's answer was
	// replaced by the extractive one.
	OnFallback func(error)
}

// Ask answers question from hits, the passages retrieved for it, best
// first. Passages below the relevance floor are dropped first (see
// Relevant); when none is left the answer says so and no model is called.
// The rest, numbered from 1 and within the context budget, are the
// sources: the model's, or the extractive answer's. The answer is then
// verified, and the returned Answer holds the cleaned text, the cited
// sources, what verification found, and every source in Retrieved.
//
// Ask returns an error only when the context ends, when writing to Out
// fails, or when the chat model fails and NoFallback is set.
func Ask(ctx context.Context, question string, hits []sanad.Hit, opt Options) (sanad.Answer, error) {
	question = strings.TrimSpace(question)
	ans := sanad.Answer{
		Question:         question,
		Mode:             Extractive,
		Citations:        []sanad.Citation{},
		InvalidCitations: []string{},
		Unsupported:      []string{},
	}
	vecs := newVectors(opt.Embedder)
	srcs := Sources(relevant(ctx, question, hits, vecs), opt.MaxContext)
	ans.Retrieved = srcs
	out := &countingWriter{w: opt.Out}

	if len(srcs) == 0 {
		ans.Text = nothingRelevant(question)
		return ans, out.write(ans.Text)
	}
	if opt.Chat != nil {
		var w io.Writer
		if opt.Out != nil {
			w = out
		}
		text, err := opt.Chat.Complete(ctx, BuildPrompt(question, srcs), w)
		switch {
		case err == nil:
			ans.Mode, ans.Model, ans.Text = Generative, opt.Chat.Model(), text
		case ctx.Err() != nil:
			return ans, ctx.Err()
		case out.err != nil:
			return ans, out.err
		case opt.NoFallback:
			return ans, err
		default:
			if opt.OnFallback != nil {
				opt.OnFallback(err)
			}
			if out.n > 0 {
				// Set the extractive answer apart from the cut-off one.
				if err := out.write("\n\n"); err != nil {
					return ans, err
				}
			}
		}
	}
	if ans.Mode == Extractive {
		ans.Text = Extract(question, srcs)
		if err := out.write(ans.Text); err != nil {
			return ans, err
		}
	}
	v := verify(ctx, ans.Text, srcs, vecs)
	ans.Text = v.Text
	ans.Citations = v.Citations
	ans.InvalidCitations = v.Invalid
	ans.Unsupported = v.Unsupported
	return ans, nil
}

// countingWriter remembers whether anything was written, and the first
// write error, so that Ask can tell a failing terminal from a failing
// model.
type countingWriter struct {
	w   io.Writer
	n   int
	err error
}

func (c *countingWriter) Write(p []byte) (int, error) {
	if c.w == nil {
		return len(p), nil
	}
	n, err := c.w.Write(p)
	c.n += n
	if err != nil && c.err == nil {
		c.err = fmt.Errorf("write answer: %w", err)
	}
	return n, c.err
}

func (c *countingWriter) write(s string) error {
	_, err := io.WriteString(c, s)
	return err
}

// Sources numbers hits from 1, in order, as the citations they can
// become, keeping whole passages within maxContext characters (0 means
// DefaultMaxContext). The first passage is always kept; a later one that
// does not fit is skipped and a shorter one after it may still be taken.
// Passages are never cut, so that a quote is always a whole chunk.
func Sources(hits []sanad.Hit, maxContext int) []sanad.Citation {
	if maxContext <= 0 {
		maxContext = DefaultMaxContext
	}
	out := []sanad.Citation{}
	used := 0
	for _, h := range hits {
		n := utf8.RuneCountInString(h.Chunk.Text)
		if len(out) > 0 && used+n > maxContext {
			continue
		}
		used += n
		out = append(out, sanad.Citation{
			N:         len(out) + 1,
			ArticleID: h.Article.ID,
			Title:     h.Article.Title,
			Source:    h.Article.Source,
			Date:      h.Article.Date,
			ChunkID:   h.Chunk.ID,
			Start:     h.Chunk.Start,
			End:       h.Chunk.End,
			Quote:     h.Chunk.Text,
		})
	}
	return out
}

// Relevant returns the hits that clear the relevance floor, in order: a
// passage is relevant when it shares at least one analysed term with the
// question (so the light stemmer and Arabic normalisation apply), or,
// with an embedder, when its similarity to the question is at least
// MinSimilarity. Search always returns its k best, however poor; this is
// what lets Ask say that nothing relevant was found instead of asking a
// model to answer from unrelated text.
func Relevant(ctx context.Context, question string, hits []sanad.Hit, emb embed.Embedder) []sanad.Hit {
	return relevant(ctx, question, hits, newVectors(emb))
}

func relevant(ctx context.Context, question string, hits []sanad.Hit, vecs *vectors) []sanad.Hit {
	qterms := termSet(question)
	var out, rest []sanad.Hit
	for _, h := range hits {
		if sharesTerm(qterms, h) {
			out = append(out, h)
		} else {
			rest = append(rest, h)
		}
	}
	if len(rest) > 0 && vecs.emb != nil {
		texts := make([]string, len(rest))
		for i, h := range rest {
			texts[i] = h.Chunk.Text
		}
		q, err := vecs.query(ctx, question)
		var ps [][]float32
		if err == nil {
			ps, err = vecs.docs(ctx, texts)
		}
		if err != nil {
			slog.Warn("answer: relevance check by embedding failed; using shared terms only", "err", err)
		} else {
			for i, h := range rest {
				if cosine(q, ps[i]) >= MinSimilarity {
					out = append(out, h)
				}
			}
		}
	}
	// Keep the retrieval order.
	kept := make(map[string]bool, len(out))
	for _, h := range out {
		kept[h.Chunk.ID] = true
	}
	res := make([]sanad.Hit, 0, len(out))
	for _, h := range hits {
		if kept[h.Chunk.ID] {
			res = append(res, h)
		}
	}
	return res
}

func sharesTerm(qterms map[string]bool, h sanad.Hit) bool {
	for _, t := range analysis.Terms(h.Article.Title + "\n" + h.Chunk.Text) {
		if qterms[t] {
			return true
		}
	}
	return false
}

// termSet is the set of analysed terms of s.
func termSet(s string) map[string]bool {
	m := make(map[string]bool)
	for _, t := range analysis.Terms(s) {
		m[t] = true
	}
	return m
}

// IsArabic reports whether s is written mostly in Arabic script: it has
// more Arabic letters than letters of other scripts. It decides the
// language of answers and messages.
func IsArabic(s string) bool {
	ar, other := 0, 0
	for _, r := range s {
		switch {
		case !unicode.IsLetter(r):
		case unicode.Is(unicode.Arabic, r):
			ar++
		default:
			other++
		}
	}
	return ar > other
}

// nothingRelevant is the answer when no passage clears the floor.
func nothingRelevant(question string) string {
	if IsArabic(question) {
		return "لم أجد في المقالات المفهرسة ما يتعلق بهذا السؤال، لذلك لا أستطيع الإجابة عنه منها."
	}
	return "Nothing in the indexed articles is relevant to this question, so it cannot be answered from them."
}

// vectors embeds texts with the Arabic normalisation of package analysis,
// so that harakat, tatweel and letter variants do not change a
// similarity, and remembers them: the relevance and support checks embed
// the same passages.
type vectors struct {
	emb   embed.Embedder
	cache map[string][]float32
}

func newVectors(emb embed.Embedder) *vectors {
	return &vectors{emb: emb, cache: make(map[string][]float32)}
}

var errNoEmbedder = errors.New("no embedder")

func (v *vectors) query(ctx context.Context, text string) ([]float32, error) {
	if v.emb == nil {
		return nil, errNoEmbedder
	}
	return v.emb.EmbedQuery(ctx, analysis.Normalize(text))
}

// docs returns the vectors of texts, in order, embedding only those not
// seen before, in one request.
func (v *vectors) docs(ctx context.Context, texts []string) ([][]float32, error) {
	if v.emb == nil {
		return nil, errNoEmbedder
	}
	var missing []string
	for _, t := range texts {
		n := analysis.Normalize(t)
		if _, ok := v.cache[n]; !ok {
			v.cache[n] = nil
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		got, err := v.emb.EmbedDocuments(ctx, missing)
		if err != nil {
			for _, n := range missing {
				delete(v.cache, n)
			}
			return nil, err
		}
		for i, n := range missing {
			v.cache[n] = got[i]
		}
	}
	out := make([][]float32, len(texts))
	for i, t := range texts {
		out[i] = v.cache[analysis.Normalize(t)]
	}
	return out, nil
}

// cosine is the similarity of two vectors; embedders return unit vectors,
// but a guard costs little against one that does not.
func cosine(a, b []float32) float64 {
	if len(a) != len(b) || len(a) == 0 {
		return 0
	}
	var dot, na, nb float64
	for i := range a {
		x, y := float64(a[i]), float64(b[i])
		dot += x * y
		na += x * x
		nb += y * y
	}
	if na == 0 || nb == 0 {
		return 0
	}
	return dot / math.Sqrt(na*nb)
}
