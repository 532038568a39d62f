// Package store is sanad's index: chunks, their vectors and their BM25
// terms, with per-article metadata for citations. Vectors are searched with
// the in-process vector database chromem-go, terms with BM25.
//
// On disk an index is a JSON manifest, a snapshot that is memory-mapped
// and queried in place, and append-only log segments of checksummed
// records committed since the snapshot. A commit appends records, fsyncs
// them, and then replaces the manifest atomically (temporary file, fsync,
// rename), so an interrupted run leaves the index exactly as the last
// commit left it, and adding a few articles writes only those articles.
// Compaction folds the log into a new snapshot.
package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/philippgille/chromem-go"
	"github.com/sanadhq/sanad"
	"github.com/sanadhq/sanad/analysis"
	"github.com/sanadhq/sanad/bm25"
)

const (
	manifestName = "manifest.json"
	lockName     = "LOCK"
	// rebuildDir is the folder, inside an index's, where Rebuild builds
	// its replacement.
	rebuildDir = "rebuild"
	formatV1   = 1
	// compactChunks is how many chunks the log may hold after an index run
	// before it is folded into the snapshot: opening the index analyses
	// the log's chunks again, and a short log keeps that quick.
	compactChunks = 2000
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
	if want.Dimensions != 0 && c.Dimensions != 0 && c.Dimensions != want.Dimensions {
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
	return fmt.Errorf("the index was built with %s", strings.Join(diffs, ", "))
}

type segmentRef struct {
	Name string `json:"name"`
	Size int64  `json:"size"`
}

type manifest struct {
	Format      int          `json:"format"`
	Config      *Config      `json:"config,omitempty"`
	Snapshot    string       `json:"snapshot,omitempty"`
	Segments    []segmentRef `json:"segments"`
	Articles    int          `json:"articles"`
	Chunks      int          `json:"chunks"`
	NextSegment int          `json:"next_segment"`
	// Furniture holds the hashes of the lines the indexer found to be site
	// furniture, so that later runs of a few articles recognise them too.
	Furniture []uint64 `json:"furniture,omitempty"`
}

// Store is an open index. Reads are safe for concurrent use; writes need a
// Store opened with OpenWriter (or an in-memory one) and are serialised.
//
// Its articles are those of the snapshot that the log has not replaced or
// deleted (gone), and those of the log (entries).
type Store struct {
	dir string

	mu        sync.RWMutex
	man       manifest
	snap      *snapshot
	gone      []bool // per snapshot article
	chunkGone []bool // per snapshot chunk
	goneCount int
	goneChks  int
	goneLen   int64 // terms in gone snapshot chunks
	entries   map[string]*entry
	logChunks int
	live      int64 // bytes of the log's current records
	vectors   *chromem.Collection
	lexical   *bm25.Index // the log's chunks
	params    bm25.Params
	writable  bool
	lock      *os.File
	segment   *os.File
	// staged marks an index made by Rebuild: its folder goes with Close,
	// as nothing can use a rebuild that was not completed.
	staged bool
	// broken is set when a write failed at a point where the files and the
	// in-memory state may disagree; the writer then refuses to write until
	// the index is opened again, which reads the committed state.
	broken error
}

// Stats summarises an index.
type Stats struct {
	Dir           string `json:"dir"`
	Config        Config `json:"config"`
	Articles      int    `json:"articles"`
	Chunks        int    `json:"chunks"`
	LogChunks     int    `json:"log_chunks"`
	Segments      int    `json:"segments"`
	SnapshotBytes int64  `json:"snapshot_bytes"`
	LogBytes      int64  `json:"log_bytes"`
	DiskBytes     int64  `json:"disk_bytes"`
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
		vectors: col,
		params:  bm25.DefaultParams(),
		lexical: bm25.New(),
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
	// A concurrent compaction may remove a file between reading the
	// manifest and opening the file; the new manifest then names the
	// replacement, so read again.
	var err error
	for range 3 {
		s := newStore(dir)
		if err = s.load(); err == nil {
			return s, nil
		}
		s.Close()
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}
	return nil, err
}

// OpenWriter opens the index in dir for writing, creating it if needed. Only
// one writer may hold an index: if another has it, OpenWriter returns an
// error wrapping ErrLocked, or, when wait is true, waits for it until ctx
// is done.
func OpenWriter(ctx context.Context, dir string, wait bool) (*Store, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create index directory %s: %w", dir, err)
	}
	// The folder's own entry must be durable before anything in it is.
	if err := syncDir(filepath.Dir(filepath.Clean(dir))); err != nil {
		return nil, err
	}
	lock, err := os.OpenFile(filepath.Join(dir, lockName), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open lock %s: %w", dir, err)
	}
	if err := takeLock(ctx, lock, wait); err != nil {
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
		s.Close()
		lock.Close()
		return nil, err
	}
	s.writable = true
	s.lock = lock
	s.removeStrays()
	if err := s.openSegment(); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// takeLock takes an exclusive flock. Waiting polls rather than blocking in
// the kernel, so that Ctrl-C (ctx) ends the wait.
func takeLock(ctx context.Context, f *os.File, wait bool) error {
	delay := 10 * time.Millisecond
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil || !wait || !errors.Is(err, syscall.EWOULDBLOCK) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
		delay = min(2*delay, time.Second)
	}
}

