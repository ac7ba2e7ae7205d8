package main

import (
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

// TestImportsFollowTheArrows keeps the dependency rules of DESIGN.md
// section 3: search <- trial <- scheduler <- backends; plugins import only
// trial and search (and their own sub-packages); backends never import each
// other; nothing imports cmd/automl; only backends and plugins import bbolt,
// nats, go-plugin or grpc.
func TestImportsFollowTheArrows(t *testing.T) {
	out, err := exec.Command("go", "list", "-json", "automl/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	type pkg struct {
		ImportPath string
		Imports    []string
	}
	var pkgs []pkg
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < 8 {
		t.Fatalf("go list found only %d packages", len(pkgs))
	}
	heavy := []string{"go.etcd.io/bbolt", "github.com/nats-io/", "github.com/hashicorp/go-plugin", "google.golang.org/grpc"}
	for _, p := range pkgs {
		area := areaOf(p.ImportPath)
		for _, imp := range p.Imports {
			if strings.HasPrefix(imp, "automl/cmd/") {
				t.Errorf("%s imports %s: nothing imports the command", p.ImportPath, imp)
			}
			for _, h := range heavy {
				if strings.HasPrefix(imp, h) && area != "backends" && area != "plugins" && area != "cmd" && area != "bench" {
					t.Errorf("%s imports %s: only backends and plugins may", p.ImportPath, imp)
				}
			}
			if !strings.HasPrefix(imp, "automl/") {
				continue
			}
			to := areaOf(imp)
			if !allowed(area, to, p.ImportPath, imp) {
				t.Errorf("%s (%s) must not import %s (%s)", p.ImportPath, area, imp, to)
			}
		}
	}
}

// The go list -deps check: everything a package pulls in, transitively.
func TestTransitiveDepsOfCorePackages(t *testing.T) {
	for _, tc := range []struct {
		pkg    string
		forbid []string
	}{
		{"automl/search", []string{"automl/trial", "automl/scheduler", "automl/backends", "automl/plugins", "go.etcd.io/bbolt", "github.com/nats-io", "github.com/hashicorp", "google.golang.org/grpc"}},
		{"automl/trial", []string{"automl/scheduler", "automl/backends", "automl/plugins", "go.etcd.io/bbolt", "github.com/nats-io", "github.com/hashicorp", "google.golang.org/grpc"}},
		{"automl/scheduler", []string{"automl/backends", "automl/plugins", "go.etcd.io/bbolt", "github.com/nats-io", "github.com/hashicorp", "google.golang.org/grpc"}},
	} {
		out, err := exec.Command("go", "list", "-deps", tc.pkg).Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", tc.pkg, err)
		}
		for _, dep := range strings.Fields(string(out)) {
			for _, f := range tc.forbid {
				if strings.HasPrefix(dep, f) {
					t.Errorf("%s depends on %s", tc.pkg, dep)
				}
			}
		}
	}
}

func areaOf(path string) string {
	rest := strings.TrimPrefix(path, "automl/")
	first, _, _ := strings.Cut(rest, "/")
	if first == "cmd" || first == "examples" || first == "bench" {
		return first
	}
	return first
}

func allowed(from, to, fromPath, toPath string) bool {
	switch from {
	case "search":
		return to == "search"
	case "trial":
		return to == "search" || to == "trial"
	case "scheduler":
		return to == "search" || to == "trial" || to == "scheduler"
	case "backends":
		if to == "backends" {
			// a backend and its own sub-packages only: backends never import each other
			return backendOf(fromPath) == backendOf(toPath)
		}
		return to == "search" || to == "trial" || to == "scheduler"
	case "plugins":
		return to == "search" || to == "trial" || to == "plugins"
	case "examples":
		return to == "search" || to == "trial" || to == "plugins"
	case "cmd", "bench":
		return true
	}
	return false
}

func backendOf(path string) string {
	parts := strings.Split(path, "/")
	if len(parts) < 3 {
		return path
	}
	return parts[2]
}
