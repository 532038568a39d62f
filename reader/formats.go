package reader

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"codeberg.org/readeck/go-readability"
	"github.com/sanadhq/sanad"
	"golang.org/x/net/html"
	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding/unicode"
)

// maxTitle is the length, in runes, past which a title taken from the
// text is shortened.
const maxTitle = 100

// binaryMagic are prefixes of common binary formats that may carry no NUL
// byte early on.
var binaryMagic = [][]byte{
	[]byte("\x89PNG"), []byte("\x7fELF"), []byte("%PDF-"), []byte("PK\x03\x04"),
	[]byte("\x1f\x8b"), []byte("GIF8"), []byte("\xff\xd8\xff"),
}

// decode turns file bytes into UTF-8 text bytes: UTF-16 with a byte order
// mark is converted, a UTF-8 byte order mark is dropped, and binary data
// is refused. The result is not yet checked to be valid UTF-8.
func decode(data []byte) ([]byte, error) {
	if bytes.HasPrefix(data, []byte{0xFF, 0xFE}) || bytes.HasPrefix(data, []byte{0xFE, 0xFF}) {
		out, err := unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder().Bytes(data)
		if err != nil {
			return nil, fmt.Errorf("decode UTF-16: %w", err)
		}
		return out, nil
	}
	for _, m := range binaryMagic {
		if bytes.HasPrefix(data, m) {
			return nil, ErrBinary
		}
	}
	if bytes.IndexByte(data[:min(len(data), 8<<10)], 0) >= 0 {
		return nil, ErrBinary
	}
	return bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF")), nil
}

// checkUTF8 reports the line and byte offset of the first invalid UTF-8
// sequence in data, so the user can find and fix it.
func checkUTF8(data []byte) *Problem {
	off := firstInvalid(data)
	if off < 0 {
		return nil
	}
	return &Problem{
		Line: 1 + bytes.Count(data[:off], []byte("\n")),
		Err:  fmt.Errorf("%w at byte %d", ErrInvalidUTF8, off),
	}
}

// firstInvalid is the offset of the first invalid UTF-8 sequence, or -1.
func firstInvalid(data []byte) int {
	if utf8.Valid(data) {
		return -1
	}
	off := 0
	for off < len(data) {
		r, n := utf8.DecodeRune(data[off:])
		if r == utf8.RuneError && n <= 1 {
			break
		}
		off += n
	}
	return off
}

// checkText refuses a cleaned text that has nothing to index.
func checkText(text string) error {
	if text == "" {
		return ErrEmpty
	}
	if !hasWord(text) {
		return ErrNoText
	}
	return nil
}

// parseText reads a .txt or .md file. The title is the first non-empty
// line (or a Markdown front matter title). The text is the whole file,
// title line included: chunk offsets point into Text, and a plain text
// file often opens with its first paragraph rather than a headline.
func parseText(data []byte, md bool) (sanad.Article, *Problem) {
	if p := checkUTF8(data); p != nil {
		return sanad.Article{}, p
	}
	body := string(data)
	var a sanad.Article
	if md {
		var meta map[string]string
		meta, body = frontMatter(body)
		a.Title = oneLine(plainMarkdown(meta["title"]))
		a.Date = normDate(meta["date"])
		body = plainMarkdown(body)
	}
	a.Text = Clean(body)
	if err := checkText(a.Text); err != nil {
		return sanad.Article{}, &Problem{Err: err}
	}
	if a.Title == "" {
		a.Title = titleFrom(a.Text)
	}
	return a, nil
}

// frontMatter splits a leading "---" block of "key: value" lines from a
// Markdown document. Only flat string values are understood.
func frontMatter(s string) (map[string]string, string) {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	if !strings.HasPrefix(s, "---\n") {
		return nil, s
	}
	block, rest, ok := strings.Cut(s[4:], "\n---")
	if !ok || (rest != "" && rest[0] != '\n') {
		return nil, s
	}
	meta := map[string]string{}
	for _, line := range strings.Split(block, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		meta[strings.ToLower(strings.TrimSpace(k))] = strings.Trim(strings.TrimSpace(v), `"'`)
	}
	return meta, rest
}

var (
	mdHeading  = regexp.MustCompile(`^\s{0,3}#{1,6}(\s+|$)`)
	mdClosing  = regexp.MustCompile(`\s+#+\s*$`)
	mdRule     = regexp.MustCompile(`^\s*([-=*_]\s*){3,}$`)
	mdLink     = regexp.MustCompile(`!?\[([^\]]*)\]\([^)]*\)`)
	mdEmphasis = regexp.MustCompile(`\*\*|__|` + "`")
)

