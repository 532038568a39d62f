// Package search ranks indexed passages for a query, and articles related
// to an article, by vector similarity, BM25, or a fusion of both.
package search

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/sanadhq/sanad"
	"github.com/sanadhq/sanad/embed"
	"github.com/sanadhq/sanad/store"
)

// Mode selects the ranking.
type Mode string

// The rankings: Hybrid fuses the vector and lexical rankings.
const (
	Hybrid  Mode = "hybrid"
	Vector  Mode = "vector"
	Lexical Mode = "lexical"
)

// ParseMode checks a mode name given by a user.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(strings.ToLower(s)); m {
	case Hybrid, Vector, Lexical:
		return m, nil
	}
	return "", fmt.Errorf("unknown mode %q (want hybrid, vector or lexical)", s)
}

// rrfK damps the weight of top ranks in the reciprocal-rank aggregation
// of Related; 60 is the value of the original paper (Cormack et al., 2009).
const rrfK = 60

// vectorWeight is the vector ranking's share in hybrid fusion, against 1
// for BM25. It was fitted on ARCD's training split with the built-in
// embedder (see eval/RESULTS.md): that embedder is lexical too, so it
// mostly breaks BM25's near-ties; a semantic model would earn more.
const vectorWeight = 0.3

// Searcher answers queries against one index with the embedder that built it.
type Searcher struct {
	Store    *store.Store
	Embedder embed.Embedder
}

// Search returns the k best passages for a natural-language query, best
// first. Chunks of the article named exclude are skipped.
func (s Searcher) Search(ctx context.Context, query string, k int, mode Mode, exclude string) ([]sanad.Hit, error) {
	if k <= 0 {
		return nil, nil
	}
	var vec []float32
	if mode != Lexical {
		v, err := s.Embedder.EmbedQuery(ctx, query)
		if err != nil {
			return nil, fmt.Errorf("embed query: %w", err)
		}
		vec = v
	}
	return s.rank(ctx, vec, query, k, mode, exclude)
}

// rank runs the rankings the mode asks for on a query and its vector.
func (s Searcher) rank(ctx context.Context, vec []float32, query string, k int, mode Mode, exclude string) ([]sanad.Hit, error) {
	switch mode {
	case Lexical:
		return s.Store.SearchLexical(query, k, exclude), nil
	case Vector:
		return s.Store.SearchVector(ctx, vec, k, exclude)
	}
	// Each ranking contributes a deeper list than asked for, so that a
	// passage ranked moderately by both can rise above one ranked well by one.
	depth := max(4*k, 50)
	// BM25 runs beside the vector scan, which leaves cores idle at its end.
	lexical := make(chan []sanad.Hit, 1)
	go func() { lexical <- s.Store.SearchLexical(query, depth, exclude) }()
	vhits, err := s.Store.SearchVector(ctx, vec, depth, exclude)
	lhits := <-lexical
	if err != nil {
		return nil, err
	}
	return Fuse(k, Ranking{Hits: lhits, Weight: 1}, Ranking{Hits: vhits, Weight: vectorWeight}), nil
}

// Ranking is one ranked list of passages and its weight in a fusion.
type Ranking struct {
	Hits   []sanad.Hit
	Weight float64
}

// Fuse merges rankings of chunks and returns the k best, ranked anew. A
// chunk's score is the weighted sum over the rankings of its score there
// divided by that ranking's best score (0 where it is absent or scores
// below 0).
//
// Scaling by the best score keeps what reciprocal-rank fusion throws away:
// how far apart the scores are. When BM25 ranks one passage far above the
// rest, a close vector ranking should not overturn it, and when BM25's top
// passages are near-ties, the vector ranking decides. On ARCD this beats
// RRF (k=60), which fused the two rankings worse than BM25 alone.
func Fuse(k int, rankings ...Ranking) []sanad.Hit {
	// Scores are summed on pointers into the rankings, and only the k
	// winners are copied out: a Hit is large, and hybrid search fuses
	// hundreds per query.
	type fused struct {
		hit   *sanad.Hit
		score float64
	}
	var all []fused
	byID := make(map[string]int)
	for _, r := range rankings {
		top := 0.0
		for _, h := range r.Hits {
			top = max(top, h.Score)
		}
		for i := range r.Hits {
			h := &r.Hits[i]
			j, ok := byID[h.Chunk.ID]
			if !ok {
				j = len(all)
				byID[h.Chunk.ID] = j
				all = append(all, fused{hit: h})
			}
			if top > 0 && h.Score > 0 {
				all[j].score += r.Weight * h.Score / top
			}
		}
	}
	slices.SortFunc(all, func(a, b fused) int {
		return cmp.Or(cmp.Compare(b.score, a.score), strings.Compare(a.hit.Chunk.ID, b.hit.Chunk.ID))
	})
	out := make([]sanad.Hit, min(max(k, 0), len(all)))
	for i := range out {
		out[i] = *all[i].hit
		out[i].Score, out[i].Rank = all[i].score, i+1
	}
	return out
}

// Relation is an article related to another, with the pair of passages
// that links them most strongly.
type Relation struct {
	Rank    int           `json:"rank"`
	Score   float64       `json:"score"`
	Article sanad.Article `json:"article"`
	// From is the passage of the given article, To the passage of this one.
	From sanad.Chunk `json:"from"`
	To   sanad.Chunk `json:"to"`
}

// Related ranks the indexed articles most related to an article given by
// its chunks and their vectors (an indexed one, or a new one embedded by the
// caller). The article named exclude, normally itself, is never in the list.
//
// Every chunk of the article is a query; an article's score is the sum over
// those queries of the fused reciprocal rank of its best chunk, so that an
// article related throughout beats one that shares a single passage.
func (s Searcher) Related(ctx context.Context, chunks []sanad.Chunk, vectors [][]float32, k int, mode Mode, exclude string) ([]Relation, error) {
	const perChunk = 20
	byArticle := make(map[string]*Relation)
	best := make(map[string]float64)
	for i, c := range chunks {
		var vec []float32
		if i < len(vectors) {
			vec = vectors[i]
		}
		hits, err := s.rank(ctx, vec, c.Text, perChunk, mode, exclude)
		if err != nil {
			return nil, err
		}
		counted := make(map[string]bool)
		for _, h := range hits {
			id := h.Article.ID
			if counted[id] {
				continue
			}
			counted[id] = true
			w := 1 / float64(rrfK+h.Rank)
			r := byArticle[id]
			if r == nil {
				r = &Relation{Article: h.Article}
				byArticle[id] = r
			}
			r.Score += w
			if w > best[id] {
				best[id] = w
				r.From, r.To = c, h.Chunk
			}
		}
	}
	out := make([]Relation, 0, len(byArticle))
	for _, r := range byArticle {
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b Relation) int {
		return cmp.Or(cmp.Compare(b.Score, a.Score), strings.Compare(a.Article.ID, b.Article.ID))
	})
	if len(out) > k {
		out = out[:k]
	}
	for i := range out {
		out[i].Rank = i + 1
	}
	return out, nil
}
