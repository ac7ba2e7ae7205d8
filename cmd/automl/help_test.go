package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"automl/report"
)

// allCommands is every command of the tree, cobra's generated ones
// (completion and its shells, help) included, as Execute would add them.
func allCommands(t *testing.T) []*cobra.Command {
	t.Helper()
	root := newRootCmd()
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	var all []*cobra.Command
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		all = append(all, c)
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	return all
}

// TestEveryCommandHasExamples: `--help` of every command, the generated
// ones included, shows examples of it.
func TestEveryCommandHasExamples(t *testing.T) {
	for _, c := range allCommands(t) {
		if !strings.Contains(c.Example, c.CommandPath()) {
			t.Errorf("%s: no example of it in --help (Example: %q)", c.CommandPath(), c.Example)
		}
	}
}

// TestHelpStatesEachDefaultOnce: a flag whose help text says its default
// must not also get pflag's "(default X)", which printed
// "(default: CPUs; 0 with --nats) (default 2)".
func TestHelpStatesEachDefaultOnce(t *testing.T) {
	for _, c := range allCommands(t) {
		c.LocalFlags().VisitAll(func(f *pflag.Flag) {
			one := pflag.NewFlagSet("", pflag.ContinueOnError)
			one.AddFlag(f)
			line := one.FlagUsages()
			_, appended, _ := strings.Cut(line, f.Usage)
			if strings.Contains(f.Usage, "default") && strings.Contains(appended, "(default ") {
				t.Errorf("%s --%s states its default twice:\n%s", c.CommandPath(), f.Name, line)
			}
		})
	}
}

// execute runs the command tree in-process and returns its standard output.
func execute(t *testing.T, args ...string) string {
	t.Helper()
	root := newRootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(io.Discard)
	root.SetArgs(normalizeArgs(root, args))
	if err := root.Execute(); err != nil {
		t.Fatalf("automl %v: %v", args, err)
	}
	return out.String()
}

// `automl --version` (and -version) says what `automl version` says.
func TestVersionFlag(t *testing.T) {
	want := execute(t, "version")
	if !strings.HasPrefix(want, "automl ") {
		t.Fatalf("automl version printed %q", want)
	}
	for _, flag := range []string{"--version", "-version", "-v"} {
		if got := execute(t, flag); got != want {
			t.Errorf("automl %s printed %q, want %q", flag, got, want)
		}
	}
}

// offered is what `automl __complete ARGS` offers, descriptions cut.
func offered(t *testing.T, args ...string) []string {
	t.Helper()
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(execute(t, append([]string{"__complete"}, args...)...)), "\n") {
		if strings.HasPrefix(line, ":") {
			continue // the directive
		}
		name, _, _ := strings.Cut(line, "\t")
		got = append(got, name)
	}
	return got
}

// Shell completion offers formats, plots, states, log levels and
// built-in trainers; study names are the end-to-end test's (a study file).
func TestCompletionOffersValues(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"report", "quickstart", "--format", ""}, "md csv json html png svg"},
		{[]string{"report", "quickstart", "--plot", ""}, strings.Join(report.PlotKinds, " ")},
		{[]string{"trials", "quickstart", "--state", ""}, "pending running paused completed failed pruned stopped imported"},
		{[]string{"search", "--log-level", ""}, "debug info warn error"},
		{[]string{"plugin", "serve", ""}, "exec funcs mlp"},
		{[]string{"completion", ""}, "bash fish powershell zsh"},
		{[]string{"model", "ensemble", "quickstart", "--metric", ""}, "accuracy balanced_accuracy f1 auc log_loss brier rmse mae r2"},
	} {
		if got := strings.Join(offered(t, tc.args...), " "); got != tc.want {
			t.Errorf("automl __complete %q offers %q, want %q", tc.args, got, tc.want)
		}
	}
}

// Completing a study name with no study file offers nothing, fails
// nothing and makes no file.
func TestCompletionWithoutStudyFile(t *testing.T) {
	db := filepath.Join(t.TempDir(), "none.db")
	for _, c := range []string{"trials", "report", "stop"} {
		if got := offered(t, c, "--db", db, ""); len(got) != 0 {
			t.Errorf("automl __complete %s with no study file offers %q", c, got)
		}
	}
	if _, err := os.Stat(db); !os.IsNotExist(err) {
		t.Errorf("completion made %s (%v)", db, err)
	}
}
