package exec

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"automl/spacefile"
)

// TestPreflightFindsTheProgram: a command every trial would fail to start
// passes the space file's check and is refused by the preflight, placed at
// the command (or workdir) key; with the trials on other machines nothing
// is looked for here.
func TestPreflightFindsTheProgram(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "train.py"), []byte("print(1)\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "run.sh"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "data.sh"), []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, config, want string
		remote             bool
	}{
		{"on PATH", `{command: [sh, -c, "exit 0"]}`, "", false},
		{"script in the workdir", `{command: [sh, train.py], workdir: ` + dir + `}`, "", false},
		{"relative program in the workdir", `{command: [./run.sh], workdir: ` + dir + `}`, "", false},
		{"placeholder program", `{command: ["{x}"]}`, "", false},
		{"not on PATH", `{command: [pythn3, train.py]}`, `s.yaml:6:21: trainer.config.command: program "pythn3" not found on PATH`, false},
		{"not on PATH, trials elsewhere", `{command: [pythn3, train.py]}`, "", true},
		{"missing program file", `{command: [./nothere.sh], workdir: ` + dir + `}`, `trainer.config.command: program ./nothere.sh: no such file or directory (relative to workdir ` + dir + `)`, false},
		{"program not executable", `{command: [./data.sh], workdir: ` + dir + `}`, `data.sh is not executable (mode 0644); chmod +x it`, false},
		{"missing script", `{command: [sh, trian.py], workdir: ` + dir + `}`, `trainer.config.command: script trian.py: no such file or directory (relative to workdir ` + dir + `)`, false},
		{"missing workdir", `{command: [sh], workdir: ` + dir + `/nope}`, `trainer.config.workdir: ` + dir + `/nope: no such file or directory`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			text := "study: s\nobjective: {metric: loss, direction: minimize}\nbudget: {trials: 5}\ntrainer:\n  plugin: exec\n  config: " + tc.config +
				"\nparameters:\n  x: {type: float, low: 0, high: 1}\n"
			sp, err := spacefile.Parse("s.yaml", []byte(text))
			if err != nil {
				t.Fatalf("the space file's own check: %v", err)
			}
			spec, _ := spacefile.LookupTrainer("exec")
			_, errs := spec.Preflight(sp, !tc.remote)
			if tc.want == "" {
				if len(errs) > 0 {
					t.Fatalf("errors %v, want none", errs)
				}
				return
			}
			if len(errs) != 1 || !strings.Contains(errs[0].Error(), tc.want) {
				t.Fatalf("errors %v, want one containing %q", errs, tc.want)
			}
		})
	}
}
