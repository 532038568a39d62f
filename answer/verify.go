package answer

import (
	"context"
	"log/slog"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/sanadhq/sanad"
	"github.com/sanadhq/sanad/analysis"
	"github.com/sanadhq/sanad/chunk"
	"github.com/sanadhq/sanad/embed"
)

// SupportThreshold is the support score from which a cited sentence counts
// as supported by the passages it cites. The score is the share of the
// sentence's analysed content terms found in those passages (and their
// titles); with an embedder it is the larger of that share and its mean
// with the embedding similarity of sentence and passage, so that a
// paraphrase the light stemmer cannot match can still pass on meaning,
// while a sentence sharing only the topic, not the facts, cannot pass on
// similarity alone. Half of the terms is what a faithful paraphrase in
// Arabic keeps in practice; an invented claim about the right topic
// shares a quarter to a third.
const SupportThreshold = 0.5

// minCheckedTerms: a cited sentence with fewer content terms ("نعم [1]")
// is too short to judge and is not flagged.
const minCheckedTerms = 2

// Verification is what Verify found in an answer.
type Verification struct {
	// Text is the answer with the markers that named no source removed.
	Text string
	// Citations are the sources the remaining markers cite, by number.
	Citations []sanad.Citation
	// Invalid lists the removed markers, as "[9]", each once.
	Invalid []string
	// Unsupported lists the cited sentences that the passages they cite do
	// not support, as they appear in Text.
	Unsupported []string
}

// Verify checks the [n] markers of an answer against sources.
//
// A marker, or a number in a group such as [1, 9], that names no source
// is removed and reported. Each sentence with a marker (chunk.Sentences;
// a marker right after a sentence's full stop belongs to that sentence)
// is then checked against the passages it cites: it is unsupported when
// its support score (see SupportThreshold) is below the threshold, or when
// it states a number that none of those passages contains, since an
// invented figure or year is the likeliest fabrication and the cheapest
// to catch. Sentences without a marker are not checked: the prompt asks
// for a plain statement, uncited, when the sources hold no answer.
//
// emb may be nil; a failure to embed is logged and the check stays
// lexical.
func Verify(ctx context.Context, text string, sources []sanad.Citation, emb embed.Embedder) Verification {
	return verify(ctx, text, sources, newVectors(emb))
}

// markerRE matches a citation marker: [1], [1, 3], [١]; Arabic commas and
// Arabic-Indic digits included, since Arabic answers use them.
var markerRE = regexp.MustCompile(`\[\s*[0-9٠-٩۰-۹]+(?:\s*[,،]\s*[0-9٠-٩۰-۹]+)*\s*\]`)

// leadingMarkers matches the markers (and space) a sentence starts with.
var leadingMarkers = regexp.MustCompile(`^(?:\s*` + markerRE.String() + `)+`)

func verify(ctx context.Context, text string, sources []sanad.Citation, vecs *vectors) Verification {
	v := Verification{Citations: []sanad.Citation{}, Invalid: []string{}, Unsupported: []string{}}
	byN := make(map[int]sanad.Citation, len(sources))
	for _, s := range sources {
		byN[s.N] = s
	}
	v.Text = cleanMarkers(text, byN, &v.Invalid)

	cited := make(map[int]bool)
	type claim struct {
		text string
		body string // without markers
		ns   []int
	}
	var claims []claim
	for _, sp := range chunk.Sentences(v.Text) {
		s := v.Text[sp.Start:sp.End]
		if lead := leadingMarkers.FindString(s); lead != "" && len(claims) > 0 {
			// The markers after a sentence's full stop are its own.
			last := &claims[len(claims)-1]
			last.ns = append(last.ns, markerNumbers(lead)...)
			last.text += " " + strings.TrimSpace(lead)
			s = strings.TrimSpace(s[len(lead):])
			if s == "" {
				continue
			}
		}
		claims = append(claims, claim{text: s, body: markerRE.ReplaceAllString(s, " "), ns: markerNumbers(s)})
	}
	var checked []claim
	for _, c := range claims {
		for _, n := range c.ns {
			cited[n] = true
		}
		if len(c.ns) > 0 {
			checked = append(checked, c)
		}
	}
	for _, s := range sources {
		if cited[s.N] {
			v.Citations = append(v.Citations, s)
		}
	}

	// Embed every checked sentence and cited passage in one request.
	var sims []float64
	if vecs.emb != nil && len(checked) > 0 {
		var texts []string
		for _, c := range checked {
			texts = append(texts, c.body)
		}
		for _, s := range v.Citations {
			texts = append(texts, s.Quote)
		}
		vs, err := vecs.docs(ctx, texts)
		if err != nil {
			slog.Warn("answer: support check by embedding failed; checking shared terms only", "err", err)
		} else {
			passage := make(map[int][]float32)
			for i, s := range v.Citations {
				passage[s.N] = vs[len(checked)+i]
			}
			for i, c := range checked {
				best := 0.0
				for _, n := range c.ns {
					best = max(best, cosine(vs[i], passage[n]))
				}
				sims = append(sims, best)
			}
		}
	}
	for i, c := range checked {
		var cs []sanad.Citation
		for _, n := range c.ns {
			cs = append(cs, byN[n])
		}
		sim := -1.0
		if sims != nil {
			sim = sims[i]
		}
		if !supported(c.body, cs, sim) {
			v.Unsupported = append(v.Unsupported, c.text)
		}
	}
	return v
}

