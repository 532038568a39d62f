// Package bm25 is Okapi BM25: its scoring formula and an in-memory index of
// analysed documents (in sanad, chunks) updated incrementally as documents
// are added and removed.
//
// It knows nothing of text analysis: callers pass the terms produced by
// package analysis, so that indexing and querying always agree.
package bm25

import (
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

type posting struct {
	slot int32
	tf   int32
}

type doc struct {
	id     string
	length int32
	terms  []int32 // distinct term IDs, to undo document frequencies on removal
	live   bool
}

// Index holds the statistics BM25 needs for a set of documents: postings,
// document frequencies and lengths. Scoring is left to the caller (package
// store merges it with the statistics of its on-disk snapshot), with IDF
// and Params.Score. It is not safe for concurrent writes; reads are safe
// while no write is in progress.
//
// Terms are numbered as they are first seen, so that postings and document
// frequencies are slices indexed by term rather than maps: adding a chunk
// of a thousand terms is one map lookup per term and a sort.
type Index struct {
	termIDs  map[string]int32
	terms    []string
	postings [][]posting // by term ID
	df       []int32     // by term ID
	docs     []doc
	slots    map[string]int32
	live     int
	totalLen int64
	dead     int
	counts   []int32 // by term ID, zero between calls of Add
}

// New returns an empty index.
func New() *Index {
	return &Index{termIDs: make(map[string]int32), slots: make(map[string]int32)}
}

// Len is the number of documents in the index.
func (ix *Index) Len() int { return ix.live }

// Add indexes a document under id, replacing any document with that id.
func (ix *Index) Add(id string, terms []string) {
	ix.Remove(id)
	// Term frequencies are counted in a slice indexed by term ID, reset
	// after use: no map or sort per document.
	var distinct []int32
	for _, t := range terms {
		tid, ok := ix.termIDs[t]
		if !ok {
			tid = int32(len(ix.terms))
			ix.termIDs[t] = tid
			ix.terms = append(ix.terms, t)
			ix.postings = append(ix.postings, nil)
			ix.df = append(ix.df, 0)
			ix.counts = append(ix.counts, 0)
		}
		if ix.counts[tid] == 0 {
			distinct = append(distinct, tid)
		}
		ix.counts[tid]++
	}
	slot := int32(len(ix.docs))
	for _, tid := range distinct {
		ix.postings[tid] = append(ix.postings[tid], posting{slot: slot, tf: ix.counts[tid]})
		ix.df[tid]++
		ix.counts[tid] = 0
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
		ix.df[t]--
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
		ix.postings[t] = kept
	}
	ix.docs = docs
	ix.dead = 0
}

// IDF is the inverse document frequency of a term that occurs in df of n
// documents, in Lucene's non-negative form: ln(1 + (n - df + 0.5) / (df + 0.5)).
func IDF(n, df int) float64 {
	return math.Log(1 + (float64(n)-float64(df)+0.5)/(float64(df)+0.5))
}

// Score is the BM25 contribution of a term of inverse document frequency
// idf that occurs tf times in a document of docLen terms, where documents
// average avgLen terms.
func (p Params) Score(idf float64, tf, docLen int, avgLen float64) float64 {
	norm := p.K1 * (1 - p.B + p.B*float64(docLen)/avgLen)
	return idf * float64(tf) * (p.K1 + 1) / (float64(tf) + norm)
}

// TotalLen is the number of terms in all documents together.
func (ix *Index) TotalLen() int64 { return ix.totalLen }

// DF is the number of documents that contain term.
func (ix *Index) DF(term string) int {
	if tid, ok := ix.termIDs[term]; ok {
		return int(ix.df[tid])
	}
	return 0
}

// Postings calls fn for every document that contains term, with the
// term's frequency in it and the document's length.
func (ix *Index) Postings(term string, fn func(id string, tf, docLen int)) {
	tid, ok := ix.termIDs[term]
	if !ok {
		return
	}
	for _, p := range ix.postings[tid] {
		if d := &ix.docs[p.slot]; d.live {
			fn(d.id, int(p.tf), int(d.length))
		}
	}
}

// Terms returns every term that occurs in some document, in no order.
func (ix *Index) Terms() []string {
	var out []string
	for tid, n := range ix.df {
		if n > 0 {
			out = append(out, ix.terms[tid])
		}
	}
	return out
}

// DocLen is the length of a document, and false when it is not indexed.
func (ix *Index) DocLen(id string) (int, bool) {
	slot, ok := ix.slots[id]
	if !ok {
		return 0, false
	}
	return int(ix.docs[slot].length), true
}
