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
	BytesWritten int64            `json:"bytes_written"`
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

	furniture, err := countFurniture(ctx, st, paths, opt.Reader)
	if err != nil {
		return Summary{}, err
	}
	r := &run{opt: opt, seen: make(map[string]string), furniture: furniture}
	prepared := make(chan batch, 1)
	embedded := make(chan batch, 1)
	readErr := make(chan error, 1)
	go func() {
		defer close(prepared)
		readErr <- r.read(ctx, st, paths, prepared)
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
	if err := errors.Join(commitErr, <-embedErr, <-readErr); err != nil {
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
	if _, err := st.Compact(); err != nil {
		return r.summary(), fmt.Errorf("compact: %w", err)
	}
	return r.summary(), nil
}

// countFurniture finds the furniture of the corpus an index will hold
// after this run: the articles under paths, and the indexed articles that
// are not among them. Furniture is a property of the whole corpus, so the
// inputs are read once to count lines before they are read again to be
// indexed; reading is cheap beside embedding. Problems are reported by
// the second reading.
func countFurniture(ctx context.Context, st *store.Store, paths []string, opt reader.Options) (*Furniture, error) {
	c := NewFurnitureCounter()
	counted := make(map[string]bool)
	err := reader.Walk(ctx, paths, opt, func(a sanad.Article) error {
		if !counted[a.ID] {
			counted[a.ID] = true
			c.Add(a.Text)
		}
		return nil
	}, func(reader.Problem) {})
	if err != nil {
		return nil, fmt.Errorf("find furniture: %w", err)
	}
	for _, a := range st.Articles() {
		if !counted[a.ID] {
			if full, ok := st.Article(a.ID); ok {
				c.Add(full.Text)
			}
		}
	}
	return c.Furniture(), nil
}

// run is the state of one Run shared by its stages.
type run struct {
	opt  Options
	seen map[string]string // article ID -> the source that claimed it first; read stage only until it ends
	// furniture is found before the run starts and only read after.
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

// read is the first stage: it reads articles, skips unchanged ones, and
// sends the rest chunked and analysed, in batches of about BatchChunks.
func (r *run) read(ctx context.Context, st *store.Store, paths []string, out chan<- batch) error {
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
	err := reader.Walk(ctx, paths, r.opt.Reader, func(a sanad.Article) error {
		r.count(func(s *Summary) { s.Seen++ })
		if first, dup := r.seen[a.ID]; dup {
			r.problem(reader.Problem{Path: a.Source, Err: fmt.Errorf("duplicate article ID %q (first from %s); skipped", a.ID, first)})
			return nil
		}
		r.seen[a.ID] = a.Source
		old, exists := st.Article(a.ID)
		if exists && old.Hash == a.Hash {
			r.count(func(s *Summary) { s.Unchanged++ })
			return nil
		}
		p := r.furniture.Prepare(a, r.opt.Chunk)
		if len(p.Chunks) == 0 {
			r.problem(reader.Problem{Path: a.Source, Err: errors.New("no text to index")})
			return nil
		}
		cur.puts = append(cur.puts, p)
		cur.isUpdate = append(cur.isUpdate, exists)
		cur.chunks += len(p.Chunks)
		if cur.chunks >= r.opt.BatchChunks {
			return flush()
		}
		return nil
	}, r.problem)
	if err != nil {
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

// prune removes the articles this run did not see. Articles from inputs
// that failed to read this time are kept: a transient read error must not
// delete indexed work.
func (r *run) prune(st *store.Store, cfg store.Config) error {
	failed := make(map[string]bool)
	for _, p := range r.summary().Problems {
		failed[p.Path] = true
	}
	var gone []string
	for _, a := range st.Articles() {
		if _, ok := r.seen[a.ID]; !ok && !failed[a.Source] {
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
