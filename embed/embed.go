// Package embed turns texts into unit-length vectors for the index.
//
// Three embedders share one interface: a builtin lexical one that works
// offline with no model files (NewBuiltin), and clients for any
// OpenAI-compatible embeddings endpoint (NewOpenAI) or a local Ollama server
// (NewOllama). Every vector they return has unit L2 length, so cosine
// similarity is a plain dot product, as chromem-go expects.
package embed

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
)

// Embedder turns texts into unit-length vectors.
type Embedder interface {
	// EmbedDocuments embeds passages for the index, in order: len(result)==len(texts).
	EmbedDocuments(ctx context.Context, texts []string) ([][]float32, error)
	// EmbedQuery embeds a search query (models such as e5 or nomic embed queries differently from passages).
	EmbedQuery(ctx context.Context, text string) ([]float32, error)
	// Info says what produced the vectors, so an index can refuse vectors of another model.
	Info() Info
}

// Info identifies an embedder's vectors. Two indexes' vectors are comparable
// only when their Infos are equal.
type Info struct {
	Kind        string // "builtin", "openai" or "ollama"
	Model       string // model name; for builtin a version string like "builtin-v1"
	Dimensions  int    // 0 when not yet known (a remote model before its first call)
	QueryPrefix string // prepended to queries before embedding
	DocPrefix   string // prepended to passages before embedding
}

// ErrDimensions reports a vector whose length differs from the one expected;
// errors that wrap it name both lengths.
var ErrDimensions = errors.New("vector dimensions differ")

// Normalize scales v in place to unit L2 length. It fails, leaving v as it
// was, when v is all zeros or holds a NaN or an infinity: such a vector has
// no direction, and passing it on would make every similarity NaN.
func Normalize(v []float32) error {
	var sum float64
	for i, x := range v {
		f := float64(x)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Errorf("vector holds %v at position %d", x, i)
		}
		sum += f * f
	}
	if sum == 0 {
		return errors.New("vector is all zeros")
	}
	inv := 1 / math.Sqrt(sum)
	for i, x := range v {
		v[i] = float32(float64(x) * inv)
	}
	return nil
}

// DefaultPrefixes returns the query and passage prefixes that a known
// embedding model was trained with, and ok=false for a model that needs none
// or is unknown. Models such as e5 and nomic-embed-text rank noticeably worse
// without their prefixes, so a caller that lets users pick a model can apply
// these unless the user set prefixes explicitly.
func DefaultPrefixes(model string) (query, doc string, ok bool) {
	m := strings.ToLower(model)
	switch {
	case strings.Contains(m, "nomic-embed-text"):
		return "search_query: ", "search_document: ", true
	case strings.Contains(m, "e5-small"), strings.Contains(m, "e5-base"), strings.Contains(m, "e5-large"):
		return "query: ", "passage: ", true
	}
	return "", "", false
}