// plainMarkdown removes the markup that would otherwise be indexed as
// words: heading marks, rules and setext underlines, link targets, strong
// emphasis and code marks. The lines inside code fences are kept as they are.
func plainMarkdown(s string) string {
	lines := strings.Split(s, "\n")
	out := lines[:0]
	fenced := false
	for _, line := range lines {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			fenced = !fenced
			continue
		}
		if fenced {
			out = append(out, line)
			continue
		}
		if mdRule.MatchString(line) {
			continue
		}
		if loc := mdHeading.FindStringIndex(line); loc != nil {
			line = mdClosing.ReplaceAllString(line[loc[1]:], "")
		}
		line = mdLink.ReplaceAllString(line, "$1")
		line = mdEmphasis.ReplaceAllString(line, "")
		out = append(out, line)
	}
	return strings.Join(out, "\n")
}

// parseHTML extracts the main article of a page with go-readability, so
// navigation, scripts, styles and footers never reach Text. Paragraphs
// are separated by blank lines.
func parseHTML(data []byte) (a sanad.Article, prob *Problem) {
	if !utf8.Valid(data) {
		// Older Arabic sites still serve windows-1256; honour a declared
		// charset, but never guess one.
		head := bytes.ToLower(data[:min(len(data), 1024)])
		e, name, _ := charset.DetermineEncoding(data, "")
		if name == "utf-8" || !bytes.Contains(head, []byte("charset")) {
			return a, checkUTF8(data)
		}
		out, err := e.NewDecoder().Bytes(data)
		if err != nil {
			return a, &Problem{Err: fmt.Errorf("decode %s: %w", name, err)}
		}
		data = out
	}
	if Clean(string(data)) == "" {
		return a, &Problem{Err: ErrEmpty}
	}
	// Parsing and readability's scoring both revisit ancestors, so their
	// time grows with the square of the nesting: 20,000 levels took 15 s.
	// Real pages nest a few dozen levels. Tags left open make the tokenizer's
	// count an overestimate, hence its larger limit.
	if tagDepth(data) > 8*maxHTMLDepth {
		return a, &Problem{Err: fmt.Errorf("html nested more than %d levels deep", maxHTMLDepth)}
	}
	doc, err := html.Parse(bytes.NewReader(data))
	if err != nil {
		return a, &Problem{Err: fmt.Errorf("parse html: %w", err)}
	}
	if depth(doc, maxHTMLDepth+1) > maxHTMLDepth {
		return a, &Problem{Err: fmt.Errorf("html nested more than %d levels deep", maxHTMLDepth)}
	}
	date := metaDate(doc)
	// go-readability is a line-by-line port of a JavaScript library; a
	// page it cannot handle must cost one Problem, not the whole run.
	defer func() {
		if r := recover(); r != nil {
			a, prob = sanad.Article{}, &Problem{Err: fmt.Errorf("extract article: %v", r)}
		}
	}()
	parser := readability.NewParser()
	art, err := parser.ParseAndMutate(doc, nil)
	if err != nil {
		return a, &Problem{Err: fmt.Errorf("extract article: %w", err)}
	}
	a.Text = Clean(art.TextContent)
	if !hasWord(a.Text) {
		// The file has markup, so "empty" would mislead.
		return sanad.Article{}, &Problem{Err: ErrNoText}
	}
	a.Title = oneLine(art.Title)
	if a.Title == "" {
		a.Title = titleFrom(a.Text)
	}
	if art.PublishedTime != nil {
		a.Date = art.PublishedTime.Format(time.DateOnly)
	} else {
		a.Date = normDate(date)
	}
	return a, nil
}

// maxHTMLDepth is the deepest element nesting a page may have.
const maxHTMLDepth = 512

// depth is the nesting depth of n's tree, counted up to limit.
func depth(n *html.Node, limit int) int {
	deepest := 0
	for c := n.FirstChild; c != nil && deepest < limit; c = c.NextSibling {
		deepest = max(deepest, depth(c, limit-1))
	}
	return deepest + 1
}

// tagDepth is the deepest nesting of start tags in a page, as a streaming
// tokenizer sees it, counting void elements as closed.
func tagDepth(data []byte) int {
	z := html.NewTokenizer(bytes.NewReader(data))
	d, deepest := 0, 0
	for {
		switch z.Next() {
		case html.ErrorToken:
			return deepest
		case html.StartTagToken:
			name, _ := z.TagName()
			if !voidElements[string(name)] {
				d++
				deepest = max(deepest, d)
			}
		case html.EndTagToken:
			d = max(d-1, 0)
		}
	}
}

