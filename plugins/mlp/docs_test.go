package mlp

import (
	"os"
	"strings"
	"testing"
)

// TestDocsListEveryKey keeps the documentation of the trainer (the
// README's mlp section) in step with the keys the trainer accepts.
func TestDocsListEveryKey(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	start := strings.Index(doc, "### The `mlp` trainer")
	if start < 0 {
		t.Fatal("README.md has no mlp section (### The `mlp` trainer)")
	}
	doc = doc[start:]
	if end := strings.Index(doc, "\n## "); end >= 0 {
		doc = doc[:end]
	}
	for _, k := range Keys() {
		if !strings.Contains(doc, "| `"+k.Name+"`") && !strings.Contains(doc, "`"+k.Name+"`, `") && !strings.Contains(doc, ", `"+k.Name+"` |") {
			t.Errorf("the README's mlp section has no table row for %q", k.Name)
		}
	}
}
