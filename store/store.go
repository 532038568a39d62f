// Package store is sanad's index: chunks, their vectors and their terms,
// with per-article metadata for citations. Vectors are searched with the
// in-process vector database chromem-go and terms with package bm25; both
// live in memory and are rebuilt from sanad's own on-disk format at open.
//
// The on-disk format is a JSON manifest plus append-only segment files of
// checksummed records. A commit appends records, fsyncs them, and then
// replaces the manifest atomically (temporary file, fsync, rename), so an
// interrupted run leaves the index exactly as the last commit left it, and
// adding a few articles writes only those articles.
package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"syscall"

	"github.com/philippgille/chromem-go"
	"github.com/sanadhq/sanad"
	"github.com/sanadhq/sanad/bm25"
)

const (
	manifestName = "manifest.json"
	lockName     = "LOCK"
	formatV1     = 1
)

// ErrLocked is returned by OpenWriter when another process is writing to
// the same index.
var ErrLocked = errors.New("index is locked by another writer")

// Config records how an index was built. Vectors of indexes with different
// embedder settings are not comparable, and chunks built with different
// chunking settings would not be replaced consistently.
type Config struct {
	Embedder     string `json:"embedder"`
	Model        string `json:"model"`
	Dimensions   int    `json:"dimensions"`
	QueryPrefix  string `json:"query_prefix,omitempty"`
	DocPrefix    string `json:"doc_prefix,omitempty"`
	ChunkSize    int    `json:"chunk_size"`
	ChunkOverlap int    `json:"chunk_overlap"`
	Analyzer     string `json:"analyzer"`
}

// Mismatch describes how want differs from the config that built the index,
// or returns nil when they are compatible. A zero Dimensions in want (a
// remote model not yet asked) matches any.
func (c Config) Mismatch(want Config) error {
	var diffs []string
	add := func(field, have, got string) {
		if have != got {
			diffs = append(diffs, fmt.Sprintf("%s %q (this command: %q)", field, have, got))
		}
	}
	add("embedder", c.Embedder, want.Embedder)
	add("model", c.Model, want.Model)
	if want.Dimensions != 0 && c.Dimensions != want.Dimensions {
		add("dimensions", strconv.Itoa(c.Dimensions), strconv.Itoa(want.Dimensions))
	}
	add("query prefix", c.QueryPrefix, want.QueryPrefix)
	add("document prefix", c.DocPrefix, want.DocPrefix)
	add("chunk size", strconv.Itoa(c.ChunkSize), strconv.Itoa(want.ChunkSize))
	add("chunk overlap", strconv.Itoa(c.ChunkOverlap), strconv.Itoa(want.ChunkOverlap))
	add("analyzer", c.Analyzer, want.Analyzer)
	if len(diffs) == 0 {
		return nil
	}
	return fmt.Errorf("the index was built with %s", joinComma(diffs))
}

func joinComma(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += ", "
		}
		out += x
	}
	return out
}

type segmentRef struct {
	Name string `json:"name"`
	Size int64  `json:"size"`
}

type manifest struct {
	Format      int          `json:"format"`
	Config      *Config      `json:"config,omitempty"`
	Segments    []segmentRef `json:"segments"`
	Articles    int          `json:"articles"`
	Chunks      int          `json:"chunks"`
	NextSegment int          `json:"next_segment"`
}

// Store is an open index. Reads are safe for concurrent use; writes need a
// Store opened with OpenWriter (or an in-memory one) and are serialised.
type Store struct {
	dir string

	mu       sync.RWMutex
	man      manifest
	entries  map[string]*entry
	chunks   map[string]chunkRef
	nChunks  int
	live     int64 // bytes of the records that are still current
	vectors  *chromem.Collection
	lexical  *bm25.Index
	writable bool
	lock     *os.File
	segment  *os.File
}

type chunkRef struct {
	article string
	index   int
}

// Stats summarises an index.
type Stats struct {
	Dir        string `json:"dir"`
	Config     Config `json:"config"`
	Articles   int    `json:"articles"`
	Chunks     int    `json:"chunks"`
	Segments   int    `json:"segments"`
	DiskBytes  int64  `json:"disk_bytes"`
	LiveBytes  int64  `json:"live_bytes"`
	TextBytes  int64  `json:"text_bytes"`
	VectorSize int64  `json:"vector_bytes"`
}

