package store

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"unsafe"

	"github.com/sanadhq/sanad"
)

// A snapshot is the index at one moment in a form that is queried in
// place: fixed-size tables and blobs that are memory-mapped and read
// without decoding, so that opening an index costs little more than
// handing its vectors to chromem-go. Compaction writes a new snapshot of
// everything that is current; records committed after it go to the log.
//
// Layout, little-endian, every section aligned to 64 bytes:
//
//	header   magic, counts, and per section offset, length and CRC-32C
//	articles [nArticles] of 14 uint32: offset and length in strings of ID,
//	         title, source, date, hash and text; first chunk; chunk count.
//	         Sorted by ID.
//	strings  the bytes those offsets point into
//	chunks   [nChunks] of 4 uint32: start and end in the text, article,
//	         number of terms
//	vectors  [nChunks × dims] float32
//	lexicon  [nTerms] of (uint32 offset, uint32 length, uint64 first
//	         posting), sorted by term, and one last entry whose first
//	         posting is nPostings
//	terms    the bytes of the terms
//	postings [nPostings] uint32 chunk numbers, then [nPostings] uint16
//	         term frequencies
const (
	snapshotMagic  = "SANADSN1"
	snapSections   = 7
	snapHeaderSize = 256
	secArticles    = 0
	secStrings     = 1
	secChunks      = 2
	secVectors     = 3
	secLexicon     = 4
	secTerms       = 5
	secPostings    = 6
)

type articleRec [14]uint32
type chunkRec [4]uint32
type lexRec struct {
	off, n uint32
	first  uint64
}

type sectionRef struct {
	off, n uint64
	crc    uint32
}

type snapshotHeader struct {
	dims, articles, chunks, terms uint32
	postings                      uint64
	totalLen                      uint64
	sections                      [snapSections]sectionRef
}

func (h *snapshotHeader) encode() []byte {
	b := make([]byte, 0, snapHeaderSize)
	b = append(b, snapshotMagic...)
	for _, v := range []uint32{h.dims, h.articles, h.chunks, h.terms} {
		b = binary.LittleEndian.AppendUint32(b, v)
	}
	b = binary.LittleEndian.AppendUint64(b, h.postings)
	b = binary.LittleEndian.AppendUint64(b, h.totalLen)
	for _, s := range h.sections {
		b = binary.LittleEndian.AppendUint64(b, s.off)
		b = binary.LittleEndian.AppendUint64(b, s.n)
		b = binary.LittleEndian.AppendUint32(b, s.crc)
	}
	b = binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, crcTable))
	return append(b, make([]byte, snapHeaderSize-len(b))...)
}

func decodeSnapshotHeader(b []byte) (*snapshotHeader, error) {
	const used = 8 + 16 + 16 + snapSections*20
	if len(b) < snapHeaderSize || string(b[:8]) != snapshotMagic {
		return nil, fmt.Errorf("%w: not a sanad snapshot", errCorrupt)
	}
	if binary.LittleEndian.Uint32(b[used:]) != crc32.Checksum(b[:used], crcTable) {
		return nil, fmt.Errorf("%w: snapshot header checksum mismatch", errCorrupt)
	}
	h := &snapshotHeader{}
	le := binary.LittleEndian
	h.dims, h.articles, h.chunks, h.terms = le.Uint32(b[8:]), le.Uint32(b[12:]), le.Uint32(b[16:]), le.Uint32(b[20:])
	h.postings, h.totalLen = le.Uint64(b[24:]), le.Uint64(b[32:])
	for i := range h.sections {
		o := 40 + i*20
		h.sections[i] = sectionRef{le.Uint64(b[o:]), le.Uint64(b[o+8:]), le.Uint32(b[o+16:])}
	}
	return h, nil
}

