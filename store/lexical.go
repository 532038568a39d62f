package store

import (
	"container/heap"
	"strings"

	"github.com/sanadhq/sanad"
	"github.com/sanadhq/sanad/analysis"
	"github.com/sanadhq/sanad/bm25"
)

// SearchLexical returns up to k chunks ranked by BM25 for a query, best
// first, skipping the chunks of the article named exclude. The query is
// analysed as chunks were (analysis.LexicalTerms), and statistics are
// those of the whole index: the snapshot less what the log replaced, and
// the log.
func (s *Store) SearchLexical(query string, k int, exclude string) []sanad.Hit {
	terms := analysis.LexicalTerms(query)
	s.mu.RLock()
	defer s.mu.RUnlock()
	_, n := s.counts()
	if k <= 0 || n == 0 || len(terms) == 0 {
		return nil
	}
	total := s.lexical.TotalLen()
	if s.snap != nil {
		total += int64(s.snap.header.totalLen) - s.goneLen
	}
	avg := float64(total) / float64(n)
	if avg == 0 {
		return nil
	}

	// Repeated query terms count once per occurrence, as in Lucene.
	weight := make(map[string]int, len(terms))
	var order []string
	for _, t := range terms {
		if weight[t] == 0 {
			order = append(order, t)
		}
		weight[t]++
	}
	var snapScores []float64
	var touched []uint32
	var lens []float32
	if s.snap != nil {
		snapScores = s.snap.scores()
		defer s.snap.putScores(snapScores, &touched)
		lens = s.snap.lengths()
	}
	// BM25's length normalisation, k1·(1-b+b·len/avg), as norm0 + norm1·len.
	k1, b := s.params.K1, s.params.B
	norm0, norm1 := k1*(1-b), k1*b/avg
	logScores := make(map[string]float64)
	for _, t := range order {
		var docs []uint32
		var tfs []uint16
		df := s.lexical.DF(t)
		if s.snap != nil {
			docs, tfs = s.snap.postings(t)
			if s.goneChks == 0 {
				df += len(docs)
			} else {
				for _, c := range docs {
					if int(c) < len(s.chunkGone) && !s.chunkGone[c] {
						df++
					}
				}
			}
		}
		if df == 0 {
			continue
		}
		idf := bm25.IDF(n, df) * float64(weight[t])
		w := idf * (k1 + 1)
		for j, c := range docs {
			if int(c) >= len(lens) || s.goneChks > 0 && s.chunkGone[c] {
				continue
			}
			if snapScores[c] == 0 {
				touched = append(touched, c)
			}
			tf := float64(tfs[j])
			snapScores[c] += w * tf / (tf + norm0 + norm1*float64(lens[c]))
		}
		s.lexical.Postings(t, func(id string, tf, docLen int) {
			logScores[id] += s.params.Score(idf, tf, docLen, avg)
		})
	}

	skip := s.chunkCount(exclude)
	h := &topK{k: k + skip}
	for _, c := range touched {
		rec := s.snap.chunks[c]
		first, _ := s.snap.chunkRange(int(rec[2]))
		h.offer(scored{id: s.snap.id(int(rec[2])), index: int(c) - first, score: snapScores[c]})
	}
	for id, score := range logScores {
		art, i, _ := splitChunkID(id)
		h.offer(scored{id: art, index: i, score: score})
	}
	hits := make([]sanad.Hit, 0, k)
	for _, r := range h.sorted() {
		if r.id == exclude {
			continue
		}
		hit, ok := s.hit(chunkID(r.id, r.index), r.score)
		if !ok {
			continue
		}
		if hits = append(hits, hit); len(hits) == k {
			break
		}
	}
	rank(hits)
	return hits
}

type scored struct {
	id    string // article ID
	index int    // chunk within the article
	score float64
}

// better orders by score, then by article and chunk, so ties are stable.
func (a scored) better(b scored) bool {
	if a.score != b.score {
		return a.score > b.score
	}
	if c := strings.Compare(a.id, b.id); c != 0 {
		return c < 0
	}
	return a.index < b.index
}

// topK keeps the k best results offered; its heap root is the worst kept.
type topK struct {
	k     int
	items []scored
}

func (h *topK) Len() int           { return len(h.items) }
func (h *topK) Less(i, j int) bool { return h.items[j].better(h.items[i]) }
func (h *topK) Swap(i, j int)      { h.items[i], h.items[j] = h.items[j], h.items[i] }
func (h *topK) Push(x any)         { h.items = append(h.items, x.(scored)) }
func (h *topK) Pop() any {
	x := h.items[len(h.items)-1]
	h.items = h.items[:len(h.items)-1]
	return x
}

func (h *topK) offer(r scored) {
	if len(h.items) < h.k {
		heap.Push(h, r)
	} else if h.k > 0 && r.better(h.items[0]) {
		h.items[0] = r
		heap.Fix(h, 0)
	}
}

func (h *topK) sorted() []scored {
	out := make([]scored, len(h.items))
	for i := len(out) - 1; i >= 0; i-- {
		out[i] = heap.Pop(h).(scored)
	}
	return out
}
