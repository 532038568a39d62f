package store

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Compact folds the log into a new snapshot when it holds more than a few
// thousand chunks, or when much of the index is replaced or deleted
// articles, and reports whether it did. Readers that opened the old files
// keep reading them.
func (s *Store) Compact() (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dir == "" {
		return false, nil
	}
	if err := s.writeCheck(); err != nil {
		return false, err
	}
	var logBytes int64
	for _, seg := range s.man.Segments {
		logBytes += seg.Size
	}
	garbage := logBytes - s.live
	snapChunks := 0
	if s.snap != nil {
		snapChunks = int(s.snap.header.chunks)
	}
	if s.logChunks < compactChunks && (garbage < 1<<20 || garbage < s.live) && s.goneChks*4 <= snapChunks {
		return false, nil
	}
	return true, s.compact()
}

// compact writes every live article into a new snapshot, commits a
// manifest that names it and a new empty log segment, and reopens the
// index from them. The caller holds the write lock.
func (s *Store) compact() error {
	arts, remap, logChunk := s.liveArticles()
	name := fmt.Sprintf("snap-%06d.idx", s.man.NextSegment)
	next := s.man
	next.NextSegment++
	next.Snapshot = name
	dims := 0
	if s.man.Config != nil {
		dims = s.man.Config.Dimensions
	}
	if err := writeSnapshot(filepath.Join(s.dir, name), dims, arts, s.postings(remap, logChunk)); err != nil {
		os.Remove(filepath.Join(s.dir, name))
		return fmt.Errorf("write snapshot: %w", err)
	}
	fresh := newStore(s.dir)
	fresh.man = next
	fresh.man.Segments = nil
	// startSegment also makes the new files' directory entries durable
	// before the manifest names them.
	if err := fresh.startSegment(); err != nil {
		os.Remove(filepath.Join(s.dir, name))
		return err
	}
	if err := writeManifest(s.dir, fresh.man); err != nil {
		fresh.segment.Close()
		s.broken = err
		return err
	}
	// What is on disk is now the new snapshot; load it as a reader would.
	seg := fresh.segment
	loaded := newStore(s.dir)
	if err := loaded.load(); err != nil {
		seg.Close()
		loaded.Close()
		s.broken = err
		return fmt.Errorf("reopen after compaction: %w", err)
	}
	loaded.segment = seg
	s.swap(loaded)
	return nil
}

// liveArticles lists the live articles sorted by ID with their chunks in
// the new snapshot's numbering, and says where each old chunk goes: remap
// for the snapshot's chunks (-1 when gone), logChunk for the log's.
func (s *Store) liveArticles() ([]snapshotArticle, []int32, map[string]uint32) {
	var arts []snapshotArticle
	var remap []int32
	if s.snap != nil {
		remap = make([]int32, s.snap.header.chunks)
		for i := range remap {
			remap[i] = -1
		}
		for i := range s.snap.len() {
			if s.gone[i] {
				continue
			}
			first, n := s.snap.chunkRange(i)
			a := snapshotArticle{article: s.snap.article(i), from: i, spans: make([]span, n), lengths: make([]int, n), vectors: make([][]float32, n)}
			for c := range n {
				rec := s.snap.chunks[first+c]
				a.spans[c] = span{int(rec[0]), int(rec[1])}
				a.lengths[c] = int(rec[3])
				a.vectors[c] = s.snap.vector(first + c)
			}
			arts = append(arts, a)
		}
	}
	for _, e := range s.entries {
		a := snapshotArticle{article: e.article, from: -1, spans: e.spans, lengths: make([]int, len(e.spans)), vectors: e.vectors}
		for c := range e.spans {
			a.lengths[c], _ = s.lexical.DocLen(chunkID(e.article.ID, c))
		}
		arts = append(arts, a)
	}
	slices.SortFunc(arts, func(a, b snapshotArticle) int { return strings.Compare(a.article.ID, b.article.ID) })

	logChunk := make(map[string]uint32, s.logChunks)
	next := uint32(0)
	for _, a := range arts {
		if a.from < 0 {
			for c := range a.spans {
				logChunk[chunkID(a.article.ID, c)] = next + uint32(c)
			}
		} else {
			first, _ := s.snap.chunkRange(a.from)
			for c := range a.spans {
				remap[first+c] = int32(next) + int32(c)
			}
		}
		next += uint32(len(a.spans))
	}
	return arts, remap, logChunk
}

// postings merges the snapshot's postings, renumbered and without gone
// chunks, with the log's, term by term in sorted order.
func (s *Store) postings(remap []int32, logChunk map[string]uint32) snapshotPostings {
	return func(yield func(string, []uint32, []uint16) error) error {
		logTerms := s.lexical.Terms()
		slices.Sort(logTerms)
		nSnap := 0
		if s.snap != nil {
			nSnap = int(s.snap.header.terms)
		}
		var chunks []uint32
		var tfs []uint16
		i, j := 0, 0
		for i < nSnap || j < len(logTerms) {
			var term string
			switch {
			case j == len(logTerms) || i < nSnap && s.snap.term(i) < logTerms[j]:
				term = s.snap.term(i)
				i++
			case i == nSnap || logTerms[j] < s.snap.term(i):
				term = logTerms[j]
				j++
			default:
				term = logTerms[j]
				i++
				j++
			}
			chunks, tfs = chunks[:0], tfs[:0]
			if s.snap != nil {
				docs, freqs := s.snap.postings(term)
				for k, c := range docs {
					if int(c) < len(remap) && remap[c] >= 0 {
						chunks = append(chunks, uint32(remap[c]))
						tfs = append(tfs, freqs[k])
					}
				}
			}
			s.lexical.Postings(term, func(id string, tf, _ int) {
				chunks = append(chunks, logChunk[id])
				tfs = append(tfs, uint16(min(tf, 65535)))
			})
			if len(chunks) == 0 {
				continue
			}
			if err := yield(term, chunks, tfs); err != nil {
				return err
			}
		}
		return nil
	}
}
