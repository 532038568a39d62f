package embed

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/sanadhq/sanad/analysis"
)

// BuiltinDimensions is the length of the builtin embedder's vectors. With
// 1024, hash collisions among a chunk's thousand-odd distinct features add
// only a few hundredths of noise to a cosine, at 4 KiB per chunk in the
// index.
const BuiltinDimensions = 1024

// BuiltinModel names the builtin embedder's feature scheme in Info.Model.
// Any change to the features, weights or hashing must change it, so that
// indexes built with the old scheme are refused rather than silently mixed.
const BuiltinModel = "builtin-v1"

const (
	// Stems carry the meaning; n-grams only rescue variants the light stemmer
	// misses. A word yields about a dozen n-grams but one stem, so n-grams get
	// a small weight to keep them from outvoting the stems.
	stemWeight = 1.0
	gramWeight = 0.3

	minGram, maxGram = 3, 5
	// maxGramRunes bounds the part of a word that yields n-grams: longer
	// "words" are URLs or run-together junk, whose tails add nothing.
	maxGramRunes = 64

	// emptyDim is reserved: no feature hashes to it, and a text without
	// features gets the unit vector along it (see NewBuiltin).
	emptyDim = 0

	// Markers around a word let n-grams tell prefixes and suffixes from the
	// middle of a word; the kind bytes keep stem and n-gram hashes apart.
	beginMarker = 0x02
	endMarker   = 0x03
	kindStem    = 0x10
	kindGram    = 0x11

	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

// NewBuiltin returns the builtin embedder: offline, deterministic, with no
// network and no model files.
//
// It is lexical, not semantic. Each text is split by package analysis into
// normalised words; every non-stopword contributes its light stem and the
// character 3- to 5-grams of its normalised form (with word-boundary
// markers), so that morphological variants the stemmer misses still share
// features. Features are hashed (FNV-1a 64) into BuiltinDimensions buckets
// with a hash-chosen sign, which makes collisions cancel on average instead
// of inflating similarity; each is weighted 1+log(tf); the vector is L2
// normalised. Two texts are therefore similar when they share words and
// word-pieces. It knows no synonyms, no paraphrase and nothing across
// languages: "سيارة" and "مركبة", or "car" and "سيارة", score as unrelated.
// A real embedding model (NewOllama, NewOpenAI) adds that.
//
// A text with no features (empty, or only stopwords and punctuation) gets
// the unit vector along a dimension no feature uses. It stays a valid unit
// vector for the index (a zero vector would turn similarities into NaN),
// and it scores exactly 0 against every text that has features, so it
// ranks below the texts that share words with the query. Two featureless
// texts score 1 against each other; callers should not search with a query
// that has no terms.
//
// EmbedQuery embeds a text exactly as EmbedDocuments does.
func NewBuiltin() Embedder { return builtin{} }

type builtin struct{}

func (builtin) Info() Info {
	return Info{Kind: "builtin", Model: BuiltinModel, Dimensions: BuiltinDimensions}
}

func (builtin) EmbedQuery(ctx context.Context, text string) ([]float32, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("builtin embedder: %w", err)
	}
	return embedLexical(text), nil
}

// EmbedDocuments spreads the texts over all cores: indexing a corpus is
// CPU-bound here, unlike the remote embedders.
func (builtin) EmbedDocuments(ctx context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	workers := min(runtime.GOMAXPROCS(0), len(texts))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(texts) || ctx.Err() != nil {
					return
				}
				out[i] = embedLexical(texts[i])
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("builtin embedder: %w", err)
	}
	return out, nil
}

// features is scratch space for one text, pooled because a text yields
// thousands of feature hashes: the hashes themselves, and an
// open-addressing table that counts them (a Go map or sorting the hashes
// costs several times more).
type features struct {
	stems, grams []uint64
	keys         []uint64 // mixed hashes; 0 marks a free slot
	counts       []uint32
}

