// Package bm25 is an in-memory Okapi BM25 index over analysed documents
// (in sanad, chunks), updated incrementally as documents are added and
// removed.
//
// It knows nothing of text analysis: callers pass the terms produced by
// package analysis, so that indexing and querying always agree.
package bm25

import (
	"container/heap"
	"math"
)

// Params are the BM25 free parameters.
type Params struct {
	// K1 controls how quickly repeated terms saturate.
	K1 float64
	// B controls how strongly scores are normalised by document length.
	B float64
}

// DefaultParams are the values Lucene uses (k1=1.2, b=0.75).
func DefaultParams() Params { return Params{K1: 1.2, B: 0.75} }

// Result is one scored document.
type Result struct {
	ID    string
	Score float64
}

type posting struct {
	slot int32
	tf   int32
}

type doc struct {
	id     string
	length int32
	terms  []string // distinct terms, to undo document frequencies on removal
	live   bool
}

// Index is a BM25 index. It is not safe for concurrent writes; concurrent
// Search calls are safe while no write is in progress.
type Index struct {
	params   Params
	postings map[string][]posting
	docs     []doc
	slots    map[string]int32
	df       map[string]int32
	live     int
	totalLen int64
	dead     int
}

// New returns an empty index.
func New(p Params) *Index {
	return &Index{
		params:   p,
		postings: make(map[string][]posting),
		slots:    make(map[string]int32),
		df:       make(map[string]int32),
	}
}

// Len is the number of documents in the index.
func (ix *Index) Len() int { return ix.live }

// Add indexes a document under id, replacing any document with that id.
func (ix *Index) Add(id string, terms []string) {
	ix.Remove(id)
	tf := make(map[string]int32, len(terms))
	for _, t := range terms {
		tf[t]++
	}
	slot := int32(len(ix.docs))
	distinct := make([]string, 0, len(tf))
	for t, n := range tf {
		ix.postings[t] = append(ix.postings[t], posting{slot: slot, tf: n})
		ix.df[t]++
		distinct = append(distinct, t)
	}
	ix.docs = append(ix.docs, doc{id: id, length: int32(len(terms)), terms: distinct, live: true})
	ix.slots[id] = slot
	ix.live++
	ix.totalLen += int64(len(terms))
}

// Remove drops the document with the given id, if present.
func (ix *Index) Remove(id string) {
	slot, ok := ix.slots[id]
	if !ok {
		return
	}
	d := &ix.docs[slot]
	for _, t := range d.terms {
		if ix.df[t]--; ix.df[t] == 0 {
			delete(ix.df, t)
		}
	}
	d.live = false
	d.terms = nil
	ix.totalLen -= int64(d.length)
	ix.live--
	ix.dead++
	delete(ix.slots, id)
	// Postings of removed documents are skipped at query time; once they are
	// the majority, rebuilding is cheaper than skipping them.
	if ix.dead > 1024 && ix.dead > ix.live {
		ix.compact()
	}
}

func (ix *Index) compact() {
	remap := make([]int32, len(ix.docs))
	docs := make([]doc, 0, ix.live)
	for i, d := range ix.docs {
		remap[i] = -1
		if d.live {
			remap[i] = int32(len(docs))
			ix.slots[d.id] = int32(len(docs))
			docs = append(docs, d)
		}
	}
	for t, ps := range ix.postings {
		kept := ps[:0]
		for _, p := range ps {
			if s := remap[p.slot]; s >= 0 {
				kept = append(kept, posting{slot: s, tf: p.tf})
			}
		}
		if len(kept) == 0 {
			delete(ix.postings, t)
		} else {
			ix.postings[t] = kept
		}
	}
	ix.docs = docs
	ix.dead = 0
}

// IDF is the inverse document frequency of a term, in Lucene's
// non-negative form: ln(1 + (N - df + 0.5) / (df + 0.5)).
func (ix *Index) IDF(term string) float64 {
	df := float64(ix.df[term])
	n := float64(ix.live)
	return math.Log(1 + (n-df+0.5)/(df+0.5))
}

// Search scores every document that shares a term with the query and
// returns the k best, best first. Repeated query terms count once per
// occurrence, as in Lucene.
func (ix *Index) Search(query []string, k int) []Result {
	if k <= 0 || ix.live == 0 {
		return nil
	}
	avgLen := float64(ix.totalLen) / float64(ix.live)
	scores := make(map[int32]float64)
	k1, b := ix.params.K1, ix.params.B
	for _, t := range query {
		ps := ix.postings[t]
		if len(ps) == 0 {
			continue
		}
		idf := ix.IDF(t)
		for _, p := range ps {
			d := &ix.docs[p.slot]
			if !d.live {
				continue
			}
			tf := float64(p.tf)
			norm := k1 * (1 - b + b*float64(d.length)/avgLen)
			scores[p.slot] += idf * tf * (k1 + 1) / (tf + norm)
		}
	}
	return ix.top(scores, k)
}

func (ix *Index) top(scores map[int32]float64, k int) []Result {
	h := &resultHeap{}
	for slot, s := range scores {
		r := Result{ID: ix.docs[slot].id, Score: s}
		if h.Len() < k {
			heap.Push(h, r)
		} else if better(r, (*h)[0]) {
			(*h)[0] = r
			heap.Fix(h, 0)
		}
	}
	out := make([]Result, h.Len())
	for i := len(out) - 1; i >= 0; i-- {
		out[i] = heap.Pop(h).(Result)
	}
	return out
}

// better orders results by score, then by ID so that ties are stable.
func better(a, b Result) bool {
	if a.Score != b.Score {
		return a.Score > b.Score
	}
	return a.ID < b.ID
}

// resultHeap is a min-heap: its root is the worst of the k best so far.
type resultHeap []Result

func (h resultHeap) Len() int           { return len(h) }
func (h resultHeap) Less(i, j int) bool { return better(h[j], h[i]) }
func (h resultHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *resultHeap) Push(x any)        { *h = append(*h, x.(Result)) }
func (h *resultHeap) Pop() any {
	old := *h
	r := old[len(old)-1]
	*h = old[:len(old)-1]
	return r
}
