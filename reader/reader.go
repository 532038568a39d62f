// Package reader turns files, folders and glob patterns into cleaned
// sanad.Articles.
//
// Formats are chosen by extension, case-insensitively: .txt and .md (one
// article per file), .html and .htm (the main article text, found with
// go-readability), and .jsonl and .json (one article per record).
//
// IDs are stable across runs. A file's ID is its path relative to the
// root of the argument it was found under, with forward slashes: the
// folder itself for a folder argument, the longest wildcard-free folder
// prefix for a glob pattern, and the file's own folder for a file
// argument (so its ID is its base name). A file therefore keeps its ID
// whether it is named directly, matched by "dir/*.txt" or found by
// walking "dir". A JSONL record's ID is its "id" field, else its "url",
// else "<file ID>#<line>".
package reader

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/sanadhq/sanad"
)

// DefaultMaxFileSize is the size limit used when Options.MaxFileSize is 0.
const DefaultMaxFileSize = 32 << 20

// Errors a Problem can wrap; test for them with errors.Is.
var (
	// ErrUnsupported is a file named explicitly whose extension has no reader.
	ErrUnsupported = errors.New("unsupported format")
	// ErrBinary is a file that looks like binary data rather than text.
	ErrBinary = errors.New("binary file")
	// ErrEmpty is a file, or a record's text, with nothing but whitespace.
	ErrEmpty = errors.New("empty")
	// ErrNoText is text without a single letter or digit.
	ErrNoText = errors.New("no text")
	// ErrTooLarge is a file over Options.MaxFileSize.
	ErrTooLarge = errors.New("file too large")
	// ErrInvalidUTF8 is text that is not valid UTF-8.
	ErrInvalidUTF8 = errors.New("invalid UTF-8")
	// ErrNoMatch is a glob pattern that matched nothing.
	ErrNoMatch = errors.New("pattern matches no files")
)

// Problem is an input that could not be read, or part of one (a JSONL
// line). It names the file and, where there is one, the line.
type Problem struct {
	Path string
	Line int
	Err  error
}

// Error returns "path:line: message", or "path: message" without a line.
func (p Problem) Error() string {
	if p.Line > 0 {
		return fmt.Sprintf("%s:%d: %v", p.Path, p.Line, p.Err)
	}
	return fmt.Sprintf("%s: %v", p.Path, p.Err)
}

// Unwrap returns the underlying error, so errors.Is(p, ErrBinary) works.
func (p Problem) Unwrap() error { return p.Err }

// Options control reading.
type Options struct {
	// MaxFileSize is the largest file read, in bytes; 0 means
	// DefaultMaxFileSize. A larger file is a Problem and is never read whole.
	MaxFileSize int64
}

func (o Options) maxSize() int64 {
	if o.MaxFileSize > 0 {
		return o.MaxFileSize
	}
	return DefaultMaxFileSize
}

// Walk reads every article under paths and calls fn for each. A path may
// be a file, a folder (read recursively) or a glob pattern. Articles come
// in a deterministic order: arguments in the order given, files in path
// order within each, records in file order.
//
// When walking folders, hidden entries (names starting with '.') and files
// of unknown formats are skipped silently; symlinks are followed, but each
// real folder and file is read only once, so a symlink loop ends. Anything
// that cannot be read is reported through onProblem (which may be nil) and
// reading continues. An error from fn stops the walk and is returned, as
// is the context's error when ctx is cancelled.
func Walk(ctx context.Context, paths []string, opt Options, fn func(sanad.Article) error, onProblem func(Problem)) error {
	w := &walker{
		ctx:       ctx,
		opt:       opt,
		fn:        fn,
		onProblem: onProblem,
		seenDirs:  map[string]bool{},
		seenFiles: map[string]bool{},
	}
	for _, p := range paths {
		if err := w.arg(p); err != nil {
			return err
		}
	}
	return nil
}

type walker struct {
	ctx       context.Context
	opt       Options
	fn        func(sanad.Article) error
	onProblem func(Problem)
	// Real paths already read: overlapping arguments and symlinks would
	// otherwise index an article twice or loop forever.
	seenDirs  map[string]bool
	seenFiles map[string]bool
}

func (w *walker) problem(p Problem) {
	if w.onProblem != nil {
		w.onProblem(p)
	}
}

func (w *walker) arg(p string) error {
	info, err := os.Stat(p)
	if err != nil {
		// An existing file named "a[1].txt" is a file; only a path that
		// does not exist is tried as a pattern.
		if errors.Is(err, fs.ErrNotExist) && hasMeta(p) {
			return w.glob(p)
		}
		w.problem(Problem{Path: p, Err: bare(err)})
		return nil
	}
	if info.IsDir() {
		return w.dir(p, p)
	}
	return w.file(p, filepath.Dir(p))
}

