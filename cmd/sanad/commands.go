package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/sanadhq/sanad/chunk"
	"github.com/sanadhq/sanad/embed"
	"github.com/sanadhq/sanad/indexer"
	"github.com/sanadhq/sanad/reader"
	"github.com/sanadhq/sanad/search"
	"github.com/sanadhq/sanad/store"
)

func (a *app) indexCommand() *cobra.Command {
	var (
		chunkSize, overlap int
		prune, reindex     bool
		wait               bool
		maxFileMB          int64
		commitChunks       int
	)
	c := &cobra.Command{
		Use:   "index PATH...",
		Short: "Add articles from files, folders and globs to the index",
		Long: `Reads articles from files, folders (recursively) and glob patterns, and adds
them to the index. Formats: .txt and .md (the first non-empty line is the
title), .html (main text and title extracted), .jsonl/.json (one article per
record with "text" and optional "id", "title", "url", "date", "source").

Re-indexing is incremental: unchanged articles are skipped without any
embedding request, changed ones are replaced. Every batch is committed
atomically, so an interrupted run keeps what it reported as done and a new
run finishes the job.`,
		Example: `  sanad index testdata/
  sanad index ~/news/*.jsonl --prune
  sanad index archive/ --embedder ollama --reindex`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, paths []string) error {
			if chunkSize < 1 || overlap < 0 || overlap >= chunkSize {
				return usagef("--chunk-size must be at least 1 and --chunk-overlap in [0, chunk size)")
			}
			if commitChunks < 1 || maxFileMB < 1 {
				return usagef("--commit-chunks and --max-file-size must be at least 1")
			}
			st, err := store.OpenWriter(cmd.Context(), a.db, wait)
			if err != nil {
				return err
			}
			defer st.Close()
			have, built := st.Config()
			chunking := chunk.Options{Size: chunkSize, Overlap: overlap}
			var haveCfg *store.Config
			if built && !reindex {
				haveCfg = &have
				if !cmd.Flags().Changed("chunk-size") && !cmd.Flags().Changed("chunk-overlap") {
					chunking = chunk.Options{Size: have.ChunkSize, Overlap: have.ChunkOverlap}
				}
			}
			emb, err := a.model.embedder(haveCfg)
			if err != nil {
				return err
			}
			// --reindex builds the new index beside the old one, which
			// stays in place until the new one is complete.
			target := st
			if reindex {
				if target, err = st.Rebuild(); err != nil {
					return fmt.Errorf("reindex %s: %w", a.db, err)
				}
				defer target.Close()
			}
			progress := a.newProgress()
			opt := indexer.Options{
				Reader:      reader.Options{MaxFileSize: maxFileMB << 20},
				Chunk:       chunking,
				Prune:       prune,
				BatchChunks: commitChunks,
				OnProblem: func(p reader.Problem) {
					progress.clear()
					a.log.Warn("skipped input", "problem", p.Error())
				},
				OnProgress: func(s indexer.Summary) {
					progress.update(s)
					a.log.Info("committed", "added", s.Added, "updated", s.Updated, "chunks", s.Chunks)
				},
			}
			start := time.Now()
			sum, err := indexer.Run(cmd.Context(), target, emb, paths, opt)
			progress.done()
			elapsed := time.Since(start)
			if reindex {
				if err != nil {
					fmt.Fprintf(a.stderr, "sanad: --reindex stopped; the index in %s is as it was before.\n", a.db)
					return err
				}
				if err := st.Replace(target); err != nil {
					return fmt.Errorf("reindex %s: %w", a.db, err)
				}
			}
			if err != nil {
				if sum.Added+sum.Updated > 0 {
					fmt.Fprintf(a.stderr, "sanad: stopped after committing %d article(s) (%d chunks); running the same command again continues from there.\n", sum.Added+sum.Updated, sum.Chunks)
				}
				return err
			}
			if err := a.printSummary(sum, elapsed); err != nil {
				return err
			}
			if len(sum.Problems) > 0 {
				return partialError{len(sum.Problems)}
			}
			return nil
		},
	}
	f := c.Flags()
	def := chunk.DefaultOptions()
	f.IntVar(&chunkSize, "chunk-size", def.Size, "chunk size budget in characters (kept under embedding models' token limits)")
	f.IntVar(&overlap, "chunk-overlap", def.Overlap, "characters of whole sentences repeated between neighbouring chunks")
	f.BoolVar(&prune, "prune", false, "remove indexed articles that were not found in this run's paths")
	f.BoolVar(&reindex, "reindex", false, "rebuild the index from these inputs alone, replacing it when done (needed to change embedder, model or chunking)")
	f.BoolVar(&wait, "wait", false, "wait for another index run on the same --db instead of failing")
	f.Int64Var(&maxFileMB, "max-file-size", reader.DefaultMaxFileSize>>20, "skip files larger than this many MiB")
	f.IntVar(&commitChunks, "commit-chunks", 256, "chunks embedded and committed together: a crash loses at most this much work")
	return c
}

