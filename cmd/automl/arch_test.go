package main

import (
	"bytes"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestImportsFollowTheArrows keeps the dependency rules (the README's
// Layout section): search <- trial <- spacefile <- scheduler <- backends;
// the read side (report) reads through the scheduler's contracts; plugins
// import only trial, search and spacefile (to register their trainers)
// and model (the mlp trainer's model files); model imports only the mlp
// trainer's data, nn and kernels packages (model/ensemble its metrics too);
// the worker wires natsbus and plugins; backends never import each other;
// internal/ is the leaves everyone may use; nothing imports cmd/automl;
// only backends, plugins and the worker import bbolt, nats, go-plugin or
// grpc, and only the read side gonum/plot; only internal/telemetry (and the
// command) import the Prometheus client: the packages that do the work
// report through internal/probe.
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
				if strings.HasPrefix(imp, h) && !slices.Contains([]string{"backends", "plugins", "worker", "cmd", "bench"}, area) {
					t.Errorf("%s imports %s: only backends, plugins and the worker may", p.ImportPath, imp)
				}
			}
			if strings.HasPrefix(imp, "gonum.org/v1/plot") && !slices.Contains([]string{"report", "cmd", "bench"}, area) {
				t.Errorf("%s imports %s: only the read side (report) draws plots", p.ImportPath, imp)
			}
			if strings.HasPrefix(imp, "github.com/prometheus/") && p.ImportPath != "automl/internal/telemetry" && area != "cmd" {
				t.Errorf("%s imports %s: only internal/telemetry defines metrics (others report through internal/probe)", p.ImportPath, imp)
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
		{"automl/search", []string{"automl/trial", "automl/spacefile", "automl/scheduler", "automl/backends", "automl/plugins", "automl/report", "automl/worker", "go.etcd.io/bbolt", "github.com/nats-io", "github.com/hashicorp", "google.golang.org/grpc", "gonum.org/v1/plot", "go.yaml.in/yaml", "github.com/prometheus"}},
		{"automl/trial", []string{"automl/spacefile", "automl/scheduler", "automl/backends", "automl/plugins", "automl/report", "automl/worker", "go.etcd.io/bbolt", "github.com/nats-io", "github.com/hashicorp", "google.golang.org/grpc", "gonum.org/v1/plot", "go.yaml.in/yaml", "github.com/prometheus"}},
		{"automl/spacefile", []string{"automl/scheduler", "automl/backends", "automl/plugins", "automl/report", "automl/worker", "go.etcd.io/bbolt", "github.com/nats-io", "github.com/hashicorp", "google.golang.org/grpc", "gonum.org/v1/plot", "github.com/prometheus"}},
		{"automl/scheduler", []string{"automl/backends", "automl/plugins", "automl/report", "automl/worker", "go.etcd.io/bbolt", "github.com/nats-io", "github.com/hashicorp", "google.golang.org/grpc", "gonum.org/v1/plot", "github.com/prometheus"}},
		// The packages that do the work observe through internal/probe;
		// the Prometheus client is the command's (internal/telemetry).
		{"automl/backends/bolt", []string{"github.com/prometheus"}},
		{"automl/backends/natsbus", []string{"github.com/prometheus"}},
		{"automl/plugins", []string{"github.com/prometheus"}},
		{"automl/worker", []string{"github.com/prometheus"}},
		// A program that predicts needs the model and the training core's
		// leaves, none of the service.
		{"automl/model", []string{"automl/search", "automl/trial", "automl/spacefile", "automl/scheduler", "automl/backends", "automl/report", "automl/worker", "automl/plugins/mlp/metrics", "go.etcd.io/bbolt", "github.com/nats-io", "github.com/hashicorp", "google.golang.org/grpc", "gonum.org/v1/plot", "github.com/prometheus"}},
		{"automl/internal/probe", []string{"automl/search", "automl/trial", "automl/scheduler", "github.com/prometheus"}},
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
	first, _, _ := strings.Cut(strings.TrimPrefix(path, "automl/"), "/")
	return first
}

// testSupport are the packages that build study files as users write them
// for the conformance suites: they may import spacefile, above search.
var testSupport = []string{"automl/search/searchtest", "automl/search/fidelity/fidelitytest"}

func allowed(from, to, fromPath, toPath string) bool {
	may := func(areas ...string) bool { return to == from || to == "internal" || slices.Contains(areas, to) }
	switch from {
	case "internal":
		return to == "internal"
	case "search":
		return may() || (to == "spacefile" && slices.Contains(testSupport, fromPath))
	case "trial":
		return may("search")
	case "spacefile":
		return may("search", "trial")
	case "scheduler":
		return may("search", "trial", "spacefile")
	case "report", "control":
		// the read side, and users' changes to a study (budget, enqueue, retry)
		return may("search", "trial", "spacefile", "scheduler")
	case "warmstart":
		// results from elsewhere read for a study: no store of its own
		return may("search", "trial", "spacefile", "scheduler")
	case "backends":
		if to == "backends" {
			// a backend and its own sub-packages only: backends never import each other
			return backendOf(fromPath) == backendOf(toPath)
		}
		return may("search", "trial", "spacefile", "scheduler")
	case "plugins":
		// the mlp trainer writes model files
		return may("search", "trial", "spacefile", "model")
	case "model":
		// the model file and prediction: on the training core's leaves only
		return may() || slices.Contains(trainingCore, toPath)
	case "worker":
		return may("trial", "plugins") || strings.HasPrefix(toPath, "automl/backends/natsbus")
	case "study":
		// the ask-and-tell API: a scheduler over the bolt store, no workers
		return may("search", "trial", "spacefile", "scheduler") || strings.HasPrefix(toPath, "automl/backends/bolt")
	case "examples":
		return may("search", "trial", "spacefile", "plugins")
	case "cmd", "bench":
		return true
	}
	return false
}

// trainingCore are the mlp trainer's leaf packages the model may import
// (metrics: for model/ensemble, which scores the members' predictions).
var trainingCore = []string{"automl/plugins/mlp/data", "automl/plugins/mlp/nn", "automl/plugins/mlp/kernels", "automl/plugins/mlp/metrics"}

func backendOf(path string) string {
	parts := strings.Split(path, "/")
	if len(parts) < 3 {
		return path
	}
	return parts[2]
}

// TestRoomSizes keeps every room small enough to read: no hand-written
// file over 600 lines (generated protobuf code aside), no package
// exporting more than 80 names (package-level names plus the methods of
// exported types), and the scheduler's code (scheduler/, tests aside)
// under 3,000 lines.
func TestRoomSizes(t *testing.T) {
	root := filepath.Join("..", "..")
	schedulerLines := 0
	pkgs := map[string]bool{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || name == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, ".pb.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		lines := bytes.Count(b, []byte("\n"))
		rel, _ := filepath.Rel(root, path)
		if lines > 600 {
			t.Errorf("%s: %d lines; split it (at most 600)", rel, lines)
		}
		if strings.HasPrefix(rel, "scheduler"+string(filepath.Separator)) && !strings.HasSuffix(path, "_test.go") {
			schedulerLines += lines
		}
		if !strings.HasSuffix(path, "_test.go") {
			pkgs[filepath.Dir(path)] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if schedulerLines == 0 || schedulerLines >= 3000 {
		t.Errorf("scheduler/ holds %d lines of Go (tests aside); it must stay under 3,000", schedulerLines)
	}
	for dir := range pkgs {
		if n := exportedNames(t, dir); n > 80 {
			t.Errorf("%s exports %d names; at most 80", dir, n)
		}
	}
}

// exportedNames counts a package's exported package-level names and the
// exported methods of its exported types (test files and generated code
// aside).
func exportedNames(t *testing.T, dir string) int {
	t.Helper()
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, dir, func(fi fs.FileInfo) bool { return !strings.HasSuffix(fi.Name(), "_test.go") }, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, p := range pkgs {
		for _, f := range p.Files {
			if ast.IsGenerated(f) {
				continue
			}
			for _, d := range f.Decls {
				switch d := d.(type) {
				case *ast.FuncDecl:
					if !d.Name.IsExported() {
						continue
					}
					if d.Recv != nil {
						recv := d.Recv.List[0].Type
						if star, ok := recv.(*ast.StarExpr); ok {
							recv = star.X
						}
						if id, ok := recv.(*ast.Ident); ok && !id.IsExported() {
							continue
						}
					}
					n++
				case *ast.GenDecl:
					for _, s := range d.Specs {
						switch s := s.(type) {
						case *ast.TypeSpec:
							if s.Name.IsExported() {
								n++
							}
						case *ast.ValueSpec:
							for _, name := range s.Names {
								if name.IsExported() {
									n++
								}
							}
						}
					}
				}
			}
		}
	}
	return n
}
