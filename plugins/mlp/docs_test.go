package mlp

import (
	"errors"
	"io/fs"
	"os"
	"strings"
	"testing"
)

// TestDocsListEveryKey keeps the documentation of the trainer (docs/mlp.md,
// or the README once that section is merged into it) in step with the keys
// the trainer accepts.
func TestDocsListEveryKey(t *testing.T) {
	b, err := os.ReadFile("../../docs/mlp.md")
	if errors.Is(err, fs.ErrNotExist) {
		b, err = os.ReadFile("../../README.md")
	}
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	for _, k := range Keys() {
		if !strings.Contains(doc, "| `"+k.Name+"`") && !strings.Contains(doc, "`"+k.Name+"`, `") && !strings.Contains(doc, ", `"+k.Name+"` |") {
			t.Errorf("the mlp documentation has no table row for %q", k.Name)
		}
	}
}