// removeStrays deletes files of the index folder that the manifest does
// not name: the remains of a compaction or manifest write that was cut off.
// Only the writer does this, under the lock.
func (s *Store) removeStrays() {
	named := map[string]bool{manifestName: true, lockName: true, s.man.Snapshot: true}
	for _, seg := range s.man.Segments {
		named[seg.Name] = true
	}
	os.RemoveAll(filepath.Join(s.dir, rebuildDir))
	files, _ := os.ReadDir(s.dir)
	for _, f := range files {
		name := f.Name()
		if !named[name] && (strings.HasPrefix(name, "seg-") || strings.HasPrefix(name, "snap-") || strings.HasPrefix(name, manifestName+".tmp")) {
			os.Remove(filepath.Join(s.dir, name))
		}
	}
}

func readManifest(dir string) (manifest, bool, error) {
	var m manifest
	raw, err := os.ReadFile(filepath.Join(dir, manifestName))
	if errors.Is(err, fs.ErrNotExist) {
		return m, false, nil
	}
	if err != nil {
		return m, false, err
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return m, false, fmt.Errorf("manifest: %w", err)
	}
	if m.Format != formatV1 {
		return m, false, fmt.Errorf("unknown format %d (this sanad reads format %d)", m.Format, formatV1)
	}
	return m, true, nil
}

// load reads the manifest, maps the snapshot and reads the log.
func (s *Store) load() error {
	m, ok, err := readManifest(s.dir)
	if err != nil {
		return fmt.Errorf("open index %s: %w", s.dir, err)
	}
	if !ok {
		return nil
	}
	s.man = m
	if m.Snapshot != "" {
		snap, err := openSnapshot(filepath.Join(s.dir, m.Snapshot))
		if err != nil {
			return fmt.Errorf("open index %s: snapshot %s: %w", s.dir, m.Snapshot, err)
		}
		s.snap = snap
		s.gone = make([]bool, snap.len())
		s.chunkGone = make([]bool, snap.header.chunks)
	}
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
		if kind == recordPut {
			id = e.article.ID
		}
		if old := s.entries[id]; old != nil {
			s.live -= old.size
			delete(s.entries, id)
		}
		s.markGone(id)
		if kind == recordPut {
			e.size = size
			s.live += size
			s.entries[id] = e
		}
		return nil
	})
}

// markGone records that the snapshot's copy of an article, if any, has
// been replaced or deleted.
func (s *Store) markGone(id string) {
	if s.snap == nil {
		return
	}
	i, ok := s.snap.find(id)
	if !ok || s.gone[i] {
		return
	}
	s.gone[i] = true
	s.goneCount++
	first, n := s.snap.chunkRange(i)
	for c := first; c < first+n; c++ {
		s.chunkGone[c] = true
		s.goneLen += int64(s.snap.chunks[c][3])
	}
	s.goneChks += n
}

