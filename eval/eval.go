// Package eval measures retrieval quality: recall at 1, 5 and 10 and the
// mean reciprocal rank of the first relevant document, over a set of
// queries with known relevant documents.
//
// Queries come from a SQuAD v1.1 file (every paragraph a document, every
// question a query whose relevant documents are those with its
// paragraph's text), which is indexed in memory through the same indexer
// path as a real index, or from a JSONL file of queries against an
// existing index.
package eval

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/sanadhq/sanad"
	"github.com/sanadhq/sanad/chunk"
	"github.com/sanadhq/sanad/embed"
	"github.com/sanadhq/sanad/indexer"
	"github.com/sanadhq/sanad/search"
	"github.com/sanadhq/sanad/store"
)

// Depth is the rank cut-off of every metric: documents below rank Depth
// count as not found.
const Depth = 10

// Query is one evaluation query and the IDs of the documents (articles)
// that answer it.
type Query struct {
	Text     string   `json:"query"`
	Relevant []string `json:"relevant"`
}

// Corpus is a set of documents with queries over them.
type Corpus struct {
	Articles []sanad.Article
	Queries  []Query
}

// squad is the part of the SQuAD v1.1 layout that retrieval needs.
type squad struct {
	Data []struct {
		Title      string `json:"title"`
		Paragraphs []struct {
			Context string `json:"context"`
			QAs     []struct {
				Question string `json:"question"`
			} `json:"qas"`
		} `json:"paragraphs"`
	} `json:"data"`
}

// SQuADOptions control how a SQuAD file becomes a corpus.
type SQuADOptions struct {
	// Titles gives every paragraph its article's title. Off by default:
	// the task is paragraph retrieval, and a title shared by all the
	// paragraphs of an article would help find the article, not the
	// paragraph, and would make the figures incomparable with published
	// paragraph-only baselines.
	Titles bool
}

// ReadSQuAD reads a SQuAD v1.1 file. Every paragraph is one document with
// the ID "<article index>:<paragraph index>" (0-based, in file order);
// every question is a query whose relevant documents are all those whose
// text is identical to its own paragraph's (some datasets repeat
// paragraphs). Questions that are empty after trimming are skipped.
func ReadSQuAD(r io.Reader, opt SQuADOptions) (Corpus, error) {
	var sq squad
	if err := json.NewDecoder(r).Decode(&sq); err != nil {
		return Corpus{}, fmt.Errorf("read SQuAD: %w", err)
	}
	var c Corpus
	byText := make(map[string][]string)
	type pending struct{ question, context string }
	var qs []pending
	for i, art := range sq.Data {
		for j, p := range art.Paragraphs {
			id := strconv.Itoa(i) + ":" + strconv.Itoa(j)
			a := sanad.Article{ID: id, Source: "squad:" + id, Text: p.Context}
			if opt.Titles {
				a.Title = art.Title
			}
			c.Articles = append(c.Articles, a)
			byText[p.Context] = append(byText[p.Context], id)
			for _, q := range p.QAs {
				if t := strings.TrimSpace(q.Question); t != "" {
					qs = append(qs, pending{t, p.Context})
				}
			}
		}
	}
	if len(c.Articles) == 0 {
		return Corpus{}, errors.New("read SQuAD: no paragraphs (is this a SQuAD v1.1 file?)")
	}
	for _, q := range qs {
		c.Queries = append(c.Queries, Query{Text: q.question, Relevant: byText[q.context]})
	}
	return c, nil
}

// ReadQueries reads JSONL queries, one {"query": ..., "relevant": [ids]}
// object a line; blank lines are skipped.
func ReadQueries(r io.Reader) ([]Query, error) {
	var out []Query
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var q Query
		if err := json.Unmarshal([]byte(line), &q); err != nil {
			return nil, fmt.Errorf("queries line %d: %w", n, err)
		}
		if strings.TrimSpace(q.Text) == "" || len(q.Relevant) == 0 {
			return nil, fmt.Errorf("queries line %d: want a non-empty \"query\" and \"relevant\" IDs", n)
		}
		out = append(out, q)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read queries: %w", err)
	}
	if len(out) == 0 {
		return nil, errors.New("read queries: no queries")
	}
	return out, nil
}