var voidElements = map[string]bool{
	"area": true, "base": true, "br": true, "col": true, "embed": true, "hr": true, "img": true, "input": true,
	"link": true, "meta": true, "param": true, "source": true, "track": true, "wbr": true,
}

// metaDate finds a publication date in the page's meta tags, as written.
func metaDate(doc *html.Node) string {
	var found string
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if found != "" {
			return
		}
		if n.Type == html.ElementNode && n.Data == "meta" {
			var key, content string
			for _, at := range n.Attr {
				switch at.Key {
				case "property", "name", "itemprop":
					key = strings.ToLower(at.Val)
				case "content":
					content = at.Val
				}
			}
			switch key {
			case "article:published_time", "og:published_time", "datepublished",
				"pubdate", "publishdate", "publish-date", "date", "dc.date", "dc.date.issued":
				found = strings.TrimSpace(content)
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return found
}

// parseRecords reads JSON records: one object per line (JSONL), or, when
// array is true and the input is a JSON array or a single object, its
// elements. A bad record is a Problem with its line number; the others are
// still read. Problems carry path; IDs default to "<fileID>#<line>".
func parseRecords(r io.Reader, path, fileID string, array bool) ([]sanad.Article, []Problem) {
	br := bufio.NewReader(r)
	if array {
		if first := firstByte(br); first == '[' || first == '{' {
			data, err := io.ReadAll(br)
			if err != nil {
				return nil, []Problem{{Path: path, Err: err}}
			}
			if json.Valid(data) || first == '[' {
				return parseArray(data, path, fileID)
			}
			br = bufio.NewReader(bytes.NewReader(data))
		}
	}
	var arts []sanad.Article
	var probs []Problem
	for line, off := 1, 0; ; line++ {
		raw, err := br.ReadBytes('\n')
		if len(bytes.TrimSpace(raw)) > 0 {
			a, p := record(raw, off, line, path, fileID)
			if p != nil {
				probs = append(probs, *p)
			} else {
				arts = append(arts, a)
			}
		}
		off += len(raw)
		if err == io.EOF {
			break
		}
		if err != nil {
			probs = append(probs, Problem{Path: path, Line: line, Err: err})
			break
		}
	}
	if len(arts) == 0 && len(probs) == 0 {
		probs = append(probs, Problem{Path: path, Err: ErrEmpty})
	}
	return arts, probs
}

// firstByte peeks at the first non-whitespace byte, consuming nothing so
// that offsets and line numbers stay those of the file. It gives 0 when
// there is none within the reader's buffer.
func firstByte(br *bufio.Reader) byte {
	for n := 1; ; n++ {
		b, err := br.Peek(n)
		if err != nil {
			return 0
		}
		if c := b[n-1]; c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return c
		}
	}
}

// parseArray reads a JSON array of records, or a single record object.
func parseArray(data []byte, path, fileID string) ([]sanad.Article, []Problem) {
	lineAt := func(off int64) int {
		return 1 + bytes.Count(data[:min(int(off), len(data))], []byte("\n"))
	}
	if bytes.TrimSpace(data)[0] == '{' {
		a, p := record(bytes.TrimSpace(data), 0, lineAt(int64(bytes.IndexByte(data, '{'))), path, fileID)
		if p != nil {
			return nil, []Problem{*p}
		}
		return []sanad.Article{a}, nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	var arts []sanad.Article
	var probs []Problem
	if _, err := dec.Token(); err != nil {
		return nil, []Problem{{Path: path, Err: err}}
	}
	for dec.More() {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			// A syntax error leaves the decoder nowhere to resume from.
			return arts, append(probs, arrayProblem(err, dec, path, lineAt))
		}
		start := dec.InputOffset() - int64(len(raw))
		a, p := record(raw, int(start), lineAt(start), path, fileID)
		if p != nil {
			probs = append(probs, *p)
		} else {
			arts = append(arts, a)
		}
	}
	if _, err := dec.Token(); err != nil {
		probs = append(probs, arrayProblem(err, dec, path, lineAt))
	}
	if len(arts) == 0 && len(probs) == 0 {
		probs = append(probs, Problem{Path: path, Err: ErrEmpty})
	}
	return arts, probs
}

// arrayProblem locates a decoding error in a JSON array.
func arrayProblem(err error, dec *json.Decoder, path string, lineAt func(int64) int) Problem {
	off := dec.InputOffset()
	var se *json.SyntaxError
	if errors.As(err, &se) {
		off = se.Offset
	}
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return Problem{Path: path, Line: lineAt(off), Err: fmt.Errorf("invalid JSON array: %w", err)}
}

// record turns one JSON object into an article. off is the record's byte
// offset in the file, for locating invalid UTF-8.
func record(raw []byte, off, line int, path, fileID string) (sanad.Article, *Problem) {
	fail := func(err error) (sanad.Article, *Problem) {
		return sanad.Article{}, &Problem{Path: path, Line: line, Err: err}
	}
	if bad := firstInvalid(raw); bad >= 0 {
		return fail(fmt.Errorf("%w at byte %d", ErrInvalidUTF8, off+bad))
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return fail(errors.New("want a JSON object"))
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return fail(fmt.Errorf("invalid JSON: %w", err))
	}
	str := func(name string) (string, error) {
		v, ok := fields[name]
		if !ok || string(v) == "null" {
			return "", nil
		}
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return "", fmt.Errorf("field %q: want a string", name)
		}
		return s, nil
	}
	var vals [6]string
	for i, name := range []string{"text", "id", "title", "url", "date", "source"} {
		s, err := str(name)
		if err != nil {
			return fail(err)
		}
		vals[i] = s
	}
	text, id, title, url, date, source := Clean(vals[0]), oneLine(vals[1]), oneLine(vals[2]), oneLine(vals[3]), vals[4], oneLine(vals[5])
	if text == "" {
		return fail(errors.New(`missing or empty "text"`))
	}
	if !hasWord(text) {
		return fail(ErrNoText)
	}
	a := sanad.Article{ID: id, Title: title, Source: path, Date: normDate(date), Text: text}
	if a.ID == "" {
		a.ID = url
	}
	if a.ID == "" {
		a.ID = fmt.Sprintf("%s#%d", fileID, line)
	}
	if a.Title == "" {
		a.Title = titleFrom(text)
	}
	if url != "" {
		a.Source = url
	} else if source != "" {
		a.Source = source
	}
	a.Hash = hash(a)
	return a, nil
}

