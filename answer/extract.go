package answer

import (
	"cmp"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/sanadhq/sanad"
	"github.com/sanadhq/sanad/analysis"
	"github.com/sanadhq/sanad/chunk"
)

// Tuning of the extractive answer.
const (
	// MinCoverage is the share of the question's weighted terms that a
	// sentence must contain to be quoted at all. A sentence that matches
	// only the topic words every passage shares (سوريا, الأسد) falls
	// short, so a question the passages do not answer is told so.
	MinCoverage = 0.3
	// maxQuoted bounds the sentences of an extractive answer.
	maxQuoted = 3
	// keepRatio is how close to the best score another sentence must come
	// to be quoted too: a second sentence that answers much less well only
	// dilutes the answer.
	keepRatio = 0.6
	// minContentTerms skips headlines, bylines and fragments, which carry
	// too little to answer anything.
	minContentTerms = 3
)

// Extract answers question from sources without a language model, by
// quoting the sentences of the passages that best answer it, each followed
// by the [n] of its source. A first line says that the answer is
// extractive; the answer is in the question's language (its quotes are in
// the articles').
//
// Every sentence of every source (chunk.Sentences) is scored on the
// analysed terms it shares with the question:
//   - coverage: the share of the question's terms it contains, each
//     weighted by its rarity among the sources, ln(1 + (N−df+½)/(df+½)),
//     so that a term found in one passage counts far more than one found
//     in all of them;
//   - proximity: the matched terms close together (matched terms over the
//     length of the shortest run of words holding them all) count up to a
//     fifth more than the same terms scattered;
//   - the retrieval rank of its passage, a small tie-breaker: 0.1/n;
//   - for questions after a number or date (كم, متى, عدد, عام, how many,
//     when…), a bonus of 0.1 for a sentence that contains a number;
//   - sentences of more than 30 content words are damped, since a long
//     sentence covers terms by sheer size.
//
// A sentence repeated in overlapping passages is scored once, under the
// better-ranked one. The best sentence is quoted if its coverage reaches
// MinCoverage, followed by up to two more that score at least 0.6 of it
// and do not repeat it (term sets less than half shared).
func Extract(question string, sources []sanad.Citation) string {
	arabic := IsArabic(question)
	picked := pickSentences(question, sources)
	if len(picked) == 0 {
		if arabic {
			return "إجابة استخراجية (دون نموذج لغوي): لم أجد في المقاطع المسترجعة جملة تجيب عن السؤال مباشرة."
		}
		return "Extractive answer (no language model): none of the retrieved passages has a sentence that answers the question directly."
	}
	var b strings.Builder
	if arabic {
		b.WriteString("إجابة استخراجية (دون نموذج لغوي): الجمل التالية منقولة حرفياً من المصادر المذكورة.")
	} else {
		b.WriteString("Extractive answer (no language model): the sentences below are quoted verbatim from the sources cited.")
	}
	for _, c := range picked {
		b.WriteString("\n")
		b.WriteString(c.text)
		b.WriteString(" [" + strconv.Itoa(c.n) + "]")
	}
	return b.String()
}

// candidate is one sentence of a source, scored.
type candidate struct {
	n     int // source number
	pos   int // byte offset in the source's passage, for a stable order
	text  string
	terms map[string]bool
	cov   float64
	score float64
}

func pickSentences(question string, sources []sanad.Citation) []candidate {
	qterms := distinctTerms(question)
	if len(qterms) == 0 || len(sources) == 0 {
		return nil
	}
	idf := rarity(qterms, sources)
	var total float64
	for _, t := range qterms {
		total += idf[t]
	}
	wantNumber := asksForNumber(question)

	var cands []candidate
	seen := make(map[string]bool)
	for _, s := range sources {
		for _, sp := range chunk.Sentences(s.Quote) {
			key := s.ArticleID + "\x00" + strconv.Itoa(s.Start+sp.Start)
			if seen[key] {
				continue
			}
			seen[key] = true
			text := s.Quote[sp.Start:sp.End]
			c, ok := scoreSentence(text, qterms, idf, total, wantNumber)
			if !ok {
				continue
			}
			c.n, c.pos = s.N, sp.Start
			c.score += 0.1 / float64(s.N)
			cands = append(cands, c)
		}
	}
	slices.SortStableFunc(cands, func(a, b candidate) int {
		if a.score != b.score {
			return cmp.Compare(b.score, a.score)
		}
		return cmp.Or(cmp.Compare(a.n, b.n), cmp.Compare(a.pos, b.pos))
	})
	var picked []candidate
	for _, c := range cands {
		if len(picked) == maxQuoted || c.cov < MinCoverage || len(picked) > 0 && c.score < keepRatio*picked[0].score {
			break
		}
		if !repeats(c, picked) {
			picked = append(picked, c)
		}
	}
	return picked
}

