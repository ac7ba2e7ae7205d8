package pytorch_test

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// gpu_check.sh on a machine without a GPU says so and exits 0, whether
// nvidia-smi is missing or finds no device; an nvidia-smi that fails
// otherwise (a driver out of step with its library) fails the check with
// its message. What it does on a GPU can only be seen on one: these fakes
// stand in for nvidia-smi only where the script must stop.
func TestGPUCheckWithoutAGPU(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Fatal("bash not found:", err)
	}
	script, err := filepath.Abs("gpu_check.sh")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, nvidiaSMI string // "": none on PATH
		wantCode        int
		wantOut         string
		wantErr         string
	}{
		{name: "no nvidia-smi", wantOut: "no GPU: nvidia-smi is not on PATH"},
		{name: "no device", nvidiaSMI: "echo 'No devices were found'; exit 6", wantOut: "no GPU: nvidia-smi found no device"},
		{name: "an empty list", nvidiaSMI: "exit 0", wantOut: "no GPU: nvidia-smi lists none"},
		{name: "a broken driver", nvidiaSMI: "echo 'Failed to initialize NVML: Driver/library version mismatch'; exit 18",
			wantCode: 1, wantErr: "gpu_check: nvidia-smi failed: Failed to initialize NVML: Driver/library version mismatch"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bin := t.TempDir() // the whole PATH: the script must get this far on builtins
			if tc.nvidiaSMI != "" {
				if err := os.WriteFile(filepath.Join(bin, "nvidia-smi"), []byte("#!/bin/sh\n"+tc.nvidiaSMI+"\n"), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			cmd := exec.Command(bash, script)
			cmd.Env = []string{"PATH=" + bin, "HOME=" + t.TempDir()}
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			code := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tc.wantCode {
				t.Errorf("exit %d, want %d; stdout %q, stderr %q", code, tc.wantCode, stdout.String(), stderr.String())
			}
			if tc.wantOut != "" && !strings.Contains(stdout.String(), tc.wantOut) {
				t.Errorf("stdout %q, want it to say %q", stdout.String(), tc.wantOut)
			}
			if tc.wantErr != "" && !strings.Contains(stderr.String(), tc.wantErr) {
				t.Errorf("stderr %q, want it to say %q", stderr.String(), tc.wantErr)
			}
			if tc.wantCode == 0 && stderr.Len() > 0 {
				t.Errorf("stderr %q on a machine without a GPU", stderr.String())
			}
		})
	}
}