var featurePool = sync.Pool{New: func() any { return new(features) }}

func embedLexical(text string) []float32 {
	f := featurePool.Get().(*features)
	defer featurePool.Put(f)
	f.stems, f.grams = f.stems[:0], f.grams[:0]
	for _, t := range analysis.Tokens(text) {
		if t.Term == "" {
			continue
		}
		f.stems = append(f.stems, hashStem(t.Term))
		f.grams = appendGrams(f.grams, t.Norm)
	}

	v := make([]float32, BuiltinDimensions)
	f.add(v, f.stems, stemWeight)
	f.add(v, f.grams, gramWeight)
	// Signed features can cancel out exactly, so even a text with features
	// may end up with the zero vector.
	if Normalize(v) != nil {
		v[emptyDim] = 1
	}
	return v
}

// add adds each distinct hash in hs to its bucket of v with a
// hash-chosen sign, weighted by the sublinear count 1+log(tf).
func (f *features) add(v []float32, hs []uint64, weight float64) {
	size := 16
	for size < 2*len(hs) {
		size <<= 1
	}
	if cap(f.keys) < size {
		f.keys, f.counts = make([]uint64, size), make([]uint32, size)
	} else {
		f.keys, f.counts = f.keys[:size], f.counts[:size]
		clear(f.keys)
		clear(f.counts)
	}
	mask := uint64(size - 1)
	for _, h := range hs {
		m := max(mix(h), 1)
		i := m & mask
		for f.keys[i] != 0 && f.keys[i] != m {
			i = (i + 1) & mask
		}
		f.keys[i] = m
		f.counts[i]++
	}
	for i, m := range f.keys {
		if m == 0 {
			continue
		}
		w := float32(weight * (1 + math.Log(float64(f.counts[i]))))
		if m>>63 != 0 {
			w = -w
		}
		// Buckets 1..D-1: emptyDim (0) stays free.
		v[1+m%(BuiltinDimensions-1)] += w
	}
}

func hashStem(term string) uint64 {
	h := fnvByte(fnvOffset, kindStem)
	for i := 0; i < len(term); i++ {
		h = fnvByte(h, term[i])
	}
	return h
}

// appendGrams appends the hashes of the character n-grams of word framed
// by boundary markers. It hashes the bytes of each rune window in place,
// extending one running hash per start position, so it allocates nothing
// per n-gram.
func appendGrams(dst []uint64, word string) []uint64 {
	// offs[k] is the byte offset of rune k; unit k+1 of the framed word is
	// rune k, unit 0 and unit n+1 are the markers.
	var offs [maxGramRunes + 1]int
	n, end := 0, len(word)
	for i := range word {
		if n == maxGramRunes {
			end = i
			break
		}
		offs[n] = i
		n++
	}
	if n == 0 {
		return dst
	}
	offs[n] = end
	units := n + 2
	for start := 0; start+minGram <= units; start++ {
		h := fnvByte(fnvOffset, kindGram)
		for k := 0; k < maxGram && start+k < units; k++ {
			u := start + k
			switch u {
			case 0:
				h = fnvByte(h, beginMarker)
			case units - 1:
				h = fnvByte(h, endMarker)
			default:
				for b := offs[u-1]; b < offs[u]; b++ {
					h = fnvByte(h, word[b])
				}
			}
			if k+1 >= minGram {
				dst = append(dst, h)
			}
		}
	}
	return dst
}

func fnvByte(h uint64, b byte) uint64 { return (h ^ uint64(b)) * fnvPrime }

// mix is the splitmix64 finaliser. FNV-1a's low bits are weak for short
// inputs; the bucket and sign come from all of the hash after mixing.
func mix(z uint64) uint64 {
	z ^= z >> 30
	z *= 0xbf58476d1ce4e5b9
	z ^= z >> 27
	z *= 0x94d049bb133111eb
	z ^= z >> 31
	return z
}