// snapshot is an open, memory-mapped snapshot file.
type snapshot struct {
	lensOnce  sync.Once
	lens      []float32 // chunk lengths in terms, for BM25
	scorePool sync.Pool // []float64 per chunk, zero, for BM25 queries
	name      string
	size      int64
	data      []byte
	header    *snapshotHeader
	articles  []articleRec
	strs      []byte
	chunks    []chunkRec
	vectors   []float32
	lexicon   []lexRec
	terms     []byte
	postDocs  []uint32
	postTFs   []uint16
}

func init() {
	if binary.NativeEndian.Uint16([]byte{1, 0}) != 1 {
		// Snapshots are read in place as little-endian tables.
		panic("sanad's index format needs a little-endian machine")
	}
}

// bytesOf is the memory of a slice, as the little-endian bytes a
// snapshot stores.
func bytesOf[T any](v []T) []byte {
	if len(v) == 0 {
		return nil
	}
	var zero T
	return unsafe.Slice((*byte)(unsafe.Pointer(&v[0])), len(v)*int(unsafe.Sizeof(zero)))
}

// view reinterprets a section of the mapped file as a slice of T.
func view[T any](b []byte) []T {
	var zero T
	size := int(unsafe.Sizeof(zero))
	if len(b) == 0 {
		return nil
	}
	return unsafe.Slice((*T)(unsafe.Pointer(&b[0])), len(b)/size)
}

// openSnapshot maps a snapshot and checks that every offset in its tables
// stays inside the file, so that a damaged file gives an error, never a
// crash. Checksums and the order of IDs are left to Verify: reading every
// byte, or every article's ID, is what opening in place avoids.
func openSnapshot(path string) (*snapshot, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if info.Size() < snapHeaderSize || info.Size() > math.MaxInt {
		return nil, fmt.Errorf("%w: snapshot of %d bytes", errCorrupt, info.Size())
	}
	data, err := syscall.Mmap(int(f.Fd()), 0, int(info.Size()), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("map %s: %w", path, err)
	}
	s := &snapshot{name: path, size: info.Size(), data: data}
	if err := s.parse(); err != nil {
		s.close()
		return nil, err
	}
	return s, nil
}

func (s *snapshot) close() {
	if s.data != nil {
		syscall.Munmap(s.data)
		s.data = nil
	}
}

func (s *snapshot) section(i int, elem, count uint64) ([]byte, error) {
	r := s.header.sections[i]
	if r.off%8 != 0 || r.off > uint64(len(s.data)) || r.n > uint64(len(s.data))-r.off {
		return nil, fmt.Errorf("%w: snapshot section %d out of bounds", errCorrupt, i)
	}
	if elem > 0 && (count > r.n/elem || r.n != elem*count) {
		return nil, fmt.Errorf("%w: snapshot section %d has %d bytes, want %d × %d", errCorrupt, i, r.n, count, elem)
	}
	return s.data[r.off : r.off+r.n], nil
}

