package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"automl/plugins"
	_ "automl/plugins/exec" // registers the exec trainer
	"automl/plugins/funcs"
	"automl/plugins/mlp"
	"automl/trial"
)

func init() {
	// funcs does not register itself as a built-in plugin; this binary
	// links it, so it serves it.
	plugins.RegisterBuiltin("funcs", func() trial.Runner { return funcs.Runner{} })
	plugins.RegisterBuiltin("mlp", func() trial.Runner { return mlp.Runner{} })
	prev := extraCommands
	extraCommands = func() []*cobra.Command { return append(prev(), newPluginCmd()) }
}

// newPluginCmd is `automl plugin`: the built-in trainers served as plugin
// processes. A worker starts `automl plugin serve NAME` for each trial (or
// keeps one per slot), so one binary carries every built-in trainer and
// each trial still runs in its own process.
func newPluginCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "plugin",
		Short: "Serve the built-in trainers as plugin processes",
		Long: `The built-in trainers (` + strings.Join(plugins.BuiltinNames(), ", ") + `) run as plugin processes of
this binary: a worker slot starts automl plugin serve NAME for a study whose
trainer.plugin names one. Nobody needs to run it by hand; a trainer of your
own is a plugin binary (examples/custom-plugin) named by its path.`,
		Example: `  automl plugin serve mlp     # what a worker slot runs for trainer.plugin: mlp
  automl plugin serve --help`,
	}
	serve := &cobra.Command{
		Use:   "serve NAME",
		Short: "Serve a built-in trainer over the plugin protocol (started by workers, not by hand)",
		Long: fmt.Sprintf(`Serves a built-in trainer as a go-plugin process on stdout's handshake.
Workers start it themselves; run by hand, it says it is a plugin and exits.

Built-in trainers: %s.`, strings.Join(plugins.BuiltinNames(), ", ")),
		Example: `  automl plugin serve funcs   # what a worker slot runs for trainer.plugin: funcs`,
		ValidArgsFunction: func(_ *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			if len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			return plugins.BuiltinNames(), cobra.ShellCompDirectiveNoFileComp
		},
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := plugins.ServeBuiltin(args[0]); err != nil {
				return usagef("%v", err)
			}
			return nil
		},
	}
	cmd.AddCommand(serve)
	return cmd
}

// servePluginDirect serves `automl plugin serve NAME` as a worker slot
// starts it, the three words and nothing else, NAME a built-in trainer,
// without building the command tree first: the tree costs each trainer
// launch about 0.5 ms (bench/startup). Any other command line, --help or
// an unknown name included, goes through the tree (ok false).
func servePluginDirect(args []string) (code int, ok bool) {
	if len(args) != 3 || args[0] != "plugin" || args[1] != "serve" {
		return 0, false
	}
	if _, known := plugins.LookupBuiltin(args[2]); !known {
		return 0, false
	}
	if err := plugins.ServeBuiltin(args[2]); err != nil {
		return 0, false
	}
	return exitOK, true
}
