package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/syncd/syncd/config"
	"github.com/syncd/syncd/internal/index"
)

// Exit statuses (DESIGN §6).
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// usageError marks an error caused by how syncd was invoked (exit 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// globals are the flags every command takes.
type globals struct {
	configPath string
	logLevel   string
	logFormat  string
	stdout     io.Writer
	stderr     io.Writer
}

func execute(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	g := &globals{stdout: stdout, stderr: stderr}
	root := &cobra.Command{
		Use:           "syncd",
		Short:         "Keep a local, searchable mirror of the 1688 catalog",
		Long:          "syncd mirrors slices of the 1688 wholesale catalog (keywords, categories, shops, hot lists,\nrecommendations) from the PandaPon open API into a search index, and serves search over it.",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetArgs(args)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return usageError{err} })
	pf := root.PersistentFlags()
	pf.StringVar(&g.configPath, "config", "./syncd.yaml", "config file")
	pf.StringVar(&g.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	pf.StringVar(&g.logFormat, "log-format", "text", "log format: text or json")

	root.AddCommand(
		newRunCmd(g),
		newBackfillCmd(g),
		newSearchCmd(g),
		newStatusCmd(g),
		newReindexCmd(g),
		newSimulateCmd(g),
		newDemoCmd(g),
		newConfigCmd(g),
		newVersionCmd(g),
		newBenchCmd(g),
	)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	code := exitCode(err)
	if !errors.Is(err, errReported) {
		fmt.Fprintf(stderr, "syncd: %v\n", err)
	}
	if code == exitUsage && isCobraUsage(err) {
		fmt.Fprintln(stderr, "Run 'syncd --help' for usage.")
	}
	return code
}

// errReported is returned by commands that already told the user what went wrong.
var errReported = errors.New("reported")

func exitCode(err error) int {
	var ue usageError
	var qe *index.QueryError
	switch {
	case errors.As(err, &ue), errors.As(err, &qe), config.IsConfigError(err):
		return exitUsage
	case isCobraUsage(err):
		return exitUsage
	}
	return exitFailure
}

// isCobraUsage recognises cobra's own argument errors, which it does not type.
func isCobraUsage(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand", "accepts ", "requires at least", "invalid argument", "flag needs an argument"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}

// logger builds the process logger from the global flags.
func (g *globals) logger() (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(g.logLevel)); err != nil {
		return nil, usagef("--log-level: %q is not one of debug, info, warn, error", g.logLevel)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch g.logFormat {
	case "text":
		return slog.New(slog.NewTextHandler(g.stderr, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(g.stderr, opts)), nil
	}
	return nil, usagef("--log-format: %q is not text or json", g.logFormat)
}

// setup reads the config named by --config and builds the logger the flags ask for.
func (g *globals) setup() (*config.Config, *slog.Logger, error) {
	cfg, err := g.loadConfig()
	if err != nil {
		return nil, nil, err
	}
	logger, err := g.logger()
	if err != nil {
		return nil, nil, err
	}
	return cfg, logger, nil
}

// loadConfig reads the config named by --config.
func (g *globals) loadConfig() (*config.Config, error) {
	return config.Load(g.configPath)
}

// isTerminal reports whether w is an interactive terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