// titleFrom makes a title from the first line of text: the line itself
// when short, else its first sentence, else its first maxTitle runes cut
// at a word boundary and marked with an ellipsis.
func titleFrom(text string) string {
	line, _, _ := strings.Cut(text, "\n")
	if utf8.RuneCountInString(line) <= maxTitle {
		return line
	}
	runes := []rune(line)
	for i, r := range runes[:maxTitle] {
		// A stop too early ("Dr.") would make a useless title.
		if i >= 20 && strings.ContainsRune(".!?؟।۔", r) && (i+1 == len(runes) || runes[i+1] == ' ') {
			return string(runes[:i+1])
		}
	}
	cut := maxTitle
	for i := maxTitle; i > maxTitle/2; i-- {
		if runes[i] == ' ' {
			cut = i
			break
		}
	}
	return strings.TrimSpace(string(runes[:cut])) + "…"
}

// dateLayouts are the formats normDate understands, most common first.
// Day-first and month-first numeric dates (01/02/2006) are ambiguous and
// kept as given.
var dateLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04:05",
	"2006-01-02T15:04",
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05 -0700",
	"2006-01-02 15:04:05",
	"2006-01-02 15:04",
	time.DateOnly,
	"2006/01/02",
	"2006.01.02",
	time.RFC1123Z,
	time.RFC1123,
	"Mon, 2 Jan 2006 15:04:05 -0700",
	"Mon, 2 Jan 2006 15:04:05 MST",
	time.RFC850,
	time.ANSIC,
	"2 Jan 2006",
	"2 January 2006",
	"Jan 2, 2006",
	"January 2, 2006",
}

// arabicDigits maps Arabic-Indic and Persian digits to ASCII for parsing.
var arabicDigits = strings.NewReplacer(
	"٠", "0", "١", "1", "٢", "2", "٣", "3", "٤", "4", "٥", "5", "٦", "6", "٧", "7", "٨", "8", "٩", "9",
	"۰", "0", "۱", "1", "۲", "2", "۳", "3", "۴", "4", "۵", "5", "۶", "6", "۷", "7", "۸", "8", "۹", "9",
)

// normDate returns the date as YYYY-MM-DD when it parses, else as given.
// The date is the one written, in its own time zone, not converted to UTC.
func normDate(s string) string {
	s = oneLine(s)
	ascii := arabicDigits.Replace(s)
	for _, layout := range dateLayouts {
		if t, err := time.Parse(layout, ascii); err == nil {
			return t.Format(time.DateOnly)
		}
	}
	return s
}

// hash is the content hash of everything in an article but its ID.
func hash(a sanad.Article) string {
	h := sha256.New()
	for _, s := range []string{a.Title, "\x00", a.Source, "\x00", a.Date, "\x00", a.Text} {
		io.WriteString(h, s)
	}
	return hex.EncodeToString(h.Sum(nil))
}
