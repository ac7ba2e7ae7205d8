package exec

import (
	"strings"
	"testing"

	_ "automl/search/algorithms"
	"automl/spacefile"
)

func TestCheckSpaceFile(t *testing.T) {
	const head = `study: s
objective: {metric: val_loss, direction: minimize}
algorithm: {name: random, seed: 1}
resource: epochs
parameters:
  lr: {type: float, low: 1.0e-4, high: 0.1, log: true}
  opt: {type: categorical, choices: [sgd, momentum]}
  momentum: {type: float, low: 0.5, high: 0.99, when: {opt: momentum}}
trainer:
  plugin: exec
`
	for _, tc := range []struct{ name, config, want string }{
		{"good", `  config: {command: [python3, train.py, --lr, "{lr}", --epochs, "{epochs}", "--out={checkpoint_dir}"], workdir: ., env: {OMP_NUM_THREADS: 1}, timeout: 10m}`, ""},
		{"unknown key", `  config: {command: [python3], comand: [x]}`, `s.yaml:11:40: trainer.config.comand: unknown key; the exec trainer takes command, workdir, env, timeout`},
		{"missing command", `  config: {workdir: .}`, `trainer.config.command: missing`},
		{"command not a list", `  config: {command: "python3 train.py"}`, `trainer.config.command: want a list`},
		{"unknown placeholder", `  config: {command: [python3, "{learning_rate}"]}`, `{learning_rate} names no parameter`},
		{"conditional placeholder", `  config: {command: [python3, "{momentum}"]}`, `{momentum} is conditional`},
		{"bad timeout", `  config: {command: [python3], timeout: soon}`, `trainer.config.timeout: want a positive duration`},
		{"reserved env", `  config: {command: [python3], env: {AUTOML_PARAMS: x}}`, `names starting with AUTOML_ are set by the trainer`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := spacefile.Parse("s.yaml", []byte(head+tc.config+"\n"))
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
}
