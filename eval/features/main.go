// Command features reruns the ranking experiments of eval/RESULTS.md
// ("Second round") on a SQuAD file, with the offline default's index:
//
//	go run ./eval/features FILE            # each feature added to the default, all fitted, 2-fold check
//	go run ./eval/features -necessity FILE # term-necessity weights, learned on one half, scored on the other
//	go run ./eval/features -chunks FILE    # hybrid and lexical MRR@10 / R@5 by chunk size
//	go run ./eval/features -misses FILE    # what ranks above the right paragraph when it is not first
//
// Every question is scored against every chunk, so it suits ARCD-sized
// sets only. Features are divided by their best value for the question;
// a combination is the default (BM25 + 0.3 × vector) plus weighted
// features, fitted by coordinate ascent on MRR@10. The two folds split
// the file's articles by the parity of their index.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/sanadhq/sanad/analysis"
	"github.com/sanadhq/sanad/bm25"
	"github.com/sanadhq/sanad/chunk"
	"github.com/sanadhq/sanad/embed"
	"github.com/sanadhq/sanad/eval"
	"github.com/sanadhq/sanad/search"
	"github.com/sanadhq/sanad/store"
)

func main() {
	necessity := flag.Bool("necessity", false, "held-out check of term-necessity weights")
	chunks := flag.Bool("chunks", false, "MRR@10 and R@5 by chunk size")
	misses := flag.Bool("misses", false, "classify the default ranking's misses")
	flag.Parse()
	if flag.NArg() != 1 {
		log.Fatal("usage: features [-necessity | -chunks | -misses] SQUAD.json")
	}
	path := flag.Arg(0)
	c := readCorpus(path)
	switch {
	case *chunks:
		chunkSizes(c)
	case *necessity:
		necessityCheck(path, c)
	case *misses:
		classifyMisses(c, score(c, chunk.DefaultOptions(), nil))
	default:
		fitFeatures(score(c, chunk.DefaultOptions(), nil))
	}
}

func readCorpus(path string) eval.Corpus {
	f, err := os.Open(path)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	c, err := eval.ReadSQuAD(f, eval.SQuADOptions{})
	if err != nil {
		log.Fatal(err)
	}
	return c
}

// passage is one indexed chunk, analysed for the features.
type passage struct {
	id, doc  string
	stems    []string // content-word stems in order
	terms    map[string]int
	length   int
	sentence []bag
}

type bag struct {
	terms  map[string]int
	length int
}

func bagOf(text string) bag {
	b := bag{terms: make(map[string]int)}
	for _, t := range analysis.LexicalTerms(text) {
		b.terms[t]++
		b.length++
	}
	return b
}

// stats are the collection statistics the features share.
type stats struct {
	n, avgLen, avgSentence, totalLen float64
	df                               map[string]int
	cf                               map[string]float64
	norm                             map[string]float64 // TF-IDF norm by chunk ID
}

func (s *stats) idf(t string) float64 {
	if s.df[t] == 0 {
		return 0
	}
	return bm25.IDF(int(s.n), s.df[t])
}

func (s *stats) bm25(q []string, weight func(string) float64, b bag, avg, k1, bNorm float64) float64 {
	p := bm25.Params{K1: k1, B: bNorm}
	sum := 0.0
	for _, t := range q {
		if tf := b.terms[t]; tf > 0 {
			sum += p.Score(weight(t)*s.idf(t), tf, b.length, avg)
		}
	}
	return sum
}

// question is a query with what its features need.
type question struct {
	rel      []string
	lexical  []string
	stems    []string
	stemSet  map[string]bool
	stemIDF  float64
	bm25     map[string]float64 // the store's BM25 by chunk ID
	vector   map[string]float64
	share3   map[string]float64 // per lexical term, its share of the top 3 BM25 chunks
	share10  map[string]float64
	stem10   map[string]float64
	wantsNum bool
	weight   map[string]float64 // term necessity per lexical term; nil for 1
}

// feature is one score of a (question, passage) pair.
type feature struct {
	name  string
	score func(s *stats, q *question, p *passage) float64
}

