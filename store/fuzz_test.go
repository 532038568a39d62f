package store

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
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

// snapshotFixture is an index with a snapshot and a log that replaces and
// deletes some of its articles (IDs with '#', as chunk IDs have).
func snapshotFixture(tb testing.TB) (snapshot, manifest, segName string, snap, man, seg []byte) {
	dir := tb.TempDir()
	w, err := OpenWriter(context.Background(), dir, false)
	if err != nil {
		tb.Fatal(err)
	}
	var puts []Put
	for i := range 5 {
		puts = append(puts, put(fmt.Sprintf("a#%d", i), "alpha one", "beta two", "gamma "+fmt.Sprint(i)))
	}
	if _, err := w.Commit(testConfig, puts, nil); err != nil {
		tb.Fatal(err)
	}
	if err := w.compact(); err != nil {
		tb.Fatal(err)
	}
	if _, err := w.Commit(testConfig, []Put{put("a#1", "delta four")}, []string{"a#2"}); err != nil {
		tb.Fatal(err)
	}
	snapshot, segName = w.man.Snapshot, w.man.Segments[0].Name
	w.Close()
	read := func(name string) []byte {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			tb.Fatal(err)
		}
		return data
	}
	return snapshot, manifestName, segName, read(snapshot), read(manifestName), read(segName)
}

// FuzzSnapshot: a snapshot patched anywhere (with its header checksum made
// right again, or not) opens or gives an error; searching, listing,
// verifying and compacting it never panic.
func FuzzSnapshot(f *testing.F) {
	snapName, manName, segName, snap, man, seg := snapshotFixture(f)
	f.Add(uint32(300), []byte{1, 2, 3}, false)
	f.Add(uint32(20), []byte{0xff, 0xff}, true)
	f.Add(uint32(64), []byte{0, 0, 0, 0x7f}, true)
	f.Fuzz(func(t *testing.T, off uint32, patch []byte, fixHeader bool) {
		d := append([]byte(nil), snap...)
		copy(d[int(off)%len(d):], patch)
		if fixHeader {
			const used = 8 + 16 + 16 + snapSections*20
			binary.LittleEndian.PutUint32(d[used:], crc32.Checksum(d[:used], crcTable))
		}
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, snapName), d, 0o644)
		os.WriteFile(filepath.Join(dir, manName), man, 0o644)
		os.WriteFile(filepath.Join(dir, segName), seg, 0o644)
		if s, err := Open(dir); err == nil {
			for _, q := range []string{"alpha", "beta two", "gamma 3", "delta"} {
				s.SearchLexical(q, 5, "a#0")
			}
			s.SearchVector(context.Background(), []float32{1, 0, 0, 0}, 3, "")
			for _, a := range s.Articles() {
				s.Chunks(a.ID)
				s.Article(a.ID)
			}
			s.Hashes()
			s.Close()
		}
		Verify(dir)
		if w, err := OpenWriter(context.Background(), dir, false); err == nil {
			w.compact()
			w.Close()
		}
	})
}
