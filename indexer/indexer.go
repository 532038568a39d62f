// Package indexer runs the indexing pipeline: read articles, skip the
// unchanged ones, chunk and analyse the rest, embed their chunks in batches
// and commit them to the store.
//
// Reading and chunking, embedding, and committing run as three stages joined
// by channels, so the embedding server is kept busy while the next batch is
// read and the previous one is written.
package indexer

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/sanadhq/sanad"
	"github.com/sanadhq/sanad/analysis"
	"github.com/sanadhq/sanad/chunk"
	"github.com/sanadhq/sanad/embed"
	"github.com/sanadhq/sanad/reader"
	"github.com/sanadhq/sanad/store"
)

// Options control an indexing run.
type Options struct {
	Reader reader.Options
	Chunk  chunk.Options
	// Prune removes every indexed article that this run did not see, so that
	// the index mirrors exactly the paths given.
	Prune bool
	// BatchChunks is how many chunks are embedded and committed together;
	// a crash loses at most one batch of work. Default 256.
	BatchChunks int
	// OnProblem is called for every input that could not be read.
	OnProblem func(reader.Problem)
	// OnProgress is called after every commit with the totals so far.
	OnProgress func(Summary)
}

// Summary counts what a run did. Only committed work is counted as added,
// updated or removed.
type Summary struct {
	Seen      int `json:"seen"`
	Added     int `json:"added"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
	Removed   int `json:"removed"`
	Skipped   int `json:"skipped"`
	Chunks    int `json:"chunks_embedded"`
	// BytesWritten is what the commits appended to the index files.
	BytesWritten int64 `json:"bytes_written"`
	// PruneSkipped says that --prune removed nothing because some inputs
	// could not be read.
	PruneSkipped bool             `json:"prune_skipped,omitempty"`
	Problems     []reader.Problem `json:"-"`
}

// Config is the store configuration an embedder and chunking options give.
func Config(info embed.Info, opt chunk.Options) store.Config {
	return store.Config{
		Embedder:     info.Kind,
		Model:        info.Model,
		Dimensions:   info.Dimensions,
		QueryPrefix:  info.QueryPrefix,
		DocPrefix:    info.DocPrefix,
		ChunkSize:    opt.Size,
		ChunkOverlap: opt.Overlap,
		Analyzer:     analysis.Version,
	}
}

// Prepare chunks and analyses an article: the parts of a store.Put that
// need no embedder. It knows no furniture; Run and eval use
// Furniture.Prepare with the furniture of their corpus.
func Prepare(a sanad.Article, opt chunk.Options) store.Put {
	return (*Furniture)(nil).Prepare(a, opt)
}

type batch struct {
	puts     []store.Put
	isUpdate []bool
	chunks   int
}

// Run indexes paths into st. It returns the summary of what was committed,
// also when it stops early: on ctx cancellation it returns ctx's error after
// the last complete commit.
func Run(ctx context.Context, st *store.Store, emb embed.Embedder, paths []string, opt Options) (Summary, error) {
	if opt.BatchChunks <= 0 {
		opt.BatchChunks = 256
	}
	cfg := Config(emb.Info(), opt.Chunk)
	if have, ok := st.Config(); ok {
		if err := have.Mismatch(cfg); err != nil {
			return Summary{}, fmt.Errorf("%w; re-index with the same settings, or rebuild with --reindex (or another --db)", err)
		}
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	r := &run{opt: opt, seen: make(map[string]string)}
	// The channels hold a few batches so that a slow commit (a compaction)
	// does not stall embedding, nor a slow embedding reading.
	prepared := make(chan batch, 2)
	embedded := make(chan batch, 8)
	readErr := make(chan error, 1)
	hashes, known := st.Hashes(), st.Furniture()
	go func() {
		defer close(prepared)
		readErr <- r.read(ctx, hashes, known, paths, prepared)
	}()
	embedErr := make(chan error, 1)
	go func() {
		defer close(embedded)
		err := embedBatches(ctx, emb, prepared, embedded)
		if err != nil {
			cancel(err)
		}
		embedErr <- err
	}()

	// Commit in this goroutine, so that the summary counts only durable work.
	var commitErr error
	for b := range embedded {
		if commitErr != nil || ctx.Err() != nil {
			continue // drain, so that the other stages can finish
		}
		n, err := st.Commit(cfg, b.puts, nil)
		if err != nil {
			commitErr = fmt.Errorf("commit: %w", err)
			cancel(commitErr)
			continue
		}
		r.committed(b, n)
	}
	err := errors.Join(commitErr, <-embedErr, <-readErr)
	if err == nil && ctx.Err() != nil {
		// Cancelled after the last stage finished its work but before that
		// work was committed: the run is not complete.
		err = ctx.Err()
	}
	if err != nil {
		if commitErr != nil {
			err = commitErr
		} else if cause := context.Cause(ctx); cause != nil {
			err = cause
		}
		return r.summary(), err
	}
	if opt.Prune {
		if err := r.prune(st, cfg); err != nil {
			return r.summary(), err
		}
	}
	if err := st.SetFurniture(r.furniture.Hashes()); err != nil {
		return r.summary(), fmt.Errorf("record furniture: %w", err)
	}
	if _, err := st.Compact(); err != nil {
		return r.summary(), fmt.Errorf("compact: %w", err)
	}
	return r.summary(), nil
}

// run is the state of one Run shared by its stages.
type run struct {
	opt  Options
	seen map[string]string // article ID -> the source that claimed it first; read stage only until it ends
	// furniture is set by the read stage before it prepares any article,
	// and read after the stages end.
	furniture *Furniture

	mu  sync.Mutex
	sum Summary
}

func (r *run) summary() Summary {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.sum
	s.Problems = slices.Clone(r.sum.Problems)
	return s
}

func (r *run) count(f func(*Summary)) {
	r.mu.Lock()
	f(&r.sum)
	r.mu.Unlock()
}

func (r *run) problem(p reader.Problem) {
	r.count(func(s *Summary) {
		s.Skipped++
		s.Problems = append(s.Problems, p)
	})
	if r.opt.OnProblem != nil {
		r.opt.OnProblem(p)
	}
}

func (r *run) committed(b batch, written int64) {
	r.count(func(s *Summary) {
		s.BytesWritten += written
		s.Chunks += b.chunks
		for _, u := range b.isUpdate {
			if u {
				s.Updated++
			} else {
				s.Added++
			}
		}
	})
	if r.opt.OnProgress != nil {
		r.opt.OnProgress(r.summary())
	}
}

// Problems of the articles themselves, as opposed to inputs that could not
// be read.
var (
	errDuplicate = errors.New("duplicate article ID")
	errNoText    = errors.New("no text to index")
)

// furnitureSample is how many articles the read stage reads ahead to find
// the corpus's furniture before it prepares any. Furniture is site-wide,
// so it shows in any run of articles from a site; lines found in earlier
// runs are known too, so that a run of a single article recognises them.
const furnitureSample = 1000

// read is the first stage: it reads articles, skips unchanged ones (by the
// hashes the index had when the run started), and sends the rest chunked,
// without furniture, in batches of about BatchChunks.
func (r *run) read(ctx context.Context, hashes map[string]string, known []uint64, paths []string, out chan<- batch) error {
	articles := make(chan sanad.Article, 64)
	walkErr := make(chan error, 1)
	go func() {
		defer close(articles)
		walkErr <- reader.Walk(ctx, paths, r.opt.Reader, func(a sanad.Article) error {
			select {
			case articles <- a:
				return nil
			case <-ctx.Done():
				return context.Cause(ctx)
			}
		}, r.problem)
	}()
	// Whatever ends this stage, the walker must not block on a full channel.
	defer func() {
		for range articles {
		}
	}()

	counter := NewFurnitureCounter()
	var ahead []sanad.Article
	for a := range articles {
		ahead = append(ahead, a)
		counter.Add(a.Text)
		if len(ahead) == furnitureSample {
			break
		}
	}
	r.furniture = counter.Furniture(known...)

	var cur batch
	flush := func() error {
		if len(cur.puts) == 0 {
			return nil
		}
		select {
		case out <- cur:
			cur = batch{}
			return nil
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
	prepare := func(a sanad.Article) error {
		r.count(func(s *Summary) { s.Seen++ })
		if first, dup := r.seen[a.ID]; dup {
			r.problem(reader.Problem{Path: a.Source, Err: fmt.Errorf("%w %q (first from %s); skipped", errDuplicate, a.ID, first)})
			return nil
		}
		r.seen[a.ID] = a.Source
		old, exists := hashes[a.ID]
		if exists && old == a.Hash {
			r.count(func(s *Summary) { s.Unchanged++ })
			return nil
		}
		p := r.furniture.Prepare(a, r.opt.Chunk)
		if len(p.Chunks) == 0 {
			r.problem(reader.Problem{Path: a.Source, Err: errNoText})
			return nil
		}
		cur.puts = append(cur.puts, p)
		cur.isUpdate = append(cur.isUpdate, exists)
		cur.chunks += len(p.Chunks)
		if cur.chunks >= r.opt.BatchChunks {
			return flush()
		}
		return nil
	}
	for _, a := range ahead {
		if err := prepare(a); err != nil {
			return err
		}
	}
	for a := range articles {
		if err := prepare(a); err != nil {
			return err
		}
	}
	if err := <-walkErr; err != nil {
		return err
	}
	return flush()
}

// embedBatches is the second stage: it embeds each batch's chunks in one
// call; the embedder splits them into requests and keeps several in flight.
func embedBatches(ctx context.Context, emb embed.Embedder, in <-chan batch, out chan<- batch) error {
	for b := range in {
		if err := Embed(ctx, emb, b.puts); err != nil {
			return err
		}
		select {
		case out <- b:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
	return nil
}

// Embed fills in the vectors of prepared articles from their lexical
// texts, with one call to the embedder for all their chunks.
func Embed(ctx context.Context, emb embed.Embedder, puts []store.Put) error {
	var texts []string
	for _, p := range puts {
		texts = append(texts, p.Lexical...)
	}
	vecs, err := emb.EmbedDocuments(ctx, texts)
	if err != nil {
		return err
	}
	if len(vecs) != len(texts) {
		return fmt.Errorf("embedder returned %d vectors for %d chunks", len(vecs), len(texts))
	}
	for i := range puts {
		n := len(puts[i].Chunks)
		puts[i].Vectors, vecs = vecs[:n:n], vecs[n:]
	}
	return nil
}

// prune removes the articles this run did not see. When some input could
// not be read, it removes nothing: a file that failed this time (too large,
// unreadable, a folder that could not be listed) must not lose the articles
// indexed from it, and which articles came from it cannot always be told.
func (r *run) prune(st *store.Store, cfg store.Config) error {
	sum := r.summary()
	for _, p := range sum.Problems {
		if errors.Is(p, errDuplicate) || errors.Is(p, errNoText) {
			continue
		}
		r.count(func(s *Summary) { s.PruneSkipped = true })
		return nil
	}
	var gone []string
	for _, a := range st.Articles() {
		if _, ok := r.seen[a.ID]; !ok {
			gone = append(gone, a.ID)
		}
	}
	n, err := st.Commit(cfg, nil, gone)
	if err != nil {
		return fmt.Errorf("prune: %w", err)
	}
	r.count(func(s *Summary) {
		s.BytesWritten += n
		s.Removed = len(gone)
	})
	return nil
}
