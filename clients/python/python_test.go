// Package python_test runs the Python client's own tests (automl_trial.py,
// standard library only) under Debian's python3, as CI installs it, so
// that `go test ./...` covers it.
package python_test

import (
	"os"
	"os/exec"
	"testing"
)

func TestPythonClient(t *testing.T) {
	py := "/usr/bin/python3"
	if _, err := os.Stat(py); err != nil {
		if py, err = exec.LookPath("python3"); err != nil {
			t.Fatal("python3 is needed for the Python client's tests (.ci/run installs it):", err)
		}
	}
	cmd := exec.Command(py, "-m", "unittest", "discover", "-s", ".", "-p", "test_*.py", "-v")
	cmd.Env = append(os.Environ(), "PYTHONDONTWRITEBYTECODE=1")
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("%s -m unittest: %v", py, err)
	}
}