// rebuild fills the vector collection and the log's BM25 index.
func (s *Store) rebuild() error {
	if s.snap != nil {
		if err := s.addSnapshotVectors(); err != nil {
			return err
		}
	}
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

// addSnapshotVectors hands the snapshot's live vectors to chromem, which
// reads each one to check its norm: that is most of the cost of opening an
// index, so it is spread over the cores.
func (s *Store) addSnapshotVectors() error {
	s.snap.populateVectors()
	workers := runtime.GOMAXPROCS(0)
	n := s.snap.len()
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w * n / workers; i < (w+1)*n/workers; i++ {
				if s.gone[i] {
					continue
				}
				id := s.snap.id(i)
				first, count := s.snap.chunkRange(i)
				for c := range count {
					doc := chromem.Document{ID: chunkID(id, c), Embedding: s.snap.vector(first + c)}
					if err := s.vectors.AddDocument(context.Background(), doc); err != nil {
						errs[w] = fmt.Errorf("article %s: %w", id, err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

func chunkID(articleID string, i int) string { return articleID + "#" + strconv.Itoa(i) }

// splitChunkID undoes chunkID.
func splitChunkID(id string) (string, int, bool) {
	i := strings.LastIndexByte(id, '#')
	if i < 0 {
		return "", 0, false
	}
	n, err := strconv.Atoi(id[i+1:])
	return id[:i], n, err == nil && n >= 0
}

// index adds a log entry's chunks to the in-memory search structures.
func (s *Store) index(e *entry) error {
	for i, v := range e.vectors {
		id := chunkID(e.article.ID, i)
		if err := s.vectors.AddDocument(context.Background(), chromem.Document{ID: id, Embedding: v}); err != nil {
			return fmt.Errorf("article %s: %w", e.article.ID, err)
		}
		s.lexical.Add(id, analysis.LexicalTerms(e.lexical[i]))
	}
	s.logChunks += len(e.vectors)
	return nil
}

// remove takes an article out of the search structures, wherever it is.
func (s *Store) remove(id string) {
	var ids []string
	if e := s.entries[id]; e != nil {
		for i := range e.spans {
			ids = append(ids, chunkID(id, i))
			s.lexical.Remove(chunkID(id, i))
		}
		s.logChunks -= len(e.spans)
		s.live -= e.size
		delete(s.entries, id)
	} else if s.snap != nil {
		if i, ok := s.snap.find(id); ok && !s.gone[i] {
			_, n := s.snap.chunkRange(i)
			for c := range n {
				ids = append(ids, chunkID(id, c))
			}
			s.markGone(id)
		}
	}
	if len(ids) > 0 {
		// Delete with only IDs never fails.
		_ = s.vectors.Delete(context.Background(), nil, nil, ids...)
	}
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
	s.segment = f
	return nil
}

// startSegment creates a new empty segment and makes it the one appended to.
// It is only referenced from the manifest at the next commit.
func (s *Store) startSegment() error {
	name := fmt.Sprintf("seg-%06d.log", s.man.NextSegment)
	// Names are never reused: a reader may still have the old file open.
	f, err := os.OpenFile(filepath.Join(s.dir, name), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("create segment: %w", err)
	}
	if _, err := f.Write([]byte(segmentMagic)); err != nil {
		f.Close()
		return fmt.Errorf("write segment %s: %w", name, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("sync segment %s: %w", name, err)
	}
	if err := syncDir(s.dir); err != nil {
		f.Close()
		return err
	}
	if s.segment != nil {
		s.segment.Close()
	}
	s.segment = f
	s.man.NextSegment++
	s.man.Segments = append(s.man.Segments, segmentRef{Name: name, Size: int64(len(segmentMagic))})
	return nil
}

// Furniture returns the line hashes recorded with SetFurniture.
func (s *Store) Furniture() []uint64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Clone(s.man.Furniture)
}

// SetFurniture records the line hashes of the index's site furniture,
// durably.
func (s *Store) SetFurniture(lines []uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.writeCheck(); err != nil {
		return err
	}
	next := s.man
	next.Furniture = slices.Clone(lines)
	slices.Sort(next.Furniture)
	if slices.Equal(next.Furniture, s.man.Furniture) {
		return nil
	}
	if s.dir != "" {
		if err := writeManifest(s.dir, next); err != nil {
			s.broken = err
			return err
		}
	}
	s.man = next
	return nil
}

// Hashes returns the content hash of every article by ID, so that an index
// run can tell unchanged articles without taking the index's lock.
func (s *Store) Hashes() map[string]string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	n, _ := s.counts()
	out := make(map[string]string, n)
	for id, e := range s.entries {
		out[id] = e.article.Hash
	}
	if s.snap != nil {
		for i := range s.snap.len() {
			if !s.gone[i] {
				a := s.snap.articles[i]
				out[strings.Clone(s.snap.str(a[0], a[1]))] = strings.Clone(s.snap.str(a[8], a[9]))
			}
		}
	}
	return out
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

// Put is one article to store, with its chunks and, for each chunk, the
// text its BM25 terms are drawn from and its unit-length vector.
type Put struct {
	Article sanad.Article
	Chunks  []sanad.Chunk
	// Lexical is, per chunk, the text that represents it to BM25 (and, by
	// the indexer's choice, to the embedder): typically the article's
	// title and the chunk without site furniture.
	Lexical []string
	Vectors [][]float32
}

// Commit durably applies puts (adding or replacing articles) and deletes
// (article IDs) as one unit: after Commit returns, a crash loses none of it;
// if Commit fails or the process dies during it, none of it is visible.
// The first commit to an empty index records cfg; later commits must use a
// compatible cfg. It returns the bytes it appended to the log.
func (s *Store) Commit(cfg Config, puts []Put, deletes []string) (written int64, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.writeCheck(); err != nil {
		return 0, err
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
		if s.has(id) && !seen[id] {
			seen[id] = true
			deleted = append(deleted, id)
			buf = append(buf, encodeDelete(id)...)
		}
	}
	if len(buf) == 0 && s.man.Config != nil {
		return 0, nil
	}
	next := s.man
	next.Config = &cfg
	if s.dir != "" {
		next.Segments = slices.Clone(s.man.Segments)
		last := &next.Segments[len(next.Segments)-1]
		next.Articles, next.Chunks = s.countAfter(entries, deleted)
		if err := s.appendCommitted(buf, last.Size); err != nil {
			return 0, err
		}
		last.Size += int64(len(buf))
		if err := writeManifest(s.dir, next); err != nil {
			// The rename may have happened: which state is on disk is
			// unknown until the index is read again.
			s.broken = err
			return 0, err
		}
	}
	s.man = next
	for _, id := range deleted {
		s.remove(id)
	}
	for _, e := range entries {
		s.remove(e.article.ID)
		s.entries[e.article.ID] = e
		s.live += e.size
		if err := s.index(e); err != nil {
			s.broken = err
			return int64(len(buf)), err
		}
	}
	s.man.Articles, s.man.Chunks = s.counts()
	// A long index run folds its log into the snapshot as it goes, so that
	// its memory stays bounded; growing geometrically keeps the rewriting
	// proportional to the index. The commit is durable whatever happens
	// here: a compaction that fails leaves the log as it is, to be folded
	// later.
	if s.dir != "" && s.logChunks >= max(compactChunks, s.snapChunks()/4) {
		if err := s.compact(); err != nil {
			slog.Warn("compaction failed; the log stays as it is", "index", s.dir, "err", err)
		}
	}
	return int64(len(buf)), nil
}

// writeCheck refuses writes to a read-only or broken store.
func (s *Store) writeCheck() error {
	if !s.writable {
		return errors.New("store: index opened read-only")
	}
	if s.broken != nil {
		return fmt.Errorf("store: an earlier write failed (%v); open the index again", s.broken)
	}
	return nil
}

// appendCommitted writes buf at the committed end of the current segment
// and makes it durable. On failure it cuts the segment back to that end,
// so that a later commit starts from the same place; if even that fails
// the store is broken.
func (s *Store) appendCommitted(buf []byte, end int64) error {
	name := s.segment.Name()
	_, err := s.segment.WriteAt(buf, end)
	if err == nil {
		err = s.segment.Sync()
	}
	if err == nil {
		return nil
	}
	if terr := s.segment.Truncate(end); terr != nil {
		s.broken = terr
	}
	return fmt.Errorf("write %s: %w", name, err)
}

func (s *Store) snapChunks() int {
	if s.snap == nil {
		return 0
	}
	return int(s.snap.header.chunks) - s.goneChks
}

// counts is the number of live articles and chunks.
func (s *Store) counts() (articles, chunks int) {
	articles, chunks = len(s.entries), s.logChunks
	if s.snap != nil {
		articles += s.snap.len() - s.goneCount
		chunks += s.snapChunks()
	}
	return articles, chunks
}

func (s *Store) has(id string) bool {
	if s.entries[id] != nil {
		return true
	}
	if s.snap == nil {
		return false
	}
	i, ok := s.snap.find(id)
	return ok && !s.gone[i]
}

// chunkCount is the number of chunks of a live article.
func (s *Store) chunkCount(id string) int {
	if e := s.entries[id]; e != nil {
		return len(e.spans)
	}
	if s.snap != nil {
		if i, ok := s.snap.find(id); ok && !s.gone[i] {
			_, n := s.snap.chunkRange(i)
			return n
		}
	}
	return 0
}

func (s *Store) countAfter(puts []*entry, deleted []string) (articles, chunks int) {
	articles, chunks = s.counts()
	for _, id := range deleted {
		articles--
		chunks -= s.chunkCount(id)
	}
	for _, e := range puts {
		if n := s.chunkCount(e.article.ID); s.has(e.article.ID) {
			articles--
			chunks -= n
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
	if len(p.Lexical) != len(p.Chunks) || len(p.Vectors) != len(p.Chunks) {
		return nil, fmt.Errorf("store: article %s: %d chunks, %d lexical texts, %d vectors", a.ID, len(p.Chunks), len(p.Lexical), len(p.Vectors))
	}
	e := &entry{article: a, spans: make([]span, len(p.Chunks)), lexical: p.Lexical, vectors: p.Vectors}
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

// Close releases the index and, for a writer, its lock. Articles, chunks
// and hits returned earlier stay valid.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var err error
	if s.segment != nil {
		err = s.segment.Close()
		s.segment = nil
	}
	if s.snap != nil {
		s.snap.close()
		s.snap = nil
		s.vectors = nil
	}
	if s.lock != nil {
		s.lock.Close()
		s.lock = nil
	}
	if s.staged {
		os.RemoveAll(s.dir)
	}
	return err
}

// Len is the number of articles in the index.
func (s *Store) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	n, _ := s.counts()
	return n
}

// article returns a live article; for the snapshot's, its strings point
// into the mapping and must be cloned before they leave the package.
func (s *Store) article(id string) (sanad.Article, bool) {
	if e := s.entries[id]; e != nil {
		return e.article, true
	}
	if s.snap != nil {
		if i, ok := s.snap.find(id); ok && !s.gone[i] {
			return s.snap.article(i), true
		}
	}
	return sanad.Article{}, false
}

func cloneArticle(a sanad.Article) sanad.Article {
	return sanad.Article{
		ID: strings.Clone(a.ID), Title: strings.Clone(a.Title), Source: strings.Clone(a.Source),
		Date: strings.Clone(a.Date), Hash: strings.Clone(a.Hash), Text: strings.Clone(a.Text),
	}
}

// Article returns an indexed article with its text.
func (s *Store) Article(id string) (sanad.Article, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	a, ok := s.article(id)
	return cloneArticle(a), ok
}

// Articles returns every article, without text, sorted by ID.
func (s *Store) Articles() []sanad.Article {
	s.mu.RLock()
	defer s.mu.RUnlock()
	n, _ := s.counts()
	out := make([]sanad.Article, 0, n)
	for _, e := range s.entries {
		a := e.article
		a.Text = ""
		out = append(out, a)
	}
	if s.snap != nil {
		for i := range s.snap.len() {
			if !s.gone[i] {
				a := s.snap.article(i)
				a.Text = ""
				out = append(out, cloneArticle(a))
			}
		}
	}
	slices.SortFunc(out, func(a, b sanad.Article) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// Chunks returns an article's chunks with their vectors, in order.
func (s *Store) Chunks(articleID string) ([]sanad.Chunk, [][]float32) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	a, ok := s.article(articleID)
	if !ok {
		return nil, nil
	}
	a = cloneArticle(a)
	if e := s.entries[articleID]; e != nil {
		out := make([]sanad.Chunk, len(e.spans))
		vecs := make([][]float32, len(e.spans))
		for i, sp := range e.spans {
			out[i] = makeChunk(a, i, sp)
			vecs[i] = slices.Clone(e.vectors[i])
		}
		return out, vecs
	}
	i, _ := s.snap.find(articleID)
	first, n := s.snap.chunkRange(i)
	out := make([]sanad.Chunk, n)
	vecs := make([][]float32, n)
	for c := range n {
		rec := s.snap.chunks[first+c]
		out[c] = makeChunk(a, c, span{int(rec[0]), int(rec[1])})
		vecs[c] = slices.Clone(s.snap.vector(first + c))
	}
	return out, vecs
}

func makeChunk(a sanad.Article, i int, sp span) sanad.Chunk {
	return sanad.Chunk{ID: chunkID(a.ID, i), ArticleID: a.ID, Index: i, Start: sp.start, End: sp.end, Text: a.Text[sp.start:sp.end]}
}

// hit builds a result for a chunk ID; the article is given without text.
func (s *Store) hit(chunk string, score float64) (sanad.Hit, bool) {
	id, i, ok := splitChunkID(chunk)
	if !ok {
		return sanad.Hit{}, false
	}
	if e := s.entries[id]; e != nil {
		if i >= len(e.spans) {
			return sanad.Hit{}, false
		}
		a := e.article
		c := makeChunk(a, i, e.spans[i])
		a.Text = ""
		return sanad.Hit{Score: score, Chunk: c, Article: a}, true
	}
	if s.snap == nil {
		return sanad.Hit{}, false
	}
	ai, ok := s.snap.find(id)
	if !ok || s.gone[ai] {
		return sanad.Hit{}, false
	}
	first, n := s.snap.chunkRange(ai)
	if i >= n {
		return sanad.Hit{}, false
	}
	rec := s.snap.chunks[first+i]
	a := s.snap.article(ai)
	c := makeChunk(a, i, span{int(rec[0]), int(rec[1])})
	// The snapshot's strings live in its memory map, which Close unmaps:
	// a hit outlives it, so it owns copies.
	c.ArticleID, c.Text = strings.Clone(c.ArticleID), strings.Clone(c.Text)
	a.Text = ""
	return sanad.Hit{Score: score, Chunk: c, Article: cloneArticle(a)}, true
}

// SearchVector returns up to k chunks most similar to the unit vector q,
// best first, skipping the chunks of the article named exclude.
func (s *Store) SearchVector(ctx context.Context, q []float32, k int, exclude string) ([]sanad.Hit, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.vectors == nil {
		return nil, errors.New("store: index closed")
	}
	if s.man.Config != nil && len(q) != s.man.Config.Dimensions {
		return nil, fmt.Errorf("query vector has %d dimensions, index has %d", len(q), s.man.Config.Dimensions)
	}
	_, live := s.counts()
	n := min(k+s.chunkCount(exclude), live)
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

func rank(hits []sanad.Hit) {
	for i := range hits {
		hits[i].Rank = i + 1
	}
}

// Stats describes the index.
func (s *Store) Stats() Stats {
	s.mu.RLock()
	defer s.mu.RUnlock()
	st := Stats{Dir: s.dir, Segments: len(s.man.Segments), LogChunks: s.logChunks}
	st.Articles, st.Chunks = s.counts()
	if s.man.Config != nil {
		st.Config = *s.man.Config
	}
	for _, seg := range s.man.Segments {
		st.LogBytes += seg.Size
	}
	if s.snap != nil {
		st.SnapshotBytes = s.snap.size
	}
	st.DiskBytes = st.LogBytes + st.SnapshotBytes
	return st
}

// Rebuild returns an empty index in which to build a replacement for s,
// with settings of its own; Replace then publishes it. Until then s, and
// every reader of its folder, keeps the old index, so a rebuild that fails
// or is interrupted loses nothing. The new index's files are written in a
// folder inside s's, under s's lock. Closing the new index without
// Replace removes them; the next writer removes those a crash left.
func (s *Store) Rebuild() (*Store, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.writeCheck(); err != nil {
		return nil, err
	}
	if s.dir == "" {
		return NewMemory(), nil
	}
	dir := filepath.Join(s.dir, rebuildDir)
	if err := os.RemoveAll(dir); err != nil {
		return nil, fmt.Errorf("rebuild: %w", err)
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		return nil, fmt.Errorf("rebuild: %w", err)
	}
	staged := newStore(dir)
	staged.writable, staged.staged = true, true
	// Its files move into s's folder on Replace, so their names must not
	// be any that s has used.
	staged.man.NextSegment = s.man.NextSegment
	if err := staged.startSegment(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("rebuild: %w", err)
	}
	return staged, nil
}

// errReplaced stops further writes to an index that Replace has put in
// another's place.
var errReplaced = errors.New("store: this index has replaced another; use that one")

// Replace makes staged, an index from s.Rebuild, the index in s's place,
// and closes staged. The switch is one manifest write: a reader or a crash
// sees the old index or the new one, never a mix. The old index's files
// are removed after.
func (s *Store) Replace(staged *Store) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.writeCheck(); err != nil {
		return err
	}
	staged.mu.Lock()
	defer staged.mu.Unlock()
	if err := staged.writeCheck(); err != nil {
		return fmt.Errorf("rebuilt index: %w", err)
	}
	if s.dir == "" {
		s.swap(staged)
		staged.broken = errReplaced
		return nil
	}
	if staged.dir != filepath.Join(s.dir, rebuildDir) {
		return fmt.Errorf("replace %s: %s was not made by its Rebuild", s.dir, staged.dir)
	}
	var names []string
	if staged.man.Snapshot != "" {
		names = append(names, staged.man.Snapshot)
	}
	for _, seg := range staged.man.Segments {
		names = append(names, seg.Name)
	}
	for _, name := range names {
		if err := os.Rename(filepath.Join(staged.dir, name), filepath.Join(s.dir, name)); err != nil {
			return fmt.Errorf("replace %s: %w", s.dir, err)
		}
	}
	if err := syncDir(s.dir); err != nil {
		return err
	}
	if err := writeManifest(s.dir, staged.man); err != nil {
		s.broken = err
		return err
	}
	staged.segment.Close()
	staged.segment = nil
	if staged.snap != nil {
		staged.snap.close()
		staged.snap = nil
	}
	staged.broken = errReplaced
	os.RemoveAll(staged.dir)
	// What is on disk is now the new index; load it as a reader would.
	loaded := newStore(s.dir)
	err := loaded.load()
	if err == nil {
		err = loaded.openSegment()
	}
	if err != nil {
		loaded.Close()
		s.broken = err
		return fmt.Errorf("reopen after rebuild: %w", err)
	}
	s.swap(loaded)
	return nil
}

// swap replaces s's state with fresh's, keeping s's lock, and releases
// the files of the old state.
func (s *Store) swap(fresh *Store) {
	oldMan, oldSnap, oldSegment := s.man, s.snap, s.segment
	s.man, s.snap, s.gone, s.chunkGone = fresh.man, fresh.snap, fresh.gone, fresh.chunkGone
	s.goneCount, s.goneChks, s.goneLen = fresh.goneCount, fresh.goneChks, fresh.goneLen
	s.entries, s.logChunks, s.live = fresh.entries, fresh.logChunks, fresh.live
	s.vectors, s.lexical = fresh.vectors, fresh.lexical
	if fresh.segment != nil {
		if oldSegment != nil {
			oldSegment.Close()
		}
		s.segment = fresh.segment
	}
	if oldSnap != nil {
		oldSnap.close()
	}
	if s.dir == "" {
		return
	}
	keep := map[string]bool{s.man.Snapshot: true}
	for _, seg := range s.man.Segments {
		keep[seg.Name] = true
	}
	if oldMan.Snapshot != "" && !keep[oldMan.Snapshot] {
		os.Remove(filepath.Join(s.dir, oldMan.Snapshot))
	}
	for _, seg := range oldMan.Segments {
		if !keep[seg.Name] {
			os.Remove(filepath.Join(s.dir, seg.Name))
		}
	}
}