var one = func(string) float64 { return 1 }

var features = []feature{
	{"best sentence, BM25", func(s *stats, q *question, p *passage) float64 {
		best := 0.0
		for _, b := range p.sentence {
			best = max(best, s.bm25(q.lexical, one, b, s.avgSentence, 1.2, 0.75))
		}
		return best
	}},
	{"best pair of adjacent sentences, BM25", func(s *stats, q *question, p *passage) float64 {
		best := 0.0
		for i := range p.sentence {
			b := p.sentence[i]
			avg := s.avgSentence
			if i+1 < len(p.sentence) {
				b = bag{terms: make(map[string]int), length: b.length + p.sentence[i+1].length}
				for _, x := range p.sentence[i : i+2] {
					for t, n := range x.terms {
						b.terms[t] += n
					}
				}
				avg *= 2
			}
			best = max(best, s.bm25(q.lexical, one, b, avg, 1.2, 0.75))
		}
		return best
	}},
	{"coverage: IDF share of query stems in the chunk", func(s *stats, q *question, p *passage) float64 {
		return window(s, q, p.stems, len(p.stems), nil)
	}},
	{"coverage inside the best 10-word window", func(s *stats, q *question, p *passage) float64 {
		return window(s, q, p.stems, 10, nil)
	}},
	{"ordered query-stem bigrams within 3 words", func(s *stats, q *question, p *passage) float64 {
		sum := 0.0
		for i := 0; i+1 < len(q.stems); i++ {
			a, b := q.stems[i], q.stems[i+1]
		search:
			for j, w := range p.stems {
				if w != a {
					continue
				}
				for k := j + 1; k < len(p.stems) && k <= j+3; k++ {
					if p.stems[k] == b {
						sum += min(s.idf(a), s.idf(b))
						break search
					}
				}
			}
		}
		return sum
	}},
	{"BM25 over stems only", func(s *stats, q *question, p *passage) float64 {
		return s.bm25(q.stems, one, bag{p.terms, p.length}, s.avgLen, 1.2, 0.75)
	}},
	{"BM25, terms discounted by their share of the top 3", func(s *stats, q *question, p *passage) float64 {
		return s.bm25(q.lexical, func(t string) float64 { return 1 - 0.8*q.share3[t] }, bag{p.terms, p.length}, s.avgLen, 1.2, 0.75)
	}},
	{"BM25, terms discounted by their share of the top 10", func(s *stats, q *question, p *passage) float64 {
		return s.bm25(q.lexical, func(t string) float64 { return 1 - 0.8*q.share10[t] }, bag{p.terms, p.length}, s.avgLen, 1.2, 0.75)
	}},
	{"BM25 over stems, discounted by share of the top 10", func(s *stats, q *question, p *passage) float64 {
		return s.bm25(q.stems, func(t string) float64 { return 1 - 0.8*q.stem10[t] }, bag{p.terms, p.length}, s.avgLen, 1.2, 0.75)
	}},
	{"query likelihood, Dirichlet mu = 300 (min-max scaled)", func(s *stats, q *question, p *passage) float64 {
		const mu = 300.0
		sum := 0.0
		for _, t := range q.lexical {
			pc := (s.cf[t] + 0.5) / (s.totalLen + 1)
			sum += math.Log((float64(p.terms[t]) + mu*pc) / (float64(p.length) + mu))
		}
		return sum
	}},
	{"BM25 with b = 0.3", func(s *stats, q *question, p *passage) float64 {
		return s.bm25(q.lexical, one, bag{p.terms, p.length}, s.avgLen, 1.2, 0.3)
	}},
	{"BM25 with k1 = 2", func(s *stats, q *question, p *passage) float64 {
		return s.bm25(q.lexical, one, bag{p.terms, p.length}, s.avgLen, 2, 0.75)
	}},
	{"TF-IDF cosine over the same terms, unhashed", func(s *stats, q *question, p *passage) float64 {
		counts := make(map[string]float64)
		for _, t := range q.lexical {
			counts[t]++
		}
		dot, norm := 0.0, 0.0
		for t, c := range counts {
			if s.df[t] == 0 {
				continue
			}
			idf := math.Log(s.n / float64(s.df[t]))
			wq := (1 + math.Log(c)) * idf
			norm += wq * wq
			if tf := p.terms[t]; tf > 0 {
				dot += wq * (1 + math.Log(float64(tf))) * idf
			}
		}
		if norm == 0 || s.norm[p.id] == 0 {
			return 0
		}
		return dot / math.Sqrt(norm) / s.norm[p.id]
	}},
	{"answer type: when / how many near a number", func(s *stats, q *question, p *passage) float64 {
		if !q.wantsNum {
			return 0
		}
		return window(s, q, p.stems, 12, isNumber)
	}},
}

