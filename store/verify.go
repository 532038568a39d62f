package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
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

// Verify checks the index in dir without changing it: the manifest, every
// record's checksum, that articles and chunks add up to what the manifest
// says, that every vector has the index's dimensions and unit length, and
// that every chunk's offsets fall on character boundaries of its text.
func Verify(dir string) (Report, error) {
	r := Report{Dir: dir, Problems: []string{}, Notes: []string{}}
	raw, err := os.ReadFile(filepath.Join(dir, manifestName))
	if errors.Is(err, fs.ErrNotExist) {
		return r, fmt.Errorf("verify %s: no index here", dir)
	}
	if err != nil {
		return r, fmt.Errorf("verify %s: %w", dir, err)
	}
	var m manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		r.Problems = append(r.Problems, fmt.Sprintf("manifest: %v", err))
		return r, nil
	}
	r.Segments = len(m.Segments)
	dims := 0
	if m.Config != nil {
		dims = m.Config.Dimensions
	}
	entries := make(map[string]*entry)
	named := map[string]bool{manifestName: true, lockName: true}
	for _, seg := range m.Segments {
		named[seg.Name] = true
		problem := func(format string, args ...any) {
			r.Problems = append(r.Problems, seg.Name+": "+fmt.Sprintf(format, args...))
		}
		data, err := os.ReadFile(filepath.Join(dir, seg.Name))
		if err != nil {
			problem("%v", err)
			continue
		}
		if int64(len(data)) < seg.Size {
			problem("file has %d bytes, manifest committed %d", len(data), seg.Size)
			continue
		}
		if extra := int64(len(data)) - seg.Size; extra > 0 {
			r.Notes = append(r.Notes, fmt.Sprintf("%s: %d bytes of an interrupted write after the committed end (ignored)", seg.Name, extra))
		}
		data = data[:seg.Size]
		if len(data) < len(segmentMagic) || string(data[:len(segmentMagic)]) != segmentMagic {
			problem("not a sanad segment")
			continue
		}
		err = scanRecords(data[len(segmentMagic):], func(payload []byte, _ int64) error {
			kind, e, id, err := decodeRecord(payload)
			if err != nil {
				return err
			}
			if kind == recordDelete {
				delete(entries, id)
				return nil
			}
			for i, v := range e.vectors {
				if err := checkVector(v, dims); err != nil {
					problem("article %s chunk %d: %v", e.article.ID, i, err)
				}
			}
			for i, sp := range e.spans {
				if !boundary(e.article.Text, sp.start) || !boundary(e.article.Text, sp.end) {
					problem("article %s chunk %d: offsets %d-%d split a character", e.article.ID, i, sp.start, sp.end)
				}
			}
			entries[e.article.ID] = e
			return nil
		})
		if err != nil {
			problem("%v", err)
		}
	}
	for _, e := range entries {
		r.Articles++
		r.Chunks += len(e.spans)
	}
	if r.Articles != m.Articles || r.Chunks != m.Chunks {
		r.Problems = append(r.Problems, fmt.Sprintf("records hold %d articles and %d chunks, manifest says %d and %d", r.Articles, r.Chunks, m.Articles, m.Chunks))
	}
	if r.Articles > 0 && m.Config == nil {
		r.Problems = append(r.Problems, "manifest has no embedder settings")
	}
	files, _ := os.ReadDir(dir)
	for _, f := range files {
		if !named[f.Name()] && strings.HasPrefix(f.Name(), "seg-") {
			r.Notes = append(r.Notes, fmt.Sprintf("%s: not part of the index (left by an interrupted compaction; safe to delete)", f.Name()))
		}
	}
	return r, nil
}

func boundary(s string, i int) bool {
	return i == len(s) || (i < len(s) && utf8.RuneStart(s[i]))
}
