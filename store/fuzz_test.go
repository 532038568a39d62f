package store

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/sanadhq/sanad"
)

func validSegment() []byte {
	text := "نص قصير. وآخر."
	e := &entry{
		article: sanad.Article{ID: "a", Title: "t", Source: "s", Text: text},
		spans:   []span{{0, 15}, {15, len(text)}},
		lexical: []string{"t\nنص قصير. ", "lexical text of its own"},
		vectors: [][]float32{{1, 0}, {0, 1}},
	}
	seg := append([]byte(segmentMagic), encodePut(e, 2)...)
	return append(seg, encodeDelete("b")...)
}

// FuzzDecodeRecord: any payload gives an entry or an error wrapping
// errCorrupt, never a panic or an allocation larger than the payload allows.
func FuzzDecodeRecord(f *testing.F) {
	seg := validSegment()
	f.Add(seg[len(segmentMagic)+frameHeader:])
	f.Add([]byte{recordDelete, 1, 'x'})
	f.Add([]byte{recordPut, 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, payload []byte) {
		kind, e, _, err := decodeRecord(payload)
		if err != nil {
			if !errors.Is(err, errCorrupt) {
				t.Fatalf("error does not wrap errCorrupt: %v", err)
			}
			return
		}
		if kind == recordPut {
			for _, sp := range e.spans {
				if sp.start > sp.end || sp.end > len(e.article.Text) {
					t.Fatalf("span %v outside text of %d bytes", sp, len(e.article.Text))
				}
			}
			if len(e.lexical) != len(e.spans) || len(e.vectors) != len(e.spans) {
				t.Fatalf("%d spans, %d lexical texts, %d vectors", len(e.spans), len(e.lexical), len(e.vectors))
			}
		}
	})
}

// FuzzOpen: a segment with any content opens or gives an error; Verify
// reports on it; neither panics.
func FuzzOpen(f *testing.F) {
	f.Add(validSegment())
	f.Add([]byte(segmentMagic))
	f.Add([]byte("not a segment"))
	f.Fuzz(func(t *testing.T, seg []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "seg-000001.log"), seg, 0o644); err != nil {
			t.Fatal(err)
		}
		m := manifest{Format: formatV1, Config: &Config{Dimensions: 2}, Segments: []segmentRef{{Name: "seg-000001.log", Size: int64(len(seg))}}, NextSegment: 2}
		if err := writeManifest(dir, m); err != nil {
			t.Fatal(err)
		}
		if s, err := Open(dir); err == nil {
			s.Stats()
		}
		if _, err := Verify(dir); err != nil {
			t.Fatalf("Verify of an existing index: %v", err)
		}
	})
}