func (s *snapshot) parse() error {
	h, err := decodeSnapshotHeader(s.data)
	if err != nil {
		return err
	}
	s.header = h
	var b []byte
	if b, err = s.section(secArticles, 56, uint64(h.articles)); err != nil {
		return err
	}
	s.articles = view[articleRec](b)
	if s.strs, err = s.section(secStrings, 0, 0); err != nil {
		return err
	}
	if b, err = s.section(secChunks, 16, uint64(h.chunks)); err != nil {
		return err
	}
	s.chunks = view[chunkRec](b)
	if b, err = s.section(secVectors, 4, uint64(h.chunks)*uint64(h.dims)); err != nil {
		return err
	}
	s.vectors = view[float32](b)
	if b, err = s.section(secLexicon, 16, uint64(h.terms)+1); err != nil {
		return err
	}
	s.lexicon = view[lexRec](b)
	if s.terms, err = s.section(secTerms, 0, 0); err != nil {
		return err
	}
	if b, err = s.section(secPostings, 6, h.postings); err != nil {
		return err
	}
	s.postDocs = view[uint32](b[:4*h.postings])
	s.postTFs = view[uint16](b[4*h.postings:])

	nStrs := uint64(len(s.strs))
	var chunksSeen uint64
	for i, a := range s.articles {
		for f := 0; f < 12; f += 2 {
			if uint64(a[f])+uint64(a[f+1]) > nStrs {
				return fmt.Errorf("%w: snapshot article %d: field outside the strings", errCorrupt, i)
			}
		}
		if uint64(a[12]) != chunksSeen || uint64(a[12])+uint64(a[13]) > uint64(h.chunks) {
			return fmt.Errorf("%w: snapshot article %d: chunks out of order", errCorrupt, i)
		}
		chunksSeen += uint64(a[13])
		for c := a[12]; c < a[12]+a[13]; c++ {
			ch := s.chunks[c]
			if ch[0] > ch[1] || ch[1] > a[11] || ch[2] != uint32(i) {
				return fmt.Errorf("%w: snapshot chunk %d: bad offsets or article", errCorrupt, c)
			}
		}
	}
	if chunksSeen != uint64(h.chunks) {
		return fmt.Errorf("%w: snapshot articles hold %d chunks, header says %d", errCorrupt, chunksSeen, h.chunks)
	}
	nTerms := uint64(len(s.terms))
	for i, l := range s.lexicon[:h.terms] {
		if uint64(l.off)+uint64(l.n) > nTerms || l.first > s.lexicon[i+1].first {
			return fmt.Errorf("%w: snapshot term %d out of bounds", errCorrupt, i)
		}
	}
	if s.lexicon[h.terms].first != h.postings {
		return fmt.Errorf("%w: snapshot lexicon does not end at the postings' end", errCorrupt)
	}
	return nil
}

// str is a string of the mapped strings section, without copying: it
// lives as long as the mapping.
func (s *snapshot) str(off, n uint32) string {
	if n == 0 {
		return ""
	}
	return unsafe.String(&s.strs[off], int(n))
}

func (s *snapshot) len() int { return len(s.articles) }

func (s *snapshot) id(i int) string { return s.str(s.articles[i][0], s.articles[i][1]) }

// find returns the index of the article with the given ID.
func (s *snapshot) find(id string) (int, bool) {
	return slices.BinarySearchFunc(s.articles, id, func(a articleRec, id string) int {
		return strings.Compare(s.str(a[0], a[1]), id)
	})
}

func (s *snapshot) article(i int) sanad.Article {
	a := s.articles[i]
	return sanad.Article{
		ID: s.str(a[0], a[1]), Title: s.str(a[2], a[3]), Source: s.str(a[4], a[5]),
		Date: s.str(a[6], a[7]), Hash: s.str(a[8], a[9]), Text: s.str(a[10], a[11]),
	}
}

// chunkRange is the first chunk of article i and the number of its chunks.
func (s *snapshot) chunkRange(i int) (first, n int) {
	return int(s.articles[i][12]), int(s.articles[i][13])
}

// populateVectors asks the kernel to map the vectors section in one go
// (MADV_POPULATE_READ, Linux 5.14 and later): every search reads all of
// it, and a page fault per 4 KiB costs more than a bulk mapping. Where
// the call is not supported the pages fault in as usual.
func (s *snapshot) populateVectors() {
	const madvPopulateRead = 22
	r := s.header.sections[secVectors]
	start := r.off &^ uint64(os.Getpagesize()-1)
	if r.n == 0 {
		return
	}
	syscall.Syscall(syscall.SYS_MADVISE, uintptr(unsafe.Pointer(&s.data[start])), uintptr(r.off+r.n-start), madvPopulateRead)
}

// lengths returns every chunk's number of terms, gathered once from the
// chunk table so that scoring reads one dense array.
func (s *snapshot) lengths() []float32 {
	s.lensOnce.Do(func() {
		s.lens = make([]float32, len(s.chunks))
		for i, c := range s.chunks {
			s.lens[i] = float32(c[3])
		}
	})
	return s.lens
}

