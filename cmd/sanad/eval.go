package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/sanadhq/sanad/chunk"
	"github.com/sanadhq/sanad/eval"
	"github.com/sanadhq/sanad/search"
)

func (a *app) evalCommand() *cobra.Command {
	var (
		modes  string
		titles bool
	)
	c := &cobra.Command{
		Use:   "eval FILE",
		Short: "Measure retrieval quality on a question set",
		Long: `Measures how well each ranking finds the documents that answer a set of
queries: recall@1, @5 and @10, and MRR@10 of the first relevant document (a
document ranks by its best passage), with the time the queries took.

FILE is either a SQuAD v1.1 JSON file or a JSONL file of queries.

A SQuAD file is indexed in memory, through the same chunking, analysis and
embedding as 'sanad index': every paragraph is a document with the ID
"<article index>:<paragraph index>", every question a query, answered by the
documents whose text is its paragraph's. --titles adds each article's title
to its paragraphs.

A JSONL file (.jsonl or .ndjson) holds one {"query": "...", "relevant":
["article id", ...]} per line and is run against the index (--db).`,
		Example: `  sanad eval ../shared/eval/arcd-test.json
  sanad eval --json --mode hybrid questions.jsonl`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var ms []search.Mode
			for _, s := range strings.Split(modes, ",") {
				m, err := search.ParseMode(strings.TrimSpace(s))
				if err != nil {
					return usageError{err}
				}
				ms = append(ms, m)
			}
			f, err := os.Open(args[0])
			if err != nil {
				return err
			}
			defer f.Close()
			var (
				s       search.Searcher
				queries []eval.Query
				built   string
			)
			switch strings.ToLower(filepath.Ext(args[0])) {
			case ".jsonl", ".ndjson":
				if queries, err = eval.ReadQueries(f); err != nil {
					return err
				}
				st, emb, err := a.openIndex()
				if err != nil {
					return err
				}
				defer st.Close()
				s = search.Searcher{Store: st, Embedder: emb}
			default:
				start := time.Now()
				corpus, err := eval.ReadSQuAD(f, eval.SQuADOptions{Titles: titles})
				if err != nil {
					return fmt.Errorf("%s: %w", args[0], err)
				}
				emb, err := a.model.embedder(nil)
				if err != nil {
					return err
				}
				st, err := eval.Build(cmd.Context(), emb, corpus.Articles, chunk.DefaultOptions())
				if err != nil {
					return err
				}
				s, queries = search.Searcher{Store: st, Embedder: emb}, corpus.Queries
				built = fmt.Sprintf("%d documents, %d chunks, %d queries; read and indexed in %.3fs (%s)",
					len(corpus.Articles), st.Stats().Chunks, len(queries), time.Since(start).Seconds(), emb.Info().Model)
			}
			results := make(map[search.Mode]eval.Metrics, len(ms))
			for _, m := range ms {
				r, err := eval.Run(cmd.Context(), s, queries, m)
				if err != nil {
					return fmt.Errorf("eval %s: %w", m, err)
				}
				results[m] = r
			}
			if a.json {
				return a.printJSON(results)
			}
			if built != "" {
				fmt.Fprintln(a.stdout, built)
			}
			fmt.Fprintf(a.stdout, "%-8s %8s %8s %9s %8s %8s %8s\n", "mode", "R@1", "R@5", "R@10", "MRR@10", "queries", "seconds")
			for _, m := range ms {
				r := results[m]
				fmt.Fprintf(a.stdout, "%-8s %8.3f %8.3f %9.3f %8.3f %8d %8.3f\n", m, r.R1, r.R5, r.R10, r.MRR10, r.Queries, r.Seconds)
			}
			return nil
		},
	}
	c.Flags().StringVar(&modes, "mode", "hybrid,vector,lexical", "rankings to measure, comma-separated")
	c.Flags().BoolVar(&titles, "titles", false, "SQuAD: add each article's title to its paragraphs")
	return c
}