// NewMemory returns an empty index that lives only in memory, for
// evaluation and tests.
func NewMemory() *Store {
	s := newStore("")
	s.writable = true
	return s
}

func newStore(dir string) *Store {
	db := chromem.NewDB()
	col, err := db.CreateCollection("chunks", nil, noEmbedding)
	if err != nil {
		// CreateCollection fails only on an empty name.
		panic(err)
	}
	return &Store{
		dir:     dir,
		man:     manifest{Format: formatV1, NextSegment: 1},
		entries: make(map[string]*entry),
		chunks:  make(map[string]chunkRef),
		vectors: col,
		lexical: bm25.New(bm25.DefaultParams()),
	}
}

// noEmbedding is the collection's embedding function: sanad always passes
// vectors it computed itself, so chromem must never embed on its own.
func noEmbedding(context.Context, string) ([]float32, error) {
	return nil, errors.New("store: chromem asked to embed; vectors must be given")
}

// Open opens the index in dir for reading. A directory with no index opens
// as an empty one. Open reads the last committed state, even while another
// process is writing.
func Open(dir string) (*Store, error) {
	// A concurrent compaction may remove a segment between reading the
	// manifest and opening the segment; the new manifest then names the
	// replacement, so read again.
	var err error
	for range 3 {
		s := newStore(dir)
		if err = s.load(); err == nil || !errors.Is(err, fs.ErrNotExist) {
			if err != nil {
				return nil, err
			}
			return s, nil
		}
	}
	return nil, err
}

// OpenWriter opens the index in dir for writing, creating it if needed. Only
// one writer may hold an index: if another has it, OpenWriter returns an
// error wrapping ErrLocked, or waits for it when wait is true.
func OpenWriter(dir string, wait bool) (*Store, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create index directory %s: %w", dir, err)
	}
	lock, err := os.OpenFile(filepath.Join(dir, lockName), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open lock %s: %w", dir, err)
	}
	how := syscall.LOCK_EX | syscall.LOCK_NB
	if wait {
		how = syscall.LOCK_EX
	}
	if err := syscall.Flock(int(lock.Fd()), how); err != nil {
		holder, _ := os.ReadFile(lock.Name())
		lock.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: %s is being written by process %s (use --wait to wait for it)", ErrLocked, dir, string(holder))
		}
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	if err := lock.Truncate(0); err == nil {
		lock.WriteAt([]byte(strconv.Itoa(os.Getpid())), 0)
	}
	s := newStore(dir)
	if err := s.load(); err != nil {
		lock.Close()
		return nil, err
	}
	s.writable = true
	s.lock = lock
	if err := s.openSegment(); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// load reads the manifest and every committed record.
func (s *Store) load() error {
	raw, err := os.ReadFile(filepath.Join(s.dir, manifestName))
	if errors.Is(err, fs.ErrNotExist) {
		if _, statErr := os.Stat(s.dir); statErr != nil && !errors.Is(statErr, fs.ErrNotExist) {
			return fmt.Errorf("open index %s: %w", s.dir, statErr)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("open index %s: %w", s.dir, err)
	}
	var m manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return fmt.Errorf("open index %s: manifest: %w", s.dir, err)
	}
	if m.Format != formatV1 {
		return fmt.Errorf("open index %s: unknown format %d (this sanad reads format %d)", s.dir, m.Format, formatV1)
	}
	s.man = m
	for _, seg := range m.Segments {
		if err := s.loadSegment(seg); err != nil {
			return fmt.Errorf("open index %s: segment %s: %w", s.dir, seg.Name, err)
		}
	}
	return s.rebuild()
}

