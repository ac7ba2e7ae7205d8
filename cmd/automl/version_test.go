package main

import (
	"debug/buildinfo"
	"encoding/json"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

// buildVersion takes each field from where the build put it: -X
// main.version before the module's version, vcs.revision before -X
// main.commit, "modified" only from vcs.modified=true.
func TestBuildVersionFields(t *testing.T) {
	defer func(v, c string) { version, commit = v, c }(version, commit)
	rev := "78a5276ddc929d01ed24f85caafd993dbac07e80"
	info := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "automl", Version: "v0.0.0-20261207121549-78a5276ddc92+dirty"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: "true"}, {Key: "vcs.time", Value: "2026-12-07T12:00:00Z"}}}
	platform := runtime.GOOS + "/" + runtime.GOARCH
	for _, tc := range []struct {
		name, version, commit string
		info                  *debug.BuildInfo
		want                  string
	}{
		{"vcs stamped", "dev", "", info, "v0.0.0-20261207121549-78a5276ddc92+dirty (commit " + rev + ", modified, go1.26.8, " + platform + ")"},
		{"-X main.version wins over the module version", "v1.2.3", "", info, "v1.2.3 (commit " + rev + ", modified, go1.26.8, " + platform + ")"},
		{"clean tree", "v1.2.3", "", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: "false"}}}, "v1.2.3 (commit " + rev + ", go1.26.8, " + platform + ")"},
		{"no vcs: -X main.commit", "v1.2.3", "abc123", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}}, "v1.2.3 (commit abc123, go1.26.8, " + platform + ")"},
		{"nothing known", "dev", "", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}}, "dev (commit unknown, go1.26.8, " + platform + ")"},
	} {
		version, commit = tc.version, tc.commit
		if got := buildVersion(tc.info, true).String(); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
	version, commit = "dev", ""
	if got := buildVersion(nil, false); got.Version != "dev" || got.Go != runtime.Version() || got.Commit != "" {
		t.Errorf("without build info: %+v", got)
	}
}

// The built binary's automl version, --version and version --json say
// what its build info (read from the file, as go version -m does) says.
func TestVersionOfTheBuiltBinary(t *testing.T) {
	info, err := buildinfo.ReadFile(automlBin)
	if err != nil {
		t.Fatal(err)
	}
	setting := map[string]string{}
	for _, s := range info.Settings {
		setting[s.Key] = s.Value
	}
	out, errOut, code := automl(t, t.TempDir(), "version", "--json")
	if code != 0 {
		t.Fatalf("automl version --json: exit %d: %s", code, errOut)
	}
	var got versionInfo
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("automl version --json printed %q: %v", out, err)
	}
	want := versionInfo{Version: "dev", Commit: setting["vcs.revision"], Modified: setting["vcs.modified"] == "true", CommitTime: setting["vcs.time"],
		Go: info.GoVersion, Platform: setting["GOOS"] + "/" + setting["GOARCH"]}
	if info.Main.Version != "" && info.Main.Version != "(devel)" {
		want.Version = info.Main.Version
	}
	if got != want {
		t.Errorf("automl version --json: %+v\nbuild info says %+v", got, want)
	}
	if want.Commit != "" {
		// Stamped (a checkout git can read; go build does not stamp in a
		// git worktree): the commit is the checkout's.
		head, err := exec.Command("git", "rev-parse", "HEAD").Output()
		if err != nil {
			t.Fatalf("git rev-parse HEAD: %v", err)
		}
		if strings.TrimSpace(string(head)) != want.Commit {
			t.Errorf("vcs.revision %s, HEAD %s", want.Commit, head)
		}
	}
	line, errOut, code := automl(t, t.TempDir(), "version")
	if code != 0 || line != "automl "+want.String()+"\n" {
		t.Errorf("automl version: exit %d, %q (want %q) %s", code, line, "automl "+want.String()+"\n", errOut)
	}
	for _, flag := range []string{"--version", "-v"} {
		if again, _, _ := automl(t, t.TempDir(), flag); again != line {
			t.Errorf("automl %s printed %q, automl version %q", flag, again, line)
		}
	}
	for _, field := range []string{want.Go, want.Platform, "commit "} {
		if !strings.Contains(line, field) {
			t.Errorf("automl version %q lacks %q", line, field)
		}
	}
}