// scores returns a zeroed score per chunk; putScores gives it back,
// zeroing the entries a query touched.
func (s *snapshot) scores() []float64 {
	if v, ok := s.scorePool.Get().([]float64); ok {
		return v
	}
	return make([]float64, len(s.chunks))
}

func (s *snapshot) putScores(v []float64, touched *[]uint32) {
	for _, c := range *touched {
		v[c] = 0
	}
	s.scorePool.Put(v)
}

func (s *snapshot) vector(c int) []float32 {
	d := int(s.header.dims)
	return s.vectors[c*d : (c+1)*d : (c+1)*d]
}

// postings returns the chunks and term frequencies of a term.
func (s *snapshot) postings(term string) ([]uint32, []uint16) {
	lex := s.lexicon[:s.header.terms]
	i, ok := slices.BinarySearchFunc(lex, term, func(l lexRec, t string) int {
		return strings.Compare(unsafe.String(unsafe.SliceData(s.terms[l.off:]), int(l.n)), t)
	})
	if !ok {
		return nil, nil
	}
	first, end := lex[i].first, s.lexicon[i+1].first
	return s.postDocs[first:end], s.postTFs[first:end]
}

func (s *snapshot) term(i int) string {
	l := s.lexicon[i]
	return string(s.terms[l.off : l.off+l.n])
}

// snapshotArticle is one article as a snapshot is written: its fields,
// chunks, vectors and the number of terms of each chunk.
type snapshotArticle struct {
	article sanad.Article
	from    int // index in the snapshot being compacted, -1 for the log's
	spans   []span
	lengths []int
	vectors [][]float32
}

// snapshotPostings yields the postings of every term in sorted term order;
// chunk numbers are those of the snapshot being written.
type snapshotPostings func(yield func(term string, chunks []uint32, tfs []uint16) error) error

// writeSnapshot writes a snapshot of arts (sorted by ID) and their
// postings to a new file at path, durably. The caller renames nothing:
// the manifest names the file only once this returns.
func writeSnapshot(path string, dims int, arts []snapshotArticle, postings snapshotPostings) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	w := &sectionWriter{w: bufio.NewWriterSize(f, 1<<20), off: snapHeaderSize}
	h := &snapshotHeader{dims: uint32(dims), articles: uint32(len(arts))}
	if _, err := w.w.Write(make([]byte, snapHeaderSize)); err != nil {
		return err
	}

	// Articles and their strings.
	var strs strings.Builder
	put := func(s string) (uint32, uint32) {
		off := strs.Len()
		strs.WriteString(s)
		return uint32(off), uint32(len(s))
	}
	w.begin()
	chunk := uint32(0)
	for _, a := range arts {
		var rec articleRec
		x := a.article
		for i, field := range []string{x.ID, x.Title, x.Source, x.Date, x.Hash, x.Text} {
			rec[2*i], rec[2*i+1] = put(field)
		}
		rec[12], rec[13] = chunk, uint32(len(a.spans))
		chunk += uint32(len(a.spans))
		w.uint32s(rec[:]...)
	}
	h.sections[secArticles] = w.end()
	if uint64(strs.Len()) > math.MaxUint32 {
		return errors.New("snapshot: more than 4 GiB of text")
	}
	w.begin()
	io.WriteString(w, strs.String())
	h.sections[secStrings] = w.end()
	h.chunks = chunk

	w.begin()
	for i, a := range arts {
		for c, sp := range a.spans {
			w.uint32s(uint32(sp.start), uint32(sp.end), uint32(i), uint32(a.lengths[c]))
			h.totalLen += uint64(a.lengths[c])
		}
	}
	h.sections[secChunks] = w.end()

	w.begin()
	for _, a := range arts {
		for _, v := range a.vectors {
			if len(v) != dims {
				return fmt.Errorf("snapshot: vector of %d dimensions, want %d", len(v), dims)
			}
			w.Write(bytesOf(v))
		}
	}
	h.sections[secVectors] = w.end()

	// Postings go to a temporary file beside the index while the lexicon is
	// written, since they may not fit in memory; if the process dies, the
	// next writer removes the file with the index's other strays.
	tmp, err := os.CreateTemp(filepath.Dir(path), "snap-postings-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	docs := bufio.NewWriterSize(tmp, 1<<20)
	var tfs []uint16
	var posted []byte
	var terms strings.Builder
	w.begin()
	err = postings(func(term string, chunks []uint32, freqs []uint16) error {
		off, n := uint32(terms.Len()), uint32(len(term))
		terms.WriteString(term)
		w.uint32s(off, n)
		w.uint64(h.postings)
		posted = posted[:0]
		for _, c := range chunks {
			posted = binary.LittleEndian.AppendUint32(posted, c)
		}
		docs.Write(posted)
		tfs = append(tfs, freqs...)
		h.postings += uint64(len(chunks))
		h.terms++
		return nil
	})
	if err != nil {
		return err
	}
	w.uint32s(0, 0)
	w.uint64(h.postings)
	h.sections[secLexicon] = w.end()
	w.begin()
	io.WriteString(w, terms.String())
	h.sections[secTerms] = w.end()

	w.begin()
	if err := docs.Flush(); err != nil {
		return err
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return err
	}
	if _, err := io.Copy(w, tmp); err != nil {
		return err
	}
	w.Write(bytesOf(tfs))
	h.sections[secPostings] = w.end()
	if err := w.w.Flush(); err != nil {
		return err
	}
	if w.err != nil {
		return w.err
	}
	if _, err := f.WriteAt(h.encode(), 0); err != nil {
		return err
	}
	return f.Sync()
}