// necessityFeature is BM25 with each query word weighted by its term
// necessity; it is scored only by -necessity, with a table learned on the
// other fold.
var necessityFeature = feature{"BM25, query words weighted by term necessity", func(s *stats, q *question, p *passage) float64 {
	return s.bm25(q.lexical, func(t string) float64 { return q.weight[t] }, bag{p.terms, p.length}, s.avgLen, 1.2, 0.75)
}}

// window returns the best IDF share of the query's stems found within size
// consecutive words, counting only windows with a word that passes need.
func window(s *stats, q *question, words []string, size int, need func(string) bool) float64 {
	if q.stemIDF == 0 {
		return 0
	}
	best := 0.0
	for i := range words {
		seen := make(map[string]bool)
		sum, ok := 0.0, need == nil
		for _, w := range words[i:min(i+size, len(words))] {
			if q.stemSet[w] && !seen[w] {
				seen[w] = true
				sum += s.idf(w)
			}
			ok = ok || need(w)
		}
		if ok {
			best = max(best, sum)
		}
	}
	return best / q.stemIDF
}

var numberWords = func() map[string]bool {
	m := make(map[string]bool)
	for _, w := range strings.Fields(`واحد اثنان اثنين ثلاث ثلاثه اربع اربعه خمس خمسه ست سته سبع سبعه ثمان
		ثماني ثمانيه تسع تسعه عشر عشره عشرون عشرين مائه مئه ميه مئات الف الاف مليون ملايين مليار يناير
		فبراير مارس ابريل مايو يونيو يوليو اغسطس سبتمبر اكتوبر نوفمبر ديسمبر القرن قرن`) {
		for _, t := range analysis.Terms(w) {
			m[t] = true
		}
	}
	return m
}()

func isNumber(w string) bool { return w != "" && (w[0] >= '0' && w[0] <= '9' || numberWords[w]) }

// row is one question's candidates: for every chunk, its document and
// feature values (BM25, vector, then the features asked for), each divided
// by its best over the chunks.
type row struct {
	rel     []string
	article int
	docs    []string
	values  [][]float64
}

// score builds the index with opt and computes, for every question, the
// default's two scores and the features (and necessity's, if a table is
// given) for every chunk.
func score(c eval.Corpus, opt chunk.Options, necessity map[string]float64) []row {
	ctx := context.Background()
	emb := embed.NewBuiltin()
	st, err := eval.Build(ctx, emb, c.Articles, opt)
	if err != nil {
		log.Fatal(err)
	}
	var passages []*passage
	s := &stats{df: make(map[string]int), cf: make(map[string]float64), norm: make(map[string]float64)}
	sentences := 0
	for _, a := range st.Articles() {
		cs, _ := st.Chunks(a.ID)
		for _, ch := range cs {
			whole := bagOf(ch.Text)
			p := &passage{id: ch.ID, doc: a.ID, terms: whole.terms, length: whole.length}
			for _, sp := range chunk.Sentences(ch.Text) {
				text := ch.Text[sp.Start:sp.End]
				p.stems = append(p.stems, analysis.Terms(text)...)
				p.sentence = append(p.sentence, bagOf(text))
				s.avgSentence += float64(p.sentence[len(p.sentence)-1].length)
				sentences++
			}
			passages = append(passages, p)
			s.totalLen += float64(p.length)
			for t, n := range p.terms {
				s.df[t]++
				s.cf[t] += float64(n)
			}
		}
	}
	s.n = float64(len(passages))
	s.avgLen = s.totalLen / s.n
	s.avgSentence /= float64(sentences)
	for _, p := range passages {
		norm := 0.0
		for t, n := range p.terms {
			v := (1 + math.Log(float64(n))) * math.Log(s.n/float64(s.df[t]))
			norm += v * v
		}
		s.norm[p.id] = math.Sqrt(norm)
	}

	fs := features
	if necessity != nil {
		fs = []feature{necessityFeature}
	}
	var rows []row
	for _, query := range c.Queries {
		q := prepare(ctx, st, emb, s, query, len(passages), necessity)
		r := row{rel: query.Relevant, article: articleOf(query.Relevant[0])}
		for _, p := range passages {
			v := []float64{q.bm25[p.id], max(q.vector[p.id], 0)}
			for _, f := range fs {
				v = append(v, f.score(s, q, p))
			}
			r.docs = append(r.docs, p.doc)
			r.values = append(r.values, v)
		}
		scaleByBest(r.values)
		rows = append(rows, r)
	}
	return rows
}

