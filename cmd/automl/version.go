package main

import (
	"encoding/json"
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// version and commit are set at build time where the build info cannot
// say them (a release, a container built without .git):
//
//	go build -ldflags "-X main.version=v1.2.3 -X main.commit=$(git rev-parse HEAD)" ./cmd/automl
var (
	version = "dev"
	commit  = ""
)

// versionInfo is what automl version prints: the release, the commit it
// was built from (and whether the tree had changes), the Go release and
// the platform.
type versionInfo struct {
	Version    string `json:"version"`
	Commit     string `json:"commit"`                // "" when unknown
	Modified   bool   `json:"modified"`              // built from a tree with uncommitted changes
	CommitTime string `json:"commit_time,omitempty"` // RFC 3339, from the build info
	Go         string `json:"go"`
	Platform   string `json:"platform"` // GOOS/GOARCH
}

// buildVersion reads the version from the build info: -X main.version
// first, else the main module's version (a tag or a pseudo-version, as
// go install and go build stamp it), else "dev"; the commit from the
// build's vcs.revision (vcs.modified, vcs.time), else -X main.commit.
func buildVersion(info *debug.BuildInfo, ok bool) versionInfo {
	v := versionInfo{Version: version, Commit: commit, Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if !ok || info == nil {
		return v
	}
	if info.GoVersion != "" {
		v.Go = info.GoVersion
	}
	if v.Version == "dev" && info.Main.Version != "" && info.Main.Version != "(devel)" {
		v.Version = info.Main.Version
	}
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Commit = s.Value
		case "vcs.modified":
			v.Modified = s.Value == "true"
		case "vcs.time":
			v.CommitTime = s.Value
		}
	}
	return v
}

func currentVersion() versionInfo { return buildVersion(debug.ReadBuildInfo()) }

// String is the one line automl version and automl --version print after
// "automl": "v1.2.3 (commit 78a5276ddc92..., modified, go1.26.8, linux/amd64)".
func (v versionInfo) String() string {
	c := "commit unknown"
	if v.Commit != "" {
		c = "commit " + v.Commit
		if v.Modified {
			c += ", modified"
		}
	}
	return fmt.Sprintf("%s (%s, %s, %s)", v.Version, c, v.Go, v.Platform)
}

func newVersionCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the automl version, commit and Go release",
		Long: `Prints the version (set at build time with -ldflags "-X main.version=...",
else the module version go install stamped, else dev), the commit the binary
was built from (from the build info; "modified" when the tree had uncommitted
changes) and the Go release and platform it was built with.`,
		Example: "  automl version\n  automl version --json\n  automl --version",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			v := currentVersion()
			if asJSON {
				b, err := json.MarshalIndent(v, "", "  ")
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s\n", b)
				return nil
			}
			fmt.Fprintf(cmd.OutOrStdout(), "automl %s\n", v)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON object (version, commit, modified, commit_time, go, platform)")
	return cmd
}

// versionText is what automl --version prints after "automl".
func versionText() string { return currentVersion().String() }