func (s *Store) loadSegment(seg segmentRef) error {
	f, err := os.Open(filepath.Join(s.dir, seg.Name))
	if err != nil {
		return err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return err
	}
	if info.Size() < seg.Size {
		return fmt.Errorf("%w: file has %d bytes, manifest committed %d", errCorrupt, info.Size(), seg.Size)
	}
	if seg.Size < int64(len(segmentMagic)) {
		return fmt.Errorf("%w: committed size %d is smaller than the header", errCorrupt, seg.Size)
	}
	data := make([]byte, seg.Size)
	if _, err := f.ReadAt(data, 0); err != nil {
		return err
	}
	if string(data[:len(segmentMagic)]) != segmentMagic {
		return fmt.Errorf("%w: not a sanad segment", errCorrupt)
	}
	return scanRecords(data[len(segmentMagic):], func(payload []byte, size int64) error {
		kind, e, id, err := decodeRecord(payload)
		if err != nil {
			return err
		}
		if kind == recordDelete {
			if old := s.entries[id]; old != nil {
				s.live -= old.size
				delete(s.entries, id)
			}
			return nil
		}
		if old := s.entries[e.article.ID]; old != nil {
			s.live -= old.size
		}
		e.size = size
		s.live += size
		s.entries[e.article.ID] = e
		return nil
	})
}

// rebuild fills the vector collection and the BM25 index from entries.
func (s *Store) rebuild() error {
	ids := make([]string, 0, len(s.entries))
	for id := range s.entries {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		if err := s.index(s.entries[id]); err != nil {
			return err
		}
	}
	return nil
}

func chunkID(articleID string, i int) string { return articleID + "#" + strconv.Itoa(i) }

// index adds an entry's chunks to the in-memory search structures.
func (s *Store) index(e *entry) error {
	for i, v := range e.vectors {
		id := chunkID(e.article.ID, i)
		if err := s.vectors.AddDocument(context.Background(), chromem.Document{ID: id, Embedding: v}); err != nil {
			return fmt.Errorf("article %s: %w", e.article.ID, err)
		}
		s.lexical.Add(id, e.terms[i])
		s.chunks[id] = chunkRef{article: e.article.ID, index: i}
	}
	s.nChunks += len(e.vectors)
	return nil
}

func (s *Store) unindex(e *entry) {
	ids := make([]string, len(e.spans))
	for i := range e.spans {
		ids[i] = chunkID(e.article.ID, i)
		s.lexical.Remove(ids[i])
		delete(s.chunks, ids[i])
	}
	if len(ids) > 0 {
		// Delete with only IDs never fails.
		_ = s.vectors.Delete(context.Background(), nil, nil, ids...)
	}
	s.nChunks -= len(e.spans)
}

// openSegment opens the last segment for appending, cutting off the remains
// of an interrupted write, or starts the first segment.
func (s *Store) openSegment() error {
	if len(s.man.Segments) == 0 {
		return s.startSegment()
	}
	last := s.man.Segments[len(s.man.Segments)-1]
	f, err := os.OpenFile(filepath.Join(s.dir, last.Name), os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("open segment %s: %w", last.Name, err)
	}
	if err := f.Truncate(last.Size); err != nil {
		f.Close()
		return fmt.Errorf("truncate segment %s: %w", last.Name, err)
	}
	if _, err := f.Seek(last.Size, 0); err != nil {
		f.Close()
		return err
	}
	s.segment = f
	return nil
}

// startSegment creates a new empty segment and makes it the one appended to.
// It is only referenced from the manifest at the next commit.
func (s *Store) startSegment() error {
	name := fmt.Sprintf("seg-%06d.log", s.man.NextSegment)
	f, err := os.OpenFile(filepath.Join(s.dir, name), os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("create segment: %w", err)
	}
	if _, err := f.Write([]byte(segmentMagic)); err != nil {
		f.Close()
		return fmt.Errorf("write segment %s: %w", name, err)
	}
	if s.segment != nil {
		s.segment.Close()
	}
	s.segment = f
	s.man.NextSegment++
	s.man.Segments = append(s.man.Segments, segmentRef{Name: name, Size: int64(len(segmentMagic))})
	return nil
}

// Config returns the settings the index was built with, and false for an
// index that has none yet.
func (s *Store) Config() (Config, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.man.Config == nil {
		return Config{}, false
	}
	return *s.man.Config, true
}

// Put is one article to store, with its chunks and, for each chunk, its
// analysed terms and its unit-length vector.
type Put struct {
	Article sanad.Article
	Chunks  []sanad.Chunk
	Terms   [][]string
	Vectors [][]float32
}