func prepare(ctx context.Context, st *store.Store, emb embed.Embedder, s *stats, query eval.Query, n int, necessity map[string]float64) *question {
	q := &question{
		rel:     query.Relevant,
		lexical: analysis.LexicalTerms(query.Text),
		stems:   analysis.Terms(query.Text),
		stemSet: make(map[string]bool),
		bm25:    make(map[string]float64),
		vector:  make(map[string]float64),
	}
	for _, t := range q.stems {
		if !q.stemSet[t] {
			q.stemSet[t] = true
			q.stemIDF += s.idf(t)
		}
	}
	lexical := st.SearchLexical(query.Text, n, "")
	for _, h := range lexical {
		q.bm25[h.Chunk.ID] = h.Score
	}
	vec, err := emb.EmbedQuery(ctx, query.Text)
	if err != nil {
		log.Fatal(err)
	}
	hits, err := st.SearchVector(ctx, vec, n, "")
	if err != nil {
		log.Fatal(err)
	}
	for _, h := range hits {
		q.vector[h.Chunk.ID] = h.Score
	}
	share := func(top int, terms []string) map[string]float64 {
		out := make(map[string]float64)
		top = min(top, len(lexical))
		for _, h := range lexical[:top] {
			held := make(map[string]bool)
			for _, t := range analysis.LexicalTerms(h.Chunk.Text) {
				held[t] = true
			}
			for _, t := range terms {
				if held[t] {
					out[t] += 1 / float64(top)
				}
			}
		}
		return out
	}
	q.share3, q.share10, q.stem10 = share(3, q.lexical), share(10, q.lexical), share(10, q.stems)
	nq := analysis.Normalize(query.Text)
	for _, cue := range []string{"متي", "بكم", " كم ", "اي عام", "اي سنه", "تاريخ"} {
		q.wantsNum = q.wantsNum || strings.Contains(nq, cue)
	}
	q.wantsNum = q.wantsNum || strings.HasPrefix(nq, "كم")
	if necessity != nil {
		q.weight = make(map[string]float64)
		for _, tok := range analysis.Tokens(query.Text) {
			stems := analysis.Terms(tok.Text)
			if len(stems) == 0 {
				continue
			}
			w, ok := necessity[stems[0]]
			if !ok {
				w = 1
			}
			for _, t := range analysis.LexicalTerms(tok.Text) {
				q.weight[t] += w
			}
		}
	}
	return q
}

// scaleByBest divides each column by its best value, or scales it to
// [0, 1] when it has negative values (log-likelihoods).
func scaleByBest(values [][]float64) {
	for k := range values[0] {
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, v := range values {
			lo, hi = min(lo, v[k]), max(hi, v[k])
		}
		for _, v := range values {
			switch {
			case lo < 0 && hi > lo:
				v[k] = (v[k] - lo) / (hi - lo)
			case lo >= 0 && hi > 0:
				v[k] /= hi
			}
		}
	}
}

