package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"automl/backends/natsbus/fleet"
	"automl/internal/secretfile"
)

func init() {
	prev := extraCommands
	extraCommands = func() []*cobra.Command { return append(prev(), newFleetCmd()) }
}

// tokenFile, in the fleet directory, keeps the last join token automl
// search gave out, for automl fleet token.
const tokenFile = "token"

// fleetFlags locate a fleet directory: --fleet, or <db>.fleet.
type fleetFlags struct {
	db, dir string
}

func addFleetFlag(cmd *cobra.Command, f *fleetFlags) {
	cmd.Flags().StringVar(&f.dir, "fleet", "", "the fleet directory: the keys that sign jobs and admit workers (default: <db>.fleet)")
}

func (f *fleetFlags) path() string {
	if f.dir != "" {
		return f.dir
	}
	return f.db + ".fleet"
}

// open opens (making on first use) the fleet directory; a directory or key
// others may read is a usage error naming the fix.
func (f *fleetFlags) open() (*fleet.Dir, error) {
	d, err := fleet.Open(f.path())
	if err != nil {
		return nil, usageError{err}
	}
	return d, nil
}

// joinLine is what a user copies to each worker machine.
func joinLine(t fleet.Token) string { return "automl worker --join " + t.String() }

// saveToken keeps the token automl search gave out (0600).
func saveToken(d *fleet.Dir, t fleet.Token) error {
	return secretfile.Write(filepath.Join(d.Path(), tokenFile), []byte(t.String()+"\n"))
}

// currentToken is the saved token with the directory's current join
// credential (a revoke makes a new one).
func currentToken(d *fleet.Dir) (fleet.Token, error) {
	b, err := os.ReadFile(filepath.Join(d.Path(), tokenFile))
	if errors.Is(err, fs.ErrNotExist) {
		return fleet.Token{}, usagef("no join token in %s yet: start the study with automl search --listen HOST:PORT (or --nats URL), which makes it", d.Path())
	}
	if err != nil {
		return fleet.Token{}, err
	}
	t, err := fleet.ParseToken(string(b))
	if err != nil {
		return fleet.Token{}, fmt.Errorf("%s: %w", filepath.Join(d.Path(), tokenFile), err)
	}
	if t.Join != "" {
		if t.Join, err = d.Join(time.Now()); err != nil {
			return fleet.Token{}, err
		}
	}
	return t, nil
}

func newFleetCmd() *cobra.Command {
	var f fleetFlags
	cmd := &cobra.Command{
		Use:   "fleet",
		Short: "Show or revoke the join token of a study's fleet; list its workers",
		Long: `A study's fleet directory (<db>.fleet beside the study file, or --fleet)
holds the key that signs its jobs (workers run no other jobs), the NATS
identities of the scheduler and of every worker that joined, the join
credential a token carries, and, for a server reachable beyond this
machine, the certificate authority its TLS certificate comes from. Every
file is readable by its owner only; automl refuses the directory otherwise.

automl search makes it on first use and prints the join line; these
commands show it again, revoke it, and list the enrolled workers.`,
		Example: `  automl fleet token
  automl fleet revoke              # the old token enrolls nobody now
  automl fleet revoke --workers    # and every enrolled worker is cut off
  automl fleet workers --json`,
	}
	cmd.PersistentFlags().StringVar(&f.db, "db", defaultDB, "the study file (bbolt)")
	cmd.PersistentFlags().StringVar(&f.dir, "fleet", "", "the fleet directory (default: <db>.fleet)")

	token := &cobra.Command{
		Use:   "token",
		Short: "Print the line that makes a machine a worker of the fleet",
		Example: `  automl fleet token
  automl fleet token --db runs/exp1.db`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			d, err := f.open()
			if err != nil {
				return err
			}
			t, err := currentToken(d)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), joinLine(t))
			return nil
		},
	}
	var alsoWorkers bool
	revoke := &cobra.Command{
		Use:   "revoke",
		Short: "Make a new join credential: tokens given out so far enroll nobody",
		Long: `Makes a new join credential: tokens given out so far no longer enroll
anyone. Workers that joined keep their own identities unless --workers,
which removes them all: the server closes their connections, and they
need the new token. A running automl search applies it within a second.`,
		Example: `  automl fleet revoke              # the old token enrolls nobody now
  automl fleet revoke --workers    # and every enrolled worker is cut off`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			d, err := f.open()
			if err != nil {
				return err
			}
			if err := d.Revoke(alsoWorkers, time.Now()); err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			fmt.Fprintln(w, "revoked: tokens given out so far enroll nobody")
			if alsoWorkers {
				fmt.Fprintln(w, "every enrolled worker is removed; give them the new token")
			}
			if t, err := currentToken(d); err == nil {
				fmt.Fprintln(w, "the new join line:")
				fmt.Fprintln(w, "  "+joinLine(t))
			}
			return nil
		},
	}
	revoke.Flags().BoolVar(&alsoWorkers, "workers", false, "also remove every enrolled worker")
	var asJSON bool
	workers := &cobra.Command{
		Use:   "workers",
		Short: "List the workers that joined",
		Example: `  automl fleet workers
  automl fleet workers --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			d, err := f.open()
			if err != nil {
				return err
			}
			ws, err := d.Workers()
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(w)
				enc.SetIndent("", "  ")
				return enc.Encode(ws)
			}
			if len(ws) == 0 {
				fmt.Fprintln(w, "no worker has joined")
				return nil
			}
			fmt.Fprintf(w, "%-24s  %-20s  %s\n", "NAME", "ENROLLED", "KEY")
			for _, x := range ws {
				fmt.Fprintf(w, "%-24s  %-20s  %s\n", x.Name, x.Enrolled.Local().Format(time.DateTime), x.NKey)
			}
			return nil
		},
	}
	workers.Flags().BoolVar(&asJSON, "json", false, "print JSON (for programs)")
	cmd.AddCommand(token, revoke, workers)
	return cmd
}

// splitTrust reads --trust values: job keys, comma-separated.
func splitTrust(vals []string) (fleet.Trust, error) {
	var t fleet.Trust
	for _, v := range vals {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s == "" {
				continue
			}
			k, err := fleet.ParseKey(s)
			if err != nil {
				return nil, usagef("--trust: %v", err)
			}
			t = append(t, k)
		}
	}
	return t, nil
}