// Commit durably applies puts (adding or replacing articles) and deletes
// (article IDs) as one unit: after Commit returns, a crash loses none of it;
// if Commit fails or the process dies during it, none of it is visible.
// The first commit to an empty index records cfg; later commits must use a
// compatible cfg.
func (s *Store) Commit(cfg Config, puts []Put, deletes []string) (written int64, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.writable {
		return 0, errors.New("store: index opened read-only")
	}
	if s.man.Config != nil {
		if err := s.man.Config.Mismatch(cfg); err != nil {
			return 0, err
		}
		cfg = *s.man.Config
	}
	entries := make([]*entry, len(puts))
	seen := make(map[string]bool, len(puts))
	var buf []byte
	for i, p := range puts {
		if seen[p.Article.ID] {
			return 0, fmt.Errorf("store: article %s twice in one commit", p.Article.ID)
		}
		seen[p.Article.ID] = true
		e, err := newEntry(p, cfg.Dimensions)
		if err != nil {
			return 0, err
		}
		if cfg.Dimensions == 0 && len(e.vectors) > 0 {
			cfg.Dimensions = len(e.vectors[0])
		}
		rec := encodePut(e, cfg.Dimensions)
		e.size = int64(len(rec))
		entries[i] = e
		buf = append(buf, rec...)
	}
	var deleted []string
	for _, id := range deletes {
		if s.entries[id] != nil {
			deleted = append(deleted, id)
			buf = append(buf, encodeDelete(id)...)
		}
	}
	if len(buf) == 0 && s.man.Config != nil {
		return 0, nil
	}
	if s.dir != "" {
		if err := s.append(buf); err != nil {
			return 0, err
		}
		next := s.man
		next.Config = &cfg
		next.Segments = slices.Clone(s.man.Segments)
		next.Segments[len(next.Segments)-1].Size += int64(len(buf))
		next.Articles, next.Chunks = s.countAfter(entries, deleted)
		if err := writeManifest(s.dir, next); err != nil {
			return 0, err
		}
		s.man = next
	} else {
		s.man.Config = &cfg
	}
	for _, id := range deleted {
		s.live -= s.entries[id].size
		s.unindex(s.entries[id])
		delete(s.entries, id)
	}
	for _, e := range entries {
		if old := s.entries[e.article.ID]; old != nil {
			s.live -= old.size
			s.unindex(old)
		}
		s.entries[e.article.ID] = e
		s.live += e.size
		if err := s.index(e); err != nil {
			return int64(len(buf)), err
		}
	}
	s.man.Articles, s.man.Chunks = len(s.entries), s.nChunks
	return int64(len(buf)), nil
}

func (s *Store) countAfter(puts []*entry, deleted []string) (articles, chunks int) {
	articles, chunks = len(s.entries), s.nChunks
	gone := make(map[string]bool)
	for _, id := range deleted {
		gone[id] = true
		articles--
		chunks -= len(s.entries[id].spans)
	}
	for _, e := range puts {
		if old := s.entries[e.article.ID]; old != nil && !gone[e.article.ID] {
			articles--
			chunks -= len(old.spans)
		}
		articles++
		chunks += len(e.spans)
	}
	return articles, chunks
}

func newEntry(p Put, dims int) (*entry, error) {
	a := p.Article
	if a.ID == "" {
		return nil, errors.New("store: article with an empty ID")
	}
	if len(p.Terms) != len(p.Chunks) || len(p.Vectors) != len(p.Chunks) {
		return nil, fmt.Errorf("store: article %s: %d chunks, %d term lists, %d vectors", a.ID, len(p.Chunks), len(p.Terms), len(p.Vectors))
	}
	e := &entry{article: a, spans: make([]span, len(p.Chunks)), terms: p.Terms, vectors: p.Vectors}
	for i, c := range p.Chunks {
		if c.Start < 0 || c.Start > c.End || c.End > len(p.Article.Text) {
			return nil, fmt.Errorf("store: article %s chunk %d: offsets %d-%d outside a text of %d bytes", a.ID, i, c.Start, c.End, len(p.Article.Text))
		}
		e.spans[i] = span{c.Start, c.End}
		if err := checkVector(p.Vectors[i], dims); err != nil {
			return nil, fmt.Errorf("store: article %s chunk %d: %w", a.ID, i, err)
		}
		if dims == 0 {
			dims = len(p.Vectors[i])
		}
	}
	return e, nil
}

