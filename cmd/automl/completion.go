package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"automl/internal/studyname"
	"automl/model/ensemble"
	"automl/report"
	"automl/trial"
)

// completionWait bounds the read of the study file for a completion: a
// shell waits on it at every Tab.
const completionWait = 2 * time.Second

// finishTree adds what cobra would add at Execute (the help and completion
// commands, the --help and --version flags) now, so that they have
// examples like every other command and so that -version and -help, typed
// with one dash, are found as long flags; then it says what each argument
// and flag completes to.
func finishTree(root *cobra.Command) {
	root.InitDefaultVersionFlag()
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	walk(root, func(c *cobra.Command) { c.InitDefaultHelpFlag() })
	for _, c := range root.Commands() {
		switch c.Name() {
		case "help":
			c.Example = `  automl help search
  automl help report`
		case "completion":
			completionExamples(c)
		}
	}
	completions(root)
}

func walk(c *cobra.Command, fn func(*cobra.Command)) {
	fn(c)
	for _, sub := range c.Commands() {
		walk(sub, fn)
	}
}

func completionExamples(c *cobra.Command) {
	c.Example = `  source <(automl completion bash)       # this shell; add it to ~/.bashrc to keep it
  automl completion zsh > "${fpath[1]}/_automl"
  automl completion fish > ~/.config/fish/completions/automl.fish`
	for _, sh := range c.Commands() {
		switch sh.Name() {
		case "bash":
			sh.Example = `  source <(automl completion bash)
  automl completion bash > /etc/bash_completion.d/automl`
		case "zsh":
			sh.Example = `  source <(automl completion zsh)
  automl completion zsh > "${fpath[1]}/_automl"`
		case "fish":
			sh.Example = `  automl completion fish | source
  automl completion fish > ~/.config/fish/completions/automl.fish`
		case "powershell":
			sh.Example = `  automl completion powershell | Out-String | Invoke-Expression`
		}
	}
}

// completions: study names for the commands that take a study, the
// values of --format, --plot, --state, --metric, --log-level and --log-format, space files for
// --space. Flags with nothing registered complete file names.
func completions(root *cobra.Command) {
	fixed(root, "log-format", "text\tkey=value lines", "json\tone JSON object a line")
	for _, c := range root.Commands() {
		switch c.Name() {
		case "trials", "report", "stop", "logs":
			c.ValidArgsFunction = completeStudy
		case "search", "validate":
			_ = c.MarkFlagFilename("space", "yaml", "yml")
		}
		switch c.Name() {
		case "report":
			fixed(c, "format", "md\tMarkdown table", "csv\tcomma-separated values", "json\tfor programs",
				"html\tone self-contained page with plots", "png\twith --plot", "svg\twith --plot")
			fixed(c, "plot", report.PlotKinds...)
		case "trials":
			var states []string
			for s := trial.Pending; s <= trial.Imported; s++ {
				states = append(states, s.String())
			}
			fixed(c, "state", states...)
		case "search", "worker":
			fixed(c, "log-level", "debug", "info", "warn", "error")
		case "model":
			for _, sub := range c.Commands() {
				sub.ValidArgsFunction = completeStudy
				switch sub.Name() {
				case "export":
					fixed(sub, "format", "automl\tthe model file", "onnx\tan ONNX graph")
				case "ensemble":
					fixed(sub, "metric", ensemble.Metrics()...)
				}
			}
		case "predict":
			_ = c.MarkFlagFilename("model", "automl")
		}
	}
}

func fixed(c *cobra.Command, flag string, values ...string) {
	_ = c.RegisterFlagCompletionFunc(flag, cobra.FixedCompletions(values, cobra.ShellCompDirectiveNoFileComp))
}

// completeStudy completes a command's first argument with the names of
// the studies in its study file (--db), read as automl studies reads it;
// nothing, and no error, when the file does not exist or cannot be read.
func completeStudy(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	db, err := cmd.Flags().GetString("db")
	if err != nil || db == "" {
		db = defaultDB
	}
	if fi, err := os.Stat(db); err != nil || !fi.Mode().IsRegular() {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	st, err := openReader(db)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	defer st.Close()
	ctx, cancel := context.WithTimeout(context.Background(), completionWait)
	defer cancel()
	infos, err := st.Studies(ctx)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	prefix := studyname.Normal(toComplete)
	var out []cobra.Completion
	for _, in := range infos {
		if !strings.HasPrefix(in.Name, prefix) {
			continue
		}
		n := 0
		for _, c := range in.Counts {
			n += c
		}
		out = append(out, cobra.CompletionWithDesc(in.Name, fmt.Sprintf("%s, %d trials", in.Status, n)))
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}
