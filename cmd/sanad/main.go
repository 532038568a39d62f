// Command sanad indexes folders of news articles and answers questions over
// them by meaning, citing the articles and passages it rests on.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"syscall"

	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// Exit statuses: 0 success, 1 failure (including partial failure of an
// index run), 2 bad usage.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// usageError marks errors in how sanad was called.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// partialError marks a run that did its job but not for every input.
type partialError struct{ n int }

func (e partialError) Error() string { return fmt.Sprintf("%d input(s) could not be indexed", e.n) }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes one command line and returns its exit status.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	app := &app{stdin: stdin, stdout: stdout, stderr: stderr}
	root := app.rootCommand()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	var usage usageError
	var partial partialError
	switch {
	case errors.As(err, &partial):
		return exitFailure
	case errors.As(err, &usage):
		fmt.Fprintf(stderr, "sanad: %v\nRun 'sanad --help' for usage.\n", err)
		return exitUsage
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(stderr, "sanad: interrupted")
		return exitFailure
	}
	fmt.Fprintf(stderr, "sanad: %v\n", err)
	return exitFailure
}

// app holds what every command shares: its streams and global flags.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer

	db      string
	json    bool
	verbose int
	quiet   bool
	model   modelFlags
	log     *slog.Logger
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "sanad",
		Short: "Semantic search and cited answers over collections of news articles",
		Long: `sanad (سند, "support": the chain of sources behind a report) indexes folders of
news articles (txt, md, html, jsonl) and finds passages by meaning, related
articles, and answers that cite the exact passages they rest on. Arabic is a
first-class language: its letter variants, diacritics and affixes are handled.

It runs offline by default with a built-in lexical embedder, and uses a local
Ollama server or any OpenAI-compatible endpoint when one is configured.

Results go to stdout, logs and progress to stderr. Exit status: 0 success,
1 failure (or some inputs could not be indexed), 2 bad usage.`,
		SilenceErrors: true,
		SilenceUsage:  true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			level := slog.LevelWarn
			switch {
			case a.quiet:
				level = slog.LevelError
			case a.verbose == 1:
				level = slog.LevelInfo
			case a.verbose > 1:
				level = slog.LevelDebug
			}
			a.log = slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: level}))
			if a.db == "" {
				a.db = defaultDB()
			}
			return nil
		},
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	pf := root.PersistentFlags()
	pf.StringVar(&a.db, "db", os.Getenv("SANAD_DB"), "index directory (env SANAD_DB; default "+defaultDB()+")")
	pf.BoolVar(&a.json, "json", false, "print results as JSON for scripts")
	pf.CountVarP(&a.verbose, "verbose", "v", "log more to stderr (-vv for debug)")
	pf.BoolVarP(&a.quiet, "quiet", "q", false, "log only errors and show no progress")
	a.model.register(root)

	for _, c := range []*cobra.Command{
		a.indexCommand(), a.searchCommand(), a.askCommand(), a.relatedCommand(), a.listCommand(),
		a.statsCommand(), a.rmCommand(), a.verifyCommand(), a.versionCommand(), a.evalCommand(),
	} {
		c.Args = usageArgs(c.Args)
		root.AddCommand(c)
	}
	return root
}

// usageArgs makes argument-count errors usage errors (exit status 2).
func usageArgs(check cobra.PositionalArgs) cobra.PositionalArgs {
	if check == nil {
		return nil
	}
	return func(cmd *cobra.Command, args []string) error {
		if err := check(cmd, args); err != nil {
			return usageError{err}
		}
		return nil
	}
}

// defaultDB is the user's data directory for sanad, following the XDG base
// directory convention on Linux and the platform's own elsewhere.
func defaultDB() string {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "sanad")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return ".sanad"
	}
	switch runtime.GOOS {
	case "darwin":
		return filepath.Join(home, "Library", "Application Support", "sanad")
	case "windows":
		if d := os.Getenv("LocalAppData"); d != "" {
			return filepath.Join(d, "sanad")
		}
	}
	return filepath.Join(home, ".local", "share", "sanad")
}

// isTerminal reports whether w is a terminal, for colour and progress bars.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