func (w *walker) glob(pattern string) error {
	matches, err := filepath.Glob(pattern)
	if err != nil {
		w.problem(Problem{Path: pattern, Err: err})
		return nil
	}
	root := pattern
	for hasMeta(root) {
		root = filepath.Dir(root)
	}
	found := false
	for _, m := range matches {
		if hidden(root, pattern, m) {
			continue
		}
		found = true
		info, err := os.Stat(m)
		if err != nil {
			w.problem(Problem{Path: m, Err: bare(err)})
			continue
		}
		if info.IsDir() {
			err = w.dir(m, root)
		} else if supported(m) {
			err = w.file(m, root)
		}
		if err != nil {
			return err
		}
	}
	if !found {
		w.problem(Problem{Path: pattern, Err: ErrNoMatch})
	}
	return nil
}

func (w *walker) dir(dir, root string) error {
	if err := w.ctx.Err(); err != nil {
		return err
	}
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		w.problem(Problem{Path: dir, Err: bare(err)})
		return nil
	}
	if w.seenDirs[real] {
		return nil
	}
	w.seenDirs[real] = true
	entries, err := os.ReadDir(dir)
	if err != nil {
		// ReadDir returns what it read before failing; read that too.
		w.problem(Problem{Path: dir, Err: bare(err)})
	}
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") {
			continue
		}
		p := filepath.Join(dir, name)
		var err error
		mode := e.Type()
		if mode&fs.ModeSymlink != 0 {
			info, err := os.Stat(p)
			if err != nil {
				w.problem(Problem{Path: p, Err: bare(err)})
				continue
			}
			mode = info.Mode().Type()
		}
		switch {
		case mode.IsDir():
			err = w.dir(p, root)
		case mode.IsRegular() && supported(name):
			err = w.file(p, root)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (w *walker) file(path, root string) error {
	if err := w.ctx.Err(); err != nil {
		return err
	}
	if real, err := filepath.EvalSymlinks(path); err == nil {
		if w.seenFiles[real] {
			return nil
		}
		w.seenFiles[real] = true
	}
	arts, probs := ReadFile(path, root, w.opt)
	for _, p := range probs {
		w.problem(p)
	}
	for _, a := range arts {
		if err := w.ctx.Err(); err != nil {
			return err
		}
		if err := w.fn(a); err != nil {
			return err
		}
	}
	return nil
}

// ReadFile reads the articles of one file: one for a text or HTML file,
// one per record for JSONL. A file of unknown format is a Problem.
// root is the indexed root the ID is relative to; an empty root, or one
// the file is not under, gives the file's base name.
func ReadFile(path, root string, opt Options) ([]sanad.Article, []Problem) {
	if !supported(path) {
		return nil, []Problem{{Path: path, Err: ErrUnsupported}}
	}
	data, err := load(path, opt.maxSize())
	if err != nil {
		return nil, []Problem{{Path: path, Err: err}}
	}
	data, err = decode(data)
	if err != nil {
		return nil, []Problem{{Path: path, Err: err}}
	}
	id := fileID(path, root)
	switch ext(path) {
	case ".jsonl", ".json":
		return parseRecords(bytes.NewReader(data), path, id, ext(path) == ".json")
	case ".html", ".htm":
		a, p := parseHTML(data)
		return single(a, p, path, id)
	default:
		a, p := parseText(data, ext(path) == ".md")
		return single(a, p, path, id)
	}
}

// single completes the one article of a text or HTML file.
func single(a sanad.Article, p *Problem, path, id string) ([]sanad.Article, []Problem) {
	if p != nil {
		p.Path = path
		return nil, []Problem{*p}
	}
	a.ID = id
	a.Source = path
	a.Hash = hash(a)
	return []sanad.Article{a}, nil
}

// load reads a whole file, refusing one over max bytes before reading it.
func load(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, bare(err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, bare(err)
	}
	if !info.Mode().IsRegular() {
		return nil, errors.New("not a regular file")
	}
	if info.Size() > max {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, info.Size(), max)
	}
	// The limit guards against a file that grows after Stat.
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, bare(err)
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%w: over %d bytes", ErrTooLarge, max)
	}
	return data, nil
}

// fileID is path relative to root with forward slashes, or the base name.
func fileID(path, root string) string {
	if root != "" {
		rel, err := filepath.Rel(root, path)
		if err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return filepath.ToSlash(rel)
		}
	}
	return filepath.Base(path)
}

func ext(path string) string { return strings.ToLower(filepath.Ext(path)) }

func supported(path string) bool {
	switch ext(path) {
	case ".txt", ".md", ".html", ".htm", ".jsonl", ".json":
		return true
	}
	return false
}

func hasMeta(p string) bool { return strings.ContainsAny(p, `*?[`) }

// hidden reports whether a glob match passes through a hidden file or
// folder that the pattern did not name with a leading dot, as a shell
// would not match it either.
func hidden(root, pattern, match string) bool {
	m, err1 := filepath.Rel(root, match)
	p, err2 := filepath.Rel(root, pattern)
	if err1 != nil || err2 != nil {
		return false
	}
	ms := strings.Split(m, string(filepath.Separator))
	ps := strings.Split(p, string(filepath.Separator))
	for i, name := range ms {
		if strings.HasPrefix(name, ".") && name != "." && name != ".." &&
			(i >= len(ps) || !strings.HasPrefix(ps[i], ".")) {
			return true
		}
	}
	return false
}

// bare drops the path an os error repeats, since Problem names it already.
func bare(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