// checkVector rejects vectors that would silently corrupt rankings.
func checkVector(v []float32, dims int) error {
	if len(v) == 0 || (dims != 0 && len(v) != dims) {
		return fmt.Errorf("vector has %d dimensions, index has %d", len(v), dims)
	}
	var norm float64
	for _, x := range v {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return errors.New("vector has NaN or infinite values")
		}
		norm += float64(x) * float64(x)
	}
	if math.Abs(norm-1) > 1e-3 {
		return fmt.Errorf("vector is not unit length (norm² %.4f)", norm)
	}
	return nil
}

func (s *Store) append(buf []byte) error {
	name := s.segment.Name()
	if _, err := s.segment.Write(buf); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := s.segment.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", name, err)
	}
	return nil
}

// writeManifest replaces the manifest atomically: a reader or a crash sees
// either the old one or the new one, never a mix.
func writeManifest(dir string, m manifest) error {
	raw, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, manifestName+".tmp*")
	if err != nil {
		return fmt.Errorf("write manifest: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(raw); err != nil {
		tmp.Close()
		return fmt.Errorf("write manifest: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("sync manifest: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write manifest: %w", err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, manifestName)); err != nil {
		return fmt.Errorf("replace manifest: %w", err)
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}

// Compact rewrites the index when more than half of its bytes belong to
// replaced or deleted articles, and reports whether it did. Readers that
// opened the old files keep reading them.
func (s *Store) Compact() (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dir == "" || s.segment == nil {
		return false, nil
	}
	var disk int64
	for _, seg := range s.man.Segments {
		disk += seg.Size
	}
	if disk-s.live < 1<<20 || disk-s.live < s.live {
		return false, nil
	}
	old := s.man.Segments
	s.man.Segments = nil
	if err := s.startSegment(); err != nil {
		s.man.Segments = old
		return false, err
	}
	ids := make([]string, 0, len(s.entries))
	for id := range s.entries {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var buf []byte
	for _, id := range ids {
		buf = append(buf, encodePut(s.entries[id], s.man.Config.Dimensions)...)
	}
	if err := s.append(buf); err != nil {
		s.man.Segments = old
		return false, err
	}
	s.man.Segments[0].Size += int64(len(buf))
	if err := writeManifest(s.dir, s.man); err != nil {
		s.man.Segments = old
		return false, err
	}
	s.live = int64(len(buf))
	for _, seg := range old {
		os.Remove(filepath.Join(s.dir, seg.Name))
	}
	return true, nil
}

// Close releases the index and, for a writer, its lock.
func (s *Store) Close() error {
	var err error
	if s.segment != nil {
		err = s.segment.Close()
		s.segment = nil
	}
	if s.lock != nil {
		s.lock.Close()
		s.lock = nil
	}
	return err
}

// Len is the number of articles in the index.
func (s *Store) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.entries)
}

// Article returns an indexed article with its text.
func (s *Store) Article(id string) (sanad.Article, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	e := s.entries[id]
	if e == nil {
		return sanad.Article{}, false
	}
	return e.article, true
}

// Articles returns every article, without text, sorted by ID.
func (s *Store) Articles() []sanad.Article {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]sanad.Article, 0, len(s.entries))
	for _, e := range s.entries {
		a := e.article
		a.Text = ""
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b sanad.Article) int {
		if a.ID < b.ID {
			return -1
		}
		if a.ID > b.ID {
			return 1
		}
		return 0
	})
	return out
}

// Chunks returns an article's chunks with their vectors, in order.
func (s *Store) Chunks(articleID string) ([]sanad.Chunk, [][]float32) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	e := s.entries[articleID]
	if e == nil {
		return nil, nil
	}
	out := make([]sanad.Chunk, len(e.spans))
	for i := range e.spans {
		out[i] = e.chunk(i)
	}
	return out, e.vectors
}