// Build indexes articles into a new in-memory store through the same
// furniture, chunking, analysis and embedding as indexer.Run, so that what
// is measured is what an index on disk would give. It counts furniture over
// all the articles, where indexer.Run reads ahead 1,000: the same for sets
// of that size or less, as ARCD's are.
func Build(ctx context.Context, emb embed.Embedder, articles []sanad.Article, opt chunk.Options) (*store.Store, error) {
	fc := indexer.NewFurnitureCounter()
	for _, a := range articles {
		fc.Add(a.Text)
	}
	furniture := fc.Furniture()
	puts := make([]store.Put, 0, len(articles))
	for _, a := range articles {
		if p := furniture.Prepare(a, opt); len(p.Chunks) > 0 {
			puts = append(puts, p)
		}
	}
	if err := indexer.Embed(ctx, emb, puts); err != nil {
		return nil, fmt.Errorf("embed: %w", err)
	}
	st := store.NewMemory()
	if _, err := st.Commit(indexer.Config(emb.Info(), opt), puts, nil); err != nil {
		return nil, fmt.Errorf("index: %w", err)
	}
	return st, nil
}

// Metrics are the results of one ranking over a query set. Recall@k is the
// share of queries with a relevant document in the top k; MRR@10 is the
// mean of 1/rank of the first relevant document (0 when below rank 10).
type Metrics struct {
	R1      float64 `json:"recall@1"`
	R5      float64 `json:"recall@5"`
	R10     float64 `json:"recall@10"`
	MRR10   float64 `json:"mrr@10"`
	Queries int     `json:"queries"`
	Seconds float64 `json:"seconds"`
}

// Score computes the metrics from the rank (1-based) of the first relevant
// document of each query, 0 for none found.
func Score(firstRelevant []int) Metrics {
	m := Metrics{Queries: len(firstRelevant)}
	if m.Queries == 0 {
		return m
	}
	for _, r := range firstRelevant {
		if r < 1 || r > Depth {
			continue
		}
		if r <= 1 {
			m.R1++
		}
		if r <= 5 {
			m.R5++
		}
		m.R10++
		m.MRR10 += 1 / float64(r)
	}
	n := float64(m.Queries)
	m.R1, m.R5, m.R10, m.MRR10 = m.R1/n, m.R5/n, m.R10/n, m.MRR10/n
	return m
}

// chunkDepth is how many passages are retrieved per query to find Depth
// distinct documents: long documents have several chunks, and several of
// them may rank high.
const chunkDepth = 5 * Depth

// Run ranks documents for every query with one mode and scores the
// ranking. A document ranks by its best chunk. Seconds is the wall time of
// the queries, embedding them included.
func Run(ctx context.Context, s search.Searcher, queries []Query, mode search.Mode) (Metrics, error) {
	start := time.Now()
	first := make([]int, len(queries))
	for i, q := range queries {
		hits, err := s.Search(ctx, q.Text, chunkDepth, mode, "")
		if err != nil {
			return Metrics{}, fmt.Errorf("query %d: %w", i+1, err)
		}
		first[i] = FirstRelevant(Documents(hits, Depth), q.Relevant)
	}
	m := Score(first)
	m.Seconds = time.Since(start).Seconds()
	return m, nil
}

// Documents returns the distinct article IDs of hits in rank order, at
// most n of them.
func Documents(hits []sanad.Hit, n int) []string {
	var out []string
	seen := make(map[string]bool)
	for _, h := range hits {
		if len(out) == n {
			break
		}
		if !seen[h.Article.ID] {
			seen[h.Article.ID] = true
			out = append(out, h.Article.ID)
		}
	}
	return out
}

// FirstRelevant returns the 1-based rank of the first of docs that is in
// relevant, or 0 when none is.
func FirstRelevant(docs, relevant []string) int {
	for i, d := range docs {
		for _, r := range relevant {
			if d == r {
				return i + 1
			}
		}
	}
	return 0
}
