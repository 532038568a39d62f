package store

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// Report is what Verify found. The index is sound when Problems is empty.
type Report struct {
	Dir      string   `json:"dir"`
	Articles int      `json:"articles"`
	Chunks   int      `json:"chunks"`
	Segments int      `json:"segments"`
	Problems []string `json:"problems"`
	// Notes are harmless findings, such as the remains of an interrupted
	// write after the committed end, which the next writer cuts off.
	Notes []string `json:"notes"`
}

// Verify checks the index in dir without changing it: the manifest, the
// snapshot's structure and checksums, every log record's checksum, that
// articles and chunks add up to what the manifest says, that every vector
// has the index's dimensions and unit length, and that every chunk's
// offsets fall on character boundaries of its text.
func Verify(dir string) (Report, error) {
	r := Report{Dir: dir, Problems: []string{}, Notes: []string{}}
	m, ok, err := readManifest(dir)
	if err != nil {
		r.Problems = append(r.Problems, err.Error())
		return r, nil
	}
	if !ok {
		return r, fmt.Errorf("verify %s: no index here", dir)
	}
	r.Segments = len(m.Segments)
	dims := 0
	if m.Config != nil {
		dims = m.Config.Dimensions
	}
	problem := func(where, format string, args ...any) {
		r.Problems = append(r.Problems, where+": "+fmt.Sprintf(format, args...))
	}
	checkChunk := func(where, id string, c int, text string, sp span, v []float32) {
		if err := checkVector(v, dims); err != nil {
			problem(where, "article %s chunk %d: %v", id, c, err)
		}
		if !boundary(text, sp.start) || !boundary(text, sp.end) {
			problem(where, "article %s chunk %d: offsets %d-%d split a character", id, c, sp.start, sp.end)
		}
	}

	live := map[string]int{} // article ID -> chunks
	named := map[string]bool{manifestName: true, lockName: true}
	if m.Snapshot != "" {
		named[m.Snapshot] = true
		snap, err := openSnapshot(filepath.Join(dir, m.Snapshot))
		if err != nil {
			problem(m.Snapshot, "%v", err)
		} else {
			if err := snap.verify(); err != nil {
				problem(m.Snapshot, "%v", err)
			} else {
				if int(snap.header.dims) != dims {
					problem(m.Snapshot, "vectors of %d dimensions, index has %d", snap.header.dims, dims)
				}
				for i := range snap.len() {
					a := snap.article(i)
					first, n := snap.chunkRange(i)
					for c := range n {
						rec := snap.chunks[first+c]
						checkChunk(m.Snapshot, a.ID, c, a.Text, span{int(rec[0]), int(rec[1])}, snap.vector(first+c))
					}
					live[strings.Clone(a.ID)] = n
				}
			}
			snap.close()
		}
	}
	for _, seg := range m.Segments {
		named[seg.Name] = true
		data, err := os.ReadFile(filepath.Join(dir, seg.Name))
		if err != nil {
			problem(seg.Name, "%v", err)
			continue
		}
		if int64(len(data)) < seg.Size {
			problem(seg.Name, "file has %d bytes, manifest committed %d", len(data), seg.Size)
			continue
		}
		if extra := int64(len(data)) - seg.Size; extra > 0 {
			r.Notes = append(r.Notes, fmt.Sprintf("%s: %d bytes of an interrupted write after the committed end (ignored)", seg.Name, extra))
		}
		data = data[:seg.Size]
		if len(data) < len(segmentMagic) || string(data[:len(segmentMagic)]) != segmentMagic {
			problem(seg.Name, "not a sanad segment")
			continue
		}
		err = scanRecords(data[len(segmentMagic):], func(payload []byte, _ int64) error {
			kind, e, id, err := decodeRecord(payload)
			if err != nil {
				return err
			}
			if kind == recordDelete {
				delete(live, id)
				return nil
			}
			for c, sp := range e.spans {
				checkChunk(seg.Name, e.article.ID, c, e.article.Text, sp, e.vectors[c])
			}
			live[e.article.ID] = len(e.spans)
			return nil
		})
		if err != nil {
			problem(seg.Name, "%v", err)
		}
	}
	for _, n := range live {
		r.Articles++
		r.Chunks += n
	}
	if r.Articles != m.Articles || r.Chunks != m.Chunks {
		r.Problems = append(r.Problems, fmt.Sprintf("the index holds %d articles and %d chunks, the manifest says %d and %d", r.Articles, r.Chunks, m.Articles, m.Chunks))
	}
	if r.Articles > 0 && m.Config == nil {
		r.Problems = append(r.Problems, "manifest has no embedder settings")
	}
	files, _ := os.ReadDir(dir)
	for _, f := range files {
		if name := f.Name(); !named[name] && (strings.HasPrefix(name, "seg-") || strings.HasPrefix(name, "snap-")) {
			r.Notes = append(r.Notes, fmt.Sprintf("%s: not part of the index (left by an interrupted compaction; the next writer removes it)", name))
		}
	}
	return r, nil
}

func boundary(s string, i int) bool {
	return i == len(s) || (i < len(s) && utf8.RuneStart(s[i]))
}
