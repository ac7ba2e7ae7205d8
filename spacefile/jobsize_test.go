package spacefile_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"automl/spacefile"
	"automl/trial"
)

// TestJobSizeLimit: a file whose jobs would be over trial.MaxSpecBytes is
// refused when read, at the setting that makes them heavy, and one just
// under it is accepted.
func TestJobSizeLimit(t *testing.T) {
	big := strings.Repeat("x", trial.MaxSpecBytes)
	cases := []struct {
		name, file string
		line       int
		where      string
	}{
		{"trainer config", fmt.Sprintf("objective: {metric: loss, direction: minimize}\ntrainer:\n  plugin: ./my-plugin\n  config:\n    note: %s\nparameters:\n  x: {type: float, low: 0, high: 1}\n", big),
			5, "trainer.config.note"},
		{"categorical choice", fmt.Sprintf("objective: {metric: loss, direction: minimize}\ntrainer: {plugin: ./my-plugin}\nparameters:\n  x: {type: float, low: 0, high: 1}\n  blob: {type: categorical, choices: [a, %s]}\n", big),
			5, `parameter "blob"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := spacefile.Parse("big.yaml", []byte(c.file))
			var e *spacefile.Error
			if !errors.As(err, &e) {
				t.Fatalf("want a *spacefile.Error, got %v", err)
			}
			if e.Pos.Line != c.line || e.Where != c.where || !strings.Contains(e.Msg, "limit of a job") {
				t.Fatalf("got %s:%d %q %q; want line %d at %s about the job limit", e.File, e.Pos.Line, e.Where, e.Msg, c.line, c.where)
			}
		})
	}
	ok := fmt.Sprintf("objective: {metric: loss, direction: minimize}\ntrainer: {plugin: ./my-plugin, config: {note: %s}}\nparameters:\n  x: {type: float, low: 0, high: 1}\n", strings.Repeat("x", trial.MaxSpecBytes-2048))
	if _, err := spacefile.Parse("fits.yaml", []byte(ok)); err != nil {
		t.Fatalf("a file whose jobs fit is refused: %v", err)
	}
}
