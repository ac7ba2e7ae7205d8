// Command automl runs hyperparameter searches: `automl search -space
// space.yaml` runs a study on the embedded default (an in-process NATS
// JetStream server, local worker slots, a bbolt file); the other commands
// validate space files, list studies and trials, and export leaderboards.
// This package only wires the implementations together.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	_ "automl/plugins/funcs"
	_ "automl/search/algorithms"
)

// Exit codes.
const (
	exitOK          = 0
	exitError       = 1   // the command failed (a study failed, a store error)
	exitUsage       = 2   // bad input: flags, space file, unknown study
	exitInterrupted = 130 // stopped (automl stop); after a signal: 128 + its number
)

// usageError marks errors caused by the user's input.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// errInterrupted is returned by a command stopped by Ctrl-C.
var errInterrupted = errors.New("interrupted")

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "automl",
		Short: "Hyperparameter search for training programs",
		Long: `automl finds the hyperparameters that make a training program best.

A study is described by a space file (parameters, objective, budget,
algorithm, trainer). automl search runs it: a scheduler proposes trials,
dispatches them through NATS JetStream to worker slots, and records every
trial and intermediate metric in a bbolt file (automl.db).`,
		Example: `  automl search -space examples/quickstart/space.yaml
  automl report quickstart --format html -o report.html
  automl validate -space space.yaml
  automl studies
  automl trials quickstart
  automl report quickstart --format md --top 10
  automl --version`,
		Version:       versionText(),
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetVersionTemplate("automl {{.Version}}\n") // as automl version prints it
	root.AddCommand(newSearchCmd(), newValidateCmd(), newStudiesCmd(), newTrialsCmd(), newReportCmd(), newVersionCmd())
	root.AddCommand(extraCommands()...)
	finishTree(root)
	return root
}

// extraCommands are added by other files of this package (plugin serving).
var extraCommands = func() []*cobra.Command { return nil }

func main() {
	if code, ok := servePluginDirect(os.Args[1:]); ok {
		os.Exit(code)
	}
	os.Exit(run(context.Background(), os.Args[1:]))
}

func run(ctx context.Context, args []string) int {
	root := newRootCmd()
	root.SetArgs(normalizeArgs(root, args))
	err := root.ExecuteContext(ctx)
	var sig interrupted
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &sig):
		return signalCode(sig.sig)
	case errors.Is(err, errInterrupted):
		return exitInterrupted
	}
	fmt.Fprintln(os.Stderr, "automl:", err)
	var ue usageError
	if errors.As(err, &ue) || isFlagError(err) {
		return exitUsage
	}
	return exitError
}

func isFlagError(err error) bool {
	msg := err.Error()
	return strings.HasPrefix(msg, "unknown flag") || strings.HasPrefix(msg, "unknown shorthand") ||
		strings.HasPrefix(msg, "invalid argument") || strings.HasPrefix(msg, "flag needs an argument") ||
		strings.HasPrefix(msg, "unknown command") || strings.Contains(msg, "accepts ") || strings.Contains(msg, "requires at least") ||
		strings.HasPrefix(msg, "required flag")
}

// normalizeArgs lets users type long flags with one dash, as in
// `automl search -space space.yaml`: pflag would read "-space" as the
// shorthands -s -p -a -c -e. A single-dash word that names a long flag of
// the command being run becomes the double-dash form.
func normalizeArgs(root *cobra.Command, args []string) []string {
	cmd, _, err := root.Find(args)
	if err != nil || cmd == nil {
		return args
	}
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = a
		if a == "--" {
			copy(out[i:], args[i:])
			break
		}
		if len(a) < 3 || a[0] != '-' || a[1] == '-' {
			continue
		}
		name, _, _ := strings.Cut(a[1:], "=")
		if len(name) > 1 && (cmd.Flags().Lookup(name) != nil || cmd.InheritedFlags().Lookup(name) != nil) {
			out[i] = "-" + a
		}
	}
	return out
}
