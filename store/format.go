package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"

	"github.com/sanadhq/sanad"
)

// The index is a manifest, an optional snapshot (see snapshot.go) and
// append-only log segments of the records committed since. A record is
// framed as
//
//	uint32 payload length | uint32 CRC-32C of payload | payload
//
// and its payload starts with a record type. Only the bytes up to the size
// the manifest names are committed; anything after that is the remains of
// an interrupted write and is ignored (and cut off by the next writer).

const (
	segmentMagic   = "SANADSG1"
	frameHeader    = 8
	recordPut      = 1
	recordDelete   = 2
	maxRecordBytes = 1 << 30
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// errCorrupt marks damage inside the committed part of a segment.
var errCorrupt = errors.New("corrupt index record")

// entry is an article of the log with everything the index keeps for it.
type entry struct {
	article sanad.Article
	spans   []span
	// lexical is, per chunk, the text its BM25 terms are drawn from.
	lexical []string
	vectors [][]float32
	size    int64 // framed record size on disk, for compaction accounting
}

// defaultLexical is the lexical text of a chunk unless the indexer says
// otherwise: the article's title, then the chunk. Records store a chunk's
// lexical text only when it differs.
func defaultLexical(a sanad.Article, sp span) string {
	return a.Title + "\n" + a.Text[sp.start:sp.end]
}

type span struct{ start, end int }

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// encodePut frames a put record for e.
func encodePut(e *entry, dims int) []byte {
	b := make([]byte, frameHeader, frameHeader+len(e.article.Text)+len(e.spans)*(dims*4+64)+256)
	b = append(b, recordPut)
	a := e.article
	for _, s := range []string{a.ID, a.Title, a.Source, a.Date, a.Hash, a.Text} {
		b = appendString(b, s)
	}
	b = binary.AppendUvarint(b, uint64(len(e.spans)))
	b = binary.AppendUvarint(b, uint64(dims))
	for i, sp := range e.spans {
		b = binary.AppendUvarint(b, uint64(sp.start))
		b = binary.AppendUvarint(b, uint64(sp.end))
		if e.lexical[i] == defaultLexical(a, sp) {
			b = append(b, 0)
		} else {
			b = append(b, 1)
			b = appendString(b, e.lexical[i])
		}
	}
	for _, v := range e.vectors {
		for _, x := range v {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
		}
	}
	return frame(b)
}

// encodeDelete frames a delete record for an article ID.
func encodeDelete(id string) []byte {
	b := make([]byte, frameHeader, frameHeader+len(id)+8)
	b = append(b, recordDelete)
	return frame(appendString(b, id))
}

func frame(b []byte) []byte {
	payload := b[frameHeader:]
	binary.LittleEndian.PutUint32(b[0:4], uint32(len(payload)))
	binary.LittleEndian.PutUint32(b[4:8], crc32.Checksum(payload, crcTable))
	return b
}

// decoder reads fields from one record payload, remembering the first error
// so that callers can check once at the end.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: truncated %s", errCorrupt, what)
	}
}

func (d *decoder) uvarint(what string) uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail(what)
		return 0
	}
	d.b = d.b[n:]
	return v
}

// count reads a length that must fit in what is left of the record, so that
// a corrupted length can never cause a huge allocation.
func (d *decoder) count(what string, minBytesEach int) int {
	n := d.uvarint(what)
	if d.err == nil && n > uint64(len(d.b)/max(minBytesEach, 1)) {
		d.err = fmt.Errorf("%w: %s %d exceeds record size", errCorrupt, what, n)
		return 0
	}
	return int(n)
}

func (d *decoder) string(what string) string {
	n := d.count(what, 1)
	if d.err != nil {
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

// decodeRecord parses one payload. For a put it returns the entry; for a
// delete, only the article ID.
func decodeRecord(payload []byte) (kind byte, e *entry, deletedID string, err error) {
	if len(payload) == 0 {
		return 0, nil, "", fmt.Errorf("%w: empty record", errCorrupt)
	}
	d := &decoder{b: payload[1:]}
	switch payload[0] {
	case recordDelete:
		id := d.string("article id")
		return recordDelete, nil, id, d.err
	case recordPut:
	default:
		return 0, nil, "", fmt.Errorf("%w: unknown record type %d", errCorrupt, payload[0])
	}
	e = &entry{}
	a := &e.article
	for _, f := range []*string{&a.ID, &a.Title, &a.Source, &a.Date, &a.Hash, &a.Text} {
		*f = d.string("article field")
	}
	nChunks := d.count("chunk count", 3)
	dims := d.count("dimensions", 0)
	if d.err != nil {
		return 0, nil, "", d.err
	}
	if uint64(nChunks)*uint64(dims)*4 > uint64(len(d.b)) {
		return 0, nil, "", fmt.Errorf("%w: %d vectors of %d dimensions exceed record size", errCorrupt, nChunks, dims)
	}
	e.spans = make([]span, nChunks)
	e.lexical = make([]string, nChunks)
	for i := range e.spans {
		start, end := d.uvarint("chunk start"), d.uvarint("chunk end")
		if d.err == nil && (start > end || end > uint64(len(a.Text))) {
			d.err = fmt.Errorf("%w: chunk %d offsets %d-%d outside a text of %d bytes", errCorrupt, i, start, end, len(a.Text))
		}
		if d.err != nil {
			return 0, nil, "", d.err
		}
		e.spans[i] = span{int(start), int(end)}
		switch d.uvarint("lexical flag") {
		case 0:
			e.lexical[i] = defaultLexical(*a, e.spans[i])
		case 1:
			e.lexical[i] = d.string("lexical text")
		default:
			d.err = fmt.Errorf("%w: chunk %d: bad lexical flag", errCorrupt, i)
		}
	}
	if d.err != nil {
		return 0, nil, "", d.err
	}
	if len(d.b) != nChunks*dims*4 {
		return 0, nil, "", fmt.Errorf("%w: %d bytes of vectors, want %d", errCorrupt, len(d.b), nChunks*dims*4)
	}
	flat := make([]float32, nChunks*dims)
	for i := range flat {
		flat[i] = math.Float32frombits(binary.LittleEndian.Uint32(d.b[i*4:]))
	}
	e.vectors = make([][]float32, nChunks)
	for i := range e.vectors {
		e.vectors[i] = flat[i*dims : (i+1)*dims : (i+1)*dims]
	}
	return recordPut, e, "", nil
}

// scanRecords walks the framed records of data (a segment without its
// header), calling fn with each payload and its framed size.
func scanRecords(data []byte, fn func(payload []byte, size int64) error) error {
	off := 0
	for off < len(data) {
		if len(data)-off < frameHeader {
			return fmt.Errorf("%w at byte %d: partial frame header", errCorrupt, off+len(segmentMagic))
		}
		n := binary.LittleEndian.Uint32(data[off:])
		sum := binary.LittleEndian.Uint32(data[off+4:])
		if n > maxRecordBytes || int(n) > len(data)-off-frameHeader {
			return fmt.Errorf("%w at byte %d: length %d runs past the committed end", errCorrupt, off+len(segmentMagic), n)
		}
		payload := data[off+frameHeader : off+frameHeader+int(n)]
		if crc32.Checksum(payload, crcTable) != sum {
			return fmt.Errorf("%w at byte %d: checksum mismatch", errCorrupt, off+len(segmentMagic))
		}
		if err := fn(payload, int64(frameHeader+n)); err != nil {
			return fmt.Errorf("record at byte %d: %w", off+len(segmentMagic), err)
		}
		off += frameHeader + int(n)
	}
	return nil
}