// scoreSentence scores one sentence; ok is false for a sentence too short
// to answer anything.
func scoreSentence(text string, qterms []string, idf map[string]float64, total float64, wantNumber bool) (c candidate, ok bool) {
	var content []string
	hasNumber := false
	for _, t := range analysis.Tokens(text) {
		if t.Term == "" {
			continue
		}
		content = append(content, t.Term)
		if isNumber(t.Norm) {
			hasNumber = true
		}
	}
	if len(content) < minContentTerms {
		return c, false
	}
	c.text = text
	c.terms = make(map[string]bool, len(content))
	for _, t := range content {
		c.terms[t] = true
	}
	matched := make(map[string]bool)
	for _, t := range qterms {
		if c.terms[t] {
			matched[t] = true
			c.cov += idf[t]
		}
	}
	if total > 0 {
		c.cov /= total
	}
	c.score = c.cov * (0.8 + 0.2*proximity(content, matched))
	if wantNumber && hasNumber {
		c.score += 0.1
	}
	if len(content) > 30 {
		c.score /= 1 + float64(len(content)-30)/60
	}
	return c, true
}

// proximity is the number of distinct matched terms over the length of
// the shortest run of content words that holds them all: 1 when they are
// adjacent (or there is at most one), less the more they are scattered.
func proximity(content []string, matched map[string]bool) float64 {
	m := len(matched)
	if m <= 1 {
		return 1
	}
	best := len(content)
	have := make(map[string]int)
	covered := 0
	lo := 0
	for hi, t := range content {
		if !matched[t] {
			continue
		}
		if have[t]++; have[t] == 1 {
			covered++
		}
		for covered == m {
			best = min(best, hi-lo+1)
			if u := content[lo]; matched[u] {
				if have[u]--; have[u] == 0 {
					covered--
				}
			}
			lo++
		}
	}
	return float64(m) / float64(best)
}

// rarity weighs each question term by how few sources contain it.
func rarity(qterms []string, sources []sanad.Citation) map[string]float64 {
	df := make(map[string]int)
	for _, s := range sources {
		ts := termSet(s.Quote)
		for _, t := range qterms {
			if ts[t] {
				df[t]++
			}
		}
	}
	n := float64(len(sources))
	idf := make(map[string]float64, len(qterms))
	for _, t := range qterms {
		d := float64(df[t])
		idf[t] = math.Log(1 + (n-d+0.5)/(d+0.5))
	}
	return idf
}

// repeats reports whether c says mostly what a picked sentence says: more
// than half of their terms shared (Jaccard), as in a sentence quoted in
// two articles, or restated.
func repeats(c candidate, picked []candidate) bool {
	for _, p := range picked {
		inter := 0
		for t := range c.terms {
			if p.terms[t] {
				inter++
			}
		}
		if union := len(c.terms) + len(p.terms) - inter; union > 0 && float64(inter)/float64(union) > 0.5 {
			return true
		}
	}
	return false
}

// distinctTerms is the analysed terms of s, each once, in order.
func distinctTerms(s string) []string {
	var out []string
	seen := make(map[string]bool)
	for _, t := range analysis.Terms(s) {
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out
}

// numberCues are normalised words that ask for a number or a date. Some
// are stopwords, so the question's tokens are matched, not its terms.
var numberCues = func() map[string]bool {
	m := make(map[string]bool)
	for _, w := range strings.Fields("كم متى عدد عام سنة تاريخ أعداد حصيلة many much when year date number") {
		m[analysis.Normalize(w)] = true
	}
	return m
}()

func asksForNumber(question string) bool {
	for _, t := range analysis.Tokens(question) {
		if numberCues[t.Norm] {
			return true
		}
	}
	return false
}

// isNumber reports whether a normalised word is a number (digits are
// ASCII after normalisation).
func isNumber(norm string) bool {
	return norm != "" && norm[0] >= '0' && norm[0] <= '9'
}