func articleOf(docID string) int {
	n, _ := strconv.Atoi(docID[:strings.IndexByte(docID, ':')])
	return n
}

// rank returns the documents of r best first under weights w, a document
// scoring as its best chunk.
func rank(r row, w []float64) []string {
	best := make(map[string]float64)
	for i, v := range r.values {
		sum := 0.0
		for k, x := range v {
			sum += w[k] * x
		}
		if old, ok := best[r.docs[i]]; !ok || sum > old {
			best[r.docs[i]] = sum
		}
	}
	docs := make([]string, 0, len(best))
	for d := range best {
		docs = append(docs, d)
	}
	slices.SortFunc(docs, func(a, b string) int {
		if best[a] != best[b] {
			if best[a] > best[b] {
				return -1
			}
			return 1
		}
		return strings.Compare(a, b)
	})
	return docs
}

// metrics returns MRR@10 and R@5 of weights w over rows.
func metrics(rows []row, w []float64) (mrr, r5 float64) {
	var first []int
	for _, r := range rows {
		first = append(first, eval.FirstRelevant(rank(r, w), r.rel))
	}
	m := eval.Score(first)
	return m.MRR10, m.R5
}

// fit sets the weights named by free by coordinate ascent on MRR@10.
func fit(rows []row, w []float64, free []int) []float64 {
	w = slices.Clone(w)
	grid := []float64{0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3}
	for range 3 {
		for _, k := range free {
			best, bestMRR := w[k], -1.0
			for _, g := range grid {
				w[k] = g
				if m, _ := metrics(rows, w); m > bestMRR+1e-9 {
					best, bestMRR = g, m
				}
			}
			w[k] = best
		}
	}
	return w
}

// defaultWeights are BM25 1, vector 0.3 (search.vectorWeight), features 0.
func defaultWeights(n int) []float64 {
	w := make([]float64, n)
	w[0], w[1] = 1, 0.3
	return w
}

func fold(rows []row, parity int) []row {
	var out []row
	for _, r := range rows {
		if r.article%2 == parity {
			out = append(out, r)
		}
	}
	return out
}

func fitFeatures(rows []row) {
	base := defaultWeights(len(rows[0].values[0]))
	m, r5 := metrics(rows, base)
	fmt.Printf("default hybrid: MRR@10 %.4f  R@5 %.4f\n", m, r5)
	free := []int{1}
	for k, f := range features {
		w := fit(rows, base, []int{k + 2})
		m, r5 := metrics(rows, w)
		fmt.Printf("+ %-52s weight %.2f: MRR@10 %.4f  R@5 %.4f\n", f.name, w[k+2], m, r5)
		free = append(free, k+2)
	}
	w := fit(rows, base, free)
	m, r5 = metrics(rows, w)
	fmt.Printf("all fitted together (in-sample): MRR@10 %.4f  R@5 %.4f\n", m, r5)
	for parity := range 2 {
		train, held := fold(rows, 1-parity), fold(rows, parity)
		w := fit(train, base, free)
		m0, _ := metrics(held, base)
		m1, _ := metrics(held, w)
		fmt.Printf("fitted on the %s articles, scored on the %s: MRR@10 %.4f (default %.4f)\n", parityName(1-parity), parityName(parity), m1, m0)
	}
}

func parityName(p int) string { return [...]string{"even", "odd"}[p] }

// necessityCheck learns term-necessity weights on one fold and scores BM25
// with them on the other, alone and fused as the default fuses BM25.
func necessityCheck(path string, c eval.Corpus) {
	for parity := range 2 {
		table := learnNecessity(path, 1-parity)
		rows := fold(score(c, chunk.DefaultOptions(), table), parity)
		lex0, _ := metrics(rows, []float64{1, 0, 0})
		lex1, _ := metrics(rows, []float64{0, 0, 1})
		hyb0, _ := metrics(rows, []float64{1, 0.3, 0})
		hyb1, _ := metrics(rows, []float64{0, 0.3, 1})
		fmt.Printf("learned on the %s articles, scored on the %s: lexical MRR@10 %.4f -> %.4f, hybrid %.4f -> %.4f\n",
			parityName(1-parity), parityName(parity), lex0, lex1, hyb0, hyb1)
	}
}