func (e *entry) chunk(i int) sanad.Chunk {
	sp := e.spans[i]
	return sanad.Chunk{
		ID:        chunkID(e.article.ID, i),
		ArticleID: e.article.ID,
		Index:     i,
		Start:     sp.start,
		End:       sp.end,
		Text:      e.article.Text[sp.start:sp.end],
	}
}

// hit builds a result for a chunk ID; the article is given without text.
func (s *Store) hit(chunk string, score float64) (sanad.Hit, bool) {
	ref, ok := s.chunks[chunk]
	if !ok {
		return sanad.Hit{}, false
	}
	e := s.entries[ref.article]
	a := e.article
	a.Text = ""
	return sanad.Hit{Score: score, Chunk: e.chunk(ref.index), Article: a}, true
}

// SearchVector returns up to k chunks most similar to the unit vector q,
// best first, skipping the chunks of the article named exclude.
func (s *Store) SearchVector(ctx context.Context, q []float32, k int, exclude string) ([]sanad.Hit, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.man.Config != nil && len(q) != s.man.Config.Dimensions {
		return nil, fmt.Errorf("query vector has %d dimensions, index has %d", len(q), s.man.Config.Dimensions)
	}
	n := k
	if e := s.entries[exclude]; e != nil {
		n += len(e.spans)
	}
	n = min(n, s.nChunks)
	if n <= 0 {
		return nil, nil
	}
	res, err := s.vectors.QueryEmbedding(ctx, q, n, nil, nil)
	if err != nil {
		return nil, fmt.Errorf("vector search: %w", err)
	}
	hits := make([]sanad.Hit, 0, k)
	for _, r := range res {
		h, ok := s.hit(r.ID, float64(r.Similarity))
		if !ok || h.Article.ID == exclude {
			continue
		}
		if hits = append(hits, h); len(hits) == k {
			break
		}
	}
	rank(hits)
	return hits, nil
}

// SearchLexical returns up to k chunks ranked by BM25 for the analysed
// query terms, best first, skipping the chunks of the article named exclude.
func (s *Store) SearchLexical(terms []string, k int, exclude string) []sanad.Hit {
	s.mu.RLock()
	defer s.mu.RUnlock()
	n := k
	if e := s.entries[exclude]; e != nil {
		n += len(e.spans)
	}
	hits := make([]sanad.Hit, 0, k)
	for _, r := range s.lexical.Search(terms, n) {
		h, ok := s.hit(r.ID, r.Score)
		if !ok || h.Article.ID == exclude {
			continue
		}
		if hits = append(hits, h); len(hits) == k {
			break
		}
	}
	rank(hits)
	return hits
}

func rank(hits []sanad.Hit) {
	for i := range hits {
		hits[i].Rank = i + 1
	}
}

// Stats describes the index.
func (s *Store) Stats() Stats {
	s.mu.RLock()
	defer s.mu.RUnlock()
	st := Stats{Dir: s.dir, Articles: len(s.entries), Chunks: s.nChunks, Segments: len(s.man.Segments), LiveBytes: s.live}
	if s.man.Config != nil {
		st.Config = *s.man.Config
	}
	for _, seg := range s.man.Segments {
		st.DiskBytes += seg.Size
	}
	for _, e := range s.entries {
		st.TextBytes += int64(len(e.article.Text))
		st.VectorSize += int64(len(e.vectors) * st.Config.Dimensions * 4)
	}
	return st
}

// Reset empties the index, including its recorded settings, so that it can
// be rebuilt with others. The empty manifest is committed before any
// segment is removed, so a crash leaves either the old index or an empty one.
func (s *Store) Reset() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.writable {
		return errors.New("store: index opened read-only")
	}
	old := s.man.Segments
	fresh := newStore(s.dir)
	fresh.man.NextSegment = s.man.NextSegment
	if s.dir != "" {
		if err := writeManifest(s.dir, fresh.man); err != nil {
			return err
		}
		for _, seg := range old {
			os.Remove(filepath.Join(s.dir, seg.Name))
		}
	}
	s.man, s.entries, s.chunks, s.nChunks, s.live = fresh.man, fresh.entries, fresh.chunks, 0, 0
	s.vectors, s.lexical = fresh.vectors, fresh.lexical
	if s.segment != nil {
		return s.startSegment()
	}
	return nil
}