func (a *app) printSummary(sum indexer.Summary, elapsed time.Duration) error {
	if a.json {
		problems := make([]string, len(sum.Problems))
		for i, p := range sum.Problems {
			problems[i] = p.Error()
		}
		return a.printJSON(struct {
			indexer.Summary
			Problems []string `json:"problems"`
			Seconds  float64  `json:"seconds"`
		}{sum, problems, elapsed.Seconds()})
	}
	fmt.Fprintf(a.stdout, "%d added, %d updated, %d unchanged, %d removed, %d skipped; %d chunks embedded in %s\n",
		sum.Added, sum.Updated, sum.Unchanged, sum.Removed, sum.Skipped, sum.Chunks, elapsed.Round(time.Millisecond))
	for _, p := range sum.Problems {
		fmt.Fprintf(a.stdout, "  skipped %s\n", p.Error())
	}
	if sum.PruneSkipped {
		fmt.Fprintln(a.stdout, "  --prune removed nothing: some inputs could not be read, and their articles are kept")
	}
	return nil
}

// openIndex opens the index for reading with an embedder that matches it.
func (a *app) openIndex() (*store.Store, embed.Embedder, error) {
	st, err := store.Open(a.db)
	if err != nil {
		return nil, nil, err
	}
	emb, err := a.matchingEmbedder(st)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return st, emb, nil
}

// matchingEmbedder returns the embedder for an index's vectors, or why
// there is none.
func (a *app) matchingEmbedder(st *store.Store) (embed.Embedder, error) {
	have, ok := st.Config()
	if !ok || st.Len() == 0 {
		return nil, fmt.Errorf("the index %s is empty: add articles with 'sanad index PATH...' (or choose another --db)", a.db)
	}
	emb, err := a.model.embedder(&have)
	if err != nil {
		return nil, err
	}
	if err := checkCompatible(a.db, have, emb); err != nil {
		return nil, err
	}
	return emb, nil
}

// queryText joins the arguments, or reads the query from stdin when there
// are none and stdin is not a terminal.
func (a *app) queryText(args []string) (string, error) {
	q := strings.TrimSpace(strings.Join(args, " "))
	if q == "" && len(args) == 0 {
		if f, ok := a.stdin.(*os.File); !ok || !isTerminal(f) {
			b, err := io.ReadAll(io.LimitReader(a.stdin, 1<<20))
			if err != nil {
				return "", fmt.Errorf("read query from stdin: %w", err)
			}
			q = strings.TrimSpace(string(b))
		}
	}
	if q == "" {
		return "", usagef("no query: give it as arguments or on stdin")
	}
	return q, nil
}

func (a *app) searchCommand() *cobra.Command {
	var (
		k    int
		mode string
	)
	c := &cobra.Command{
		Use:   "search QUERY...",
		Short: "Find the passages that best match a query by meaning",
		Long: `Ranks indexed passages against a query. The default ranking fuses the vector
similarity of the embedder with BM25 over Arabic-aware terms (--mode hybrid);
--mode vector or --mode lexical use one of them alone. The query can also
come on stdin.`,
		Example: `  sanad search "الأسلحة الكيميائية في سوريا"
  echo "تنسيق عسكري بين واشنطن وموسكو" | sanad search -k 3 --json`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := search.ParseMode(mode)
			if err != nil {
				return usageError{err}
			}
			if k < 1 {
				return usagef("-k must be at least 1")
			}
			q, err := a.queryText(args)
			if err != nil {
				return err
			}
			st, emb, err := a.openIndex()
			if err != nil {
				return err
			}
			defer st.Close()
			hits, err := search.Searcher{Store: st, Embedder: emb}.Search(cmd.Context(), q, k, m, "")
			if err != nil {
				return err
			}
			return a.printHits(q, hits)
		},
	}
	c.Flags().IntVarP(&k, "k", "k", 5, "number of passages")
	c.Flags().StringVar(&mode, "mode", string(search.Hybrid), "ranking: hybrid, vector or lexical")
	return c
}