// learnNecessity estimates, for stems of questions in at least 4 articles
// of one fold, how often a question's stem is in its own paragraph,
// smoothed towards 0.7 with a weight of 4 questions.
func learnNecessity(path string, parity int) map[string]float64 {
	const prior, priorWeight, minArticles = 0.7, 4.0, 4
	raw, err := os.ReadFile(path)
	if err != nil {
		log.Fatal(err)
	}
	var sq struct {
		Data []struct {
			Paragraphs []struct {
				Context string `json:"context"`
				QAs     []struct {
					Question string `json:"question"`
				} `json:"qas"`
			} `json:"paragraphs"`
		} `json:"data"`
	}
	if err := json.Unmarshal(raw, &sq); err != nil {
		log.Fatal(err)
	}
	asked, found := make(map[string]float64), make(map[string]float64)
	articles := make(map[string]map[int]bool)
	for a, art := range sq.Data {
		if a%2 != parity {
			continue
		}
		for _, p := range art.Paragraphs {
			in := make(map[string]bool)
			for _, t := range analysis.Terms(p.Context) {
				in[t] = true
			}
			for _, qa := range p.QAs {
				seen := make(map[string]bool)
				for _, t := range analysis.Terms(qa.Question) {
					if seen[t] {
						continue
					}
					seen[t] = true
					asked[t]++
					if articles[t] == nil {
						articles[t] = make(map[int]bool)
					}
					articles[t][a] = true
					if in[t] {
						found[t]++
					}
				}
			}
		}
	}
	table := make(map[string]float64)
	for t, n := range asked {
		if len(articles[t]) >= minArticles {
			table[t] = (found[t] + prior*priorWeight) / (n + priorWeight)
		}
	}
	return table
}

func chunkSizes(c eval.Corpus) {
	ctx := context.Background()
	emb := embed.NewBuiltin()
	for _, opt := range []chunk.Options{{Size: 300, Overlap: 100}, {Size: 400, Overlap: 100}, {Size: 600, Overlap: 150}, chunk.DefaultOptions(), {Size: 1500, Overlap: 200}} {
		st, err := eval.Build(ctx, emb, c.Articles, opt)
		if err != nil {
			log.Fatal(err)
		}
		s := search.Searcher{Store: st, Embedder: emb}
		h, err := eval.Run(ctx, s, c.Queries, search.Hybrid)
		if err != nil {
			log.Fatal(err)
		}
		l, err := eval.Run(ctx, s, c.Queries, search.Lexical)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("chunks of %4d (overlap %3d): hybrid MRR@10 %.4f R@5 %.4f, lexical %.4f %.4f\n", opt.Size, opt.Overlap, h.MRR10, h.R5, l.MRR10, l.R5)
	}
}

// classifyMisses counts, for the questions the default ranking does not
// answer first, how the paragraph ranked first relates to the right one.
func classifyMisses(c eval.Corpus, rows []row) {
	text := make(map[string]string)
	for _, a := range c.Articles {
		text[a.ID] = a.Text
	}
	base := defaultWeights(len(rows[0].values[0]))
	counts := make(map[string]int)
	total := 0
	for _, r := range rows {
		top := rank(r, base)[0]
		if slices.Contains(r.rel, top) {
			continue
		}
		total++
		right := text[r.rel[0]]
		switch {
		case strings.HasPrefix(text[top], right):
			counts["a longer paragraph that begins with the right one"]++
		case strings.HasPrefix(right, text[top]):
			counts["a shorter paragraph the right one begins with"]++
		case articleOf(top) == r.article:
			counts["a sibling paragraph of the same article"]++
		default:
			counts["a paragraph of another article"]++
		}
	}
	fmt.Printf("%d questions not answered first; ranked first instead:\n", total)
	for kind, n := range counts {
		fmt.Printf("%4d  %s\n", n, kind)
	}
}