// sectionWriter writes aligned sections and checksums them.
type sectionWriter struct {
	w     *bufio.Writer
	off   int64
	start int64
	crc   uint32
	buf   [8]byte
	err   error
}

func (w *sectionWriter) Write(p []byte) (int, error) {
	n, err := w.w.Write(p)
	w.crc = crc32.Update(w.crc, crcTable, p[:n])
	w.off += int64(n)
	if err != nil && w.err == nil {
		w.err = err
	}
	return n, err
}

func (w *sectionWriter) begin() {
	if pad := (64 - w.off%64) % 64; pad > 0 {
		w.w.Write(make([]byte, pad))
		w.off += pad
	}
	w.start, w.crc = w.off, 0
}

func (w *sectionWriter) end() sectionRef {
	return sectionRef{off: uint64(w.start), n: uint64(w.off - w.start), crc: w.crc}
}

func (w *sectionWriter) uint32s(vs ...uint32) {
	for _, v := range vs {
		binary.LittleEndian.PutUint32(w.buf[:4], v)
		w.Write(w.buf[:4])
	}
}

func (w *sectionWriter) uint64(v uint64) {
	binary.LittleEndian.PutUint64(w.buf[:], v)
	w.Write(w.buf[:])
}

// verify checks every section's checksum, reading the whole file, and
// what opening does not look at because it would read every article and
// term: that articles and terms are sorted, as binary searches assume.
func (s *snapshot) verify() error {
	for i, r := range s.header.sections {
		if crc32.Checksum(s.data[r.off:r.off+r.n], crcTable) != r.crc {
			return fmt.Errorf("%w: snapshot section %d checksum mismatch", errCorrupt, i)
		}
	}
	for i := 1; i < s.len(); i++ {
		if s.id(i-1) >= s.id(i) {
			return fmt.Errorf("%w: snapshot articles not sorted by ID at %d", errCorrupt, i)
		}
	}
	for i := 1; i < int(s.header.terms); i++ {
		if s.term(i-1) >= s.term(i) {
			return fmt.Errorf("%w: snapshot lexicon not sorted at term %d", errCorrupt, i)
		}
	}
	for i, c := range s.postDocs {
		if c >= s.header.chunks {
			return fmt.Errorf("%w: snapshot posting %d names chunk %d of %d", errCorrupt, i, c, s.header.chunks)
		}
	}
	return nil
}