// supported decides whether sentence is supported by the passages cs;
// sim is its embedding similarity to the closest of them, or negative
// when there is none.
func supported(sentence string, cs []sanad.Citation, sim float64) bool {
	terms := make(map[string]bool)
	var numbers []string
	for _, t := range analysis.Tokens(sentence) {
		if t.Term == "" {
			continue
		}
		terms[t.Term] = true
		if isNumber(t.Norm) {
			numbers = append(numbers, digitsOnly(t.Norm))
		}
	}
	if len(terms) < minCheckedTerms {
		return true
	}
	have := make(map[string]bool)
	haveNumbers := make(map[string]bool)
	for _, c := range cs {
		for _, t := range analysis.Tokens(c.Title + "\n" + c.Quote) {
			if t.Term != "" {
				have[t.Term] = true
			}
			if isNumber(t.Norm) {
				haveNumbers[digitsOnly(t.Norm)] = true
			}
		}
	}
	for _, n := range numbers {
		if !haveNumbers[n] {
			return false
		}
	}
	found := 0
	for t := range terms {
		if have[t] {
			found++
		}
	}
	score := float64(found) / float64(len(terms))
	if sim >= 0 {
		score = max(score, (score+sim)/2)
	}
	return score >= SupportThreshold
}

// digitsOnly drops a number's separators, so 2,000 and 2000 compare equal.
func digitsOnly(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}

// cleanMarkers removes the numbers of markers that name no source (listing
// them in invalid), and markers left empty together with the space before
// them. Markers that are wholly valid are kept as written.
func cleanMarkers(text string, byN map[int]sanad.Citation, invalid *[]string) string {
	reported := make(map[string]bool)
	var b strings.Builder
	last := 0
	for _, m := range markerRE.FindAllStringIndex(text, -1) {
		ns := markerNumbers(text[m[0]:m[1]])
		var keep []int
		for _, n := range ns {
			if _, ok := byN[n]; ok {
				if !slices.Contains(keep, n) {
					keep = append(keep, n)
				}
				continue
			}
			if s := "[" + strconv.Itoa(n) + "]"; !reported[s] {
				reported[s] = true
				*invalid = append(*invalid, s)
			}
		}
		if len(keep) == len(ns) {
			continue
		}
		before := text[last:m[0]]
		if len(keep) == 0 {
			before = strings.TrimRight(before, " \t")
		}
		b.WriteString(before)
		for _, n := range keep {
			b.WriteString("[" + strconv.Itoa(n) + "]")
		}
		last = m[1]
	}
	b.WriteString(text[last:])
	return b.String()
}

// markerNumbers returns the source numbers in the markers of s, in order.
func markerNumbers(s string) []int {
	var out []int
	for _, m := range markerRE.FindAllString(s, -1) {
		for _, f := range strings.FieldsFunc(m, func(r rune) bool { return r == '[' || r == ']' || r == ',' || r == '،' || r == ' ' }) {
			if n, err := strconv.Atoi(analysis.Normalize(f)); err == nil {
				out = append(out, n)
			}
		}
	}
	return out
}