func (a *app) relatedCommand() *cobra.Command {
	var (
		k    int
		mode string
	)
	c := &cobra.Command{
		Use:   "related ARTICLE",
		Short: "Find the articles most related to an article",
		Long: `Lists the indexed articles most related to ARTICLE: an indexed article's ID,
the path of an indexed file, or any readable file that is not indexed. The
article itself is never in its own list. Each result shows the pair of
passages that links the two articles most strongly.`,
		Example: `  sanad related 001_ef85649ef22ca4f1.txt
  sanad related ~/Downloads/new-article.html -k 3 --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := search.ParseMode(mode)
			if err != nil {
				return usageError{err}
			}
			if k < 1 {
				return usagef("-k must be at least 1")
			}
			st, emb, err := a.openIndex()
			if err != nil {
				return err
			}
			defer st.Close()
			s := search.Searcher{Store: st, Embedder: emb}
			title, id, chunks, vectors, err := a.resolveArticle(cmd, st, emb, args[0])
			if err != nil {
				return err
			}
			rel, err := s.Related(cmd.Context(), chunks, vectors, k, m, id)
			if err != nil {
				return err
			}
			return a.printRelated(title, rel)
		},
	}
	c.Flags().IntVarP(&k, "k", "k", 5, "number of articles")
	c.Flags().StringVar(&mode, "mode", string(search.Hybrid), "ranking: hybrid, vector or lexical")
	return c
}

func (a *app) listCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the indexed articles",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := store.Open(a.db)
			if err != nil {
				return err
			}
			defer st.Close()
			arts := st.Articles()
			if a.json {
				return a.printJSON(arts)
			}
			for _, art := range arts {
				fmt.Fprintf(a.stdout, "%s\t%s\t%s\n", art.ID, art.Date, art.Title)
			}
			return nil
		},
	}
}

func (a *app) statsCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "stats",
		Short: "Show the size and settings of the index",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := store.Open(a.db)
			if err != nil {
				return err
			}
			defer st.Close()
			s := st.Stats()
			if a.json {
				return a.printJSON(s)
			}
			c := s.Config
			fmt.Fprintf(a.stdout, "index      %s\narticles   %d\nchunks     %d (%d in the log)\nembedder   %s %s (%d dimensions)\nchunking   %d characters, %d overlap\nanalyzer   %s\ndisk       %s (snapshot %s, log %s in %d segment(s))\n",
				s.Dir, s.Articles, s.Chunks, s.LogChunks, c.Embedder, c.Model, c.Dimensions, c.ChunkSize, c.ChunkOverlap, c.Analyzer,
				bytesText(s.DiskBytes), bytesText(s.SnapshotBytes), bytesText(s.LogBytes), s.Segments)
			return nil
		},
	}
}

func bytesText(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

func (a *app) rmCommand() *cobra.Command {
	var wait bool
	c := &cobra.Command{
		Use:   "rm ID...",
		Short: "Remove articles from the index",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, ids []string) error {
			slices.Sort(ids)
			ids = slices.Compact(ids)
			st, err := store.OpenWriter(cmd.Context(), a.db, wait)
			if err != nil {
				return err
			}
			defer st.Close()
			for _, id := range ids {
				if _, ok := st.Article(id); !ok {
					return fmt.Errorf("no article %q in %s (see 'sanad list')", id, a.db)
				}
			}
			cfg, _ := st.Config()
			if _, err := st.Commit(cfg, nil, ids); err != nil {
				return err
			}
			if _, err := st.Compact(); err != nil {
				return err
			}
			if !a.json {
				fmt.Fprintf(a.stdout, "removed %d article(s)\n", len(ids))
				return nil
			}
			return a.printJSON(map[string]any{"removed": ids})
		},
	}
	c.Flags().BoolVar(&wait, "wait", false, "wait for a running index instead of failing")
	return c
}

func (a *app) verifyCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "verify",
		Short: "Check the index's integrity without changing it",
		Long: `Checks the manifest, every record's checksum, that the articles and chunks
add up to what the manifest says, that vectors have the index's dimensions
and unit length, and that chunk offsets fall inside their article's text.
Exit status 1 when a problem is found.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := store.Verify(a.db)
			if err != nil {
				return err
			}
			if a.json {
				if err := a.printJSON(r); err != nil {
					return err
				}
			} else {
				fmt.Fprintf(a.stdout, "%s: %d articles, %d chunks in %d segment(s)\n", r.Dir, r.Articles, r.Chunks, r.Segments)
				for _, n := range r.Notes {
					fmt.Fprintf(a.stdout, "note: %s\n", n)
				}
				for _, p := range r.Problems {
					fmt.Fprintf(a.stdout, "problem: %s\n", p)
				}
				if len(r.Problems) == 0 {
					fmt.Fprintln(a.stdout, "ok")
				}
			}
			if len(r.Problems) > 0 {
				return fmt.Errorf("%d problem(s) in %s", len(r.Problems), a.db)
			}
			return nil
		},
	}
}

func (a *app) versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print sanad's version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			v, goVersion := "(devel)", ""
			if info, ok := debug.ReadBuildInfo(); ok {
				goVersion = info.GoVersion
				if info.Main.Version != "" {
					v = info.Main.Version
				}
			}
			if a.json {
				return a.printJSON(map[string]string{"version": v, "go": goVersion})
			}
			fmt.Fprintf(a.stdout, "sanad %s (%s)\n", v, goVersion)
			return nil
		},
	}
}

// errNotFound is returned when a related ARTICLE names nothing readable.
var errNotFound = errors.New("not an indexed article ID nor a readable file")

// absPath is the absolute form of p, or p itself when that fails.
func absPath(p string) string {
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return p
}
